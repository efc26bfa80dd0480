# Licensed under the Apache License, Version 2.0.
#
# The test origin (t/origin/relay_origin.pl) behaves as the other tests
# assume, checked directly, without httpd in between; and the runner's
# RELAY_ORIGIN_PORT / RELAY_DEAD_PORT reach httpd's configuration.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use Digest::MD5 qw(md5_hex);
use IO::Socket::INET ();
use LWP::UserAgent ();

use Relay::Test;

plan tests => 54;

my $port = origin_port();

# Splits pipelined responses framed by Content-Length, given the methods
# of the requests in order (a HEAD response has no body).
sub split_responses {
    my ($raw, @methods) = @_;
    my @out;
    while (length $raw) {
        my $res = parse_response($raw) or last;
        my ($cl) = header_values($res, 'Content-Length');
        my $method = shift(@methods) // 'GET';
        $cl = 0 if !defined $cl || $res->{status} == 204 || $method eq 'HEAD';
        $raw = substr($res->{body}, $cl);
        $res->{body} = substr($res->{body}, 0, $cl);
        push @out, $res;
    }
    return @out;
}

# /echo: method, raw target, version, every header line as sent, body.
{
    my $req = "POST /echo?a=1&b=%41 HTTP/1.1\r\nHost: origin.test\r\n"
        . "X-First: 1\r\nx-second:  two \r\nX-First: again\r\n"
        . "Content-Length: 5\r\nConnection: close\r\n\r\nhello";
    my ($raw, $end) = raw_request($port, $req);
    my $res = parse_response($raw);
    is($res->{status}, 200, 'echo: 200');
    is($res->{body}, join('', map { "$_\n" }
            'method: POST', 'target: /echo?a=1&b=%41', 'version: HTTP/1.1',
            'header: Host: origin.test', 'header: X-First: 1',
            'header: x-second: two', 'header: X-First: again',
            'header: Content-Length: 5', 'header: Connection: close',
            'body-length: 5', 'body-md5: ' . md5_hex('hello')),
        'echo: lists method, target, version, headers in order and body');
    is($end, 'eof', 'echo: Connection: close closes');
    ok(scalar(header_values($res, 'X-Origin-Conn')), 'echo: X-Origin-Conn');
    is((header_values($res, 'X-Origin-Seq'))[0], 1, 'echo: X-Origin-Seq 1');
}

# Keep-alive: one connection serves several requests, chunked bodies are
# read to their end, X-Origin-Seq counts up on one X-Origin-Conn.
{
    my $req = "GET /echo HTTP/1.1\r\nHost: o\r\n\r\n"
        . "POST /echo HTTP/1.1\r\nHost: o\r\nTransfer-Encoding: chunked\r\n\r\n"
        . "3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nX-T: 1\r\n\r\n"
        . "HEAD /bytes?n=100 HTTP/1.1\r\nHost: o\r\n\r\n"
        . "GET /status/204 HTTP/1.1\r\nHost: o\r\n\r\n"
        . "GET /stats HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n";
    my ($raw, $end) = raw_request($port, $req);
    my @res = split_responses($raw, qw(GET POST HEAD GET GET));
    is(scalar @res, 5, 'keep-alive: five responses on one connection');
    is($end, 'eof', 'keep-alive: closed after Connection: close');
    my @conn = map { (header_values($_, 'X-Origin-Conn'))[0] } @res;
    my @seq = map { (header_values($_, 'X-Origin-Seq'))[0] } @res;
    is(scalar(grep { $_ eq $conn[0] } @conn), 5, 'keep-alive: same X-Origin-Conn');
    is("@seq", '1 2 3 4 5', 'keep-alive: X-Origin-Seq counts from 1');
    like($res[1]{body}, qr/^body-length: 5\nbody-md5: ${\ md5_hex('hello')}$/m,
        'keep-alive: chunked request body read whole');
    is((header_values($res[2], 'Content-Length'))[0], 100,
        'HEAD: Content-Length of the GET');
    is($res[2]{body}, '', 'HEAD: no body');
    is($res[3]{status}, 204, 'status/204');
    like($res[4]{body}, qr/^pid: \d+\nconnections: \d+\n\z/, 'stats');
    is((header_values($res[4], 'Connection'))[0], 'close',
        'keep-alive: Connection: close answered in kind');

    my $other = parse_response(scalar raw_request($port,
        "GET /echo HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n"));
    isnt((header_values($other, 'X-Origin-Conn'))[0], $conn[0],
        'keep-alive: a new connection has a new X-Origin-Conn');
    my $old = parse_response(scalar raw_request($port,
        "GET /echo HTTP/1.0\r\nHost: o\r\n\r\n"));
    is($old->{status}, 200, 'HTTP/1.0 request served, then closed');
}

