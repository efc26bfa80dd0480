# Licensed under the Apache License, Version 2.0.
#
# Where the cache runs (t/conf/mod_cache_phase.conf.in). With
# CacheQuickHandler off the lookup runs in the handler phase, after access
# control: a stored entry of a <Location> that requires X-Let-In: yes is
# not served to a request without it (403), while with the quick handler
# (the default) the same entry is, as stock documents. A CACHE filter
# placed before DEFLATE (SetOutputFilter CACHE;DEFLATE) stores the
# response as it was before compression: one entry then answers a gzip
# client (compressed on the way out) and a plain one.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

use lib 't/lib';
use Relay::Test qw(error_log_mark error_log_since bytes_pattern origin_count);

plan tests => 14;

my $run = "$$-" . time;
my $mark = error_log_mark();

for my $phase ('handler', 'quick') {
    Apache::TestRequest::module("cache_phase_$phase");
    my $name = "$phase-$run";
    my $url = "/count/$name?cc=max-age%3D300";
    my $in = GET $url, 'X-Let-In' => 'yes';
    is($in->code, 200, "$phase: allowed request fetched");
    like((GET $url, 'X-Let-In' => 'yes')->header('X-Cache') // '', qr/^HIT/,
         "$phase: and stored");
    my $out = GET $url;
    if ($phase eq 'handler') {
        is($out->code, 403, 'CacheQuickHandler off: a denied request gets 403');
        unlike($out->content, qr/count \Q$name\E/, 'and not the stored body');
    }
    else {
        is($out->code, 200, 'CacheQuickHandler on: a hit skips access control');
        like($out->header('X-Cache') // '', qr/^HIT/, 'from the cache');
    }
}

Apache::TestRequest::module('cache_phase_placed');
my $url = "/bytes?n=4000&cc=max-age%3D300&r=$run";
my $gz = GET $url, 'Accept-Encoding' => 'gzip';
is($gz->header('Content-Encoding') // '', 'gzip', 'gzip client: compressed');
like($gz->header('X-Cache') // '', qr/^MISS/, 'a miss');
my $plain = GET $url;
like($plain->header('X-Cache') // '', qr/^HIT/,
     'plain client: a hit on the entry stored before DEFLATE');
ok(!defined $plain->header('Content-Encoding') &&
   $plain->content eq bytes_pattern(4000), 'with the plain body');
my $gz2 = GET $url, 'Accept-Encoding' => 'gzip';
ok(($gz2->header('X-Cache') // '') =~ /^HIT/ &&
   ($gz2->header('Content-Encoding') // '') eq 'gzip' &&
   $gz2->decoded_content eq bytes_pattern(4000),
   'gzip client again: a hit, compressed on the way out');
is_deeply([grep { /unknown filter/ } error_log_since($mark)], [],
          'CACHE is a known filter');
