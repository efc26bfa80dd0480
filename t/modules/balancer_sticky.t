# Licensed under the Apache License, Version 2.0.
#
# Sticky sessions of balancer:// (t/conf/proxy_balancer.conf.in, vhost
# balancer_sticky; stickysession=ROUTEID, members with route=):
#  - the cookie ROUTEID=session.route sends every request to the member of
#    that route; so do the URL forms ;ROUTEID=... and ?ROUTEID=...;
#  - BALANCER_SESSION_STICKY, BALANCER_SESSION_ROUTE and
#    BALANCER_WORKER_ROUTE are set; BALANCER_ROUTE_CHANGED only when the
#    route's member could not serve;
#  - the route's member down: another member serves (route changed); with
#    nofailover=On the answer is 503 instead (RL05001).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;
use Relay::Client;

plan tests => 14;

Apache::TestRequest::module('balancer_sticky');
my $port = vhost_port('balancer_sticky');

sub hdr { my ($res, $name) = @_; return (header_values($res, $name))[0] // '' }

# Members that served $n requests of $path with the given header fields,
# on one connection.
sub served {
    my ($path, $n, @fields) = @_;
    my $c = Relay::Client->new($port);
    my @out;
    for (1 .. $n) {
        my $res = $c->get($path, @fields);
        push @out, $res && $res->{status} == 200
            && $res->{body} =~ m{^target: /echo/(\w+)/}m ? $1 : 'error';
    }
    $c->disconnect;
    return "@out";
}

is(served('/st/a', 4), 'r1 r2 r1 r2',
   'without a session the members take turns');
is(served('/st/a', 4, Cookie => 'ROUTEID=abc.r2'), 'r2 r2 r2 r2',
   'cookie ROUTEID=abc.r2: always the member of route r2');
is(served('/st/a', 4, Cookie => 'other=1; ROUTEID=abc.r1'), 'r1 r1 r1 r1',
   'cookie among others: route r1');
is(served('/st/a;ROUTEID=xyz.r2', 3), 'r2 r2 r2',
   'path parameter ;ROUTEID=xyz.r2: route r2');
is(served('/st/a?x=1&ROUTEID=xyz.r1', 3), 'r1 r1 r1',
   'query parameter ROUTEID=xyz.r1: route r1');

my $c = Relay::Client->new($port);
my $res = $c->get('/st/a', Cookie => 'ROUTEID=abc.r2');
is(hdr($res, 'X-Session-Sticky'), 'ROUTEID', 'BALANCER_SESSION_STICKY');
is(hdr($res, 'X-Session-Route'), 'r2', 'BALANCER_SESSION_ROUTE');
is(hdr($res, 'X-Worker-Route'), 'r2', 'BALANCER_WORKER_ROUTE');
is(hdr($res, 'X-Route-Changed'), '', 'no BALANCER_ROUTE_CHANGED');
$c->disconnect;

$c = Relay::Client->new($port);
$res = $c->get('/stdead/a', Cookie => 'ROUTEID=abc.d1');
is($res->{status}, 200, 'the route\'s member down: still 200');
like($res->{body}, qr{^target: /echo/d2/a$}m, 'served by the other member');
is(hdr($res, 'X-Route-Changed'), '1', 'BALANCER_ROUTE_CHANGED is set');
$c->disconnect;

# nofailover: the route's member is first put in error by a request
# without a session on the same connection (one child), then the session
# of its route gets 503.
my $mark = error_log_mark();
$c = Relay::Client->new($port);
$c->get('/stnofo/a');
$res = $c->get('/stnofo/a', Cookie => 'ROUTEID=abc.n1');
is($res->{status}, 503, 'nofailover=On: the route\'s member down gives 503');
ok(error_log_wait($mark, qr/RL05001: balancer balancer:\/\/stnofo/),
   'logged as RL05001');
$c->disconnect;
