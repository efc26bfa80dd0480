# Licensed under the Apache License, Version 2.0.
#
# The Debian package, installed as a user installs it and then serving:
# scripts/relay-deb builds the .deb, its files are unpacked into a scratch
# root, and a scratch copy of /etc/apache2 (Debian's apache2.conf, envvars,
# mods-enabled with the default modules, deflate and mod_filter among
# them) gets Relay's snippets with a2enmod, a site with the seed
# configuration's caching gateway (CacheEnable mem and disk) in
# sites-enabled, and envvars pointing the run, lock and log directories
# into the scratch tree. apache2ctl starts it on a loopback port; a miss
# then hits through each store, for gzip and identity clients and HEAD,
# must be served with whole bodies and no crashed child. PHP too: with
# a2enmod relay-proxy-fcgi and a2enconf php8.2-fpm (Debian's file, only
# its socket path pointed at the suite's PHP-FPM), a .php file under the
# site's DocumentRoot runs. The server is stopped by its PID.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Spec ();
use File::Temp qw(tempdir);
use HTTP::Request ();
use IO::Socket::INET ();
use LWP::UserAgent ();
use Time::HiRes ();

use lib 't/lib';
use Relay::DiskCache ();
use Relay::Test ();

plan tests => 15, need {
    'root (the server runs its children as nobody)' => $> == 0,
    'dpkg-deb' => !system('command -v dpkg-deb >/dev/null'),
    'Debian apache2 configuration' => -f '/etc/apache2/apache2.conf'
        && -x '/usr/sbin/a2enmod' && -x '/usr/sbin/apache2ctl',
};

my $repo = abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..'));
my $tmp = tempdir(CLEANUP => 1);
chmod 0755, $tmp;
my $origin = Relay::Test::origin_port();
my $port = Relay::DiskCache::free_port();

