# Licensed under the Apache License, Version 2.0.
#
# How origin failures reach the client (t/conf/proxy_errors.conf.in), each
# with its one log line:
#  - an unreachable origin: 503 with the vhost's ErrorDocument (RL01014);
#  - no response within the worker's timeout: 504 (RL02011), for a slow
#    and for a silent origin;
#  - a malformed status line or header block, conflicting or duplicate
#    Content-Length, Content-Length with Transfer-Encoding, an unknown
#    Transfer-Encoding, a folded Content-Length or Transfer-Encoding: 502
#    (RL02010 / RL02014), and the next request still served; other folded
#    fields are joined with spaces (200);
#  - bad chunk framing, or an origin closing in the middle of the body:
#    the client never gets a response that looks complete, and its
#    connection is closed (RL02020 / RL02021);
#  - identical duplicate Content-Length lines are accepted;
#  - ProxyBadHeader Ignore drops a malformed header line, IsError fails;
#  - ProxyErrorOverride replaces the origin's error body with the local
#    ErrorDocument and keeps the status; with a status list, only those;
#  - an origin that closes without a byte: 502 (RL02012).
# No error-level log line other than those expected appears.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Time::HiRes ();

use Relay::Test;

plan tests => 107;

my $start_mark = error_log_mark();

my %port = map { $_ => vhost_port($_) }
    qw(proxy_errors proxy_errors_dead proxy_errors_timeout proxy_errors_ignore
       proxy_errors_override proxy_errors_override500);

# Decodes the chunked body at the start of $raw: (data, complete).
sub dechunk_state {
    my ($raw) = @_;
    my ($pos, $data) = (0, '');
    while (1) {
        pos($raw) = $pos;
        $raw =~ /\G([0-9A-Fa-f]+)(?:;[^\r\n]*)?\r\n/gc or return ($data, 0);
        my $size = hex $1;
        $pos = pos $raw;
        if ($size == 0) {
            return ($data, $raw =~ /\G(?:[^\r\n]+\r\n)*\r\n/gc ? 1 : 0);
        }
        $data .= substr($raw, $pos, $size);
        return ($data, 0) if length($raw) < $pos + $size + 2
            || substr($raw, $pos + $size, 2) ne "\r\n";
        $pos += $size + 2;
    }
}

