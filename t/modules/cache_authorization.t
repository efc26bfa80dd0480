# Licensed under the Apache License, Version 2.0.
#
# Responses to requests with Authorization, RFC 9111 §3.5: with
# CacheQuickHandler off (t/conf/mod_cache_phase.conf.in, vhost
# cache_phase_handler) they are stored only when the response says public,
# s-maxage or must-revalidate. With the quick handler (vhost
# cache_behaviour), which runs before authentication, a request with
# Authorization bypasses the cache altogether, as stock: it is not
# answered from the cache and its response is not stored.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

plan tests => 6;

my $run = "$$-" . time;
my @auth = (Authorization => 'Basic dXNlcjpwYXNz');

sub stored_after_auth {
    my ($cc) = @_;
    my $url = "/headers?Cache-Control=" . $cc . "&r=$run-" . length($cc);
    GET $url, @auth;
    return ((GET $url)->header('X-Cache') // '') =~ /^HIT/ ? 1 : 0;
}

Apache::TestRequest::module('cache_phase_handler');
is(stored_after_auth('max-age%3D300'), 0, 'max-age only: not stored');
is(stored_after_auth('public%2C%20max-age%3D300'), 1, 'public: stored');
is(stored_after_auth('s-maxage%3D300'), 1, 's-maxage: stored');
is(stored_after_auth('max-age%3D300%2C%20must-revalidate'), 1,
   'must-revalidate: stored');

Apache::TestRequest::module('cache_behaviour');
is(stored_after_auth('public%2C%20max-age%3D300'), 0,
   'quick handler: not stored even with public');
my $url = "/headers?Cache-Control=public%2C%20max-age%3D300&r=$run-q";
my $first = GET $url;
my $authed = GET $url, @auth;
my $id = sub { join '/', map { $_[0]->header($_) // '' } qw(X-Origin-Conn X-Origin-Seq) };
ok(!defined $authed->header('X-Cache') && $id->($authed) ne $id->($first),
   'quick handler: a request with Authorization is not answered from the cache');
