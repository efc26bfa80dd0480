# Licensed under the Apache License, Version 2.0.
#
# Freshness, key and storing directives of Relay's mod_cache through httpd
# (t/conf/mod_cache_status.conf.in): heuristic freshness from
# Last-Modified scaled by CacheLastModifiedFactor, raised to CacheMinExpire
# and capped by CacheMaxExpire (read from Cache-Status ttl);
# CacheIgnoreQueryString; CacheIgnoreURLSessionIdentifiers;
# CacheIgnoreCacheControl; CacheStorePrivate; CacheStoreNoStore. The
# origin's /count/NAME body says how many requests reached it.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

plan tests => 16;

my $run = "$$-" . time;

sub ttl {
    my ($res) = @_;
    my ($t) = ($res->header('Cache-Status') // '') =~ /; ttl=(-?\d+)/;
    return $t // -1;
}

sub hit_ttl {
    my ($path) = @_;
    GET $path;
    return ttl(GET $path);
}

# Heuristic freshness: 10% of the time since Last-Modified.
Apache::TestRequest::module('cache_status');
my $t = hit_ttl("/lastmod/100/d-$run");
ok($t >= 0 && $t <= 10, "default: 100 s old gives about 10 s (ttl $t)");
Apache::TestRequest::module('cache_heuristic');
$t = hit_ttl("/lastmod/100/h-$run");
ok($t > 100 && $t <= 120, "CacheMinExpire 120 raises it (ttl $t)");
$t = hit_ttl("/lastmod/20000/f-$run");
ok($t > 1980 && $t <= 2000, "CacheLastModifiedFactor 0.1 of 20000 s (ttl $t)");
$t = hit_ttl("/lastmod/8640000/m-$run");
ok($t > 86000 && $t <= 86400, "CacheMaxExpire 86400 caps it (ttl $t)");

# CacheIgnoreQueryString: one entry whatever the query.
Apache::TestRequest::module('cache_keys');
GET "/count/q-$run?cc=max-age%3D300&a=1";
my $r = GET "/count/q-$run?cc=max-age%3D300&a=2";
like($r->header('X-Cache') // '', qr/^HIT/, 'CacheIgnoreQueryString: hit');
is($r->content, "count q-$run 1\n", 'the first answer');
Apache::TestRequest::module('cache_status');
GET "/count/q2-$run?cc=max-age%3D300&a=1";
$r = GET "/count/q2-$run?cc=max-age%3D300&a=2";
is($r->content, "count q2-$run 2\n", 'without it: another entry');

# CacheIgnoreURLSessionIdentifiers: session ids are not part of the key.
Apache::TestRequest::module('cache_session');
GET "/count/s-$run?cc=max-age%3D300&jsessionid=A";
$r = GET "/count/s-$run?cc=max-age%3D300&jsessionid=B";
is($r->content, "count s-$run 1\n", 'jsessionid ignored: same entry');
$r = GET "/count/s-$run?cc=max-age%3D300&sid=C";
is($r->content, "count s-$run 1\n", 'sid ignored too');
$r = GET "/count/s-$run?cc=max-age%3D300&other=D";
is($r->content, "count s-$run 2\n", 'another argument: another entry');

# CacheIgnoreCacheControl: a client's no-cache gets the stored answer.
Apache::TestRequest::module('cache_store_all');
GET "/count/i-$run?cc=max-age%3D300";
$r = GET "/count/i-$run?cc=max-age%3D300", 'Cache-Control' => 'no-cache',
    'Pragma' => 'no-cache';
is($r->content, "count i-$run 1\n", 'CacheIgnoreCacheControl: no-cache served from the cache');
Apache::TestRequest::module('cache_status');
GET "/count/i2-$run?cc=max-age%3D300";
$r = GET "/count/i2-$run?cc=max-age%3D300", 'Cache-Control' => 'no-cache';
is($r->content, "count i2-$run 2\n", 'without it: no-cache goes to the origin');

# CacheStorePrivate / CacheStoreNoStore.
Apache::TestRequest::module('cache_store_all');
GET "/count/p-$run?cc=private%2C%20max-age%3D300";
$r = GET "/count/p-$run?cc=private%2C%20max-age%3D300";
like($r->header('X-Cache') // '', qr/^HIT/, 'CacheStorePrivate: private stored');
is($r->content, "count p-$run 1\n", 'the stored answer');
GET "/count/n-$run?cc=no-store%2C%20max-age%3D300";
$r = GET "/count/n-$run?cc=no-store%2C%20max-age%3D300";
like($r->header('X-Cache') // '', qr/^HIT/, 'CacheStoreNoStore: no-store stored');
is($r->content, "count n-$run 1\n", 'the stored answer');
