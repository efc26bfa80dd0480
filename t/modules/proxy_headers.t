# Licensed under the Apache License, Version 2.0.
#
# The header fields of a proxied exchange (t/conf/proxy_headers.conf.in):
#  - Host: the origin's host:port by default, the client's with
#    ProxyPreserveHost On;
#  - X-Forwarded-For/-Host/-Server added, appended comma-separated to what
#    the client sent (one field line at the origin); none with
#    ProxyAddHeaders Off;
#  - hop-by-hop fields (Connection, Keep-Alive, TE, Trailer, Upgrade when
#    the worker has no upgrade=, Proxy-Connection) and every field named
#    in Connection removed from the request, while a client naming the
#    X-Forwarded-* fields in Connection cannot remove Relay's own values
#    (the CVE-2022-31813 class);
#  - ProxyVia On/Full/Block on the request and the response;
#  - Max-Forwards added by ProxyMaxForwards, decremented when the client
#    sent one; at zero, OPTIONS and TRACE answered by Relay and other
#    methods refused, which breaks a forwarding loop;
#  - hop-by-hop fields of the origin's response not reaching the client,
#    and several Set-Cookie lines kept as they are.
#
# Requests go over raw sockets, so that exactly the fields listed here
# reach Relay; the origin's /echo lists the field lines it received.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;

plan tests => 84;

my $origin_hostport = '127.0.0.1:' . origin_port();
my $mark = error_log_mark();

my %port = map { $_ => vhost_port($_) }
    qw(proxy_headers proxy_headers_preserve proxy_headers_noadd
       proxy_headers_block proxy_headers_loop);

# Sends "$line HTTP/1.1" with the given field lines (Host: front.test:8080
# and Connection: close unless given) and returns the parsed response with
# its body unframed.
sub exchange {
    my ($vhost, $line, @fields) = @_;
    unshift @fields, 'Host: front.test:8080' unless grep { /^Host:/i } @fields;
    push @fields, 'Connection: close' unless grep { /^Connection:/i } @fields;
    my $raw = raw_request($port{$vhost},
        join("\r\n", "$line HTTP/1.1", @fields) . "\r\n\r\n", 15);
    my $res = parse_response($raw)
        // { status => 0, headers => [], body => '', head => $raw };
    my ($te) = header_values($res, 'Transfer-Encoding');
    my ($cl) = header_values($res, 'Content-Length');
    if (defined $te && $te =~ /chunked/i) {
        ($res->{body}) = dechunk($res->{body});
        $res->{body} //= '';
    }
    elsif (defined $cl) {
        $res->{body} = substr($res->{body}, 0, $cl);
    }
    return $res;
}

# The field lines the origin's /echo received: ([name, value], ...).
sub origin_fields {
    my ($res) = @_;
    return map { /^header: ([^:]+): (.*)\z/ ? [$1, $2] : () }
        split /\n/, $res->{body};
}

sub origin_values {
    my ($res, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } origin_fields($res);
}

# Default Host and forwarding fields.
{
    my $res = exchange('proxy_headers', 'GET /echo', 'X-Keep: yes');
    is($res->{status}, 200, 'default: 200 from /echo');
    is_deeply([origin_values($res, 'Host')], [$origin_hostport],
        "default: the origin gets Host $origin_hostport");
    is_deeply([origin_values($res, 'X-Forwarded-For')], ['127.0.0.1'],
        'default: X-Forwarded-For is the client address');
    is_deeply([origin_values($res, 'X-Forwarded-Host')], ['front.test:8080'],
        "default: X-Forwarded-Host is the client's Host");
    is_deeply([origin_values($res, 'X-Forwarded-Server')], ['127.0.0.1'],
        "default: X-Forwarded-Server is the virtual host's ServerName");
    is_deeply([origin_values($res, 'Via')], [], 'default: no Via');
    is_deeply([origin_values($res, 'Max-Forwards')], [],
        'default: no Max-Forwards added');
    is_deeply([origin_values($res, 'X-Keep')], ['yes'],
        'default: end-to-end fields pass');
    is_deeply([header_values($res, 'Via')], [], 'default: no Via to the client');
}

