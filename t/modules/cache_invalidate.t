# Licensed under the Apache License, Version 2.0.
#
# Invalidation by unsafe methods through Relay's mod_cache
# (t/conf/mod_cache_behaviour.conf.in, vhost cache_behaviour): a POST,
# PUT or DELETE answered 2xx removes the stored URL (X-Cache INVALIDATE)
# and the same-origin URL its Location names; the next GET goes to the
# origin. A GET with a different query is another entry and stays.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST PUT);
use HTTP::Request ();

plan tests => 10;

Apache::TestRequest::module('cache_behaviour');
my $hostport = Apache::TestRequest::hostport();
my $run = "$$-" . time;

sub stored {
    my ($url) = @_;
    GET $url;
    my $r = GET $url;
    return ($r->header('X-Cache') // '') =~ /^HIT/;
}

my $url = "/headers?Cache-Control=max-age%3D300&r=$run";
ok(stored($url), 'entry stored');
my $other = "/headers?Cache-Control=max-age%3D300&r=$run-other";
ok(stored($other), 'another entry stored');
my $p = POST $url, content => 'x=1';
is($p->code, 200, 'POST answered');
like($p->header('X-Cache') // '', qr/^INVALIDATE/, 'X-Cache INVALIDATE');
my $after = GET $url;
like($after->header('X-Cache') // '', qr/^MISS/, 'GET after POST is a miss');
like((GET $other)->header('X-Cache') // '', qr/^HIT/, 'other entry untouched');

ok(stored($url), 'stored again');
my $d = Apache::TestRequest::user_agent()->request(
    HTTP::Request->new(DELETE => "http://$hostport$url"));
like($d->header('X-Cache') // '', qr/^INVALIDATE/, 'DELETE invalidates');
like((GET $url)->header('X-Cache') // '', qr/^MISS/, 'GET after DELETE is a miss');

# Location of a same-origin URL is invalidated too.
my $target = "/headers?Cache-Control=max-age%3D300&r=$run-loc";
stored($target);
(my $enc = "http://$hostport$target") =~ s/([^A-Za-z0-9\/:.\-])/sprintf('%%%02X', ord $1)/ge;
POST "/redirect?code=201&to=$enc", content => 'y=1';
like((GET $target)->header('X-Cache') // '', qr/^MISS/,
    'URL named by Location invalidated');