# /bytes: length and md5 of the pattern, plain and chunked.
{
    my $ua = LWP::UserAgent->new(timeout => 30);
    my $n = 1_000_003;
    my $res = $ua->get(origin_url("/bytes?n=$n"));
    is(length $res->content, $n, 'bytes: length');
    is(md5_hex($res->content), bytes_md5($n), 'bytes: md5 of the pattern');
    is($res->content_length, $n, 'bytes: Content-Length');
    $res = $ua->get(origin_url("/bytes?n=$n&chunked=1&cc=max-age%3D60"));
    is(md5_hex($res->content), bytes_md5($n), 'bytes chunked: md5');
    is($res->header('Cache-Control'), 'max-age=60', 'bytes: cc parameter');
    like($res->header('Transfer-Encoding') // $res->header('Client-Transfer-Encoding') // '',
        qr/chunked/, 'bytes chunked: Transfer-Encoding');
    $res = $ua->get(origin_url("/bytes-md5?n=$n"));
    is($res->content, bytes_md5($n) . "\n", 'bytes-md5: same digest');
    is(substr(bytes_pattern(130), 60, 10), "YZ+\n012345", 'bytes: pattern');
}

# /chunked: extension on the first chunk and a trailer.
{
    my ($raw) = raw_request($port,
        "GET /chunked?chunks=3&size=4 HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n");
    my $res = parse_response($raw);
    my ($data, $trailers, $ext) = dechunk($res->{body});
    is($data, 'aaaabbbbcccc', 'chunked: data');
    is_deeply($trailers, [['X-Relay-Trailer', 'done']], 'chunked: trailer');
    is_deeply($ext, [';relay-ext=first'], 'chunked: extension');
}

# /raw/CASE is written byte for byte, then the connection closes.
{
    my ($raw, $end) = raw_request($port,
        "GET /raw/garbage HTTP/1.1\r\nHost: o\r\n\r\n");
    is($raw, "hello world\r\n\r\n", 'raw/garbage: exact bytes');
    is($end, 'eof', 'raw/garbage: then close');
    ($raw) = raw_request($port, "GET /raw/dupcl HTTP/1.1\r\nHost: o\r\n\r\n");
    is($raw, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n"
        . "\r\nbody\n", 'raw/dupcl: exact bytes');
    ($raw) = raw_request($port, "GET /raw/hugeheader HTTP/1.1\r\nHost: o\r\n\r\n");
    my $head = substr($raw, 0, index($raw, "\r\n\r\n"));
    my $fields = substr($head, index($head, "\r\n") + 2);
    cmp_ok(length $fields, '>=', 128 * 1024, 'raw/hugeheader: 128 KiB of fields');
    ($raw, $end) = raw_request($port, "GET /raw/close HTTP/1.1\r\nHost: o\r\n\r\n");
    is($raw, '', 'raw/close: no bytes');
    ($raw, $end) = raw_request($port,
        "GET /raw/silent?s=5 HTTP/1.1\r\nHost: o\r\n\r\n", 1);
    is($raw . $end, 'timeout', 'raw/silent: nothing, connection kept open');
}

