# Licensed under the Apache License, Version 2.0.
#
# Holding a response being stored back from the client
# (t/conf/mod_cache_hold.conf.in): the origin's /slowbody sends twelve
# 16-byte pieces 250 ms apart, so its body ends 3 s after the request.
#  - defaults (disk store, no CacheReadSize/CacheReadTime): the first
#    body byte reaches the client while the origin is still sending;
#  - CacheReadSize larger than the body: the first body byte arrives only
#    once the origin has sent everything, and the entry was published
#    before the head left (Cache-Status says "stored"; with the defaults
#    it cannot);
#  - CacheReadTime 900: the first body byte arrives at least 900 ms after
#    the origin's first piece, and well before the body ends (the time
#    released it, not the end);
#  - CacheReadSize with a CacheMaxFileSize the body passes: the store gives
#    up while holding, what was held and the rest reach the client whole,
#    nothing is stored;
#  - CacheReadSize and an origin that breaks off: what was held reaches
#    the client before the cut, nothing is stored;
#  - CacheSocacheReadSize larger than the body (socache store): as for
#    the disk store.
# In each case the body is exact and, when storable, a second request is a
# hit with the same body from the same origin response. Times are taken
# on the client as the bytes arrive (no sleeps), with bounds wide enough
# for a busy machine: the holds make the differences whole seconds.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use Time::HiRes qw(time);

use Relay::Test qw(vhost_port raw_connect read_until parse_response
    header_values error_log_mark error_log_errors error_log_wait);
use Relay::DiskCache qw(cache_root);

plan tests => 38;

use constant PIECES => 12;
use constant GAP_MS => 250;
use constant END_S  => PIECES * GAP_MS / 1000;    # when the origin is done

my $run = "$$-" . time;
my $mark = error_log_mark();
my $body = join '', map { sprintf "chunk %09d\n", $_ } 1 .. PIECES;

cache_root('hold');

# GET $path from $vhost over HTTP/1.0 (the body runs to the close). Returns
# the parsed response with first (seconds from the request to the first
# body byte) and end (to the close).
sub timed_get {
    my ($vhost, $path) = @_;
    my $port = vhost_port($vhost);
    my $t0 = time;
    my $sock = raw_connect($port, 10);
    syswrite($sock, "GET $path HTTP/1.0\r\nHost: 127.0.0.1:$port\r\n\r\n");
    my ($buf, $first) = ('');
    read_until($sock, \$buf, sub {
        my $head = index($_[0], "\r\n\r\n");
        $first //= time - $t0 if $head >= 0 && length($_[0]) > $head + 4;
        return 0;
    }, 20);
    my $end = time - $t0;
    close $sock;
    my $res = parse_response($buf) // { status => 0, headers => [], body => '' };
    $res->{first} = $first // 99;
    $res->{end} = $end;
    return $res;
}

sub header {
    my ($res, $name) = @_;
    return (header_values($res, $name))[0] // '';
}

sub slow_path {
    my ($prefix, $case) = @_;
    return "$prefix/slowbody?ms=" . GAP_MS . '&chunks=' . PIECES
        . "&cc=max-age%3D300&r=$run-$case";
}

