# Licensed under the Apache License, Version 2.0.
#
# The environment mod_cache leaves for logging (t/conf/mod_cache_env.conf.in,
# vhost cache_env), as stock's "Cache Status and Logging": cache-status holds
# the decision's reason, and the same reason is under exactly one of
# cache-hit, cache-miss, cache-revalidate and cache-invalidate. A
# CustomLog with %{...}e logs them, one with env=cache-hit logs only hits.
# A Header directive does not run again on a hit: the hit is the stored
# response, Header's work included, as stock serves it.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use File::Spec ();
use Time::HiRes ();

plan tests => 10;

my $run = "$$-" . time;
my $logs = Apache::Test::vars('t_logs');

# The fields logged for a URL (polled: httpd logs after the response).
sub logged {
    my ($file, $url) = @_;
    my $deadline = Time::HiRes::time() + 5;
    while (1) {
        if (open my $fh, '<', File::Spec->catfile($logs, $file)) {
            my @lines = grep { index($_, "$url|") == 0 || $_ eq "$url\n" } <$fh>;
            close $fh;
            if (@lines) {
                chomp @lines;
                return [map { [split /\|/, $_, -1] } @lines];
            }
        }
        return [] if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
}

Apache::TestRequest::module('cache_env');
my $path = "/cond/env-$run";
my $miss = GET $path;
my $hit = GET $path;
GET $path, 'Cache-Control' => 'no-cache';
POST $path, content => 'x';

my @rows = @{ logged('cache_env_log', $path) };
is(scalar @rows, 4, 'four requests logged') or diag explain \@rows;
my ($m, $h, $v, $i) = @rows;
like($m->[1], qr/^cache miss: attempting entity save/,
     'miss: cache-status holds the reason');
is_deeply([map { $_ ne '-' ? 1 : 0 } @$m[2 .. 5]], [0, 1, 0, 0],
          'miss: only cache-miss is set');
like($h->[1], qr/^cache hit/, 'hit: cache-status holds the reason');
is_deeply([@$h[2 .. 5]], [$h->[1], '-', '-', '-'],
          'hit: cache-hit holds the same reason, nothing else set');
is_deeply([map { $_ ne '-' ? 1 : 0 } @$v[2 .. 5]], [0, 0, 1, 0],
          "client's no-cache on a fresh entry: cache-revalidate");
is_deeply([map { $_ ne '-' ? 1 : 0 } @$i[2 .. 5]], [0, 0, 0, 1],
          'POST: cache-invalidate');

is_deeply([map { $_->[0] } @{ logged('cache_hit_log', $path) }], [$path],
          'CustomLog env=cache-hit: only the hit');

is(join('|', $hit->header('X-Cache-Env')),
   join('|', $miss->header('X-Cache-Env')),
   'Header does not run again on a hit: its stored value, once');
like($hit->header('X-Cache') // '', qr/^HIT/, 'it was a hit');
