# Licensed under the Apache License, Version 2.0.
#
# scripts/relay-deb builds a Debian package from the tree (reusing the
# suite's build/): its control fields (name, architecture, Depends on the
# apache2 module API, libssl3, libapr1), its files (every module in
# /usr/lib/apache2/modules/relay/, every a2enmod snippet in
# /etc/apache2/mods-available/ and listed as a conffile, the docs and the
# copyright file), and maintainer scripts that a2dismod each Relay module,
# dependents first. dpkg installs it into an empty root (dpkg --root, its
# own database) and purges it without a file left. Then, unpacked into a
# scratch root with a copy of
# /etc/apache2 (never the machine's own): a2enmod of Relay's snippets gives
# a configuration that passes configtest with Relay's mod_proxy loaded, and
# going back to the stock modules passes too.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Spec ();
use File::Temp qw(tempdir);

plan tests => 19, need {
    'dpkg-deb and dpkg-shlibdeps' => !system('command -v dpkg-deb >/dev/null'
        . ' && command -v dpkg-shlibdeps >/dev/null'),
    'Debian apache2 configuration' => -f '/etc/apache2/apache2.conf'
        && -x '/usr/sbin/a2enmod',
};

my $repo = abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..'));
my $tmp = tempdir(CLEANUP => 1);

