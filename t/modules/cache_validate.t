# Licensed under the Apache License, Version 2.0.
#
# Revalidation and conditional requests through Relay's mod_cache
# (t/conf/mod_cache_behaviour.conf.in, vhost cache_behaviour): a stale
# entry (the client's max-age=0 forces it) goes to the origin with
# If-None-Match from the stored ETag, or If-Modified-Since from the stored
# Last-Modified; the origin's 304 refreshes the entry and the client gets
# the stored 200 (X-Cache REVALIDATE); a client's own If-None-Match on a
# fresh entry is answered 304 from the cache; a no-store request bypasses
# the cache; only-if-cached on a miss is a 504.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

plan tests => 21;

Apache::TestRequest::module('cache_behaviour');
my $run = "$$-" . time;

sub origin_id {
    my ($res) = @_;
    return join '/', map { $res->header($_) // '' } qw(X-Origin-Conn X-Origin-Seq);
}

# ETag validation.
my $url = "/cond?etag=%22v1%22&cc=max-age%3D300&r=$run";
my $a = GET $url;
is($a->code, 200, 'first fetch');
like($a->header('X-Cache') // '', qr/^MISS/, 'first is a MISS');
my $b = GET $url, 'Cache-Control' => 'max-age=0';
is($b->code, 200, 'forced revalidation answered 200 to the client');
like($b->header('X-Cache') // '', qr/^REVALIDATE/, 'X-Cache REVALIDATE');
is($b->content, "cond\n", 'stored body served after the 304');
is($b->header('X-Seen-INM'), '"v1"', 'origin saw If-None-Match from the stored ETag');
isnt(origin_id($b), origin_id($a),
    'headers refreshed from the 304 (another origin connection or request)');
my $c = GET $url;
like($c->header('X-Cache') // '', qr/^HIT/, 'refreshed entry is a hit');
is(origin_id($c), origin_id($b), 'the hit carries the refreshed headers');

# A client's conditional request answered from the cache.
my $d = GET $url, 'If-None-Match' => '"v1"';
is($d->code, 304, 'If-None-Match matching the stored ETag: 304');
like($d->header('X-Cache') // '', qr/^HIT/, '304 came from the cache');
my $e = GET $url, 'If-None-Match' => '"other"';
is($e->code, 200, 'If-None-Match not matching: 200');

# Last-Modified validation.
my $lm = 'Mon, 02 Jan 2023 03:04:05 GMT';
(my $lm_q = $lm) =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
my $lurl = "/cond?lm=$lm_q&cc=max-age%3D300&r=$run";
GET $lurl;
my $f = GET $lurl, 'Cache-Control' => 'no-cache';
like($f->header('X-Cache') // '', qr/^REVALIDATE/, 'no-cache forces revalidation');
is($f->header('X-Seen-IMS'), $lm, 'origin saw If-Modified-Since from Last-Modified');
is($f->content, "cond\n", 'stored body after the 304');

# no-store in the request: the cache is not used at all.
my $g = GET $url, 'Cache-Control' => 'no-store';
ok(!defined $g->header('X-Cache') || $g->header('X-Cache') !~ /HIT/,
    'no-store request not served from the cache');
is($g->header('X-Seen-INM'), '-', 'and sent without validators');

# only-if-cached.
my $h = GET "/cond?etag=%22x%22&cc=max-age%3D300&r=$run-absent",
    'Cache-Control' => 'only-if-cached';
is($h->code, 504, 'only-if-cached on a miss: 504');
my $i = GET $url, 'Cache-Control' => 'only-if-cached';
is($i->code, 200, 'only-if-cached on a hit: 200');

# The origin changes the entity: a 200 replaces the entry.
my $new = "/cond?etag=%22v2%22&cc=max-age%3D300&r=$run";
my $j = GET $new;
my $k = GET $new, 'Cache-Control' => 'max-age=0', 'X-Unused' => 1;
like($k->header('X-Cache') // '', qr/^REVALIDATE/, 'second entity revalidated');
is($k->header('ETag'), '"v2"', 'with its own validator');
