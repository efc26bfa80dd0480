# Licensed under the Apache License, Version 2.0.
#
# ProxyRemote, ProxyRemoteMatch and NoProxy, chained through a second
# proxy on loopback: an upstream forward proxy (Relay, ProxyRequests On,
# a server of its own that marks its responses X-Upstream and logs each
# request line with its Proxy-Authorization) and a gateway server whose
# virtual hosts send some requests through it:
#  - ProxyRemote * with user:password: a ProxyPass and a forward-proxy
#    request both go through the upstream proxy, in absolute form, with
#    the credentials as Basic Proxy-Authorization; the origin sees its own
#    Host; NoProxy localhost keeps a ProxyPass to localhost direct; an
#    https:// URL it matches is refused with 502 (RL01036);
#  - ProxyRemoteMatch (a regular expression) and ProxyRemote with a URL
#    prefix send only their URLs through it;
#  - NoProxy 127.0.0.0/8 keeps every request to such an address direct.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Spec ();
use Time::HiRes ();

use Relay::Test;
use Relay::Client;
use Relay::ConfigTest qw(start_case stop_case relay_load_line case_dir);
use Relay::DiskCache ();

plan tests => 20;

my $dir = case_dir('proxy_remote');
my $origin = '127.0.0.1:' . origin_port();
my @user = $> == 0 ? ('User nobody', 'Group nogroup') : ();
my @modules = (relay_load_line('proxy_module', 'mod_proxy.so'),
    relay_load_line('proxy_http_module', 'mod_proxy_http.so'),
    relay_load_line('proxy_ssl_module', 'mod_proxy_ssl.so'));
my $up = Relay::DiskCache::free_port();
my $log = File::Spec->catfile($dir, 'upstream.log');
my @servers;
END { stop_case($_) for @servers }

push @servers, start_case(\@modules, [$up], @user, "Listen 127.0.0.1:$up",
    'ProxyRequests On', '<Proxy *>', 'Require ip 127.0.0.1', '</Proxy>',
    'Header always set X-Upstream yes',
    "CustomLog \"$log\" \"%r|%{Proxy-Authorization}i\"");

my ($p1, $p2, $p3) = map { Relay::DiskCache::free_port() } 1 .. 3;
push @servers, start_case(\@modules, [$p1, $p2, $p3], @user,
    (map { "Listen 127.0.0.1:$_" } $p1, $p2, $p3),
    "<VirtualHost 127.0.0.1:$p1>",
    '    ProxyRequests On', '    <Proxy *>', '    Require ip 127.0.0.1',
    '    </Proxy>',
    "    ProxyRemote * http://127.0.0.1:$up user:secret",
    '    NoProxy localhost',
    "    ProxyPass /via/ http://$origin/echo/via/",
    '    ProxyPass /direct/ http://localhost:' . origin_port() . '/echo/direct/',
    '    SSLProxyEngine On',
    "    ProxyPass /tls/ https://127.0.0.1:$ENV{RELAY_TLS_PORT}/",
    '</VirtualHost>',
    "<VirtualHost 127.0.0.1:$p2>",
    "    ProxyRemoteMatch ^http://[^/]+/echo/rx/ http://127.0.0.1:$up",
    "    ProxyRemote http://$origin/echo/pfx/ http://127.0.0.1:$up",
    "    ProxyPass / http://$origin/echo/",
    '</VirtualHost>',
    "<VirtualHost 127.0.0.1:$p3>",
    "    ProxyRemote * http://127.0.0.1:$up",
    '    NoProxy 127.0.0.0/8',
    "    ProxyPass / http://$origin/echo/",
    '</VirtualHost>');

sub get {
    my ($port, $target, $host) = @_;
    my $c = Relay::Client->new($port, timeout => 10);
    my $res = $c->get($target, Host => $host // "127.0.0.1:$port",
                      Connection => 'close');
    $c->disconnect;
    return $res // { status => 0, headers => [], body => '' };
}

