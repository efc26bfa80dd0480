# Licensed under the Apache License, Version 2.0.
#
# What Relay's mod_cache stores and for how long
# (t/conf/mod_cache_behaviour.conf.in): max-age and a future Expires give
# hits; an Expires in the past, private and no-store are not stored (with
# the reason in X-Cache-Detail); without expiry a validator is enough under
# CacheDefaultExpire (3600); with CacheMaxExpire 0 / CacheDefaultExpire 0
# (vhost cache_expire_zero) such responses responses are never served as hits;
# CacheDisable keeps a path out of the cache altogether and
# CacheIgnoreHeaders keeps Set-Cookie out of stored responses (vhost
# cache_disable).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use POSIX qw(strftime);

use Relay::Test ();

plan tests => 20;

my $run = "$$-" . time;

sub q_enc {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# Two GETs; the X-Cache and X-Cache-Detail of the second.
sub twice {
    my ($url) = @_;
    GET $url;
    my $r = GET $url;
    return ($r->header('X-Cache') // '', $r->header('X-Cache-Detail') // '');
}

my $future = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime(time + 600));
my $past = 'Thu, 01 Jan 2015 00:00:00 GMT';

Apache::TestRequest::module('cache_behaviour');
my ($x, $d) = twice("/headers?Cache-Control=max-age%3D300&r=$run-ma");
like($x, qr/^HIT/, 'max-age: hit');
($x) = twice('/headers?Expires=' . q_enc($future) . "&r=$run-exp");
like($x, qr/^HIT/, 'future Expires: hit');
($x, $d) = twice('/headers?Expires=' . q_enc($past) . "&r=$run-past");
like($x, qr/^MISS/, 'past Expires: not stored');
like($d, qr/expir/i, 'detail says why');
($x, $d) = twice("/headers?Cache-Control=private%2C%20max-age%3D300&r=$run-priv");
like($x, qr/^MISS/, 'private: not stored');
like($d, qr/private/i, 'detail says private');
($x, $d) = twice("/headers?Cache-Control=no-store%2C%20max-age%3D300&r=$run-ns");
like($x, qr/^MISS/, 'no-store: not stored');
($x) = twice("/cond/d-$run");
like($x, qr/^HIT/, 'validator only: fresh for CacheDefaultExpire');

Apache::TestRequest::module('cache_expire_zero');
($x) = twice("/cond?etag=%22z%22&cc=max-age%3D300&r=$run-zero");
unlike($x, qr/^HIT/, 'CacheMaxExpire 0 caps max-age: never a hit');
($x) = twice("/cond/z-$run");
unlike($x, qr/^HIT/, 'CacheDefaultExpire 0: never a hit');
like($x, qr/^REVALIDATE/, 'but revalidated');

Apache::TestRequest::module('cache_disable');
my $r = GET "/echo/nocache/x?r=$run";
is($r->code, 200, 'disabled path served');
ok(!defined $r->header('X-Cache'), 'CacheDisable: the cache is not involved');
ok(defined((GET "/echo/x?r=$run")->header('X-Cache')), 'other paths are');
# Every spelling of a disabled path is that path: none is cached (under
# the key they share, a stored one would answer the disabled path too).
{
    my $port = Relay::Test::vhost_port('cache_disable');
    for my $path ('/lastmod/90000/%70rivate', '//lastmod/90000/private',
                  '/lastmod/90000/x/../private', '/lastmod/90000/%2e/private',
                  '/lastmod//90000/private') {
        my $target = "$path-$run";
        my @seen;
        for (1 .. 2) {
            my ($raw) = Relay::Test::raw_request($port, "GET $target "
                . "HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 10);
            my $res = Relay::Test::parse_response($raw) // { status => 0,
                headers => [] };
            push @seen, "$res->{status} " . join(',',
                Relay::Test::header_values($res, 'X-Cache'));
        }
        is("@seen", '200  200 ', "CacheDisable: $path is not cached");
    }
}
GET "/headers?Set-Cookie=s%3D1&Cache-Control=max-age%3D300&r=$run";
my $hit = GET "/headers?Set-Cookie=s%3D1&Cache-Control=max-age%3D300&r=$run";
ok(($hit->header('X-Cache') // '') =~ /^HIT/ && !defined $hit->header('Set-Cookie'),
    'CacheIgnoreHeaders Set-Cookie: hit without the cookie');
