# Licensed under the Apache License, Version 2.0.
#
# Balancer parameters (t/conf/proxy_balancer_params.conf.in):
#  - failonstatus=500,503: a member answering 503 is put in error state
#    (RL05004) and the next requests go to the other member;
#  - failontimeout=On: a member that timed out (504) likewise (RL05006);
#  - forcerecovery (On by default): when every member is in error state
#    they are retried at once (RL05005), so an origin that is back serves
#    before its retry=60 ran out; with forcerecovery=Off: 503 until then;
#  - timeout=6 (with forcerecovery=Off): a request waits for a member in
#    error state to come back (its retry=2) instead of failing at once;
#  - maxattempts=0: no failover, the failed member's request is a 503;
#  - redirect=r2 on a disabled member: its sticky sessions go to r2;
#  - status=+N (drain): no new requests, but its sticky sessions still;
#  - status=+R (hot spare): unused while the members serve, standing in
#    for a dead one (before any +H standby); status=+C: out of rotation;
#  - loadfactor=3.5 and 1.5: seven requests in ten to the first;
#  - stickysessionsep=~ and Off: where the route starts in the session;
#  - a balancer with no members but growth=4 starts; its requests: 503.
# The test starts and stops its own origin on RELAY_FLAKY_PORT.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes qw(time);

use Relay::Test;
use Relay::Proc qw(start_origin stop_origin);
use Relay::Balancer;

plan tests => 26;

my $port = vhost_port('balancer_params');
my $flaky = Relay::Test::env_port('RELAY_FLAKY_PORT');
my $origin;
my $start = error_log_mark();
END { stop_origin($origin) if $origin }

# Who served each of $n requests of $path, one after another, each on a
# connection of its own; @extra are header lines.
sub serve {
    my ($path, $n, @extra) = @_;
    return map { served_by((burst($port, $path, join('', @extra)))[0]) }
        1 .. $n;
}

{
    my $mark = error_log_mark();
    my @who = serve('/fos/status/503', 5);
    is_deeply(\@who, ['status 503', ('fos') x 4],
        'failonstatus: after a 503 the member is out, the other serves')
        or diag("@who");
    ok(error_log_wait($mark, qr/RL05004: balancer balancer:\/\/fos: member .* answered 503/),
        'failonstatus: logged (RL05004)');
}

{
    my $mark = error_log_mark();
    my @who = serve('/fot/delay?ms=2500', 4);
    is_deeply(\@who, ['status 504', ('fot') x 3],
        'failontimeout: after a timeout the member is out, the other serves')
        or diag("@who");
    ok(error_log_wait($mark, qr/RL05006: balancer balancer:\/\/fot: member .* timed out/),
        'failontimeout: logged (RL05006)');
}

{
    my @down = (serve('/frc/x', 1), serve('/frcoff/x', 1), serve('/bto/x', 1));
    is_deeply(\@down, [('status 503') x 3],
        'flaky origin down: 503 from its only member');
    my $mark = error_log_mark();
    $origin = start_origin($flaky);
    my ($frc) = serve('/frc/x', 1);
    is($frc, 'frc', 'forcerecovery: served at once although retry=60');
    ok(error_log_wait($mark, qr/RL05005: balancer balancer:\/\/frc: every member/),
        'forcerecovery: logged (RL05005)');
    my ($off) = serve('/frcoff/x', 1);
    is($off, 'status 503', 'forcerecovery=Off: still 503 within retry');

    my $t0 = time;
    my ($bto) = serve('/bto/x', 1);
    my $waited = time - $t0;
    is($bto, 'bto', 'timeout=6: the request waited for the member');
    cmp_ok($waited, '>', 0.3, "... it did wait ($waited s)");
    cmp_ok($waited, '<', 4, '... no longer than its retry');
    stop_origin($origin);
    undef $origin;
}

{
    my @who = serve('/ma0/x', 3);
    is($who[0], 'status 503', 'maxattempts=0: no failover from a dead member');
    is_deeply([@who[1, 2]], ['ma0', 'ma0'],
        'maxattempts=0: then the member in error is skipped');
}

{
    my @who = serve('/rd/x', 4, "Cookie: ROUTEID=s.r1\r\n");
    is_deeply(\@who, [('r2') x 4],
        'redirect=r2: sessions of a disabled member go to r2 only')
        or diag("@who");
    @who = serve('/rd/x', 4);
    is_deeply([sort @who], [qw(r2 r2 r3 r3)],
        'without a session: the other members share the requests');
}

{
    my @who = serve('/dr/x', 4);
    is_deeply(\@who, [('n2') x 4], 'drain (+N): no new requests')
        or diag("@who");
    @who = serve('/dr/x', 3, "Cookie: ROUTEID=s.n1\r\n");
    is_deeply(\@who, [('n1') x 3], 'drain (+N): its sessions still go to it')
        or diag("@who");
}

{
    my @who = serve('/spok/x', 6);
    is_deeply([sort @who], [qw(o1 o1 o1 o2 o2 o2)],
        'hot spare (+R): unused while the members serve') or diag("@who");
    @who = serve('/sp/x', 8);
    my %n;
    $n{$_}++ for @who;
    ok(!$n{stby} && ($n{spare} // 0) >= 3 && ($n{s1} // 0) >= 3
           && ($n{s1} // 0) + ($n{spare} // 0) == 8,
       'hot spare (+R): stands in for the dead member, no standby')
        or diag("@who");
    @who = serve('/hcf/x', 4);
    is_deeply(\@who, [('c2') x 4], 'status=+C: the member is out of rotation')
        or diag("@who");
}

{
    my @who = serve('/lf/x', 10);
    is(scalar(grep { $_ eq 'lf1' } @who), 7,
        'loadfactor=3.5 against 1.5: 7 requests in 10') or diag("@who");
    @who = serve('/sep/x', 3, "Cookie: ROUTEID=abc~t2\r\n");
    is_deeply(\@who, [('t2') x 3], 'stickysessionsep=~: the route after ~')
        or diag("@who");
    @who = serve('/whole/x', 3, "Cookie: ROUTEID=w2\r\n");
    is_deeply(\@who, [('w2') x 3], 'stickysessionsep=Off: the value is the route')
        or diag("@who");
    my $mark = error_log_mark();
    @who = serve('/empty/x', 1);
    is_deeply(\@who, ['status 503'], 'no members yet (growth=4): 503');
    ok(error_log_wait($mark, qr/RL05003: balancer balancer:\/\/empty/),
        'no members yet: logged (RL05003)');
}

my @expected = qw(RL05004 RL05006 RL01002 RL01014 RL05003 RL02011);
is_deeply([error_log_errors($start, @expected)], [],
    'no unexpected error lines')
    or diag join "\n", error_log_errors($start, @expected);
