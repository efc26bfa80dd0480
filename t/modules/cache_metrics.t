# Licensed under the Apache License, Version 2.0.
#
# The cache counters per store type (t/conf/mod_cache_metrics.conf.in),
# read from the relay-metrics handler (through the strict parser of
# Relay::Prometheus) before and after known traffic:
#  - memory store (vhost cache_metrics, CacheLock on): a miss that is
#    stored and two hits; a stored entry revalidated by a 304 (a miss and
#    a revalidation) then hit; a burst of 6 on one key collapsed onto one
#    fetch (one miss, one store, 5 hits, collapsed as their X-Cache-Detail
#    says: all 5 unless a loaded machine delivers one after the store):
#    hits +8, misses +4, stores +3, revalidations +1, collapsed as seen,
#    and the store's own entries +3 and bytes up;
#  - a memory cache of two entries (vhost cache_metrics_small) given
#    three: relay_cache_evictions_total{store="mem"} +1;
#  - disk store (vhost cache_metrics_disk): a stored miss, a hit and a
#    revalidation: hits +1, misses +2, stores +1, revalidations +1; the
#    disk store's entries, bytes and evictions are those of its roots
#    with a CacheDiskLimit (the suite has one: cache_disk_limit), so the
#    series are there (cache_disk_limit.t checks their values);
#  - mod_status (ProxyStatus On): the "Cache stores" table has the mem
#    row, and ?auto has CacheMemHits etc. equal to the metrics;
#  - the whole page (every family, relay_cache_* included) passes the
#    strict parser.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes ();

use Relay::Test;
use Relay::Prometheus;
use Relay::DiskCache qw(cache_root);
use Relay::Balancer qw(balancer_auto);

plan tests => 21;

my $port = vhost_port('cache_metrics');
my $small = vhost_port('cache_metrics_small');
my $disk = vhost_port('cache_metrics_disk');
my $run = "$$-" . time;
cache_root('metrics');

my @COUNTERS = qw(hits misses stores revalidations collapsed);

my $page;    # the last metrics page read

sub counts {
    my ($store) = @_;
    $page = prom_text($port, '/metrics');
    my %c = map {
        $_ => prom_pick($page, "relay_cache_${_}_total", { store => $store })
    } @COUNTERS, 'evictions';
    $c{$_} = prom_pick($page, "relay_cache_$_", { store => $store })
        for qw(entries bytes);
    return \%c;
}

sub delta {
    my ($a, $b) = @_;
    return join ' ', map { "$_=" . (($b->{$_} // 0) - ($a->{$_} // 0)) }
        @COUNTERS;
}

sub get {
    my ($p, $path, $extra) = @_;
    return parse_response(raw_request($p, "GET $path HTTP/1.1\r\n"
        . "Host: 127.0.0.1\r\n" . ($extra // '') . "Connection: close\r\n\r\n"))
        // { status => 0, headers => [] };
}

sub x_cache {
    my ($res) = @_;
    my ($v) = header_values($res, 'X-Cache');
    return $v // '';
}

# Memory store.
my $m0 = counts('mem');
my $a = "/count/a-$run?cc=max-age%3D300";
like(x_cache(get($port, $a)), qr/^MISS/, 'mem: first request a miss');
like(x_cache(get($port, $a)), qr/^HIT/, 'mem: second a hit') for 1 .. 2;
my $r = "/cond?etag=%22r$run%22&cc=max-age%3D300";
get($port, $r);
like(x_cache(get($port, $r, "Cache-Control: max-age=0\r\n")),
     qr/^REVALIDATE/, 'mem: a forced revalidation answered by a 304');
like(x_cache(get($port, $r)), qr/^HIT/, 'mem: the refreshed entry a hit');
my @b = burst($port, "/count/c-$run?ms=800&cc=max-age%3D300", ('') x 6);
is(origin_count("c-$run"), 1, 'mem: the burst of 6 made one origin request');
# One of the burst fetched; the others waited for it (collapsed), unless
# a loaded machine delivered one after the entry was stored: a plain hit.
my $collapsed = grep {
    ((header_values($_, 'X-Cache-Detail'))[0] // '') =~ /collapsed/
} @b;
my $burst_hits = grep { x_cache($_) =~ /^HIT/ } @b;
my $m1 = counts('mem');
is(delta($m0, $m1), 'hits=' . (3 + $burst_hits) . ' misses=4 stores=3 '
   . "revalidations=1 collapsed=$collapsed",
   "mem: the counters moved by exactly the traffic ($collapsed collapsed)");
cmp_ok($collapsed, '>=', 1, 'mem: the burst collapsed onto one fetch');
is($m1->{entries} - $m0->{entries}, 3, 'mem: the store has 3 more entries');
cmp_ok($m1->{bytes} - $m0->{bytes}, '>', 0, 'mem: and more bytes');

# Evictions: a cache of two entries given three.
get($small, "/count/s$_-$run?cc=max-age%3D300") for 1 .. 3;
my $m2 = counts('mem');
is($m2->{evictions} - $m1->{evictions}, 1,
   'mem: the third entry in a two-entry cache evicted one');
is(delta($m1, $m2), 'hits=0 misses=3 stores=3 revalidations=0 collapsed=0',
   'mem: the small cache counts as the same store type');

# Disk store.
my $d0 = counts('disk');
my $d = "/cond?etag=%22d$run%22&cc=max-age%3D300";
like(x_cache(get($disk, $d)), qr/^MISS/, 'disk: first request a miss');
like(x_cache(get($disk, $d)), qr/^HIT/, 'disk: second a hit');
like(x_cache(get($disk, $d, "Cache-Control: max-age=0\r\n")),
     qr/^REVALIDATE/, 'disk: a forced revalidation');
my $d1 = counts('disk');
is(delta($d0, $d1), 'hits=1 misses=2 stores=1 revalidations=1 collapsed=0',
   'disk: the counters moved by exactly the traffic');
ok(defined $d1->{entries} && defined $d1->{bytes} && defined $d1->{evictions},
   'disk: entries, bytes and evictions series (a root has a CacheDiskLimit)');

# mod_status.
# The two pages are read one after the other from the same counters;
# read both again (for up to 2 s) while something still moves them.
my ($auto, $from_auto, $from_metrics);
my $until = Time::HiRes::time() + 2;
while (1) {
    $auto = balancer_auto($port, '/server-status');
    my $m3 = counts('mem');
    $from_auto = join(' ', map { $auto->{"CacheMem$_"} // '-' }
        qw(Hits Misses Stores Revalidations Collapsed Entries));
    $from_metrics = join(' ', map { $m3->{$_} // '-' }
        qw(hits misses stores revalidations collapsed entries));
    last if $from_auto eq $from_metrics || Time::HiRes::time() > $until;
    Time::HiRes::sleep(0.2);
}
is($from_auto, $from_metrics, '?auto CacheMem* lines equal the metrics');
ok(defined $auto->{CacheDiskHits} && defined $auto->{CacheDiskEntries},
   '?auto has CacheDisk* counters and the entries line');
my $html = get($port, '/server-status');
like($html->{body}, qr{<h1>Cache stores</h1>.*<tr><td>mem</td><td>\d+</td>}s,
     'the page has the cache table with the mem row');
is(eval { prom_parse($page); 1 } ? '' : $@, '',
   'the whole page passes the strict Prometheus parser');