sub run {
    my $cmd = join ' ', map { "'$_'" } @_;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = run("$repo/scripts/relay-deb", '-o', "$tmp/out",
    '-b', "$repo/build");
my ($deb) = $out =~ m{^(/\S+\.deb)$}m;
ok($rc == 0 && $deb && -f $deb, 'relay-deb builds a .deb') or diag $out;
$deb //= '/nonexistent.deb';

my $arch = `dpkg --print-architecture`;
chomp $arch;
my ($mmn) = `cat /usr/include/apache2/ap_mmn.h`
    =~ /^#define MODULE_MAGIC_NUMBER_MAJOR (\d+)/m;
my %field = map { /^ ?([\w-]+): (.*)$/ ? ($1 => $2) : () }
    split /\n/, `dpkg-deb -f '$deb'`;
is($field{Package}, 'libapache2-mod-relay', 'package name');
is($field{Architecture}, $arch, 'architecture of this machine');
my %depends = map { /^(\S+)/ ? ($1 => 1) : () }
    split /,\s*/, $field{Depends} // '';
ok($depends{"apache2-api-$mmn"}, "Depends on apache2-api-$mmn")
    or diag $field{Depends};
ok($depends{libssl3} && $depends{libapr1} && $depends{libc6},
   'Depends on libssl3, libapr1 and libc6') or diag $field{Depends};

my %files = map { m{ \./(\S+)$} ? ($1 => 1) : () }
    split /\n/, `dpkg-deb -c '$deb'`;
my @modules = map { basename($_) } glob("$repo/build/modules/*.so");
my @missing = grep { !$files{"usr/lib/apache2/modules/relay/$_"} } @modules;
ok(@modules && !@missing, 'every module in usr/lib/apache2/modules/relay/')
    or diag "missing: @missing";
ok(!grep({ m{^usr/lib/apache2/modules/[^/]+\.so$} } keys %files),
   'nothing over the stock modules');
my @snippets = map { basename($_, '.load.in') } glob("$repo/conf/*.load.in");
@missing = grep { !$files{"etc/apache2/mods-available/$_.load"} } @snippets;
ok(@snippets && !@missing && $files{'etc/apache2/mods-available/relay-proxy.conf'},
   'every a2enmod snippet in etc/apache2/mods-available/')
    or diag "missing: @missing";
ok($files{'usr/share/doc/libapache2-mod-relay/copyright'}
       && $files{'usr/share/doc/libapache2-mod-relay/docs/migration.md'}
       && $files{'usr/share/doc/libapache2-mod-relay/docs/mod_proxy.md'},
   'copyright and docs in usr/share/doc/libapache2-mod-relay/');

my $control = "$tmp/control";
($rc, $out) = run('dpkg-deb', '-e', $deb, $control);
my @conffiles = split /\n/, `cat '$control/conffiles' 2>/dev/null`;
my @etc = sort grep { m{^etc/.+[^/]$} } keys %files;
is_deeply([sort @conffiles], [map { "/$_" } @etc],
          'every file in /etc is a conffile');
my $prerm = `cat '$control/prerm' 2>/dev/null`;
my @dismod = $prerm =~ /apache2_invoke dismod (\S+)/g;
is_deeply([sort @dismod], [sort @snippets],
          'prerm disables every Relay module');
my %at = map { $dismod[$_] => $_ } 0 .. $#dismod;
ok(defined $at{'relay-proxy'} && defined $at{'relay-proxy-http'}
       && $at{'relay-proxy-http'} < $at{'relay-proxy'}
       && $at{'relay-mem-cache'} < $at{'relay-cache'},
   'dependent modules are disabled first') or diag "@dismod";
ok(-x "$control/postrm", 'postrm present (purge)');

# Installed into an empty root with a dpkg database of its own, then
# purged. The maintainer scripts see DPKG_ROOT and leave this machine's
# apache2 alone.
SKIP: {
    skip 'dpkg --root needs root', 3 if $> != 0;
    my $clean = "$tmp/clean";
    run('mkdir', '-p', "$clean/var/lib/dpkg/info", "$clean/var/lib/dpkg/updates");
    run('touch', "$clean/var/lib/dpkg/status");
    ($rc, $out) = run('dpkg', "--root=$clean", '--force-script-chrootless',
        '--force-depends', '-i', $deb);
    my (undef, $status) = run('dpkg-query', "--admindir=$clean/var/lib/dpkg",
        '-W', '-f=${Status}', 'libapache2-mod-relay');
    is($status, 'install ok installed', 'dpkg --root installs it')
        or diag $out;
    ok(-f "$clean/usr/lib/apache2/modules/relay/mod_proxy.so"
           && -f "$clean/etc/apache2/mods-available/relay-proxy.load",
       'modules and snippets in place');
    ($rc, $out) = run('dpkg', "--root=$clean", '--force-script-chrootless',
        '--purge', 'libapache2-mod-relay');
    my @left = grep { !m{/var/lib/dpkg/} && -f }
        split /\n/, `find '$clean' -type f`;
    ok($rc == 0 && !@left, 'purge leaves no file behind')
        or diag "$out @left";
}

# Unpacked into a scratch root, with a copy of /etc/apache2 whose Relay
# snippets point into that root.
my $root = "$tmp/root";
my $conf = "$tmp/apache2";
($rc, $out) = run('dpkg-deb', '-x', $deb, $root);
is($rc, 0, 'the package unpacks') or diag $out;
run('cp', '-a', '/etc/apache2', $conf);
for my $f (glob("$root/etc/apache2/mods-available/relay-*")) {
    my $text = `cat '$f'`;
    $text =~ s{/usr/lib/apache2/modules/relay/}{$root/usr/lib/apache2/modules/relay/}g;
    open my $fh, '>', "$conf/mods-available/" . basename($f) or die $!;
    print $fh $text;
    close $fh;
}
{
    local $ENV{APACHE_CONFDIR} = $conf;
    run('a2dismod', '-q', '-f', 'proxy_wstunnel', 'lbmethod_byrequests',
        'lbmethod_bybusyness', 'lbmethod_bytraffic', 'proxy_balancer',
        'proxy_http', 'proxy', 'cache_disk', 'cache');
    ($rc, $out) = run('a2enmod', '-q', 'relay-proxy', 'relay-proxy-http',
        'relay-proxy-balancer', 'relay-proxy-ssl', 'relay-cache',
        'relay-mem-cache');
    ($rc, $out) = run('apache2ctl', '-t') if $rc == 0;
    my ($m_rc, $mods) = run('apache2ctl', '-M');
    ok($rc == 0 && $mods =~ /^ proxy_module \(shared\)/m,
       'a2enmod of the packaged snippets: configtest passes, proxy_module '
       . 'loaded') or diag $out;

    run('a2dismod', '-q', '-f', 'relay-mem-cache', 'relay-cache',
        'relay-proxy-ssl', 'relay-proxy-balancer', 'relay-proxy-http',
        'relay-proxy');
    ($rc, $out) = run('a2enmod', '-q', 'proxy', 'proxy_http');
    ($rc, $out) = run('apache2ctl', '-t') if $rc == 0;
    is($rc, 0, 'back to the stock modules: configtest passes') or diag $out;
}
