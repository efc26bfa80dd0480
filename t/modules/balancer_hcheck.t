# Licensed under the Apache License, Version 2.0.
#
# Active health checks, run in the background by mod_watchdog
# (t/conf/proxy_balancer_hcheck.conf.in). The test runs its own origin on
# RELAY_FLAKY_PORT for two members (hcmethod=GET with hcuri, and TCP,
# hcinterval=300ms, retry=60) next to an always-up member:
#  - with the origin up, the checks run (the status page counts them)
#    and the requests are shared by all three members;
#  - the origin stopped: both members leave rotation (RL05020, status
#    HcFl) without a request failing: every request is a 200;
#  - the origin started again: both are back in rotation (RL05021) within
#    one interval and a bit, long before their retry=60 would end;
#  - a member in error state (+E, retry=60) whose checks pass is taken
#    out of that state (RL05024) and serves within an interval;
#  - a check answered 500 (HEAD), or slower than hctimeout, takes its
#    member out; OPTIONS answered 200 keeps its member in (these members
#    are on RELAY_FLAKY_PORT too, checked while the origin is back);
#  - a worker outside balancers with hcmethod=GET (retry=60) is checked
#    too: out while the origin is down (RL05020 "worker ..."), serving
#    again within an interval of its return;
#  - GET11, HEAD11 and OPTIONS11 check over HTTP/1.1 (a page answering
#    505 to HTTP/1.0 keeps them in, and takes the GET member out);
#  - mod_proxy_hcheck's ProxyHCExpr (inside <IfModule mod_proxy_hcheck.c>)
#    judges answers: %{REQUEST_STATUS} lets a 404 pass, hc('body') takes a
#    "maintenance" page out and keeps a chunked one in, resp('X-Health')
#    tells fine from bad; ProxyHCTemplate gives its members hcmethod=GET
#    and the interval.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes qw(time);

use Relay::Test;
use Relay::Proc qw(start_origin stop_origin);
use Relay::Balancer;

plan tests => 30;

my $port = vhost_port('balancer_hcheck');
my $flaky = Relay::Test::env_port('RELAY_FLAKY_PORT');
my $origin = start_origin($flaky);
END { stop_origin($origin) if $origin }

sub status_of {
    my ($name_re) = @_;
    return member_field(balancer_auto($port, '/balancer-manager'), $name_re,
        'Status') // '';
}

# A field of member $index of balancer://$balancer on the status page.
sub bfield {
    my ($balancer, $index, $name) = @_;
    my $a = balancer_auto($port, '/balancer-manager');
    my ($i) = map { /^ProxyBalancer\[(\d+)\]Name$/ ? $1 : () }
        grep { $a->{$_} eq "balancer://$balancer" } keys %$a;
    return defined $i ? $a->{"ProxyBalancer[$i]Worker[$index]$name"} // '' : '';
}

# Polls until $cond returns true or $secs pass; returns the seconds taken
# or undef.
sub within {
    my ($secs, $cond) = @_;
    my $t0 = time;
    while (time - $t0 < $secs) {
        return time - $t0 if $cond->();
        Time::HiRes::sleep(0.05);
    }
    return undef;
}

