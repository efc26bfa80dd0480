# Licensed under the Apache License, Version 2.0.
#
# CacheStatusHeader (t/conf/mod_cache_status.conf.in, vhost cache_status):
# the RFC 9211 Cache-Status member "Relay" says how each response was
# answered: a miss that is stored, a hit with its remaining freshness, a
# revalidation forced by the client or by staleness, a Vary miss, an
# unsafe method, a response not stored; it is never stored itself, and a
# server without the directive sends none. "stored" means the response was
# stored when its head left: a body still streaming then (vhost
# cache_status_stream) does not claim it, although it is stored at its
# end (the next request is a hit).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Time::HiRes ();

plan tests => 14;

my $run = "$$-" . time;

sub cs {
    my ($res) = @_;
    return join(', ', $res->headers->header('Cache-Status')) // '';
}

Apache::TestRequest::module('cache_status');

my $url = "/count/st-$run?cc=max-age%3D300";
is(cs(GET $url), 'Relay; fwd=uri-miss; fwd-status=200; stored',
   'first request: a stored miss');
my $hit = GET $url;
like(cs($hit), qr/^Relay; hit; ttl=(\d+)\z/, 'second: a hit with a ttl');
my ($ttl) = cs($hit) =~ /ttl=(\d+)/;
ok(defined $ttl && $ttl > 290 && $ttl <= 300, 'ttl is max-age less the age');

my $cond = "/cond?etag=%22s1%22&cc=max-age%3D300&r=$run";
GET $cond;
is(cs(GET $cond, 'Cache-Control' => 'no-cache'),
   'Relay; fwd=request; fwd-status=304',
   "client's no-cache on a fresh entry: fwd=request");

my $stale = "/cond?etag=%22s2%22&cc=max-age%3D1&r=$run";
GET $stale;
my $res;
my $deadline = Time::HiRes::time() + 10;
do {
    Time::HiRes::sleep(0.2);
    $res = GET $stale, 'Cache-Control' => 'only-if-cached';
} while ($res->code == 200 && Time::HiRes::time() < $deadline);
is(cs(GET $stale), 'Relay; fwd=stale; fwd-status=304',
   'stale entry revalidated: fwd=stale');

my $vary = "/headers?Vary=Accept-Language&Cache-Control=max-age%3D300&r=$run";
GET $vary, 'Accept-Language' => 'en';
like(cs(GET $vary, 'Accept-Language' => 'fr'), qr/^Relay; fwd=vary-miss;/,
     'another variant: fwd=vary-miss');
like(cs(GET $vary, 'Accept-Language' => 'en'), qr/^Relay; hit; /,
     'the stored variant: hit');

is(cs(GET "/headers?Cache-Control=private&r=$run"),
   'Relay; fwd=uri-miss; fwd-status=200', 'not storable: no "stored"');

like(cs(POST "/echo?r=$run", content => 'x'), qr/^Relay; fwd=method\b/,
     'unsafe method: fwd=method');

# Only this cache's member, once: the stored response does not carry it.
my @fields = (GET $url)->headers->header('Cache-Status');
is(scalar @fields, 1, 'one Cache-Status field on a hit');

Apache::TestRequest::module('cache_behaviour');
ok(!defined((GET "/count/st-$run-off?cc=max-age%3D300")->header('Cache-Status')),
   'without CacheStatusHeader: no Cache-Status');

# A body that streams in pieces: its head leaves before it is stored.
Apache::TestRequest::module('cache_status_stream');
my $slow = "/slowbody?ms=150&chunks=3&r=$run";
my $streamed = GET $slow;
is(length $streamed->content, 48, 'streamed body complete');
is(cs($streamed), 'Relay; fwd=uri-miss; fwd-status=200',
   'streamed: no "stored" before the body was complete');
like(cs(GET $slow), qr/^Relay; hit; /, 'yet it was stored at its end');
