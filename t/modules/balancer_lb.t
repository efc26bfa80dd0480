# Licensed under the Apache License, Version 2.0.
#
# balancer:// load balancing (t/conf/proxy_balancer.conf.in, vhost
# balancer_lb): byrequests follows loadfactor 3:1; BalancerMember outside
# <Proxy> and ProxySet lbmethod=bybusyness work; BALANCER_NAME and
# BALANCER_WORKER_NAME reach mod_headers. Member state is per child
# process, so each run of requests goes over one client connection (one
# child serves it all): byrequests then gives 30/10 over 40 requests,
# within one request whatever state earlier requests left; the check
# allows 2.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;
use Relay::Client;

plan tests => 9;

Apache::TestRequest::module('balancer_lb');
my $port = vhost_port('balancer_lb');
my $origin = origin_port();

# Which member served each of $n requests for $path on one connection.
sub members {
    my ($path, $n) = @_;
    my $c = Relay::Client->new($port);
    my (%count, @bad, @workers);
    for (1 .. $n) {
        my $res = $c->get($path);
        if (!$res || $res->{status} != 200
            || $res->{body} !~ m{^target: /echo/(\w+)/}m) {
            push @bad, $res ? $res->{status} : 'none';
            next;
        }
        $count{$1}++;
        push @workers, header_values($res, 'X-Balancer-Worker');
    }
    $c->disconnect;
    return (\%count, \@bad, \@workers);
}

my ($count, $bad, $workers) = members('/lb/x', 40);
is("@$bad", '', 'every request through balancer://lb31 answered 200');
my $m1 = $count->{m1} // 0;
my $m2 = $count->{m2} // 0;
ok(abs($m1 - 30) <= 2 && abs($m2 - 10) <= 2 && $m1 + $m2 == 40,
   "loadfactor 3:1 over 40 requests gives 30/10 within 2 (got $m1/$m2)");

my %seen = map { $_ => 1 } @$workers;
ok($seen{"http://127.0.0.1:$origin/echo/m1"}
       && $seen{"http://127.0.0.1:$origin/echo/m2"} && keys %seen == 2,
   'BALANCER_WORKER_NAME names the member that served')
    or diag(join ' ', sort keys %seen);

my $c = Relay::Client->new($port);
my $res = $c->get('/lb/y');
is((header_values($res, 'X-Balancer-Name'))[0], 'balancer://lb31',
   'BALANCER_NAME is the balancer');
like($res->{body}, qr{^target: /echo/m[12]/y$}m,
     'the path after the balancer URL follows the member URL');
$c->disconnect;

($count, $bad) = members('/out/z', 10);
is("@$bad", '', 'BalancerMember outside <Proxy>: every request 200');
ok(($count->{o1} // 0) == 5 && ($count->{o2} // 0) == 5,
   'bybusyness with nothing busy alternates equal members '
   . "(got @{[ $count->{o1} // 0 ]}/@{[ $count->{o2} // 0 ]})");

# The query string reaches the member.
$res = Apache::TestRequest::GET('/lb/q?a=1&b=2');
is($res->code, 200, 'a request with a query is served');
like($res->content, qr{^target: /echo/m[12]/q\?a=1&b=2$}m,
     'the query string follows the member URL');
