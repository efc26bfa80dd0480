# Licensed under the Apache License, Version 2.0.
#
# Worker error state and retry= (t/conf/proxy_retry.conf.in). The test
# starts and stops its own origin on RELAY_FLAKY_PORT:
#  - origin down: 503, and the worker's outage logged once (RL01002)
#    however many requests fail, in whichever child process;
#  - origin back: with the default retry (1 s outside a balancer) it is
#    served again within about a second and a half;
#  - retry=3: every request within three seconds of the failure is
#    answered 503 without trying the origin, even once it is back; after
#    the window the origin is used again;
#  - retry=0: the very next request tries the origin again.
# Worker state is shared by every child process (mod_proxy's shared
# slots), so one failure puts the worker in error state for all.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Time::HiRes qw(time);

use Relay::Test;
use Relay::Client;
use Relay::Proc;

plan tests => 21;

my $flaky = Relay::Test::env_port('RELAY_FLAKY_PORT');
my $worker = "http://127.0.0.1:$flaky/";
my $origin;

END { stop_origin($origin) }

# One request on a client connection of its own; returns the status (0
# for no response).
sub status_of {
    my ($port) = @_;
    my $c = Relay::Client->new($port);
    my $res = $c->get('/echo', Connection => 'close');
    $c->disconnect;
    return $res ? $res->{status} : 0;
}

# { pid => number of lines } of a tag naming the flaky worker since $mark.
sub tag_by_pid {
    my ($mark, $tag) = @_;
    my %n;
    for (grep { /\b$tag: .*\Q$worker\E/ } error_log_since($mark)) {
        $n{ log_pid($_) // 0 }++;
    }
    return \%n;
}

# Sends failing requests on fresh client connections until the worker is
# in error state (RL01002 since $mark), up to $max requests. Returns
# (statuses, time the first request was sent).
sub fail_until_error {
    my ($port, $mark, $max) = @_;
    my (@status, $first);
    for (1 .. $max) {
        $first //= time;
        push @status, status_of($port);
        last if %{ tag_by_pid($mark, 'RL01002') };
    }
    return (\@status, $first);
}

my $mark = error_log_mark();

# Default retry, origin down: 503 every time, one RL01002 per child.
my $port = vhost_port('proxy_retry');
{
    my @status = map { status_of($port) } 1 .. 6;
    is_deeply(\@status, [(503) x 6], 'origin down: 503 for each request');
    my $failed = tag_by_pid($mark, 'RL01002');
    ok(scalar(keys %$failed), 'origin down: RL01002 names the worker');
    is(join(',', values %$failed), '1',
        'origin down: RL01002 logged once, not per request or child');
    ok(error_log_wait($mark, qr/RL01014: worker \Q$worker\E: cannot connect/,
                      2),
        'origin down: the failed connect is logged (RL01014)');
}

# Default retry, origin back: served again within 1.5 s, by every child.
{
    $origin = start_origin($flaky);
    my ($first_ok, $tries) = (undef, 0);
    while (time < $origin->{started} + 3) {
        $tries++;
        if (status_of($port) == 200) {
            $first_ok = time;
            last;
        }
        Time::HiRes::sleep(0.05);
    }
    ok(defined $first_ok, "origin back: served again ($tries requests)");
    cmp_ok(($first_ok // 99) - $origin->{started}, '<=', 1.5,
        'origin back: within 1.5 s of the origin listening');
    # No child can have failed after the origin listened, so a second later
    # every child's error state has run out.
    Time::HiRes::sleep($origin->{started} + 1.1 - time)
        if time < $origin->{started} + 1.1;
    my @status = map { status_of($port) } 1 .. 6;
    is_deeply(\@status, [(200) x 6],
        'origin back: every request served after the retry time');
    ok(error_log_wait($mark, qr/RL01003: worker \Q$worker\E: origin reachable/,
                      2),
        'origin back: the recovery is logged (RL01003)');
}

# retry=3: after the failure, 503 for three seconds even with the origin
# back, then served again.
{
    my $eport = vhost_port('proxy_retry_explicit');
    stop_origin($origin);
    my $m = error_log_mark();
    my ($status, $first_sent) = fail_until_error($eport, $m, 40);
    my $failed = tag_by_pid($m, 'RL01002');
    is(scalar(keys %$failed), 1,
        'retry=3: the worker went into error state (in one child, for all)');
    is_deeply([grep { $_ != 503 } @$status], [],
        'retry=3: 503 while the origin is down');
    like((grep { /RL01002:.*\Q$worker\E/ } error_log_since($m))[0] // '',
        qr/in error state for 3000 ms/, 'retry=3: the log says for how long');

    $origin = start_origin($flaky);
    my $connects = scalar(() = grep { /RL01014:/ } error_log_since($m));
    my $early = status_of($eport);
    is($early, 503, 'retry=3: 503 right after the origin is back');
    cmp_ok(time - $first_sent, '<', 3,
        'retry=3: ... and that was within the window');
    is(scalar(() = grep { /RL01014:/ } error_log_since($m)), $connects,
        'retry=3: no connect was tried within the window');

    my ($first_ok, @during);
    while (time < $first_sent + 6) {
        my $st = status_of($eport);
        if ($st == 200) {
            $first_ok = time;
            last;
        }
        push @during, $st;
        Time::HiRes::sleep(0.1);
    }
    ok(defined $first_ok, 'retry=3: served again after the window');
    cmp_ok(($first_ok // 0) - $first_sent, '>=', 3,
        'retry=3: not before three seconds had passed');
    cmp_ok(($first_ok // 99) - $first_sent, '<=', 3 + 1.5,
        'retry=3: soon after they had');
    is_deeply([grep { $_ != 503 } @during], [],
        'retry=3: only 503 until then');
}

# retry=0: the next request after a failure tries the origin again.
{
    my $zport = vhost_port('proxy_retry_zero');
    stop_origin($origin);
    my $m = error_log_mark();
    my ($status) = fail_until_error($zport, $m, 40);
    is_deeply([grep { $_ != 503 } @$status], [], 'retry=0: 503 while down');
    $origin = start_origin($flaky);
    my @status = map { status_of($zport) } 1 .. 4;
    is_deeply(\@status, [(200) x 4],
        'retry=0: served at once when the origin is back');
}

stop_origin($origin);
is_deeply([error_log_errors($mark, 'RL01002', 'RL01014')], [],
    'no error-level lines but the outage ones');