# The second request of a stored response: a hit, from the same origin
# response, with the same body.
sub stored_whole {
    my ($vhost, $path, $first, $what) = @_;
    Apache::TestRequest::module($vhost);
    my $again = GET $path;
    like($again->header('X-Cache') // '', qr/^HIT/, "$what: then a hit");
    ok($again->content eq $body
        && ($again->header('X-Origin-Conn') // '') eq header($first, 'X-Origin-Conn'),
        "$what: the whole body was stored");
}

sub report {
    my ($what, $r) = @_;
    diag(sprintf '%s: first body byte at %.2f s, end at %.2f s', $what,
        $r->{first}, $r->{end});
}

# Defaults: every piece goes on as it is stored.
{
    my $path = slow_path('/none', 'none');
    my $r = timed_get('cache_disk_hold', $path);
    report('defaults', $r);
    is($r->{status}, 200, 'defaults: 200');
    ok($r->{body} eq $body, 'defaults: the whole body');
    like(header($r, 'X-Cache'), qr/^MISS/, 'defaults: a miss');
    cmp_ok($r->{first}, '<', END_S - 1.5,
        'defaults: the first body byte arrives while the origin sends');
    cmp_ok($r->{end} - $r->{first}, '>', 1.5,
        'defaults: the body streams over seconds');
    unlike(header($r, 'Cache-Status'), qr/stored/,
        'defaults: the head left before the entry was stored');
    stored_whole('cache_disk_hold', $path, $r, 'defaults');
}

# CacheReadSize 100000: the 192-byte body is held to its end.
{
    my $path = slow_path('/size', 'size');
    my $r = timed_get('cache_disk_hold', $path);
    report('CacheReadSize', $r);
    is($r->{status}, 200, 'CacheReadSize: 200');
    ok($r->{body} eq $body, 'CacheReadSize: the whole body');
    cmp_ok($r->{first}, '>=', END_S - 0.1,
        'CacheReadSize: the first body byte arrives only after the origin '
        . 'sent the whole body');
    like(header($r, 'Cache-Status'), qr/;\s*stored/,
        'CacheReadSize: the entry was published before the head left');
    stored_whole('cache_disk_hold', $path, $r, 'CacheReadSize');
}

# CacheReadTime 900: released by the first piece arriving 900 ms after the
# first one held (the origin's first piece comes 250 ms after the
# request), then held again in the same way until the end.
{
    my $path = slow_path('/time', 'time');
    my $r = timed_get('cache_disk_hold', $path);
    report('CacheReadTime', $r);
    is($r->{status}, 200, 'CacheReadTime: 200');
    ok($r->{body} eq $body, 'CacheReadTime: the whole body');
    cmp_ok($r->{first}, '>=', (GAP_MS + 900) / 1000 - 0.05,
        'CacheReadTime: the first body byte arrives no earlier than 900 ms '
        . 'after the origin\'s first piece');
    cmp_ok($r->{end} - $r->{first}, '>=', 1,
        'CacheReadTime: and well before the body ends (the time released '
        . 'it)');
    stored_whole('cache_disk_hold', $path, $r, 'CacheReadTime');
}

# CacheReadSize 100000 with CacheMaxFileSize 50 (the response is chunked,
# so the store learns it is too large at its fourth piece, 1 s in): what
# was held goes on with everything after it, nothing is stored.
{
    my $path = slow_path('/small', 'small');
    my $r = timed_get('cache_disk_hold', $path);
    report('store gives up', $r);
    is($r->{status}, 200, 'store gives up: 200');
    ok($r->{body} eq $body, 'store gives up: the whole body, nothing lost');
    cmp_ok($r->{first}, '>=', 4 * GAP_MS / 1000 - 0.05,
        'store gives up: held until the store gave up');
    cmp_ok($r->{end} - $r->{first}, '>=', 1,
        'store gives up: then streamed, not held to the end');
    Apache::TestRequest::module('cache_disk_hold');
    my $again = GET $path;
    like($again->header('X-Cache') // '', qr/^MISS/,
        'store gives up: nothing was stored');
    is($again->content, $body, 'store gives up: the next body is whole too');
}

# CacheReadSize 100000 and an origin that breaks off (Content-Length 1000,
# 10 bytes sent): the 10 bytes held reach the client before the cut, and
# nothing is stored.
{
    my $path = "/size/raw/truncatedfresh?r=$run-cut";
    my $cut = error_log_mark();
    my $r = timed_get('cache_disk_hold', $path);
    is($r->{status}, 200, 'origin breaks off: 200');
    is($r->{body}, '0123456789',
        'origin breaks off: the bytes held reach the client, then the cut');
    ok(error_log_wait($cut, qr/RL02021:.*\Q$run-cut\E/, 5),
        'origin breaks off: the proxy logged the cut (RL02021)');
    Apache::TestRequest::module('cache_disk_hold');
    my $again = GET $path;
    unlike($again->header('X-Cache') // '', qr/^HIT/,
        'origin breaks off: nothing was stored');
}

# The socache store: CacheSocacheReadSize 100000.
{
    my $path = slow_path('', 'socache');
    my $r = timed_get('cache_socache_hold', $path);
    report('CacheSocacheReadSize', $r);
    is($r->{status}, 200, 'CacheSocacheReadSize: 200');
    ok($r->{body} eq $body, 'CacheSocacheReadSize: the whole body');
    like(header($r, 'X-Cache'), qr/^MISS/, 'CacheSocacheReadSize: a miss');
    cmp_ok($r->{first}, '>=', END_S - 0.1,
        'CacheSocacheReadSize: the first body byte arrives only after the '
        . 'origin sent the whole body');
    like(header($r, 'Cache-Status'), qr/;\s*stored/,
        'CacheSocacheReadSize: the entry was published before the head left');
    stored_whole('cache_socache_hold', $path, $r, 'CacheSocacheReadSize');
}

# RL02021: the cut origin of the break-off case, expected.
my @bad = error_log_errors($mark, 'RL02021');
is(scalar @bad, 0, 'no errors in the log') or diag(join "\n", @bad);