# /ws: the RFC 6455 handshake, then echo, ping/pong and close.
{
    my $key = 'dGhlIHNhbXBsZSBub25jZQ==';
    my $sock = raw_connect($port);
    print $sock "GET /ws HTTP/1.1\r\nHost: o\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Key: $key\r\n"
        . "Sec-WebSocket-Version: 13\r\n\r\n";
    $sock->flush;
    my $buf = '';
    read_until($sock, \$buf, qr/\r\n\r\n/, 5);
    my $res = parse_response($buf);
    $buf = $res->{body};
    is($res->{status}, 101, 'ws: 101');
    is((header_values($res, 'Sec-WebSocket-Accept'))[0],
        's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'ws: accept value of RFC 6455 1.3');
    is(ws_accept($key), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'ws: helper agrees');

    print $sock ws_frame(1, 'hello relay');
    $sock->flush;
    is_deeply([ws_read_frame($sock, \$buf, 5)], [1, 1, 'hello relay'],
        'ws: text echoed');
    my $big = bytes_pattern(70_000);
    print $sock ws_frame(2, $big);
    $sock->flush;
    my @f = ws_read_frame($sock, \$buf, 5);
    ok($f[1] == 2 && $f[2] eq $big, 'ws: 64-bit length binary echoed');
    print $sock ws_frame(9, 'ping!');
    $sock->flush;
    is_deeply([ws_read_frame($sock, \$buf, 5)], [1, 10, 'ping!'],
        'ws: ping answered with pong');
    print $sock ws_frame(8, pack('n', 1000));
    $sock->flush;
    is_deeply([ws_read_frame($sock, \$buf, 5)], [1, 8, pack('n', 1000)],
        'ws: close answered with close');
    close $sock;

    my ($raw) = raw_request($port,
        "GET /ws HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n");
    $res = parse_response($raw);
    is($res->{status}, 426, 'ws without Upgrade: 426');
    is($res->{body}, "upgrade required\n", 'ws without Upgrade: body');
}

# /expect: 100 Continue before the body is read.
{
    my $sock = raw_connect($port);
    print $sock "POST /expect HTTP/1.1\r\nHost: o\r\nExpect: 100-continue\r\n"
        . "Content-Length: 5\r\nConnection: close\r\n\r\n";
    $sock->flush;
    my $buf = '';
    read_until($sock, \$buf, qr/\r\n\r\n/, 5);
    is($buf, "HTTP/1.1 100 Continue\r\n\r\n", 'expect: 100 before the body');
    print $sock 'hello';
    $sock->flush;
    $buf = '';
    read_until($sock, \$buf, undef, 5);
    close $sock;
    my $res = parse_response($buf);
    like($res->{body}, qr/^expect-seen: yes\nsent-100: yes\n/m,
        'expect: recorded');
    like($res->{body}, qr/^body-md5: ${\ md5_hex('hello')}$/m,
        'expect: body read after 100');

    $res = parse_response(scalar raw_request($port,
        "POST /expect HTTP/1.1\r\nHost: o\r\nContent-Length: 2\r\n"
        . "Connection: close\r\n\r\nhi"));
    like($res->{body}, qr/^expect-seen: no\nsent-100: no\n/m,
        'expect: none asked, none sent');
}

# The runner's environment reaches httpd: ${RELAY_ORIGIN_PORT} in
# extra.conf.in becomes a response header on a static file.
{
    my $res = GET '/relay-env.txt';
    is($res->code, 200, 'httpd: static file served');
    is($res->header('X-Origin-Port'), $port,
        'httpd: RELAY_ORIGIN_PORT reached the configuration');
    is($res->header('X-Dead-Port'), dead_port(),
        'httpd: RELAY_DEAD_PORT reached the configuration');
    my $dead = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => dead_port(), Timeout => 5);
    ok(!$dead, 'dead port: nothing listens');
}

# The error-log helpers see what httpd logs after a mark, and only that.
{
    my $mark = error_log_mark();
    my $res = GET '/relay-no-such-file.txt';
    is($res->code, 404, 'httpd: missing file is 404');
    ok(error_log_wait($mark, qr/AH00128:.*relay-no-such-file\.txt/, 5),
        'error log: the 404 is logged after the mark');
    is_deeply([error_log_errors($mark), error_log_tags($mark)], [],
        'error log: no error-level line, no Relay tag');
}