# Forwarding fields the client sent are appended to, into one line each.
{
    my $res = exchange('proxy_headers', 'GET /echo',
        'X-Forwarded-For: 10.0.0.1', 'X-Forwarded-Host: a.example',
        'X-Forwarded-For: 10.0.0.2', 'X-Forwarded-Server: proxy1.example');
    is_deeply([origin_values($res, 'X-Forwarded-For')],
        ['10.0.0.1, 10.0.0.2, 127.0.0.1'],
        'append: X-Forwarded-For, one line, client values first');
    is_deeply([origin_values($res, 'X-Forwarded-Host')],
        ['a.example, front.test:8080'], 'append: X-Forwarded-Host');
    is_deeply([origin_values($res, 'X-Forwarded-Server')],
        ['proxy1.example, 127.0.0.1'], 'append: X-Forwarded-Server');
}

# ProxyPreserveHost On, ProxyVia On.
{
    my $res = exchange('proxy_headers_preserve', 'GET /echo',
        'Via: 1.0 upstream');
    is($res->{status}, 200, 'preserve: 200');
    is_deeply([origin_values($res, 'Host')], ['front.test:8080'],
        "preserve: the origin gets the client's Host");
    is_deeply([origin_values($res, 'X-Forwarded-Host')], ['front.test:8080'],
        'preserve: X-Forwarded-Host still added');
    is_deeply([origin_values($res, 'Via')], ['1.0 upstream, 1.1 127.0.0.1:8080'],
        "via on: request Via (ServerName, the port asked for) appended");
    is_deeply([header_values($res, 'Via')], ['1.1 127.0.0.1:8080'],
        'via on: response gets Via');

    $res = exchange('proxy_headers_preserve', 'GET /headers?Via=1.0%20far');
    is_deeply([header_values($res, 'Via')], ['1.0 far, 1.1 127.0.0.1:8080'],
        "via on: appended to the origin's response Via");

    # Via names the gateway, never the name the client asked for.
    $res = exchange('proxy_headers_preserve', 'GET /echo',
        'Host: other.test');
    is_deeply([origin_values($res, 'Host')], ['other.test'],
        'preserve: Host without a port passes as sent');
    my $via = "1.1 127.0.0.1:$port{proxy_headers_preserve}";
    is_deeply([origin_values($res, 'Via')], [$via],
        "via on: the virtual host's name and port, not the client's Host");
    is_deeply([header_values($res, 'Via')], [$via],
        "via on: the same on the response");
}

# ProxyAddHeaders Off, ProxyVia Full, ProxyMaxForwards 10.
{
    my $res = exchange('proxy_headers_noadd', 'GET /echo',
        'X-Forwarded-For: 10.0.0.1');
    is($res->{status}, 200, 'noadd: 200');
    is_deeply([origin_values($res, 'X-Forwarded-For')], ['10.0.0.1'],
        "noadd: the client's X-Forwarded-For passes untouched");
    is_deeply([origin_values($res, 'X-Forwarded-Host')], [],
        'noadd: no X-Forwarded-Host');
    is_deeply([origin_values($res, 'X-Forwarded-Server')], [],
        'noadd: no X-Forwarded-Server');
    is_deeply([origin_values($res, 'Host')], [$origin_hostport],
        'noadd: Host is the origin\'s');
    my @via = origin_values($res, 'Via');
    is(scalar @via, 1, 'via full: one Via at the origin');
    like($via[0] // '', qr/^1\.1 127\.0\.0\.1:8080 \(\S.*\)\z/,
        'via full: request Via carries the server comment');
    like((header_values($res, 'Via'))[0] // '',
        qr/^1\.1 127\.0\.0\.1:8080 \(\S.*\)\z/,
        'via full: response Via carries the server comment');
    is_deeply([origin_values($res, 'Max-Forwards')], ['10'],
        'max-forwards: ProxyMaxForwards 10 added');

    $res = exchange('proxy_headers_noadd', 'GET /echo', 'Max-Forwards: 5');
    is_deeply([origin_values($res, 'Max-Forwards')], ['4'],
        "max-forwards: the client's value is decremented, not replaced");
}

# Max-Forwards without ProxyMaxForwards: decremented, never added.
{
    my $res = exchange('proxy_headers', 'GET /echo', 'Max-Forwards: 5');
    is_deeply([origin_values($res, 'Max-Forwards')], ['4'],
        'max-forwards: decremented by default too');
}

