# Licensed under the Apache License, Version 2.0.
#
# The cache counters survive a graceful restart (SIGUSR1)
# (t/conf/mod_cache_metrics.conf.in, vhost cache_metrics): after a miss
# and two hits, the restart leaves relay_cache_hits_total{store="mem"} and
# the misses where they were (the segment is the parent's, kept across
# generations), while the memory store itself starts empty, so the same
# request is a miss again and counted on top.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes ();

use Relay::Test;
use Relay::Proc qw(httpd_pid);
use Relay::Prometheus;

plan tests => 6;

my $port = vhost_port('cache_metrics');
my $run = "$$-" . time;
my $path = "/count/g-$run?cc=max-age%3D300";

sub get {
    my $res = parse_response(raw_request($port, "GET $path HTTP/1.1\r\n"
        . "Host: 127.0.0.1\r\nConnection: close\r\n\r\n"));
    my ($x) = $res ? header_values($res, 'X-Cache') : ();
    return $x // '';
}

sub counts {
    my $page = prom_text($port, '/metrics');
    return map {
        prom_pick($page, "relay_cache_${_}_total", { store => 'mem' }) // -1
    } qw(hits misses);
}

like(join(' ', map { get() } 1 .. 3), qr/^MISS.* HIT.* HIT/,
     'a miss, then two hits');
my @before = counts();
cmp_ok($before[0], '>=', 2, "hits counted before the restart ($before[0])");

my $mark = error_log_mark();
ok(kill('USR1', httpd_pid()), 'graceful restart signalled');
ok(error_log_wait($mark, qr/AH00493: SIGUSR1 received/, 10)
   && error_log_wait($mark, qr/AH00489: .*resuming normal operations/, 15),
   'httpd restarted gracefully and resumed');

my @after = (-1, -1);
my $deadline = Time::HiRes::time() + 15;
while (Time::HiRes::time() < $deadline) {
    @after = eval { counts() };
    last if @after;
    Time::HiRes::sleep(0.1);
}
is("@after", "@before", 'after: the counters are where they were');
my $x = get();
my @later = counts();
is(($later[1] // 0) - $before[1], 1,
   "the emptied memory store makes a miss ($x), counted on top");