sub run {
    my $cmd = join ' ', map { "'$_'" } @_;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

# The parent pid of $pid (from /proc), or undef when it is gone.
sub parent_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return undef;
    my ($ppid) = (<$fh> // '') =~ /\)\s+\S+\s+(\d+)/;
    return $ppid;
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print {$fh} $text;
    close $fh or die "$path: $!";
}

my ($rc, $out) = run("$repo/scripts/relay-deb", '-o', "$tmp/out",
    '-b', "$repo/build");
my ($deb) = $out =~ m{^(/\S+\.deb)$}m;
ok($rc == 0 && $deb, 'relay-deb builds the package') or diag $out;

# The package's files in a scratch root; Debian's configuration copied.
my $root = "$tmp/root";
my $conf = "$tmp/apache2";
($rc, $out) = run('dpkg-deb', '-x', $deb // '/nonexistent', $root);
is($rc, 0, 'the package unpacks') or diag $out;
run('cp', '-a', '/etc/apache2', $conf);
for my $f (glob("$root/etc/apache2/mods-available/relay-*")) {
    my $text = do { local (@ARGV, $/) = $f; <> };
    $text =~ s{/usr/lib/apache2/modules/relay/}{$root/usr/lib/apache2/modules/relay/}g;
    write_file("$conf/mods-available/" . basename($f), $text);
}

# Run, lock and log directories of its own, children as nobody.
my $var = "$tmp/var";
make_path("$var/run", "$var/lock", "$var/log", "$tmp/cache");
chown scalar(getpwnam('nobody')), scalar(getgrnam('nogroup')),
    "$var/lock", "$tmp/cache";
open my $env, '>>', "$conf/envvars" or die $!;
print {$env} <<"ENV";
# Scratch instance of t/modules/package_serve.t
export APACHE_RUN_USER=nobody
export APACHE_RUN_GROUP=nogroup
export APACHE_PID_FILE=$var/run/apache2.pid
export APACHE_RUN_DIR=$var/run
export APACHE_LOCK_DIR=$var/lock
export APACHE_LOG_DIR=$var/log
ENV
close $env;
write_file("$conf/ports.conf", "Listen 127.0.0.1:$port\n");
unlink glob("$conf/sites-enabled/*"), glob("$conf/conf-enabled/*");

# Debian's php8.2-fpm.conf with the suite's socket, when PHP-FPM runs.
my $fpm = ($ENV{RELAY_FPM_SOCK} // '') ne '' && -S $ENV{RELAY_FPM_SOCK}
    && -f "$conf/conf-available/php8.2-fpm.conf";
if ($fpm) {
    my $text = do { local (@ARGV, $/) = "$conf/conf-available/php8.2-fpm.conf"; <> };
    $text =~ s{/run/php/php8\.2-fpm\.sock}{$ENV{RELAY_FPM_SOCK}}g;
    write_file("$conf/conf-available/php8.2-fpm.conf", $text);
}
my $docroot = Apache::Test::vars('documentroot');

# The seed configuration's caching gateway, one store per prefix, on the
# suite's document root.
write_file("$conf/sites-available/relay-seed.conf", <<"SITE");
<VirtualHost 127.0.0.1:$port>
    ServerName 127.0.0.1
    DocumentRoot $docroot
    <Directory $docroot>
        Require all granted
    </Directory>
    ProxyRequests Off
    ProxyPreserveHost On
    ProxyPass /mem/ http://127.0.0.1:$origin/
    ProxyPassReverse /mem/ http://127.0.0.1:$origin/
    ProxyPass /disk/ http://127.0.0.1:$origin/
    ProxyPassReverse /disk/ http://127.0.0.1:$origin/
    CacheEnable mem /mem/
    MCacheSize 4096
    MCacheMaxObjectCount 100
    MCacheMinObjectSize 1
    MCacheMaxObjectSize 20000
    CacheEnable disk /disk/
    CacheRoot $tmp/cache
    CacheDirLevels 5
    CacheDirLength 3
    CacheHeader on
</VirtualHost>
SITE
symlink '../sites-available/relay-seed.conf',
    "$conf/sites-enabled/relay-seed.conf";

my $pid;
{
    local $ENV{APACHE_CONFDIR} = $conf;
    local $ENV{APACHE_STARTED_BY_SYSTEMD} = 'true';
    ($rc, $out) = run('a2enmod', '-q', 'relay-proxy', 'relay-proxy-http',
        'relay-proxy-fcgi', 'relay-cache', 'relay-mem-cache',
        'relay-cache-disk');
    is($rc, 0, 'a2enmod of the packaged snippets') or diag $out;
    run('a2enconf', '-q', 'php8.2-fpm') if $fpm;
    ($rc, $out) = run('apache2ctl', 'configtest');
    is($rc, 0, 'configtest passes with Debian\'s module set') or diag $out;
    ($rc, $out) = run('apache2ctl', 'start');
    my $deadline = Time::HiRes::time() + 15;
    until ($pid || Time::HiRes::time() > $deadline) {
        if (open my $fh, '<', "$var/run/apache2.pid") {
            ($pid) = (<$fh> // '') =~ /^(\d+)/;
            close $fh;
        }
        $pid = undef unless $pid && IO::Socket::INET->new(
            PeerAddr => "127.0.0.1:$port", Timeout => 1);
        Time::HiRes::sleep(0.1) unless $pid;
    }
    ok($pid, 'apache2ctl start: the server answers') or diag $out;
}

my $ua = LWP::UserAgent->new(timeout => 15);
my $text = "relay package\n" x 300;
my $query = "text=relay%20package%0A&n=300&cc=max-age%3D300&r=$$";

for my $store (qw(mem disk)) {
    my $url = "http://127.0.0.1:$port/$store/text?$query";
    my @gz = ('Accept-Encoding' => 'gzip');
    my $miss = $ua->get($url, @gz);
    my $hit = $ua->get($url, @gz);
    ok($miss->code == 200 && ($miss->header('X-Cache') // '') =~ /^MISS/,
       "$store: the first request is a miss") or diag $miss->as_string;
    ok(($hit->header('X-Cache') // '') =~ /^HIT/
           && $hit->decoded_content(charset => 'none') eq $text,
       "$store: gzip client, a hit with the whole body")
        or diag $hit->status_line;
    my $head = $ua->request(HTTP::Request->new(HEAD => $url, [@gz]));
    ok(($head->header('X-Cache') // '') =~ /^HIT/ && $head->content eq '',
       "$store: HEAD from the stored GET");
    $ua->get($url);
    my $plain = $ua->get($url);
    ok(($plain->header('X-Cache') // '') =~ /^HIT/
           && !$plain->header('Content-Encoding')
           && $plain->content eq $text,
       "$store: identity client, a hit with the whole body");
}

SKIP: {
    skip 'no PHP-FPM (scripts/relay-test starts it)', 1 unless $fpm;
    my $php = $ua->get("http://127.0.0.1:$port/fcgi/env.php?via=debian");
    ok($php->code == 200
           && $php->content =~ /^SCRIPT_FILENAME=\Q$docroot\E\/fcgi\/env\.php$/m,
       "a2enconf php8.2-fpm: Debian's PHP configuration serves PHP")
        or diag $php->as_string;
}

# Stopped by the PID its pid file gave, once /proc shows it runs with
# this scratch configuration.
my $cmdline = $pid ? do { local (@ARGV, $/) = "/proc/$pid/cmdline"; <> } : '';
if ($pid && index($cmdline // '', $conf) >= 0) {
    my @kids = grep { (parent_of($_) // 0) == $pid }
        grep { /^\d+\z/ } do { opendir my $d, '/proc'; readdir $d };
    kill 'TERM', $pid;
    Relay::DiskCache::wait_gone($pid, @kids);
}
my $log = do { local (@ARGV, $/) = "$var/log/error.log"; <> } // '';
unlike($log, qr/AH0005[12]|exit signal/, 'no child process crashed')
    or diag $log;
