# Licensed under the Apache License, Version 2.0.
#
# The relay-metrics handler (t/conf/proxy_metrics.conf.in): after requests
# through three workers of its own virtual host (three answered 200, two
# answered 404 by the origin, one refused connection), the Prometheus text
# shows for each worker the requests, the responses by status class, the
# failure by its cause, the bytes both ways, and a duration histogram
# whose buckets add up; the whole page passes a strict Prometheus text
# parser (t/lib/Relay/Prometheus.pm), and only GET (and HEAD) are allowed.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);

use Relay::Test;
use Relay::Prometheus;

plan tests => 16;

Apache::TestRequest::module('proxy_metrics');
my $origin = origin_port();
my $dead = dead_port();
my %worker = (
    ok   => "http://127.0.0.1:$origin/echo/metrics/",
    nf   => "http://127.0.0.1:$origin/no-such-path/",
    dead => "http://127.0.0.1:$dead/",
);
my $server = 'server="[^"]*:' . vhost_port('proxy_metrics') . '"';

# name{labels} value, for this virtual host's series.
sub samples {
    my $res = GET '/metrics';
    my %v;
    for (split /\n/, $res->content) {
        next if /^#/;
        my ($series, $value) = /^(\S+\}) (\S+)$/ or next;
        next unless $series =~ /$server/;
        $v{$series} = $value;
    }
    return ($res, \%v);
}

sub value {
    my ($v, $name, $w, $extra) = @_;
    my ($k) = grep {
        /^\Q$name\E\{/ && /worker="\Q$worker{$w}\E"/
            && (!defined $extra || /\Q$extra\E/)
    } keys %$v;
    return defined $k ? $v->{$k} : undef;
}

my (undef, $before) = samples();
my $req0 = value($before, 'relay_worker_requests_total', 'ok') // 0;

is(GET("/mok/$_")->code, 200, "answered request $_") for 1 .. 3;
is(GET("/m404/$_")->code, 404, "404 request $_") for 1 .. 2;
is(GET('/mdead/x')->code, 503, 'refused request: 503');

my ($res, $v) = samples();
is($res->code, 200, 'metrics served');
like($res->header('Content-Type'), qr{^text/plain; version=0\.0\.4},
    'Prometheus text format');
is(eval { prom_parse($res->content); 1 } ? '' : $@, '',
    'the whole page passes the strict Prometheus parser (Relay::Prometheus)');

is(value($v, 'relay_worker_requests_total', 'ok') - $req0, 3,
    'requests through the worker counted');
is(value($v, 'relay_worker_responses_total', 'ok', 'class="2xx"'), 3,
    '2xx responses counted');
is(value($v, 'relay_worker_responses_total', 'nf', 'class="4xx"'), 2,
    '4xx responses counted for the other worker');
is(value($v, 'relay_worker_failures_total', 'dead', 'cause="connect-refused"'),
    1, 'the refused connection counted by its cause');
ok(value($v, 'relay_worker_received_bytes_total', 'ok') > 0
        && value($v, 'relay_worker_sent_bytes_total', 'ok') > 0,
    'bytes both ways counted');
my $count = value($v, 'relay_worker_request_duration_seconds_count', 'ok');
my $inf = value($v, 'relay_worker_request_duration_seconds_bucket', 'ok',
    'le="+Inf"');
ok($count == 3 && $inf == 3, "duration histogram: count 3, +Inf bucket 3 ($count, $inf)");
is(POST('/metrics', content => 'x')->code, 405, 'POST refused');
