# Licensed under the Apache License, Version 2.0.
#
# Balancer state shared by every child process (t/conf/
# proxy_balancer_shared.conf.in, vhost balancer_shared). The server is
# first made to run several children, and requests are then sent on many
# concurrent connections so that several children serve them (the
# RL05010 debug lines name the pid of each pick):
#  - a member one child found unreachable (put in error state, retry=60)
#    is skipped by every child: no further connect to it is
#    tried (no RL01014) while the other children serve 200s;
#  - byrequests 3:1 holds exactly over the requests of all children
#    together (30/10 of 40), and the counters the status page shows are
#    the sum over all children.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use Relay::Test;
use Relay::Proc qw(httpd_children);
use Relay::Balancer;

plan tests => 10;

my $port = vhost_port('balancer_shared');
my $dead = dead_port();

my $children = more_children($port, 2);
cmp_ok($children, '>=', 2, "the server runs several children ($children)");

# Sends $n requests of $path in bursts of 10 concurrent connections.
sub spread {
    my ($path, $n) = @_;
    my @res;
    while (@res < $n) {
        my $k = $n - @res > 10 ? 10 : $n - @res;
        push @res, burst($port, $path, ('') x $k);
    }
    return @res;
}

# A member in error state in one child is skipped by all.
{
    my $mark = error_log_mark();
    my ($first) = burst($port, '/shfail/x', '');
    is(served_by($first), 'sa', 'first request fails over to the live member');
    like(member_field(balancer_auto($port, '/balancer-manager'),
        qr{/echo/sd$}, 'Status') // '', qr/^Err/,
        'the dead member is in error state');
    my $m2 = error_log_mark();
    my @res = spread('/shfail/x', 40);
    is(scalar(grep { served_by($_) eq 'sa' } @res), 40,
        'every later request is served by the live member');
    my $pids = pick_pids($m2, 'shfail');
    cmp_ok(scalar(keys %$pids), '>=', 2,
        'requests were picked in several children: ' . join(',', keys %$pids));
    is(scalar(grep { /RL01014: worker \Qhttp:\/\/127.0.0.1:$dead\E/ }
        error_log_since($m2)), 0,
        'no child tried the member in error again (no RL01014)');
}

# byrequests over all children together.
{
    my $mark = error_log_mark();
    my @res = spread('/shrr/x', 40);
    my %n;
    $n{ served_by($_) }++ for @res;
    is_deeply(\%n, { w3 => 30, w1 => 10 },
        'byrequests 3:1: exactly 30/10 over 40 requests of all children');
    my $pids = pick_pids($mark, 'shrr');
    cmp_ok(scalar(keys %$pids), '>=', 2,
        'picked in several children: ' . join(',', keys %$pids));
    my $auto = balancer_auto($port, '/balancer-manager');
    is(member_field($auto, qr{/echo/w3$}, 'Elected'), 30,
        'the status page counts the requests of every child (w3: 30)');
    is(member_field($auto, qr{/echo/w1$}, 'Elected'), 10,
        '... and w1: 10');
}
