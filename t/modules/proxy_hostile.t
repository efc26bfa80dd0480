# Licensed under the Apache License, Version 2.0.
#
# Hostile clients through Relay (t/conf/proxy_hostile.conf.in): requests
# whose framing could be read two ways are refused or read one safe way,
# and nothing smuggled behind them reaches the origin:
#  - Content-Length together with Transfer-Encoding: chunked, with a
#    second request hidden after the chunked body;
#  - two different Content-Length values, and malformed ones;
#  - a Transfer-Encoding other than chunked;
#  - a body on a request Relay answers itself (OPTIONS with Max-Forwards:
#    0): the body is read and dropped, so the next pipelined request on
#    the connection is read from the right place;
#  - a client that stops in the middle of its header block: the
#    connection is closed within the server's Timeout, nothing reaches the
#    origin, and other clients are served meanwhile.
#
# The origin accepts one connection per proxied request here, so its
# /stats count of connections tells how many requests reached it.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes ();

use Relay::Test;

plan tests => 31;

my $port = vhost_port('proxy_hostile');
my $mark = error_log_mark();

# Connections the origin has accepted so far (asked directly).
sub origin_connections {
    my $res = parse_response(scalar raw_request(origin_port(),
        "GET /stats HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n"));
    return $res && $res->{body} =~ /^connections: (\d+)$/m ? $1 : -1;
}

# Sends raw bytes to Relay; returns (every response status line seen, the
# raw bytes, how many requests reached the origin meanwhile).
sub hostile {
    my ($bytes) = @_;
    my $before = origin_connections();
    my $raw = raw_request($port, $bytes, 15) // '';
    # /stats itself is one more connection.
    my $reached = origin_connections() - $before - 1;
    my @status = $raw =~ m{^HTTP/1\.\d (\d{3})}mg;
    return (\@status, $raw, $reached);
}

my $smuggled = "GET /echo/smuggled HTTP/1.1\r\nHost: front.test\r\n\r\n";

# Content-Length and Transfer-Encoding: chunked. httpd reads the body as
# chunked and drops Content-Length (RFC 9112 §6.3), and closes the
# connection after the response, so the request hidden behind the body is
# never read.
{
    my ($status, $raw, $reached) = hostile(
        "POST /echo HTTP/1.1\r\nHost: front.test\r\nContent-Length: 40\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n$smuggled");
    is("@$status", '200', 'CL+TE: one response, 200 (the body read as chunked)');
    ok($reached == 1, 'CL+TE: the one request reached the origin')
        or diag("reached $reached");
    unlike($raw, qr{/echo/smuggled}, 'CL+TE: the hidden request never ran');
    my @cl = $raw =~ /^header: Content-Length: (.*)$/mgi;
    my @te = $raw =~ /^header: Transfer-Encoding: (.*)$/mgi;
    ok(!(@cl && @te), 'CL+TE: the origin never saw both fields');
    like($raw, qr/^body-length: 0$/m, 'CL+TE: the body read as chunked');
    like($raw, qr/^Connection: close\r$/mi,
         'CL+TE: the client connection is closed after the response');
}

# Framing httpd refuses outright: 400 (or 501 for a coding it does not
# know), and nothing reaches the origin.
for my $case (
    ['two Content-Length values', "Content-Length: 5\r\nContent-Length: 6"],
    ['Content-Length list of differing values', 'Content-Length: 5, 6'],
    ['signed Content-Length', 'Content-Length: +5'],
    ['Content-Length with junk', 'Content-Length: 5x'],
    ['Transfer-Encoding gzip', 'Transfer-Encoding: gzip'],
) {
    my ($name, $fields) = @$case;
    my ($status, $raw, $reached) = hostile(
        "POST /echo HTTP/1.1\r\nHost: front.test\r\n$fields\r\n\r\n"
        . "hello$smuggled");
    ok(@$status == 1 && $status->[0] =~ /^(?:400|501)$/,
        "$name: refused with 400 or 501") or diag("@$status");
    is($reached, 0, "$name: nothing reached the origin");
    unlike($raw, qr{/echo/smuggled}, "$name: the hidden request never ran");
}

# A body on a request Relay answers itself: OPTIONS with Max-Forwards: 0
# never goes to the origin, yet its body is consumed, so the pipelined
# request after it is read whole and proxied.
{
    my ($status, $raw, $reached) = hostile(
        "OPTIONS /echo HTTP/1.1\r\nHost: front.test\r\nMax-Forwards: 0\r\n"
        . "Content-Length: 11\r\n\r\nGET /x HTTP"
        . "GET /echo/after HTTP/1.1\r\nHost: front.test\r\n"
        . "Connection: close\r\n\r\n");
    is(scalar @$status, 2, 'OPTIONS with a body: two responses')
        or diag("@$status");
    is($status->[0], 200, 'OPTIONS with a body: answered by Relay');
    is($status->[1], 200, 'OPTIONS with a body: the next request proxied');
    like($raw, qr{^target: /echo/after$}m,
        'OPTIONS with a body: the next request read from the right place');
    is($reached, 1, 'OPTIONS with a body: only the next request reached '
        . 'the origin');
}

# A client that stops in the middle of its header block (slowloris) holds
# its connection only until the vhost's Timeout (2 s); meanwhile other
# clients are served, and nothing reaches the origin.
{
    my $before = origin_connections();
    my $sock = raw_connect($port);
    Relay::Test::write_all($sock, "GET /echo HTTP/1.1\r\nHost: front.test\r\nX-Slow: a");
    my $t0 = Time::HiRes::time();
    my $other = parse_response(scalar raw_request($port,
        "GET /echo HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n",
        10));
    is($other && $other->{status}, 200, 'slow head: other clients served');
    my $buf = '';
    my $how = read_until($sock, \$buf, undef, 15);
    my $held = Time::HiRes::time() - $t0;
    is($how, 'eof', 'slow head: connection closed by the server');
    ok($held < 10, 'slow head: within the Timeout, not held for good')
        or diag("held $held s");
    is(origin_connections() - $before - 1, 1,
        'slow head: only the other client reached the origin');
}

is_deeply([error_log_errors($mark)], [], 'no unexpected errors logged');
