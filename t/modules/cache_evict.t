# Licensed under the Apache License, Version 2.0.
#
# Eviction order of Relay's mod_mem_cache (t/conf/mod_cache_evict.conf.in:
# caches with room for two objects). Store a big object A (6000 bytes) and
# a small one B (100 bytes), hit A once, then store C: LRU evicts B, the
# least recently used; GDSF evicts A, whose hits per byte are lowest.
# With room for 50 objects and 200 stored one after the other, the store
# keeps the most recent ones and has evicted the first ones (an eviction
# compares a sample of the entries once there are more than 32).
# With 64 KiB filled by small objects, one of 60,000 bytes is stored (the
# evicted small ones give their room back as one block), one whose entry
# would exceed 64 KiB is declined without evicting anything, and small
# ones are stored again afterwards.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

plan tests => 19;

my $run = "$$-" . time;

sub xc {
    my ($url) = @_;
    return (GET $url)->header('X-Cache') // '';
}

for my $algo (qw(lru gdsf)) {
    Apache::TestRequest::module("cache_evict_$algo");
    my $a = "/bytes?n=6000&cc=max-age%3D300&r=$run-$algo-a";
    my $b = "/bytes?n=100&cc=max-age%3D300&r=$run-$algo-b";
    my $c = "/bytes?n=200&cc=max-age%3D300&r=$run-$algo-c";
    like(xc($a), qr/^MISS/, "$algo: A stored");
    like(xc($b), qr/^MISS/, "$algo: B stored");
    like(xc($a), qr/^HIT/, "$algo: A hit");
    xc($c);
    if ($algo eq 'lru') {
        like(xc($a), qr/^HIT/, 'lru: A (recently used) kept');
        like(xc($b), qr/^MISS/, 'lru: B (least recently used) evicted');
    }
    else {
        like(xc($b), qr/^HIT/, 'gdsf: B (small) kept');
        like(xc($a), qr/^MISS/, 'gdsf: A (big, few hits per byte) evicted');
    }
}

{
    Apache::TestRequest::module('cache_evict_many');
    my $url = sub { "/bytes?n=100&cc=max-age%3D300&r=$run-many-$_[0]" };
    xc($url->($_)) for 1 .. 200;
    my $recent = grep { xc($url->($_)) =~ /^HIT/ } 191 .. 200;
    is($recent, 10, 'many: the ten most recent objects are kept');
    my $first = grep { xc($url->($_)) =~ /^HIT/ } 1 .. 10;
    is($first, 0, 'many: the first ten were evicted');
}

{
    Apache::TestRequest::module('cache_evict_big');
    my $url = sub { "/bytes?n=$_[0]&cc=max-age%3D300&r=$run-big-$_[1]" };
    xc($url->(200, $_)) for 1 .. 150;
    like(xc($url->(200, 150)), qr/^HIT/, 'big: 64 KiB filled with small objects');
    like(xc($url->(60000, 'a')), qr/^MISS/, 'big: 60,000 bytes fetched');
    like(xc($url->(60000, 'a')), qr/^HIT/,
         'big: ... and stored, in room freed by small objects');
    my $r = GET $url->(65500, 'b');
    ok($r->code == 200 && length($r->content) == 65500,
       'big: an object whose entry exceeds 64 KiB is served');
    like(xc($url->(65500, 'b')), qr/^MISS/, 'big: ... but not stored');
    like(xc($url->(60000, 'a')), qr/^HIT/,
         'big: ... and nothing was evicted for it');
    xc($url->(200, "again-$_")) for 1 .. 5;
    like(xc($url->(200, 'again-5')), qr/^HIT/,
         'big: small objects are stored again');
}