# GET $target on a fresh connection, read to the close. Returns the
# parsed response with {body} unframed, {complete} telling whether its
# framing ended properly, {end} how the read ended and {elapsed} seconds.
# With $keepalive the request leaves the connection open, so only the
# server can end the read (before the timeout, 3 s then).
sub fetch {
    my ($vhost, $target, $timeout, $keepalive) = @_;
    my $t0 = Time::HiRes::time();
    my ($raw, $end) = raw_request($port{$vhost}, "GET $target HTTP/1.1\r\n"
        . "Host: front.test\r\n" . ($keepalive ? '' : "Connection: close\r\n")
        . "\r\n", $timeout // 15);
    my $res = parse_response($raw)
        // { status => 0, headers => [], body => '' };
    @$res{qw(end elapsed raw)} = ($end, Time::HiRes::time() - $t0, $raw);
    my ($te) = header_values($res, 'Transfer-Encoding');
    my ($cl) = header_values($res, 'Content-Length');
    if (defined $te) {
        @$res{qw(body complete)} = dechunk_state($res->{body});
    }
    elsif (defined $cl) {
        $res->{complete} = length($res->{body}) == $cl ? 1 : 0;
    }
    else {
        $res->{complete} = $end eq 'eof' ? 1 : 0;
    }
    return $res;
}

# Runs $code and returns what it returns, plus the log lines it caused
# that carry $tag and mention $needle (waiting briefly: httpd may log
# after the response is out).
sub with_log {
    my ($tag, $needle, $code) = @_;
    my $mark = error_log_mark();
    my @ret = $code->();
    my $line = error_log_wait($mark, qr/\b\Q$tag\E:.*\Q$needle\E/, 5);
    return (@ret, $line);
}

# The origin is fine to begin with.
{
    my $res = fetch('proxy_errors', '/echo');
    is($res->{status}, 200, 'baseline: /echo through the proxy');
}

# Unreachable origin: 503 and the ErrorDocument.
{
    my ($res, $line) = with_log('RL01014', '127.0.0.1:' . dead_port(),
        sub { fetch('proxy_errors_dead', '/anything') });
    is($res->{status}, 503, 'dead origin: 503');
    like($res->{body}, qr/relay-error-document-503/,
        'dead origin: the ErrorDocument 503 page is shown');
    ok($line, 'dead origin: RL01014 names the origin address');

    # While the worker is in error state, the same answer without a new
    # connect attempt.
    $res = fetch('proxy_errors_dead', '/again');
    is($res->{status}, 503, 'dead origin, again: 503');
    like($res->{body}, qr/relay-error-document-503/,
        'dead origin, again: the ErrorDocument 503 page');

    $res = fetch('proxy_errors_dead', '/error-documents/503.html');
    is($res->{status}, 200, 'dead origin: the error page itself is local');
}

# No response within timeout=1.
{
    my ($res, $line) = with_log('RL02011', '/delay',
        sub { fetch('proxy_errors_timeout', '/delay?ms=4000') });
    is($res->{status}, 504, 'slow origin: 504');
    ok($res->{elapsed} > 0.9 && $res->{elapsed} < 3.5,
        'slow origin: answered once timeout=1 ran out, not after the origin');
    ok($line, 'slow origin: RL02011 logged');

    ($res, $line) = with_log('RL02011', '/raw/silent',
        sub { fetch('proxy_errors_timeout', '/raw/silent?s=5') });
    is($res->{status}, 504, 'silent origin: 504');
    ok($res->{elapsed} > 0.9 && $res->{elapsed} < 3.5,
        'silent origin: answered once timeout=1 ran out');
    ok($line, 'silent origin: RL02011 logged');

    $res = fetch('proxy_errors_timeout', '/delay?ms=100');
    is($res->{status}, 200, 'timeout vhost: a quick answer still passes');
}

# The status of the last head in a response stream (interim ones first).
sub final_status {
    my ($res) = @_;
    my @all = ($res->{raw} // '') =~ m{^HTTP/1\.1 (\d{3})}mg;
    return $all[-1] // 0;
}

# Interim responses: ten are passed on, the eleventh is a 502 (as stock),
# and an origin sending them without end is cut off at once; the whole
# head phase, interim responses included, has one timeout.
{
    my $res = fetch('proxy_errors', '/interim?count=10');
    is(final_status($res), 200, 'ten interim responses, then the final one');
    my $line;
    ($res, $line) = with_log('RL02015', '/interim',
        sub { fetch('proxy_errors', '/interim?count=11') });
    is(final_status($res), 502, 'an eleventh interim response: 502');
    ok($line, 'too many interim responses: RL02015 logged');
    ($res, $line) = with_log('RL02015', '/interim',
        sub { fetch('proxy_errors', '/interim?count=100000') });
    ok(final_status($res) == 502 && $res->{elapsed} < 5,
       'interim responses without end: 502 at once')
        or diag 'status ' . final_status($res) . " after $res->{elapsed} s";
    ($res, $line) = with_log('RL02011', '/interim',
        sub { fetch('proxy_errors_timeout', '/interim?count=5&gap=400') });
    ok(final_status($res) == 504 && $res->{elapsed} < 1.9,
       'interim responses 0.4 s apart: timeout=1 covers them all (504)')
        or diag 'status ' . final_status($res) . " after $res->{elapsed} s";
}

# Malformed heads: 502, one log line, and the next request works.
for my $case (
    [garbage    => 'RL02010'],
    [badstatus  => 'RL02010'],
    [obsfoldcl  => 'RL02010'],
    [obsfoldte  => 'RL02010'],
    [obsfoldfirst => 'RL02010'],
    [spacecolon => 'RL02010'],
    [nulheader  => 'RL02010'],
    [hugeheader => 'RL02010'],
    [badheaderline => 'RL02010'],
    [dupcl      => 'RL02014'],
    [clte       => 'RL02014'],
    [badte      => 'RL02014'],
) {
    my ($name, $tag) = @$case;
    my ($res, $line) = with_log($tag, "/raw/$name",
        sub { fetch('proxy_errors', "/raw/$name") });
    is($res->{status}, 502, "$name: 502");
    ok($line, "$name: $tag logged");
    unlike($res->{raw}, qr/body\n\z/, "$name: none of the origin's body");
    my $next = fetch('proxy_errors', '/echo');
    is($next->{status}, 200, "$name: the next request is served");
}

# Obsolete line folding (RFC 9112 §5.2) is replaced by spaces, as stock
# does, except on the framing fields (above).
{
    my $res = fetch('proxy_errors', '/raw/obsfold');
    is($res->{status}, 200, 'obsfold: 200');
    is_deeply([header_values($res, 'X-Folded')], ['first second third'],
        'obsfold: the folded field, joined with spaces');
    is($res->{body}, "body\n", 'obsfold: the body');
}

# Identical duplicate Content-Length lines are one length.
{
    my $res = fetch('proxy_errors', '/raw/samecl');
    is($res->{status}, 200, 'samecl: 200');
    is($res->{body}, "body\n", 'samecl: the body');
    is_deeply([header_values($res, 'Content-Length')], ['5'],
        'samecl: one Content-Length');
}

# Bad chunk framing: never a complete 200, and the client connection,
# though it asked for keep-alive, is closed.
{
    my ($res, $line) = with_log('RL02020', '/raw/badchunk',
        sub { fetch('proxy_errors', '/raw/badchunk', 3, 'keepalive') });
    ok(!($res->{status} == 200 && $res->{complete}),
        'badchunk: no complete-looking 200');
    is($res->{end}, 'eof', 'badchunk: the client connection is closed');
    unlike($res->{body}, qr/^body$/m, 'badchunk: no bytes past the bad chunk');
    ok($line, 'badchunk: RL02020 logged');
    is(fetch('proxy_errors', '/echo')->{status}, 200,
        'badchunk: the next request is served');
}

# The origin closes inside the body: fewer bytes than announced, then the
# close of the keep-alive client connection, never a response that looks
# complete.
{
    my ($res, $line) = with_log('RL02021', '/raw/truncated',
        sub { fetch('proxy_errors', '/raw/truncated', 3, 'keepalive') });
    is($res->{status}, 200, 'truncated: the head had gone out');
    is((header_values($res, 'Content-Length'))[0], 1000,
        "truncated: the origin's Content-Length");
    is($res->{body}, '0123456789', 'truncated: the bytes that came');
    ok(!$res->{complete}, 'truncated: the response is visibly short');
    is($res->{end}, 'eof', 'truncated: the client connection is closed');
    ok($line, 'truncated: RL02021 logged');

    ($res, $line) = with_log('RL02021', '/raw/truncatedchunk',
        sub { fetch('proxy_errors', '/raw/truncatedchunk', 3, 'keepalive') });
    ok(!($res->{status} == 200 && $res->{complete}),
        'truncatedchunk: no complete-looking 200');
    ok(defined((header_values($res, 'Transfer-Encoding'))[0])
            || !defined((header_values($res, 'Content-Length'))[0])
            || $res->{status} != 200,
        'truncatedchunk: no Content-Length invented for a cut body');
    is($res->{end}, 'eof', 'truncatedchunk: the client connection is closed');
    ok($line, 'truncatedchunk: RL02021 logged');
    is(fetch('proxy_errors', '/echo')->{status}, 200,
        'truncated: the next request is served');
}

# ProxyBadHeader Ignore: the malformed line is dropped, the rest relayed.
{
    my $res = fetch('proxy_errors_ignore', '/raw/badheaderline');
    is($res->{status}, 200, 'badheaderline, Ignore: 200');
    is($res->{body}, "body\n", 'badheaderline, Ignore: the body');
    is_deeply([header_values($res, 'X-Before'), header_values($res, 'X-After')],
        [1, 2], 'badheaderline, Ignore: the good lines on both sides kept');
    ok(!grep({ /NoColonHere/ } map { $_->[0] } @{ $res->{headers} }),
        'badheaderline, Ignore: the bad line dropped');
}

# The origin closes without a byte of response.
{
    my ($res, $line) = with_log('RL02012', '/raw/close',
        sub { fetch('proxy_errors', '/raw/close') });
    is($res->{status}, 502, 'close: 502');
    ok($line, 'close: RL02012 logged');
}

# ProxyErrorOverride On: local ErrorDocument, origin status kept.
{
    my $res = fetch('proxy_errors_override', '/status/404');
    is($res->{status}, 404, 'override: status 404 kept');
    like($res->{body}, qr/relay-error-document-404/,
        'override: the local ErrorDocument 404');
    unlike($res->{body}, qr/status 404/, "override: not the origin's body");

    $res = fetch('proxy_errors_override', '/status/500');
    is($res->{status}, 500, 'override: status 500 kept');
    like($res->{body}, qr/relay-error-document-500/,
        'override: the local ErrorDocument 500');

    $res = fetch('proxy_errors_override', '/status/201');
    is($res->{status}, 201, 'override: a success status untouched');
    is($res->{body}, "status 201\n", "override: a success body is the origin's");
}

# ProxyErrorOverride On 500: only 500 replaced.
{
    my $res = fetch('proxy_errors_override500', '/status/500');
    is($res->{status}, 500, 'override 500: status kept');
    like($res->{body}, qr/relay-error-document-500/,
        'override 500: 500 replaced by the ErrorDocument');

    $res = fetch('proxy_errors_override500', '/status/404');
    is($res->{status}, 404, 'override 500: 404 relayed');
    is($res->{body}, "status 404\n", "override 500: 404 keeps the origin's body");
}

# Nothing at error level but the lines the cases above cause.
{
    my @unexpected = error_log_errors($start_mark,
        qw(RL01002 RL01014 RL02010 RL02011 RL02012 RL02014 RL02015 RL02020
           RL02021));
    is_deeply(\@unexpected, [], 'no unexpected error-level line');
}
