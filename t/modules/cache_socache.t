# Licensed under the Apache License, Version 2.0.
#
# Relay's mod_cache_socache on shmcb (t/conf/mod_cache_socache.conf.in):
# a miss then a hit without the origin; Vary variants kept apart; an
# unsafe method removes the entry and its variants; a body spanning
# several items is served whole from the cache; a body over
# CacheSocacheMaxSize streams through whole and is not stored, with or
# without Content-Length; an entry leaves the store when its freshness
# ends (CacheSocacheMinTime 0), at most after CacheSocacheMaxTime, while
# with the default minimum time a stale entry stays to be revalidated.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Digest::MD5 qw(md5_hex);
use Time::HiRes ();

use lib 't/lib';
use Relay::Test qw(bytes_md5 origin_count error_log_mark error_log_wait
                   error_log_errors);

plan tests => 30;

my $run = "$$-" . time;
my $mark = error_log_mark();

sub xc { return $_[0]->header('X-Cache') // '' }

sub origin_id {
    my ($res) = @_;
    return join '/', map { $res->header($_) // '' } qw(X-Origin-Conn X-Origin-Seq);
}

Apache::TestRequest::module('cache_socache');

# Miss, then hit without the origin.
my $count = "/count/sc-$run?cc=max-age%3D300";
my $r1 = GET $count;
like(xc($r1), qr/^MISS/, 'first request: miss');
my $r2 = GET $count;
like(xc($r2), qr/^HIT/, 'second request: hit');
is($r2->content, "count sc-$run 1\n", 'the hit is the stored response');
is(origin_count("sc-$run"), 1, 'the origin saw one request');

# Vary: each variant on its own.
my $vary = "/headers?Vary=X-Lang&Cache-Control=max-age%3D300&r=$run";
my $en1 = GET $vary, 'X-Lang' => 'en';
my $fr1 = GET $vary, 'X-Lang' => 'fr';
my $en2 = GET $vary, 'X-Lang' => 'en';
my $fr2 = GET $vary, 'X-Lang' => 'fr';
like(xc($en2), qr/^HIT/, 'en variant: hit');
is(origin_id($en2), origin_id($en1), 'en gets the en variant');
like(xc($fr2), qr/^HIT/, 'fr variant: hit');
is(origin_id($fr2), origin_id($fr1), 'fr gets the fr variant');

# An unsafe method removes the entry and every variant.
my $post = POST $vary, content => 'x';
like(xc($post), qr/^INVALIDATE/, 'POST invalidates');
like(xc(GET $vary, 'X-Lang' => 'en'), qr/^MISS/, 'en variant gone');
like(xc(GET $vary, 'X-Lang' => 'fr'), qr/^MISS/, 'fr variant gone');
POST $count, content => 'x';
like(xc(GET $count), qr/^MISS/, 'plain entry gone after POST');

# A body over one shmcb item (8000 bytes): stored in chunks, served whole.
my $big = "/bytes?n=50000&cc=max-age%3D300&r=$run";
my $b1 = GET $big;
like(xc($b1), qr/^MISS/, 'big body: miss');
my $b2 = GET $big;
like(xc($b2), qr/^HIT/, 'big body: hit');
is(length $b2->content, 50000, 'big body: whole length from the cache');
is(md5_hex($b2->content), bytes_md5(50000), 'big body: the same bytes');

# Over CacheSocacheMaxSize (60000): passes whole, never stored.
for my $chunked (0, 1) {
    my $over = "/bytes?n=70000&chunked=$chunked&cc=max-age%3D300&r=$run";
    my $o1 = GET $over;
    my $o2 = GET $over;
    is(md5_hex($o2->content), bytes_md5(70000),
       "over the maximum size (chunked=$chunked): body whole");
    like(xc($o2), qr/^MISS/, "over the maximum size (chunked=$chunked): not stored");
}

# CacheSocacheMaxSize 1000 in a <Location>: a 5000-byte body there is not
# stored, the same body elsewhere is.
{
    my $small = "/small/bytes?n=5000&cc=max-age%3D300&r=$run";
    GET $small;
    like(xc(GET $small), qr/^MISS/, 'a <Location> CacheSocacheMaxSize 1000: not stored');
    my $plain = "/bytes?n=5000&cc=max-age%3D300&r=$run";
    GET $plain;
    like(xc(GET $plain), qr/^HIT/, 'the same size outside it: stored');
}

# The stored expiry follows freshness: gone (a miss, not a revalidation)
# once stale with CacheSocacheMinTime 0; capped by CacheSocacheMaxTime 2.
sub first_not_hit {
    my ($url, $within) = @_;
    my $deadline = Time::HiRes::time() + $within;
    while (Time::HiRes::time() < $deadline) {
        my $x = xc(GET $url);
        return $x unless $x =~ /^HIT/;
        Time::HiRes::sleep(0.1);
    }
    return 'still a hit';
}
Apache::TestRequest::module('cache_socache_expire');
my $short = "/cond?etag=e1&cc=max-age%3D2&r=$run";
like(xc(GET $short), qr/^MISS/, 'expire: stored');
like(xc(GET $short), qr/^HIT/, 'expire: hit while fresh');
like(first_not_hit($short, 6), qr/^MISS/,
     'expire: gone from the store when stale (miss, not revalidate)');
my $long = "/cond?etag=e2&cc=max-age%3D300&r=$run";
GET $long;
my $t0 = Time::HiRes::time();
like(first_not_hit($long, 8), qr/^MISS/, 'max time: gone despite max-age=300');
cmp_ok(Time::HiRes::time() - $t0, '<', 6, 'max time: within about 2 s (CacheSocacheMaxTime)');

Apache::TestRequest::module('cache_socache');
my $kept = "/cond?etag=e3&cc=max-age%3D1&r=$run";
GET $kept;
like(first_not_hit($kept, 6), qr/^REVALIDATE/,
     'default minimum time: a stale entry stays and is revalidated');

ok(error_log_wait($mark, qr/RL06506: not storing/, 5),
   'the over-size response is logged as not stored');
my @bad = error_log_errors($mark);
is(scalar @bad, 0, 'no unexpected errors') or diag join "\n", @bad;
