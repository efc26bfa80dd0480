# Licensed under the Apache License, Version 2.0.
#
# Message bodies through Relay (t/conf/proxy_body.conf.in):
#  - request bodies with Content-Length and chunked (extensions and
#    trailers included) reach the origin whole, re-framed correctly, also
#    a 20 MiB upload;
#  - Expect: 100-continue: with Proxy100Continue On the expectation goes
#    to the origin and the client gets one 100 and its body through (also
#    when the origin stays silent); with Off the origin never sees it;
#  - responses to HEAD and 204/304 responses carry no body, and the next
#    response on the connection follows right after their heads;
#  - 103 Early Hints reach the client before the final response;
#  - a chunked origin response (with a chunk extension and a trailer) and
#    /bytes bodies of a few MiB, with Content-Length and chunked, arrive
#    byte-exact.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Digest::MD5 qw(md5 md5_hex);

use Relay::Test;

plan tests => 63;

my $mark = error_log_mark();

my $port      = vhost_port('proxy_body');
my $port_no100 = vhost_port('proxy_body_no100');

# Decodes the chunked body at the start of $raw. Returns (data, bytes the
# chunked body took), or an empty list when it is malformed or cut short.
sub dechunk_prefix {
    my ($raw) = @_;
    my ($pos, $data) = (0, '');
    while (1) {
        pos($raw) = $pos;
        $raw =~ /\G([0-9A-Fa-f]+)(?:;[^\r\n]*)?\r\n/gc or return;
        my $size = hex $1;
        $pos = pos $raw;
        if ($size == 0) {
            while (1) {
                pos($raw) = $pos;
                return ($data, pos $raw) if $raw =~ /\G\r\n/gc;
                $raw =~ /\G[^\r\n]+\r\n/gc or return;
                $pos = pos $raw;
            }
        }
        return if length($raw) < $pos + $size + 2;
        $data .= substr($raw, $pos, $size);
        return unless substr($raw, $pos + $size, 2) eq "\r\n";
        $pos += $size + 2;
    }
}

# Splits the raw bytes of one connection into its responses, given the
# methods of the requests in order. Interim (1xx) responses come out as
# responses of their own. Each has {body} unframed and {complete} set when
# its framing ended within the bytes.
sub split_responses {
    my ($raw, @methods) = @_;
    my @out;
    while (length $raw) {
        my $res = parse_response($raw) or last;
        push @out, $res;
        if ($res->{status} < 200) {
            $raw = $res->{rest};
            next;
        }
        my $method = shift(@methods) // 'GET';
        my ($te) = header_values($res, 'Transfer-Encoding');
        my ($cl) = header_values($res, 'Content-Length');
        my $rest = $res->{body};
        if ($method eq 'HEAD' || $res->{status} == 204
            || $res->{status} == 304) {
            @$res{qw(body complete)} = ('', 1);
            $raw = $rest;
        }
        elsif (defined $te) {
            my ($data, $used) = dechunk_prefix($rest);
            if (!defined $used) {
                @$res{qw(body complete)} = ($rest, 0);
                last;
            }
            @$res{qw(body complete)} = ($data, 1);
            $raw = substr($rest, $used);
        }
        elsif (defined $cl) {
            @$res{qw(body complete)} =
                (substr($rest, 0, $cl), length($rest) >= $cl ? 1 : 0);
            $raw = length($rest) > $cl ? substr($rest, $cl) : '';
        }
        else {
            @$res{qw(body complete)} = ($rest, 1);    # to the close
            last;
        }
    }
    return @out;
}

