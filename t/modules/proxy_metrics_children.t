# Licensed under the Apache License, Version 2.0.
#
# The metrics are those of every child process together
# (t/conf/proxy_metrics_pool.conf.in, vhost proxy_metrics_pool): the
# server is first made to run several children, then 40 requests go to
# one worker in bursts of 10 concurrent connections. The access log (%P)
# shows that several children served them, and the counters of the
# relay-metrics handler, read from any child, moved by exactly 40:
# requests, 2xx responses and the duration histogram's count, with the
# page passing the strict parser each time.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Spec ();

use Relay::Test;
use Relay::Prometheus;
use Relay::Balancer qw(more_children);

plan tests => 7;

my $port = vhost_port('proxy_metrics_pool');
my %mine = (worker => 'http://127.0.0.1:' . origin_port() . '/echo/spread/',
            server => qr/:$port\z/);
my $log = File::Spec->catfile(Apache::Test::vars('t_logs'), 'metrics_pid_log');

sub log_size { return -s $log // 0 }

# The pids that served /spread/ requests logged after byte $from.
sub spread_pids {
    my ($from) = @_;
    open my $fh, '<', $log or return {};
    seek $fh, $from, 0;
    my %pids;
    while (<$fh>) {
        $pids{$1}++ if m{^(\d+) /spread/};
    }
    close $fh;
    return \%pids;
}

my $page;    # the last metrics page read

sub counters {
    $page = prom_text($port, '/metrics');
    return map { prom_pick($page, @$_) // 0 } (
        ['relay_worker_requests_total', \%mine],
        ['relay_worker_responses_total', { %mine, class => '2xx' }],
        ['relay_worker_request_duration_seconds_count', \%mine],
    );
}

my $children = more_children($port, 2);
cmp_ok($children, '>=', 2, "the server runs several children ($children)");

my @before = counters();
my $mark = log_size();
my $ok = 0;
for my $round (1 .. 4) {
    $ok += grep { $_->{status} == 200 }
        burst($port, "/spread/r$round", ('') x 10);
}
is($ok, 40, '40 requests answered 200');
my $pids = spread_pids($mark);
cmp_ok(scalar(keys %$pids), '>=', 2,
       'several children served them: ' . join(',', sort keys %$pids));

my @after = counters();
is($after[0] - $before[0], 40, 'relay_worker_requests_total +40 (all children)');
is($after[1] - $before[1], 40, 'relay_worker_responses_total{class="2xx"} +40');
is($after[2] - $before[2], 40, 'duration histogram _count +40');
is(eval { prom_parse($page); 1 } ? '' : $@, '',
   'the page passes the strict Prometheus parser');
