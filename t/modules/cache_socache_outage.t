# Licensed under the Apache License, Version 2.0.
#
# The shared cache going away (t/lib/Relay/Socache.pm starts memcached
# and a gateway of its own): with memcached stopped in the middle of the
# run, under load from four clients, requests go on uncached with 200,
# never a 5xx, each quickly; the store is skipped for a back-off, and the
# outage is logged once (RL06501) however many requests pass; when memcached is back, entries are stored
# and hit again and the recovery is logged once (RL06502). A store on a
# port that accepts nothing, or accepts and never replies (memcached and
# Redis), costs one bounded wait, then is skipped.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Temp ();
use IO::Socket::INET ();
use LWP::UserAgent ();
use POSIX ();
use Time::HiRes ();

use lib 't/lib';
use Relay::Test qw(origin_port);
use Relay::Socache;

plan tests => 25;

my $run = "$$-" . time;
my $ua = LWP::UserAgent->new(timeout => 20);
my @servers;
END { stop_server($_) for reverse @servers }

sub get {
    my ($gw, $path) = @_;
    my $t0 = Time::HiRes::time();
    my $res = $ua->get("http://127.0.0.1:$gw->{port}$path");
    return ($res, Time::HiRes::time() - $t0);
}

sub xc { return $_[0]->header('X-Cache') // '' }

sub log_count {
    my ($gw, $tag) = @_;
    open my $fh, '<', $gw->{error_log} or return 0;
    return scalar grep { /\b$tag:/ } <$fh>;
}

my $mc = start_memcached();
push @servers, $mc;
my $gw = start_gateway(socache => "memcache:127.0.0.1:$mc->{port}",
                       origin => origin_port());
push @servers, $gw;

my $url = "/count/out-$run?cc=max-age%3D300";
get($gw, $url);
like(xc((get($gw, $url))[0]), qr/^HIT/, 'cached while memcached runs');

# Load from four clients while memcached is stopped under it: each exits
# with the number of its answers that were not a timely 200.
my @load;
my $started = File::Temp::tempdir(CLEANUP => 1);
for my $c (1 .. 4) {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        my $lua = LWP::UserAgent->new(timeout => 20);
        my ($bad, $k) = (0, 0);
        my $end = Time::HiRes::time() + 4;
        while (Time::HiRes::time() < $end) {
            my $t0 = Time::HiRes::time();
            my $res = $lua->get("http://127.0.0.1:$gw->{port}/count/load-$run-$c-"
                                . ($k++ % 5) . "?cc=max-age%3D300");
            $bad++ if $res->code != 200 || Time::HiRes::time() - $t0 > 2;
            # Tells the parent this client is under way.
            open my $mark, '>', "$started/$c" if $k == 1;
        }
        POSIX::_exit($bad > 255 ? 255 : $bad);
    }
    push @load, $pid;
}
# memcached goes while the load runs: once every client has an answer.
my $load_deadline = Time::HiRes::time() + 10;
Time::HiRes::sleep(0.05)
    while grep({ !-e "$started/$_" } 1 .. 4)
        && Time::HiRes::time() < $load_deadline;
stop_server($mc);

# Requests for 5 s, longer than the 3 s back-off, while memcached is gone.
my ($n, $bad, $slowest, $cached) = (0, 0, 0, 0);
my $until = Time::HiRes::time() + 5;
while (Time::HiRes::time() < $until) {
    my ($res, $took) = get($gw, "/count/out-$run-" . ($n % 3) . "?cc=max-age%3D300");
    $n++;
    $bad++ if $res->code != 200;
    $cached++ if xc($res) =~ /^HIT/;
    $slowest = $took if $took > $slowest;
    Time::HiRes::sleep(0.05);
}
cmp_ok($n, '>', 20, "requests went on during the outage ($n)");
is($bad, 0, 'all of them 200: never a 5xx because of the cache');
is($cached, 0, 'none served from the gone cache');
cmp_ok($slowest, '<', 2, sprintf('each answered quickly (slowest %.2f s)', $slowest));
is(log_count($gw, 'RL06501'), 1, 'the outage is logged once');
my $load_bad = 0;
for my $pid (@load) {
    waitpid($pid, 0);
    $load_bad += $? >> 8;
}
is($load_bad, 0, 'under load from four clients: every answer a timely 200');

# memcached back on its port: stored and hit again after the back-off.
push @servers, start_memcached(port => $mc->{port});
my $back = 0;
my $deadline = Time::HiRes::time() + 20;
my $i = 0;
while (!$back && Time::HiRes::time() < $deadline) {
    my $u = "/count/back-$run-" . $i++ . "?cc=max-age%3D300";
    get($gw, $u);
    $back = xc((get($gw, $u))[0]) =~ /^HIT/;
    Time::HiRes::sleep(0.2) unless $back;
}
ok($back, 'the cache is used again once memcached is back');
is(log_count($gw, 'RL06502'), 1, 'the recovery is logged once');
is(log_count($gw, 'RL06501'), 1, 'and still one outage line');

# Stores that do not answer: a port that accepts nothing (its accept
# queue is full, so connections never complete), and ports that complete
# connections but never reply, for memcached and for Redis. Each costs
# one bounded wait (the store's probe gives up after 0.5 s), then the
# store is skipped.
for my $case (qw(full memcache redis)) {
    my $hole = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                     Proto => 'tcp',
                                     Listen => $case eq 'full' ? 1 : 16)
        or die "listen: $!";
    my @fill;
    if ($case eq 'full') {
        for (1 .. 3) {
            my $c = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                PeerPort => $hole->sockport, Proto => 'tcp', Timeout => 1);
            push @fill, $c if $c;
        }
    }
    my $type = $case eq 'redis' ? 'redis' : 'memcache';
    my $gw2 = start_gateway(
        socache => "$type:127.0.0.1:" . $hole->sockport,
        origin => origin_port(),
        extra => $case eq 'redis' ? "RedisTimeout 1\n" : '');
    push @servers, $gw2;
    my ($first, $t1) = get($gw2, "/count/hole-$case-$run?cc=max-age%3D300");
    is($first->code, 200, "$case, silent: the first request is answered");
    cmp_ok($t1, '<', 3, sprintf("$case, silent: after a bounded wait (%.2f s)", $t1));
    my ($worst, $codes) = (0, 0);
    for my $k (1 .. 10) {
        my ($res, $took) = get($gw2, "/count/hole-$case-$run-$k?cc=max-age%3D300");
        $codes++ if $res->code == 200;
        $worst = $took if $took > $worst;
    }
    is($codes, 10, "$case, silent: the next ones are answered too");
    cmp_ok($worst, '<', 0.5,
           sprintf("$case, silent: without waiting for it (slowest %.2f s)", $worst));
    is(log_count($gw2, 'RL06501'), 1, "$case, silent: logged once");
    stop_server($gw2);
    close $_ for @fill;
    close $hole;
}
