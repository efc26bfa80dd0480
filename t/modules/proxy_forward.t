# Licensed under the Apache License, Version 2.0.
#
# Forward proxying (t/conf/proxy_forward.conf.in): with ProxyRequests On,
# an absolute-URI request for another host goes to that host in origin
# form, with its URL as the client wrote it and without the
# X-Forwarded-* fields that only reverse proxying adds (stock's
# ProxyAddHeaders); an absolute URI naming the gateway itself is served
# locally; <Proxy> sections gate access (403); with ProxyRequests Off an
# absolute URI is never proxied, though ProxyPass still maps its path.
# ProxyBlock refuses hosts by a word of their name and by the addresses a
# blocked name had at startup (forward and reverse), "*" everything (403,
# RL01034); ProxyDomain redirects a host without a domain into it (301).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;

plan tests => 31;

# Sends "GET $target" to $port with the given Host and extra header lines.
sub fetch {
    my ($port, $target, $host, @extra) = @_;
    my $req = "GET $target HTTP/1.1\r\nHost: $host\r\n"
        . join('', map { "$_\r\n" } @extra) . "Connection: close\r\n\r\n";
    my ($raw) = raw_request($port, $req, 10);
    return parse_response($raw) // { status => 0, headers => [], body => '' };
}

sub proxied { return scalar header_values($_[0], 'X-Origin-Conn') }

# The header lines the origin listed in its /echo body.
sub origin_headers {
    my ($res, $name) = @_;
    return map { /^header: \Q$name\E: (.*)$/i ? $1 : () }
        split /\n/, $res->{body};
}

sub target_of {
    my ($res) = @_;
    return $res->{body} =~ /^target: ([^\n]*)$/m ? $1 : undef;
}

my $origin = '127.0.0.1:' . origin_port();
my $fwd = vhost_port('proxy_forward');
my $mark = error_log_mark();

# An absolute URI for the origin is forwarded.
{
    my $res = fetch($fwd, "http://$origin/echo?a=1&b=%41", $origin,
        'X-Forwarded-For: 192.0.2.7');
    is($res->{status}, 200, 'forward: absolute URI proxied');
    ok(proxied($res), 'forward: the origin answered');
    is(target_of($res), '/echo?a=1&b=%41',
        'forward: the origin sees the origin-form target');
    is(join('|', origin_headers($res, 'Host')), $origin,
        'forward: Host is the URL\'s authority');
    is(join('|', origin_headers($res, 'X-Forwarded-For')), '192.0.2.7',
        'forward: X-Forwarded-For is passed on, not appended to');
    is(scalar(origin_headers($res, 'X-Forwarded-Host'))
        + scalar(origin_headers($res, 'X-Forwarded-Server')), 0,
        'forward: no X-Forwarded-Host or X-Forwarded-Server added');
}
{
    my $res = fetch($fwd, "http://$origin/echo", 'client-chosen.example');
    is(join('|', origin_headers($res, 'Host')), $origin,
        'forward: a Host that disagrees with the URL is replaced by it');
}
{
    my $res = fetch($fwd, "http://$origin/echo/a%2Fb%00c/../d?q=%0d%0a",
        $origin);
    is($res->{status} . ' ' . (target_of($res) // '(none)'),
        '200 /echo/a%2Fb%00c/../d?q=%0d%0a',
        'forward: the URL goes on as written, not decoded or normalised');
    unlike($res->{body}, qr/\r/, 'forward: nothing decoded into a raw CR');
}

# An absolute URI naming the gateway itself, or an origin-form target, is
# served locally.
{
    my $res = fetch($fwd, "http://127.0.0.1:$fwd/relay-env.txt",
        "127.0.0.1:$fwd");
    is($res->{status}, 200, 'own host: served');
    ok(!proxied($res), 'own host: not proxied');
    is($res->{body}, "relay environment check\n", 'own host: the local file');
    $res = fetch($fwd, '/relay-env.txt', "127.0.0.1:$fwd");
    ok($res->{status} == 200 && !proxied($res),
        'origin-form request on a forward proxy: served locally');
}

# <Proxy> sections decide who may use the forward proxy, and for what.
{
    my $res = fetch($fwd, "http://$origin/echo/blocked/x", $origin);
    ok($res->{status} == 403 && !proxied($res),
        'forward: a URL denied by its <Proxy> section is 403');
    $res = fetch($fwd, "http://$origin/echo/allowed/x", $origin);
    ok($res->{status} == 200 && proxied($res),
        'forward: a sibling URL is proxied');
    my $denied = vhost_port('proxy_forward_denied');
    $res = fetch($denied, "http://$origin/echo", $origin);
    ok($res->{status} == 403 && !proxied($res),
        'forward: a client <Proxy *> does not admit gets 403');
}

# ProxyRequests Off: absolute URIs for other hosts are not proxied.
{
    my $off = vhost_port('proxy_forward_off');
    my $res = fetch($off, "http://$origin/relay-env.txt", $origin);
    is($res->{status}, 200, 'ProxyRequests Off: answered');
    ok(!proxied($res), 'ProxyRequests Off: not proxied');
    is($res->{body}, "relay environment check\n",
        'ProxyRequests Off: the local file of the same path');
    $res = fetch($off, "http://$origin/echo", $origin);
    ok($res->{status} == 404 && !proxied($res),
        'ProxyRequests Off: a path only the origin has is a local 404');
    $res = fetch($off, "http://$origin/mapped/x", $origin);
    is(target_of($res), '/echo/mapped/x',
        'ProxyRequests Off: ProxyPass still maps the path of an absolute URI');
}

my @errors = grep { !/AH01630/ } error_log_errors($mark);
is_deeply(\@errors, [], 'error log: nothing unexpected');

# ProxyBlock and ProxyDomain.
{
    my $port = vhost_port('proxy_forward_block');
    my $mark = error_log_mark();
    my $res = fetch($port, 'http://www.forbidden-word.invalid/x', 'www.forbidden-word.invalid');
    is($res->{status}, 403, 'ProxyBlock word: a host containing it gets 403');
    ok(error_log_wait($mark, qr/RL01034: ProxyBlock: www\.forbidden-word\.invalid is blocked \('forbidden-word'\)/),
       'ProxyBlock word: RL01034 logged');
    $res = fetch($port, "http://$origin/echo", $origin);
    ok($res->{status} == 200 && proxied($res), 'ProxyBlock word: other hosts pass');
    $res = fetch($port, 'http://intranet/some/path?q=1', 'intranet');
    is($res->{status}, 301, 'ProxyDomain: a host without a domain: 301');
    is((header_values($res, 'Location'))[0], 'http://intranet.relay.test/some/path?q=1',
       'ProxyDomain: to the same URL in the domain');

    $port = vhost_port('proxy_forward_block_addr');
    $res = fetch($port, "http://$origin/echo", $origin);
    is($res->{status}, 403,
       'ProxyBlock localhost: 127.0.0.1, its address, is blocked (forward)');
    $res = fetch($port, '/reverse/x', "127.0.0.1:$port");
    is($res->{status}, 403, 'ProxyBlock localhost: and for a ProxyPass to it');

    $port = vhost_port('proxy_forward_block_all');
    $res = fetch($port, '/reverse/x', "127.0.0.1:$port");
    ok($res->{status} == 403 && !proxied($res), 'ProxyBlock *: every origin refused');
    $res = fetch(vhost_port('proxy_forward_off'), '/mapped/x', 'x');
    is($res->{status}, 200, 'ProxyBlock is per server: another vhost still serves');
}
