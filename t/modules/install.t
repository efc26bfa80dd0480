# Licensed under the Apache License, Version 2.0.
#
# `cmake --install` puts Relay's modules into a directory of their own and
# the Debian-style snippets into mods-available, so that a2dismod/a2enmod
# switch a Debian configuration from the stock proxy modules to Relay's,
# and the switched configuration passes `apachectl configtest`. Works on a
# copy of /etc/apache2 (APACHE_CONFDIR), never on the machine's own.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Basename qw(dirname);
use File::Spec ();
use File::Temp qw(tempdir);
use Cwd qw(abs_path);

plan tests => 12, need { 'Debian apache2 configuration' => -f '/etc/apache2/apache2.conf'
        && -x '/usr/sbin/a2enmod' };

my $repo = abs_path(File::Spec->catdir(dirname(__FILE__), '..', '..'));
my $tmp = tempdir(CLEANUP => 1);
my $conf = "$tmp/conf";
my $mods = "$tmp/modules";

sub run {
    my $cmd = join ' ', @_;
    my $out = `$cmd 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = run('cp', '-a', '/etc/apache2', $conf);
is($rc, 0, 'copy of /etc/apache2') or diag $out;

($rc, $out) = run("cmake -S '$repo' -B '$tmp/build'"
    . " -DRELAY_INSTALL_MODULE_DIR='$mods' -DRELAY_APACHE2_CONF_DIR='$conf'"
    . " && cmake --build '$tmp/build' -j2 && cmake --install '$tmp/build'");
is($rc, 0, 'configure, build and install') or diag $out;

ok(-f "$mods/mod_proxy.so" && -f "$mods/mod_proxy_http.so"
        && -f "$mods/mod_proxy_ssl.so",
    'modules installed into their own directory');
ok(-f "$mods/mod_cache_disk.so" && -x "$mods/relay-cacheclean"
        && -f "$conf/mods-available/relay-cache-disk.load",
    'the disk store, its cleaner tool and its snippet installed');
ok(-f "$conf/mods-available/relay-proxy.load"
        && -f "$conf/mods-available/relay-proxy-http.load"
        && -f "$conf/mods-available/relay-proxy-ssl.load",
    'a2enmod snippets installed');

# Without CMake: plain apxs, as README shows, gives loadable modules
# (built in a copy, so the checkout gets no object files).
run("mkdir '$tmp/src' && cp -r '$repo/include' '$repo/modules' '$tmp/src/'");
for my $m (['mod_proxy', 'modules/proxy/*.c'],
           ['mod_proxy_http', 'modules/proxy_http/*.c']) {
    my ($name, $glob) = @$m;
    ($rc, $out) = run("cd '$tmp/src' && apxs -c -o '$tmp/$name.la'"
        . " -I include -I modules/glue $glob modules/glue/*.c"
        . " modules/core/*.c");
    ok($rc == 0 && -f "$tmp/.libs/$name.so", "apxs -c builds $name.so")
        or diag $out;
}

local $ENV{APACHE_CONFDIR} = $conf;
run('a2enmod', '-q', 'proxy', 'proxy_http');
($rc, $out) = run('a2enmod', '-q', 'relay-proxy');
isnt($rc, 0, 'a2enmod refuses relay-proxy while the stock proxy is enabled');

run('a2dismod', '-q', '-f', 'proxy_http', 'proxy');
($rc, $out) = run('a2enmod', '-q', 'relay-proxy', 'relay-proxy-http',
    'relay-proxy-ssl');
is($rc, 0, 'a2enmod relay-proxy relay-proxy-http relay-proxy-ssl after a2dismod')
    or diag $out;

($rc, $out) = run('apache2ctl', '-t');
is($rc, 0, 'the switched configuration passes configtest') or diag $out;

($rc, $out) = run('apache2ctl', '-M');
like($out, qr/^ proxy_module \(shared\)/m, 'proxy_module is loaded');
my ($load) = grep { /LoadModule/ }
    split /\n/, `cat '$conf/mods-enabled/relay-proxy.load'`;
like($load, qr/\Q$mods\E\/mod_proxy\.so/, 'and it is Relay\'s file');