# Up: checks run, every member serves (the members may have failed their
# first checks, made before this test started the origin).
{
    ok(defined within(5, sub {
        my $a = balancer_auto($port, '/balancer-manager');
        (member_field($a, qr{/echo/hg$}, 'HcChecks') // 0) >= 2
            && (member_field($a, qr{/echo/ht$}, 'HcChecks') // 0) >= 2 }),
        'the checks run in the background');
    ok(defined within(5, sub {
        status_of(qr{/echo/hg$}) eq 'Ok' && status_of(qr{/echo/ht$}) eq 'Ok' }),
        'origin up: GET- and TCP-checked members are Ok');
    my %n;
    $n{ served_by($_) }++ for burst($port, '/hc/x', ('') x 6);
    is_deeply(\%n, { hg => 2, ht => 2, hs => 2 },
        'origin up: the three members share the requests');
}

# In error state, checks passing: out of that state.
{
    ok(defined within(5, sub { status_of(qr{/echo/he$}) eq 'Ok' }),
        'member in error state with passing checks: Ok again');
    ok(error_log_wait(0, qr/RL05024: balancer balancer:\/\/hc2: member .*\/echo\/he passed its health check: out of error state/),
        'logged (RL05024)');
    my ($res) = burst($port, '/hc2/x', '');
    is(served_by($res), 'he', 'and it serves (long before its retry=60)');
}

# Down: out of rotation without a failed request.
{
    my $mark = error_log_mark();
    stop_origin($origin);
    undef $origin;
    my @codes;
    my $gone = within(5, sub {
        push @codes, map { $_->{status} } burst($port, '/hc/x', ('') x 3);
        status_of(qr{/echo/hg$}) =~ /HcFl/ && status_of(qr{/echo/ht$}) =~ /HcFl/;
    });
    ok(defined $gone, 'origin down: both members leave rotation'
        . (defined $gone ? sprintf(' (%.2f s)', $gone) : ''));
    my ($solo) = burst($port, '/solo/x', '');
    is($solo->{status}, 503, 'origin down: the checked worker outside balancers: 503');
    ok(error_log_wait($mark, qr/RL05020: worker http:\/\/127\.0\.0\.1:\d+\/echo\/solo\/ failed its health check \(GET/, 5),
        'origin down: the worker outside balancers failed its checks (RL05020)');
    ok(error_log_wait($mark, qr/RL05020: balancer balancer:\/\/hc: member .*\/echo\/hg failed its health check \(GET/)
        && error_log_wait($mark, qr/RL05020: .*\/echo\/ht failed its health check \(TCP/),
        'origin down: logged (RL05020)');
    my @res = burst($port, '/hc/x', ('') x 6);
    push @codes, map { $_->{status} } @res;
    is(scalar(grep { served_by($_) eq 'hs' } @res), 6,
        'origin down: the remaining member serves every request');
    is_deeply([grep { $_ != 200 } @codes], [],
        'origin down: no request failed (' . scalar(@codes) . ' requests)');
}

# Back: in rotation within one interval (300 ms) and a bit.
{
    my $mark = error_log_mark();
    $origin = start_origin($flaky);
    my $back = within(5, sub {
        status_of(qr{/echo/hg$}) eq 'Ok' && status_of(qr{/echo/ht$}) eq 'Ok';
    });
    ok(defined $back, 'origin back: both members return to rotation');
    ok(defined within(3, sub {
        (burst($port, '/solo/x', ''))[0]->{status} == 200 }),
        'origin back: the worker outside balancers serves again (retry=60 not waited)');
    cmp_ok($back // 99, '<', 1.5,
        'origin back: within an interval and a bit (retry=60 not waited)');
    ok(error_log_wait($mark, qr/RL05021: balancer balancer:\/\/hc: member .*\/echo\/hg passed/),
        'origin back: logged (RL05021)');
    my %n;
    $n{ served_by($_) }++ for burst($port, '/hc/x', ('') x 9);
    is_deeply([sort keys %n], [qw(hg hs ht)],
        'origin back: the three members serve requests again')
        or diag(join ' ', %n);
}

# Checks that fail by status or by time, and OPTIONS that passes, all
# against the same (flaky, now running) origin.
{
    ok(defined within(5, sub { status_of(qr{/echo/good$}) eq 'Ok' }),
        'OPTIONS answered 200: member in rotation');
    my $checks = sub {
        return map { bfield('hcbad', $_, 'HcChecks') || 0 } 0, 1;
    };
    my @c0 = $checks->();
    ok(defined within(5, sub {
        my @c = $checks->();
        $c[0] >= $c0[0] + 2 && $c[1] >= $c0[1] + 2 }),
        'the other members are checked meanwhile');
    like(bfield('hcbad', 0, 'Status'), qr/HcFl/,
        'HEAD answered 500: member out of rotation');
    like(bfield('hcbad', 1, 'Status'), qr/HcFl/,
        'check slower than hctimeout: member out of rotation');
    my @res = burst($port, '/hcbad/x', ('') x 4);
    is(scalar(grep { served_by($_) eq 'good' } @res), 4,
        'only the member that passes serves');
}

# HTTP/1.1 checks (the origin is up).
{
    ok(defined within(5, sub {
        status_of(qr{/echo/h11$}) eq 'Ok' && status_of(qr{/echo/o11$}) eq 'Ok'
            && status_of(qr{/echo/hd11$}) eq 'Ok' }),
        'GET11, OPTIONS11, HEAD11 of a page that wants HTTP/1.1: in rotation');
    ok(defined within(5, sub { status_of(qr{/echo/h10$}) =~ /HcFl/ }),
        'GET (HTTP/1.0) of that page: out of rotation');
}

# ProxyHCExpr and ProxyHCTemplate (mod_proxy_hcheck).
{
    my $field = sub { bfield($_[0], 0, $_[1]) };
    my $settled = within(5, sub {
        ($field->('hcxmaint', 'HcChecks') || 0) >= 3
            && ($field->('hcxbad', 'HcChecks') || 0) >= 3 });
    ok(defined $settled, 'the judged members are checked');
    is($field->('hcx404', 'Status'), 'Ok',
       'hcexpr ok234 (%{REQUEST_STATUS}): a 404 passes');
    like($field->('hcxmaint', 'Status'), qr/HcFl/,
       "hcexpr in_maint (hc('body')): a maintenance page fails though 200");
    is($field->('hcxgood', 'Status'), 'Ok',
       "hcexpr in_maint: another page (chunked) passes");
    ok($field->('hcxfine', 'Status') eq 'Ok'
           && $field->('hcxbad', 'Status') =~ /HcFl/,
       "hcexpr fielded (resp('X-Health')): fine passes, bad fails");
    is($field->('hcxfine', 'HcMethod'), 'GET',
       'hctemplate=quick: the template\'s hcmethod=GET');
}