sub read_lines {
    open my $fh, '<', $_[0] or return ();
    return <$fh>;
}

sub upstream { return (header_values($_[0], 'X-Upstream'))[0] // 'no' }

# The upstream proxy's log line for a request line containing $path.
sub upstream_line {
    my ($path) = @_;
    my $deadline = Time::HiRes::time() + 5;
    while (Time::HiRes::time() < $deadline) {
        if (open my $fh, '<', $log) {
            my ($line) = grep { index($_, $path) >= 0 } <$fh>;
            chomp $line if defined $line;
            return $line if defined $line;
        }
        Time::HiRes::sleep(0.05);
    }
    return '';
}

# ProxyRemote * with credentials.
{
    my $res = get($p1, '/via/x?q=1');
    is($res->{status}, 200, 'ProxyRemote *: a ProxyPass request is served');
    is(upstream($res), 'yes', 'ProxyRemote *: it went through the upstream proxy');
    like($res->{body}, qr{^target: /echo/via/x\?q=1$}m,
         'ProxyRemote *: the origin got the request');
    like($res->{body}, qr{^header: Host: \Q$origin\E$}m,
         'ProxyRemote *: with its own Host');
    is(upstream_line('/echo/via/x'),
       "GET http://$origin/echo/via/x?q=1 HTTP/1.1|Basic dXNlcjpzZWNyZXQ=",
       'ProxyRemote *: the upstream proxy got the absolute URL and the credentials');

    $res = get($p1, "http://$origin/echo/fwd", $origin);
    ok($res->{status} == 200 && upstream($res) eq 'yes',
       'ProxyRemote *: a forward-proxy request goes through it too');
    like(upstream_line('/echo/fwd'), qr{^GET http://\Q$origin\E/echo/fwd HTTP/1\.1\|Basic },
         'ProxyRemote *: in absolute form');

    $res = get($p1, '/direct/x');
    ok($res->{status} == 200 && $res->{body} =~ m{^target: /echo/direct/x$}m,
       'NoProxy localhost: served');
    is(upstream($res), 'no', 'NoProxy localhost: directly');
    is(upstream_line('/echo/direct/'), '', 'NoProxy localhost: the upstream proxy never saw it');

    my $mark = error_log_mark();
    $res = get($p1, '/tls/x');
    is($res->{status}, 502, 'ProxyRemote * and an https:// origin: 502');
    my ($line) = grep { /RL01036/ } map { read_lines($_) } glob("$dir/error*.log");
    like($line // '', qr/RL01036: ProxyRemote \* matches https:/,
         'ProxyRemote * and https://: RL01036 logged');
}

# ProxyRemoteMatch and a URL prefix.
{
    my $res = get($p2, '/rx/a');
    ok($res->{status} == 200 && upstream($res) eq 'yes',
       'ProxyRemoteMatch: a matching URL goes through the upstream proxy');
    is(upstream_line('/echo/rx/a'), "GET http://$origin/echo/rx/a HTTP/1.1|-",
       'ProxyRemoteMatch: without credentials');
    $res = get($p2, '/pfx/b');
    ok($res->{status} == 200 && upstream($res) eq 'yes',
       'ProxyRemote with a URL prefix: a URL under it goes through');
    $res = get($p2, '/other/c');
    ok($res->{status} == 200 && upstream($res) eq 'no',
       'ProxyRemoteMatch and prefix: another URL goes directly');
    like($res->{body}, qr{^target: /echo/other/c$}m, '... and is served');
}

# NoProxy with a network.
{
    my $res = get($p3, '/n');
    ok($res->{status} == 200, 'NoProxy 127.0.0.0/8: served');
    is(upstream($res), 'no', 'NoProxy 127.0.0.0/8: directly');
    is(upstream_line('/echo/n'), '', 'NoProxy 127.0.0.0/8: the upstream never saw it');
}