# Max-Forwards at zero: the request goes no further.
{
    my $m = error_log_mark();
    my $res = exchange('proxy_headers', 'GET /echo', 'Max-Forwards: 0');
    is($res->{status}, 400, 'max-forwards 0: GET refused');
    is_deeply([header_values($res, 'X-Origin-Conn')], [],
        'max-forwards 0: GET not forwarded');
    ok(error_log_wait($m, qr/RL02100:.*GET \/echo/, 5),
        'max-forwards 0: RL02100 logged');

    $res = exchange('proxy_headers', 'OPTIONS /echo', 'Max-Forwards: 0');
    is($res->{status}, 200, 'max-forwards 0: OPTIONS answered');
    ok(scalar(header_values($res, 'Allow'))
            && !header_values($res, 'X-Origin-Conn'),
        'max-forwards 0: OPTIONS answered by Relay itself, with Allow');

    $res = exchange('proxy_headers', 'TRACE /echo', 'Max-Forwards: 0');
    is($res->{status}, 200, 'max-forwards 0: TRACE answered');
    like($res->{body}, qr{^TRACE /echo HTTP/1\.1\r?\n},
        'max-forwards 0: TRACE answered by Relay itself');

    $res = exchange('proxy_headers', 'OPTIONS /echo', 'Max-Forwards: 1');
    like($res->{body}, qr/^method: OPTIONS\n/,
        'max-forwards 1: OPTIONS forwarded');
    is_deeply([origin_values($res, 'Max-Forwards')], ['0'],
        'max-forwards 1: the origin gets 0');
}

# A virtual host proxying to itself: the loop ends once Max-Forwards
# (ProxyMaxForwards 2) is used up, with 400, not with exhausted workers.
{
    my $m = error_log_mark();
    my $t0 = time;
    my $res = exchange('proxy_headers_loop', 'GET /loop');
    is($res->{status}, 400, 'loop: ended with 400');
    cmp_ok(time - $t0, '<', 3, 'loop: at once, not by a timeout');
    my @hops = grep { /RL02100:.*GET \/loop/ } error_log_since($m);
    is(scalar @hops, 1, 'loop: refused once, by the round that got Max-Forwards 0');
}

# ProxyVia Block: Via removed from the request and the response.
{
    my $res = exchange('proxy_headers_block', 'GET /echo', 'Via: 1.0 upstream');
    is($res->{status}, 200, 'via block: 200');
    is_deeply([origin_values($res, 'Via')], [],
        "via block: the client's Via does not reach the origin");
    $res = exchange('proxy_headers_block', 'GET /headers?Via=1.0%20far');
    is($res->{status}, 200, 'via block: 200 from /headers');
    is_deeply([header_values($res, 'Via')], [],
        "via block: the origin's Via does not reach the client");
}

# Hop-by-hop request fields, and the fields named in Connection.
{
    my $res = exchange('proxy_headers', 'GET /echo',
        'Connection: close, X-Drop-Me,x-drop-too', 'Connection: X-Drop-Three',
        'X-Drop-Me: 1', 'X-Drop-Too: 2', 'X-Drop-Three: 3',
        'Keep-Alive: timeout=5', 'TE: trailers', 'Trailer: X-T',
        'Upgrade: websocket', 'Proxy-Connection: keep-alive', 'X-Keep: yes');
    is($res->{status}, 200, 'hop-by-hop: 200');
    for my $name (qw(Connection Keep-Alive TE Trailer Upgrade Proxy-Connection
                     X-Drop-Me X-Drop-Too X-Drop-Three)) {
        is_deeply([origin_values($res, $name)], [],
            "hop-by-hop: $name not forwarded");
    }
    is_deeply([origin_values($res, 'X-Keep')], ['yes'],
        'hop-by-hop: other fields forwarded');
}

