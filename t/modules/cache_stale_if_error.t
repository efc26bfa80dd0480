# Licensed under the Apache License, Version 2.0.
#
# stale-if-error (RFC 5861 §4) with CacheStaleOnError off
# (t/conf/mod_cache_stale.conf.in): a stored response's stale-if-error, or
# the request's, lets the stored entry answer in place of a 500, 502, 503
# or 504 from the origin and when the origin cannot be reached, with
# Warning 111; any other error (501) goes through and leaves the entry in
# place; without a stale-if-error the error goes through. The entries of
# /count have no validators: they are fetched anew, not revalidated, and
# still answer on error. The client's max-age=0 sends each request to the
# origin while the entry is fresh enough for the window.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

use lib 't/lib';
use Relay::Test qw(error_log_mark error_log_wait error_log_errors);

plan tests => 16;

my $run = "$$-" . time;
my $sie = 'cc=max-age%3D300%2C%20stale-if-error%3D60';

Apache::TestRequest::module('cache_sie');

# The stored response's stale-if-error.
my $name = "sie-$run";
is((GET "/count/$name?$sie")->content, "count $name 1\n", 'stored');
for my $status (500, 502, 503, 504) {
    my $res = GET "/count/$name?status=$status", 'Cache-Control' => 'max-age=0';
    is($res->code . ' ' . $res->content, "200 count $name 1\n",
       "origin $status: the stale entry answers");
}
my $res = GET "/count/$name?status=503", 'Cache-Control' => 'max-age=0';
like($res->header('Warning') // '', qr/^111 /, 'with Warning 111');
like($res->header('Cache-Status') // '', qr/fwd-status=503/,
     'Cache-Status names the origin status');
$res = GET "/count/$name?status=501", 'Cache-Control' => 'max-age=0';
is($res->code, 501, 'origin 501: not an error of RFC 5861, it goes through');
like((GET "/count/$name")->header('X-Cache') // '', qr/^HIT/,
     'the error left the entry in place');

# The request's stale-if-error.
$name = "req-$run";
GET "/count/$name?cc=max-age%3D300";
$res = GET "/count/$name?status=500", 'Cache-Control' => 'max-age=0';
is($res->code, 500, 'no stale-if-error anywhere: the error goes through');
$res = GET "/count/$name?status=500",
    'Cache-Control' => 'max-age=0, stale-if-error=60';
is($res->code . ' ' . $res->content, "200 count $name 1\n",
   "the request's stale-if-error: the stale entry answers");

# An origin that cannot be reached (the second gateway has none).
$name = "dead-$run";
GET "/count/$name?$sie";
Apache::TestRequest::module('cache_sie_dead');
my $mark = error_log_mark();
$res = GET "/count/$name", 'Cache-Control' => 'max-age=0';
is($res->code . ' ' . $res->content, "200 count $name 1\n",
   'origin unreachable: the stale entry answers');
like($res->header('Warning') // '', qr/^111 /, 'with Warning 111');
$res = GET "/count/unstored-$run", 'Cache-Control' => 'max-age=0';
is($res->code, 503, 'nothing stored: the error goes through');
ok(error_log_wait($mark, qr/RL01014:/, 5),
   'the unreachable origin was logged (RL01014)');
is_deeply([error_log_errors($mark, 'RL01014', 'RL01002', 'RL01012')], [],
          'no other errors');