# One request on a fresh connection with Connection: close; the final
# response (interim ones skipped).
sub exchange {
    my ($p, $bytes, $timeout) = @_;
    my $raw = raw_request($p, $bytes, $timeout // 20);
    my @res = grep { $_->{status} >= 200 } split_responses($raw);
    return $res[0] // { status => 0, headers => [], body => '', complete => 0 };
}

sub echo_field {
    my ($res, $name) = @_;
    return $res->{body} =~ /^\Q$name\E: (.*)$/m ? $1 : undef;
}

sub origin_values {
    my ($res, $name) = @_;
    return $res->{body} =~ /^header: \Q$name\E: (.*)$/mgi;
}

# A body of $n bytes in which every 64 KiB piece differs.
sub test_body {
    my ($n) = @_;
    my $body = '';
    for (my $i = 0; length $body < $n; $i++) {
        $body .= md5("piece $i") x 4096;
    }
    return substr($body, 0, $n);
}

# Content-Length request body.
{
    my $body = test_body(100_000);
    my $res = exchange($port, "POST /echo HTTP/1.1\r\nHost: front.test\r\n"
        . "Content-Length: 100000\r\nConnection: close\r\n\r\n$body");
    is($res->{status}, 200, 'CL body: 200');
    is(echo_field($res, 'body-length'), 100_000, 'CL body: origin read all');
    is(echo_field($res, 'body-md5'), md5_hex($body), 'CL body: md5 matches');
    is_deeply([origin_values($res, 'Content-Length')], ['100000'],
        'CL body: origin got Content-Length');
    is_deeply([origin_values($res, 'Transfer-Encoding')], [],
        'CL body: and no Transfer-Encoding');

    $body = test_body(70_000);
    $res = exchange($port, "POST /echo-body HTTP/1.1\r\nHost: front.test\r\n"
        . "Content-Type: application/x-relay\r\nContent-Length: 70000\r\n"
        . "Connection: close\r\n\r\n$body");
    is($res->{status}, 200, 'CL body: /echo-body 200');
    ok($res->{body} eq $body, 'CL body: /echo-body returns the bytes sent');
}

# Chunked request body, with an extension and a trailer.
{
    my $res = exchange($port, "POST /echo HTTP/1.1\r\nHost: front.test\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        . "5;relay=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n");
    is($res->{status}, 200, 'chunked body: 200');
    is(echo_field($res, 'body-md5'), md5_hex('hello world'),
        'chunked body: origin read the decoded bytes');
    my ($te) = origin_values($res, 'Transfer-Encoding');
    my ($cl) = origin_values($res, 'Content-Length');
    ok((defined $te && $te eq 'chunked' && !defined $cl)
            || (!defined $te && defined $cl && $cl eq '11'),
        'chunked body: origin framing is chunked or the right length');

    my $body = test_body(1 << 20);
    my ($chunked, $off, $i) = ('', 0, 0);
    while ($off < length $body) {
        my $n = (1, 7, 4096, 65536, 100_003)[$i++ % 5];
        my $piece = substr($body, $off, $n);
        $chunked .= sprintf("%x\r\n%s\r\n", length $piece, $piece);
        $off += length $piece;
    }
    $res = exchange($port, "POST /echo-body HTTP/1.1\r\nHost: front.test\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        . "${chunked}0\r\n\r\n");
    is($res->{status}, 200, 'chunked body: 1 MiB to /echo-body 200');
    ok($res->{complete} && $res->{body} eq $body,
        'chunked body: 1 MiB in uneven chunks returned byte-exact');
}

# A 20 MiB upload.
{
    my $n = 20 << 20;
    my $body = test_body($n);
    my $res = exchange($port, "POST /echo HTTP/1.1\r\nHost: front.test\r\n"
        . "Content-Length: $n\r\nConnection: close\r\n\r\n$body", 60);
    is(echo_field($res, 'body-length'), $n, '20 MiB upload: origin read all');
    is(echo_field($res, 'body-md5'), md5_hex($body), '20 MiB upload: md5');
}

# A client whose body breaks off: 400 for the client (an INFO line, not
# an error), and the origin connection that got half a body is not used
# again.
{
    my $m = error_log_mark();
    my $res = exchange($port, "POST /echo HTTP/1.1\r\nHost: front.test\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        . "5\r\nhello\r\nzz\r\n\r\n");
    is($res->{status}, 400, 'bad chunked body from the client: 400');

    my $sock = raw_connect($port);
    print {$sock} "POST /echo HTTP/1.1\r\nHost: front.test\r\n"
        . "Content-Length: 1000\r\n\r\n0123456789";
    shutdown($sock, 1);
    my $raw = '';
    read_until($sock, \$raw, undef, 10);
    close $sock;
    ($res) = split_responses($raw);
    is($res && $res->{status}, 400, 'body cut short by the client: 400');
    ok(error_log_wait($m, qr/RL02002:/, 5), 'client body failure: RL02002');
    $res = exchange($port, "GET /echo HTTP/1.1\r\nHost: front.test\r\n"
        . "Connection: close\r\n\r\n");
    is($res->{status}, 200, 'client body failure: the next request is served');
}

# Expect: 100-continue. The client sends its head, waits for a 100, then
# sends the body; returns (the bytes before the body went, the rest).
sub expect_exchange {
    my ($p, $target, $body) = @_;
    my $sock = raw_connect($p, 20);
    print {$sock} "POST $target HTTP/1.1\r\nHost: front.test\r\n"
        . "Expect: 100-continue\r\nContent-Length: " . length($body)
        . "\r\nConnection: close\r\n\r\n";
    my $before = '';
    read_until($sock, \$before, qr/\r\n\r\n/, 10);
    print {$sock} $body;
    my $after = $before;
    read_until($sock, \$after, undef, 10);
    close $sock;
    return ($before, $after);
}

{
    my ($before, $all) = expect_exchange($port, '/expect', 'hello');
    like($before, qr{^HTTP/1\.1 100 }, 'expect on: 100 before the body');
    my @res = split_responses($all);
    is(scalar(grep { $_->{status} == 100 } @res), 1,
        'expect on: exactly one 100');
    my ($final) = grep { $_->{status} >= 200 } @res;
    is($final->{status}, 200, 'expect on: 200 after the body');
    is(echo_field($final, 'expect-seen'), 'yes',
        'expect on: the origin saw the expectation');
    is(echo_field($final, 'sent-100'), 'yes', 'expect on: and sent its 100');
    is(echo_field($final, 'body-md5'), md5_hex('hello'),
        'expect on: the body reached the origin');

    # An origin that never answers the expectation still gets the body.
    ($before, $all) = expect_exchange($port, '/expect?send100=0', 'silent');
    like($before, qr{^HTTP/1\.1 100 }, 'expect on, silent origin: 100');
    ($final) = grep { $_->{status} >= 200 } split_responses($all);
    is(echo_field($final, 'sent-100'), 'no',
        'expect on, silent origin: the origin sent no 100');
    is(echo_field($final, 'body-md5'), md5_hex('silent'),
        'expect on, silent origin: the body reached the origin');
}

{
    my ($before, $all) = expect_exchange($port_no100, '/expect', 'hello');
    like($before, qr{^HTTP/1\.1 100 }, 'expect off: httpd sends the 100');
    my ($final) = grep { $_->{status} >= 200 } split_responses($all);
    is(echo_field($final, 'expect-seen'), 'no',
        'expect off: the origin saw no expectation');
    is(echo_field($final, 'sent-100'), 'no', 'expect off: origin sent no 100');
    is(echo_field($final, 'body-md5'), md5_hex('hello'),
        'expect off: the body reached the origin');
}

# An origin that answers the expectation with a final status: the client
# gets it at once, without having sent its body, and the connection ends.
{
    my $t0 = time;
    my ($raw, $end) = raw_request($port, "POST /status/417 HTTP/1.1\r\n"
        . "Host: front.test\r\nExpect: 100-continue\r\n"
        . "Content-Length: 5\r\n\r\n", 10);
    my @res = split_responses($raw);
    is_deeply([map { $_->{status} } @res], [417],
        'expect, final answer: only the final status, no 100');
    is($end, 'eof', 'expect, final answer: the connection is closed');
    cmp_ok(time - $t0, '<', 5, 'expect, final answer: without waiting for a body');
}

# HEAD, 204 and 304 have no body: the next response follows the head.
{
    my $req = "HEAD /bytes?n=100 HTTP/1.1\r\nHost: front.test\r\n\r\n"
        . "GET /status/204 HTTP/1.1\r\nHost: front.test\r\n\r\n"
        . "GET /status/304 HTTP/1.1\r\nHost: front.test\r\n\r\n"
        . "GET /echo HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n";
    my @res = split_responses(scalar raw_request($port, $req, 20),
        qw(HEAD GET GET GET));
    is(scalar @res, 4, 'no body: four responses on one connection');
    is($res[0]{status}, 200, 'HEAD: 200');
    is((header_values($res[0], 'Content-Length'))[0], 100,
        "HEAD: the GET's Content-Length");
    is($res[1]{status}, 204, '204 relayed');
    is($res[2]{status}, 304, '304 relayed');
    is($res[3]{status}, 200, 'no body: the next response follows');
    like($res[3]{body}, qr/^method: GET\n/,
        'no body: the next response is intact');
}

# force-proxy-request-1.0: HTTP/1.0 to the origin; a body of known length
# goes with its Content-Length, a chunked one (HTTP/1.0 has no chunked
# coding) is read whole first and sent with its length, never chunked
# (more in proxy_body_env.t).
{
    my @res = split_responses(scalar raw_request($port,
        "POST /echo/force10 HTTP/1.1\r\nHost: front.test\r\n"
        . "Content-Length: 5\r\nConnection: close\r\n\r\nhello", 20));
    ok($res[0]{status} == 200 && $res[0]{body} =~ /^version: HTTP\/1\.0$/m
           && $res[0]{body} =~ /^body-length: 5$/m,
       'force-proxy-request-1.0: HTTP/1.0 upstream with the Content-Length');
    @res = split_responses(scalar raw_request($port,
        "POST /echo/force10 HTTP/1.1\r\nHost: front.test\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        . "5\r\nhello\r\n0\r\n\r\n", 20));
    ok($res[0]{status} == 200 && $res[0]{body} =~ /^version: HTTP\/1\.0$/m
           && $res[0]{body} =~ /^header: Content-Length: 5$/m
           && $res[0]{body} !~ /Transfer-Encoding/,
       'force-proxy-request-1.0 with a chunked body: sent with its length');
}

# A method that is not a token (httpd lets it through under
# HttpProtocolOptions Unsafe) never reaches the origin's request line.
{
    my $unsafe = vhost_port('proxy_body_unsafe');
    for my $method ('G(T', "G\x01T", 'GE"T') {
        my @res = split_responses(scalar raw_request($unsafe,
            "$method /echo/m HTTP/1.1\r\nHost: front.test\r\n"
            . "Connection: close\r\n\r\n", 20));
        my $status = $res[0]{status} // 0;
        ok(($status == 400 || $status == 501)
               && !header_values($res[0], 'X-Origin-Conn'),
           sprintf('method %s: refused (%d), not forwarded',
                   join('', map { sprintf '\\x%02x', ord } split //, $method),
                   $status))
            or diag $res[0]{body};
    }
    my @res = split_responses(scalar raw_request($unsafe,
        "GET /echo/m HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n",
        20));
    is($res[0]{status}, 200, 'HttpProtocolOptions Unsafe: GET still served');
}

# 103 Early Hints go to the client ahead of the final response.
{
    my @res = split_responses(scalar raw_request($port,
        "GET /interim?count=2 HTTP/1.1\r\nHost: front.test\r\n"
        . "Connection: close\r\n\r\n", 20));
    is_deeply([map { $_->{status} } @res], [103, 103, 200],
        '103: two Early Hints, then 200');
    is((header_values($res[0], 'Link'))[0],
        '</style.css>; rel=preload; as=style', '103: Link relayed');
    is($res[2]{body}, "final\n", '103: final body');
}

# A chunked origin response with an extension and a trailer, on a
# keep-alive connection followed by another request.
{
    my $req = "GET /chunked?chunks=3&size=10 HTTP/1.1\r\nHost: front.test\r\n\r\n"
        . "GET /echo HTTP/1.1\r\nHost: front.test\r\nConnection: close\r\n\r\n";
    my @res = split_responses(scalar raw_request($port, $req, 20));
    is($res[0]{status}, 200, 'chunked response: 200');
    ok($res[0]{complete}, 'chunked response: framing ends properly');
    is($res[0]{body}, ('a' x 10) . ('b' x 10) . ('c' x 10),
        'chunked response: payload without extension or trailer');
    is_deeply([header_values($res[0], 'Trailer')], [],
        'chunked response: Trailer field not relayed');
    like($res[1]{body} // '', qr/^method: GET\n/,
        'chunked response: the next response follows');
}

# /bytes of a few MiB, with Content-Length and chunked.
{
    my $n = 3 << 20;
    my $res = exchange($port, "GET /bytes?n=$n HTTP/1.1\r\nHost: front.test\r\n"
        . "Connection: close\r\n\r\n");
    is((header_values($res, 'Content-Length'))[0], $n,
        '/bytes CL: Content-Length relayed');
    is(length $res->{body}, $n, '/bytes CL: every byte');
    is(md5_hex($res->{body}), bytes_md5($n), '/bytes CL: md5 matches');

    $n = (3 << 20) + 17;
    $res = exchange($port, "GET /bytes?n=$n&chunked=1 HTTP/1.1\r\n"
        . "Host: front.test\r\nConnection: close\r\n\r\n");
    is($res->{status}, 200, '/bytes chunked: 200');
    ok($res->{complete}, '/bytes chunked: the body ends properly');
    is(length $res->{body}, $n, '/bytes chunked: every byte');
    is(md5_hex($res->{body}), bytes_md5($n), '/bytes chunked: md5 matches');
}

is_deeply([error_log_errors($mark)], [], 'no error-level line in the error log');
