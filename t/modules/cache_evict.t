# Licensed under the Apache License, Version 2.0.
#
# Eviction order of Relay's mod_mem_cache (t/conf/mod_cache_evict.conf.in:
# caches with room for two objects). Store a big object A (6000 bytes) and
# a small one B (100 bytes), hit A once, then store C: LRU evicts B, the
# least recently used; GDSF evicts A, whose hits per byte are lowest.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

plan tests => 10;

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