# An upgrade request to a worker without upgrade=: plain HTTP, no Upgrade.
{
    my $res = exchange('proxy_headers', 'GET /echo',
        'Connection: Upgrade, close', 'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
    is($res->{status}, 200, 'upgrade without upgrade=: answered as plain GET');
    is_deeply([origin_values($res, 'Upgrade')], [],
        'upgrade without upgrade=: Upgrade not forwarded');
    is_deeply([origin_values($res, 'Connection')], [],
        'upgrade without upgrade=: Connection not forwarded');
}

# CVE-2022-31813: naming the forwarding fields (and Host) in Connection
# removes the client's copies only, never what Relay adds after.
{
    my $res = exchange('proxy_headers', 'GET /echo',
        'Connection: close, X-Forwarded-For, X-Forwarded-Host, '
            . 'X-Forwarded-Server, Host',
        'X-Forwarded-For: 10.6.6.6', 'X-Forwarded-Host: evil.example');
    is($res->{status}, 200, 'connection-named X-Forwarded-*: 200');
    is_deeply([origin_values($res, 'X-Forwarded-For')], ['127.0.0.1'],
        "connection-named X-Forwarded-*: Relay's X-Forwarded-For kept");
    is_deeply([origin_values($res, 'X-Forwarded-Host')], ['front.test:8080'],
        "connection-named X-Forwarded-*: Relay's X-Forwarded-Host kept");
    is_deeply([origin_values($res, 'X-Forwarded-Server')], ['127.0.0.1'],
        "connection-named X-Forwarded-*: Relay's X-Forwarded-Server kept");
    is_deeply([origin_values($res, 'Host')], [$origin_hostport],
        'connection-named Host: the origin still gets its Host');

    $res = exchange('proxy_headers_preserve', 'GET /echo',
        'Connection: close, X-Forwarded-For', 'X-Forwarded-For: 10.6.6.6');
    is_deeply([origin_values($res, 'X-Forwarded-For')], ['127.0.0.1'],
        'connection-named X-Forwarded-For: kept on a second vhost too');
}

# Framing and routing fields named in Connection: Relay writes them itself
# after the removal, so the origin still gets a well-framed request.
{
    my $raw = raw_request($port{proxy_headers}, "POST /echo HTTP/1.1\r\n"
        . "Host: front.test\r\nContent-Length: 5\r\n"
        . "Connection: close, Content-Length, Host\r\n\r\nhello", 15);
    my $res = parse_response($raw) // { status => 0, headers => [], body => '' };
    is($res->{status}, 200, 'connection-named Content-Length: 200');
    is_deeply([origin_values($res, 'Content-Length')], ['5'],
        'connection-named Content-Length: the origin still gets it');
    like($res->{body}, qr/^body-length: 5$/m,
        'connection-named Content-Length: the body reached the origin');
}

# Hop-by-hop fields of the origin's response stop at Relay.
{
    my $res = exchange('proxy_headers', 'GET /headers?Connection=X-Secret'
        . '&X-Secret=1&Keep-Alive=timeout%3D99&Upgrade=h2c&Trailer=X-T'
        . '&Proxy-Connection=keep-alive&X-Kept=1');
    is($res->{status}, 200, 'response hop-by-hop: 200');
    for my $name (qw(X-Secret Keep-Alive Upgrade Trailer Proxy-Connection)) {
        is_deeply([header_values($res, $name)], [],
            "response hop-by-hop: $name not relayed");
    }
    is_deeply([header_values($res, 'Connection')], ['close'],
        "response hop-by-hop: only httpd's own Connection: close");
    is_deeply([header_values($res, 'X-Kept')], ['1'],
        'response hop-by-hop: end-to-end fields relayed');
    is($res->{body}, "ok\n", 'response hop-by-hop: body intact');
}

# The same, on a keep-alive client connection: httpd's own Keep-Alive only.
{
    my $req = "GET /headers?Keep-Alive=timeout%3D99&Connection=Keep-Alive "
        . "HTTP/1.1\r\nHost: front.test\r\n\r\n";
    my $sock = raw_connect($port{proxy_headers});
    print {$sock} $req;
    my $buf = '';
    read_until($sock, \$buf, qr/\r\n\r\nok\n/, 10);
    close $sock;
    my $res = parse_response($buf) // { headers => [] };
    ok(!grep({ /99/ } header_values($res, 'Keep-Alive')),
        "response hop-by-hop: the origin's Keep-Alive not relayed");
}

# Several Set-Cookie lines reach the client unchanged and in order.
{
    my @cookies = ('a=1; Path=/', 'b=2', 'c=x, y; Expires=Wed, 21 Oct 2037 07:28:00 GMT');
    my $query = join '&', map {
        (my $v = $_) =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
        "c=$v";
    } @cookies;
    my $res = exchange('proxy_headers', "GET /set-cookie?$query");
    is($res->{status}, 200, 'set-cookie: 200');
    is_deeply([header_values($res, 'Set-Cookie')], \@cookies,
        'set-cookie: three lines, in order, unmerged');
}

is_deeply([error_log_errors($mark)], [], 'no error-level line in the error log');
