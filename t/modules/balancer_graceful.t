# Licensed under the Apache License, Version 2.0.
#
# The shared balancer state survives a graceful restart (SIGUSR1)
# (t/conf/proxy_balancer_shared.conf.in, vhost balancer_graceful): a
# member put in error state before the restart (retry=60) is still
# skipped after it, without a new connect attempt, and the request
# counters the status page shows go on from where they were.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes ();

use Relay::Test;
use Relay::Proc qw(httpd_pid);
use Relay::Balancer;

plan tests => 8;

my $port = vhost_port('balancer_graceful');
my $dead = dead_port();

my $mark = error_log_mark();
my @before = burst($port, '/gr/x', ('') x 4);
is(scalar(grep { served_by($_) eq 'ga' } @before), 4,
    'before: every request served by the live member');
ok(error_log_wait($mark, qr/RL01002: worker \Qhttp:\/\/127.0.0.1:$dead\/echo\/gd\E/),
    'before: the dead member went into error state');
my $auto = balancer_auto($port, '/balancer-manager');
my $elected = member_field($auto, qr{/echo/ga$}, 'Elected') // -1;
cmp_ok($elected, '>=', 4, "before: the live member was elected ($elected)");

$mark = error_log_mark();
ok(kill('USR1', httpd_pid()), 'graceful restart signalled');
ok(error_log_wait($mark, qr/AH00493: SIGUSR1 received/, 10)
   && error_log_wait($mark, qr/AH00489: .*resuming normal operations/, 15),
   'httpd restarted gracefully and resumed');

my $res;
my $deadline = Time::HiRes::time() + 15;
while (Time::HiRes::time() < $deadline) {
    ($res) = burst($port, '/gr/x', '');
    last if $res->{status} == 200;
    Time::HiRes::sleep(0.1);
}
my @after = ($res, burst($port, '/gr/x', ('') x 4));
is(scalar(grep { served_by($_) eq 'ga' } @after), 5,
    'after: every request served by the live member');
is(scalar(grep { /RL01014: worker \Qhttp:\/\/127.0.0.1:$dead\E/ }
    error_log_since($mark)), 0,
    'after: the member is still in error state: no connect tried');
$auto = balancer_auto($port, '/balancer-manager');
is(member_field($auto, qr{/echo/ga$}, 'Elected'), $elected + 5,
    'after: the counter went on from its value before the restart');
