# Licensed under the Apache License, Version 2.0.
#
# Incomplete bodies are never stored, and stale entries answer when the
# origin fails (t/conf/mod_cache_behaviour.conf.in, vhost cache_abort, with
# CacheIgnoreNoLastMod On so that the canned responses would be storable):
# an origin that closes mid-body leaves nothing in the cache (the next
# request is a miss again, the client saw the cut); and with the client's
# max-age=0 forcing revalidation of a stored entry whose origin answers 5xx,
# CacheStaleOnError serves the stale copy with Warning 111 (and with it
# off the error goes through). Two gateways share keys by CacheKeyBaseURL
# (vhosts cache_stale_live, cache_stale_dead, cache_stale_off).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use Relay::Test ();

plan tests => 12;

Apache::TestRequest::module('cache_abort');
my $port = Apache::TestRequest::hostport() =~ s/.*://r;

my $req = "GET /raw/truncated HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
my $first = Relay::Test::raw_request($port, $req, 10);
like($first, qr/^HTTP\/1\.1 200/, 'truncated response started');
like($first, qr/X-Cache: MISS/, 'as a miss');
my $second = Relay::Test::raw_request($port, $req, 10);
like($second, qr/X-Cache: MISS/, 'cut body was not stored');
unlike($second, qr/X-Cache: HIT/, 'never a hit');

# CacheKeyBaseURL gives two gateways one key space: store through the
# live one, revalidate through the one whose origin is down.
my $run = "$$-" . time;
my $url = "/cond?etag=%22s1%22&cc=max-age%3D300&r=$run";
Apache::TestRequest::module('cache_stale_live');
GET $url;
like((GET $url)->header('X-Cache') // '', qr/^HIT/, 'stored through the live gateway');
Apache::TestRequest::module('cache_stale_dead');
like((GET $url)->header('X-Cache') // '', qr/^HIT/,
    'CacheKeyBaseURL: the other gateway finds it');
my $mark = Relay::Test::error_log_mark();
my $stale = GET $url, 'Cache-Control' => 'max-age=0';
is($stale->code, 200, 'origin down during revalidation: stale entry served');
is($stale->content, "cond\n", 'with the stored body');
like($stale->header('Warning') // '', qr/^111 /, 'and Warning 111');
Apache::TestRequest::module('cache_stale_off');
my $off = GET $url, 'Cache-Control' => 'max-age=0';
is($off->code, 503, 'CacheStaleOnError off: the error goes through');
ok(Relay::Test::error_log_wait($mark, qr/RL01014:/, 5),
    'the unreachable origin was logged (RL01014)');
is_deeply([Relay::Test::error_log_errors($mark, 'RL01014', 'RL01002', 'RL01012')],
    [], 'no other errors');
