# Licensed under the Apache License, Version 2.0.
#
# CacheLock (t/conf/mod_cache_lock.conf.in): concurrent misses for one URL
# send one request to the origin, the very first burst included, and every
# client gets the stored answer; without CacheLock each miss goes to the
# origin. A failed fetch releases the lock at once (waiters go to the
# origin themselves, the next request too); a stale entry being refreshed
# is served stale with Warning 110 to the others; a client's no-cache
# does not wait for the lock. No request waits longer than CacheLockMaxAge
# (vhost cache_lock_short), and a lock file older than that is broken
# (RL04100). The origin's /count/NAME counts requests.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Digest::MD5 qw(md5_hex);
use Time::HiRes ();

use lib 't/lib';
use Relay::Test qw(raw_connect raw_request read_until
                   parse_response header_values origin_port vhost_port
                   error_log_mark error_log_wait burst
                   origin_count);

plan tests => 21;

my $run = "$$-" . time;

my $lock = vhost_port('cache_lock');
my $off = vhost_port('cache_lock_off');

# A first burst of 8 misses: one origin request, one body for all.
my $name = "burst-$run";
my @res = burst($lock, "/count/$name?ms=800&cc=max-age%3D300", ('') x 8);
is(scalar(grep { $_->{status} == 200 } @res), 8, 'burst: all 8 get 200');
is(scalar(grep { $_->{body} eq "count $name 1\n" } @res), 8,
   'burst: all 8 get the one origin answer');
is(origin_count($name), 1, 'burst: the origin saw exactly one request');
my @cs = map { header_values($_, 'Cache-Status') } @res;
is(scalar(grep { /\bfwd=uri-miss\b.*\bstored\b/ } @cs), 1,
   'Cache-Status: one fetch stored');
is(scalar(grep { /\bcollapsed\b/ } @cs), 7,
   'Cache-Status: seven collapsed onto it');

# The same burst without CacheLock: every miss goes forward.
$name = "nolock-$run";
@res = burst($off, "/count/$name?ms=800&cc=max-age%3D300", ('') x 8);
is(scalar(grep { $_->{status} == 200 } @res), 8, 'no lock: all 8 get 200');
cmp_ok(origin_count($name), '>', 1, 'no lock: the origin saw several requests');

# A failed fetch (500, not stored) releases the lock: the waiters go to
# the origin themselves as soon as it ends, not after CacheLockMaxAge.
$name = "fail-$run";
my $t0 = Time::HiRes::time();
@res = burst($lock, "/count/$name?ms=600&status=500", ('') x 3);
my $took = Time::HiRes::time() - $t0;
is(scalar(grep { $_->{status} == 500 } @res), 3, 'failed fetch: all see 500');
cmp_ok($took, '<', 4, 'failed fetch: waiters did not wait for the lock age');
is(origin_count($name), 3, 'failed fetch: each waiter went to the origin');
($res[0]) = burst($lock, "/count/$name?ms=0&status=500", '');
is(origin_count($name), 4, 'failed fetch: the next request goes to the origin');

# A stale entry being refreshed: the other requests get it stale.
$name = "stale-$run";
my $path = "/count/$name?ms=800&cc=max-age%3D1";
burst($lock, $path, '');
my $deadline = Time::HiRes::time() + 10;
my $r;
do {
    Time::HiRes::sleep(0.25);
    ($r) = burst($lock, $path, "Cache-Control: only-if-cached\r\n");
} while ($r->{status} == 200 && Time::HiRes::time() < $deadline);
@res = burst($lock, $path, ('') x 4);
is(origin_count($name), 2, 'stale: one refresh reached the origin');
my @stale = grep { $_->{body} eq "count $name 1\n" } @res;
is(scalar @stale, 3, 'stale: the others got the stale entry');
is(scalar(grep { ((header_values($_, 'Warning'))[0] // '') =~ /^110 / }
               @stale), 3,
   'stale: with Warning 110');
my @cs_stale = map { join(', ', header_values($_, 'Cache-Status')) } @stale;
is(scalar(grep { /^Relay; hit; ttl=(-?\d+)\z/ && $1 <= 0 } @cs_stale), 3,
   'stale: Cache-Status hit with no freshness left (ttl <= 0)');

# A client's no-cache does not wait for another's fetch.
$name = "nocache-$run";
my $slow = raw_connect($lock, 15);
syswrite($slow, "GET /count/$name?ms=1500&cc=max-age%3D300 HTTP/1.1\r\n"
    . "Host: 127.0.0.1:$lock\r\nConnection: close\r\n\r\n");
$deadline = Time::HiRes::time() + 5;
Time::HiRes::sleep(0.05) while origin_count($name) < 1 && Time::HiRes::time() < $deadline;
($r) = burst($lock, "/count/$name?ms=1500&cc=max-age%3D300",
             "Cache-Control: no-cache\r\n");
is($r->{body}, "count $name 2\n", 'no-cache: went to the origin, not waiting');
close $slow;

# CacheLockMaxAge 1: a waiter behind a 4 s fetch goes to the origin itself
# (answering at once) after about a second instead of waiting for it.
$name = "short-$run";
my $short = vhost_port('cache_lock_short');
my @socks = map {
    my $s = raw_connect($short, 15);
    syswrite($s, "GET /count/$name?ms=$_&cc=max-age%3D300 HTTP/1.1\r\n"
        . "Host: 127.0.0.1:$short\r\nConnection: close\r\n\r\n");
    # The slow one holds the lock once the origin has seen it.
    $deadline = Time::HiRes::time() + 5;
    Time::HiRes::sleep(0.05)
        while $_ && origin_count($name) < 1 && Time::HiRes::time() < $deadline;
    $s;
} 4000, 0;
$t0 = Time::HiRes::time();
my $buf = '';
read_until($socks[1], \$buf, undef, 15);
$took = Time::HiRes::time() - $t0;
$r = parse_response($buf);
is($r && $r->{body}, "count $name 2\n", 'lock max age: the waiter went to the origin');
ok($took > 0.5 && $took < 3,
   "lock max age: it waited about a second, not for the fetch ($took s)");
close $_ for @socks;

# A lock file older than CacheLockMaxAge (its request died) is broken.
$name = "orphan-$run";
$path = "/count/$name?ms=0&cc=max-age%3D300";
my $lockfile = '/tmp/mod_cache-lock/' . md5_hex("http://127.0.0.1:$lock$path");
open my $lf, '>', $lockfile or die "$lockfile: $!";
close $lf;
utime time - 60, time - 60, $lockfile;
my $mark = error_log_mark();
$t0 = Time::HiRes::time();
($r) = burst($lock, $path, '');
$took = Time::HiRes::time() - $t0;
is($r->{body}, "count $name 1\n", 'stale lock file: served from the origin');
cmp_ok($took, '<', 2, 'stale lock file: no waiting for it');
ok(error_log_wait($mark, qr/RL04100: .*\Q$name\E/, 5),
   'stale lock file: broken, RL04100 logged');
