# Licensed under the Apache License, Version 2.0.
#
# The pooled-connection gauges and mod_status's worker table
# (t/conf/proxy_metrics_pool.conf.in, vhost proxy_metrics_pool, ProxyStatus
# Full):
#  - after requests through the worker, its connection to the origin
#    waits in the pool: relay_proxy_connections{state="idle"} >= 1 and
#    state="active" 0;
#  - while one slow request is in flight, state="active" is exactly 1, in
#    the metrics and in the ?auto line ProxyWorker[i]ConnsActive, and
#    back to 0 after it;
#  - /server-status has the "Proxy workers" table with a row for the
#    worker, and ?auto has ProxyWorkers and ProxyWorker[i]* lines whose
#    Requests match the metrics;
#  - with ProxyStatus Off (vhost cache_metrics_off) neither appears.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes ();

use Relay::Test;
use Relay::Prometheus;
use Relay::Balancer qw(balancer_auto);

plan tests => 14;

my $port = vhost_port('proxy_metrics_pool');
my $worker = 'http://127.0.0.1:' . origin_port() . '/';
my %mine = (worker => $worker, server => qr/:$port\z/);

sub gauge {
    my ($state) = @_;
    return prom_pick(prom_text($port, '/metrics'), 'relay_proxy_connections',
                     { %mine, state => $state }) // -1;
}

# Polls until $cond->() holds or $secs pass; the last value.
sub poll {
    my ($secs, $cond) = @_;
    my $deadline = Time::HiRes::time() + $secs;
    while (1) {
        my @v = $cond->();
        return @v if $v[0] || Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep(0.05);
    }
}

# The ?auto prefix (ProxyWorker[i]) of our worker, and the lines.
sub worker_auto {
    my ($p) = @_;
    my $auto = balancer_auto($p, '/server-status');
    for my $k (keys %$auto) {
        return ($1, $auto) if $k =~ /^(ProxyWorker\[\d+\])Name$/
            && $auto->{$k} eq $worker;
    }
    return (undef, $auto);
}

for (1 .. 3) {
    my $res = parse_response(raw_request($port,
        "GET /slow/echo/pool$_ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
    die "request $_ failed\n" unless $res && $res->{status} == 200;
}
my ($idle_ok, $idle) = poll(3, sub { my $i = gauge('idle');
                                     (gauge('active') == 0 && $i >= 1, $i) });
ok($idle_ok, "after three requests: an idle pooled connection ($idle), none active");

is(gauge('active'), 0, 'the series exists with labels worker and state');

# One slow request in flight.
my $slow = raw_connect($port, 15);
Relay::Test::write_all($slow, "GET /slow/delay?ms=4000 HTTP/1.0\r\n"
    . "Host: 127.0.0.1\r\n\r\n");
my ($one) = poll(3, sub { gauge('active') == 1 });
ok($one, 'during a slow request: exactly one active connection');
my ($pre, $auto) = worker_auto($port);
ok(defined $pre, 'the worker has ProxyWorker[i] lines in ?auto');
$pre //= 'none';
is($auto->{"${pre}ConnsActive"}, 1, '?auto ConnsActive: 1 during the request');
is($auto->{"${pre}Busy"}, 1, '?auto Busy: 1 during the request');
my $buf = '';
read_until($slow, \$buf, undef, 10);
close $slow;
like($buf, qr{^HTTP/1\.\d 200}, 'the slow request completed');
my ($zero) = poll(3, sub { gauge('active') == 0 && gauge('idle') >= 1 });
ok($zero, 'after it: no active connection, the connection back in the pool');

# mod_status: the table and the ?auto lines.
($pre, $auto) = worker_auto($port);
$pre //= 'none';
is($auto->{"${pre}Requests"},
   prom_pick(prom_text($port, '/metrics'), 'relay_worker_requests_total',
             \%mine),
   '?auto Requests equals relay_worker_requests_total');
is($auto->{"${pre}Status"}, 'Ok', '?auto Status Ok');
cmp_ok($auto->{"${pre}ConnsIdle"} // 0, '>=', 1, '?auto ConnsIdle >= 1');
like($auto->{ProxyWorkers} // '', qr/^[1-9]\d*$/, 'ProxyWorkers count line');
my $html = parse_response(raw_request($port,
    "GET /server-status HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
like($html ? $html->{body} : '',
     qr{<h1>Proxy workers</h1>.*<tr><td>\Q$worker\E</td><td></td><td>Ok</td>}s,
     'the page has the worker table with a row for the worker');

my $off = vhost_port('cache_metrics_off');
my $body = parse_response(raw_request($off,
    "GET /server-status?auto HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
unlike($body ? $body->{body} : 'ProxyWorkers', qr/^(ProxyWorker|CacheMem)/m,
       'ProxyStatus Off: no worker or cache lines');
