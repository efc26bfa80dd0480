# Licensed under the Apache License, Version 2.0.
#
# The strict Prometheus text parser the metrics tests use
# (t/lib/Relay/Prometheus.pm): it accepts well-formed exposition text and
# rejects each kind of fault it is there to catch, so that the metrics
# tests that rely on it would see a malformed page.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use Relay::Prometheus;

my $good = <<'T';
# HELP a_total A counter.
# TYPE a_total counter
a_total{x="1",y="q\"u\\o\nte"} 3
a_total{x="2"} 4
# HELP g A gauge.
# TYPE g gauge
g 1.5e3
# HELP h A histogram.
# TYPE h histogram
h_bucket{le="0.1"} 1
h_bucket{le="1"} 2
h_bucket{le="+Inf"} 3
h_sum 1.2
h_count 3
T

my %bad = (
    'sample before TYPE'      => "# HELP b_total x\nb_total 1\n",
    'sample before HELP'      => "# TYPE b_total counter\nb_total 1\n",
    'undeclared family'       => "# HELP a x\n# TYPE a gauge\nb 1\n",
    'counter without _total'  => "# HELP c x\n# TYPE c counter\nc 1\n",
    'unknown type'            => "# HELP c x\n# TYPE c meter\nc 1\n",
    'bad value'               => "# HELP g x\n# TYPE g gauge\ng one\n",
    'no space before value'   => "# HELP g x\n# TYPE g gauge\ng{a=\"1\"}1\n",
    'bad label name'          => "# HELP g x\n# TYPE g gauge\ng{1a=\"1\"} 1\n",
    'unquoted label value'    => "# HELP g x\n# TYPE g gauge\ng{a=1} 1\n",
    'unknown escape'          => "# HELP g x\n# TYPE g gauge\ng{a=\"\\t\"} 1\n",
    'unterminated value'      => "# HELP g x\n# TYPE g gauge\ng{a=\"1} 1\n",
    'label given twice'       => "# HELP g x\n# TYPE g gauge\ng{a=\"1\",a=\"2\"} 1\n",
    'trailing comma'          => "# HELP g x\n# TYPE g gauge\ng{a=\"1\",} 1\n",
    'duplicate series'        => "# HELP g x\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"1\"} 2\n",
    'second TYPE'             => "# HELP g x\n# TYPE g gauge\n# TYPE g gauge\ng 1\n",
    'TYPE after samples'      => "# HELP g x\n# TYPE g gauge\ng 1\n# TYPE g gauge\n",
    'family not together'     => "# HELP g x\n# TYPE g gauge\ng{a=\"1\"} 1\n"
        . "# HELP k x\n# TYPE k gauge\nk 1\ng{a=\"2\"} 1\n",
    'negative counter'        => "# HELP c_total x\n# TYPE c_total counter\nc_total -1\n",
    'no final newline'        => "# HELP g x\n# TYPE g gauge\ng 1",
    'buckets go down'         => "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
        . "h_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n",
    'le not increasing'       => "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"2\"} 1\n"
        . "h_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum 0\nh_count 1\n",
    'no +Inf bucket'          => "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 1\n"
        . "h_sum 0\nh_count 1\n",
    '+Inf differs from count' => "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
        . "h_sum 0\nh_count 3\n",
    'histogram without _sum'  => "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\n"
        . "h_count 2\n",
);

plan tests => 4 + keys %bad;

my $m = eval { prom_parse($good) };
is($@, '', 'well-formed text parses');
is(prom_value($m, 'a_total', { y => "q\"u\\o\nte" }), 3,
   'escaped label values are unescaped');
is(prom_sum($m, 'a_total'), 7, 'prom_sum adds every series');
is(prom_value($m, 'h_count'), 3, 'histogram parts are samples');
for my $case (sort keys %bad) {
    ok(!eval { prom_parse($bad{$case}); 1 }, "rejected: $case")
        or diag("accepted: $bad{$case}");
}
