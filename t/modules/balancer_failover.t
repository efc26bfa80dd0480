# Licensed under the Apache License, Version 2.0.
#
# balancer:// members that cannot be reached (t/conf/proxy_balancer.conf.in,
# vhost balancer_failover; members on RELAY_DEAD_PORT are down):
#  - a hot standby (+H) serves nothing while the other member is up, and
#    everything once the other is down, without a client-visible error;
#  - failover: with one of two members down every request is answered
#    200 by the other, and the failed connect is logged (RL05002);
#  - with every member down the answer is 503 with the ErrorDocument, and
#    RL05003 is logged;
#  - ProxyPassReverse to a balancer maps Location through every member URL.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;
use Relay::Client;

plan tests => 11;

Apache::TestRequest::module('balancer_failover');
my $port = vhost_port('balancer_failover');
my $origin = origin_port();
my $dead = dead_port();

# Targets the origin saw for $n requests of $path on one connection, or
# "status N" for a response that was not 200.
sub targets {
    my ($path, $n) = @_;
    my $c = Relay::Client->new($port);
    my @out;
    for (1 .. $n) {
        my $res = $c->get($path);
        push @out, !$res ? 'none'
            : $res->{status} != 200 ? "status $res->{status}"
            : $res->{body} =~ m{^target: (\S+)}m ? $1 : 'no target';
        last if $c->closed;
    }
    $c->disconnect;
    return @out;
}

my @t = targets('/sbup/a', 6);
is(scalar(grep { $_ eq '/echo/primary/a' } @t), 6,
   'hot standby unused while the other member is up') or diag("@t");

my $mark = error_log_mark();
@t = targets('/sbdown/a', 6);
is(scalar(grep { $_ eq '/echo/standby/a' } @t), 6,
   'hot standby serves every request once the other member is down')
    or diag("@t");

@t = targets('/fo/b', 8);
is(scalar(grep { $_ eq '/echo/alive/b' } @t), 8,
   'one member down: every request served by the other, no error')
    or diag("@t");
ok(error_log_wait($mark, qr/RL05002: balancer balancer:\/\/fo: member \Qhttp:\/\/127.0.0.1:$dead\E/),
   'the unreachable member is logged (RL05002)');

# A POST fails over too: nothing was sent to the member that failed.
my $res = Apache::TestRequest::POST('/fo/post', content => 'payload');
is($res->code, 200, 'a POST fails over as well');
like($res->content, qr{^body-length: 7$}m, 'with its body intact');

$mark = error_log_mark();
$res = Apache::TestRequest::GET('/alldown/x');
is($res->code, 503, 'every member down: 503');
like($res->content, qr/no balancer member could serve/,
     'the ErrorDocument for 503 is shown');
ok(error_log_wait($mark, qr/RL05003: balancer balancer:\/\/alldown/),
   'logged as RL05003');

$res = Apache::TestRequest::GET(
    "/rv/redirect?to=http://127.0.0.1:$origin/echo/r",
    redirect_ok => 0);
like($res->header('Location') // '', qr{^http://[^/]+:$port/rv/echo/r$},
     'ProxyPassReverse maps the first member URL back');
$res = Apache::TestRequest::GET(
    "/rv/redirect?to=http://127.0.0.1:$dead/elsewhere",
    redirect_ok => 0);
like($res->header('Location') // '', qr{^http://[^/]+:$port/rv/elsewhere$},
     'and every other member URL (even a disabled one)');
