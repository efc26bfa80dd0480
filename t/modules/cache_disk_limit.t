# Licensed under the Apache License, Version 2.0.
#
# CacheDiskLimit kept inside httpd (vhost cache_disk_limit of
# t/conf/mod_cache_disk.conf.in: CacheDiskLimit 40K, the cleaner a
# singleton mod_watchdog callback): after storing about 100 KB of entries,
# the store shrinks under 40 KB within a bounded time (RL06008), each
# removal down to 90% of the limit, removing
# expired entries before fresh ones and then the least recently used, and
# what remains still serves hits.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use Time::HiRes ();

use Relay::Test qw(bytes_pattern error_log_mark error_log_since error_log_wait
                   error_log_errors vhost_port);
use Relay::DiskCache;
use Relay::Prometheus;

plan tests => 8;

my $root = cache_root('limit');
Apache::TestRequest::module('cache_disk_limit');
my $run = "$$-" . time;
my $mark = error_log_mark();

sub usage {
    my $total = 0;
    $total += -s $_ for entry_files($root);
    return $total;
}

# Two entries that expire in a second, then fresh ones, 5 KB each; the
# first fresh one is hit after every few stores.
my @expiring = map { "/bytes?n=5000&cc=max-age%3D1&r=$run-x$_" } 1 .. 2;
GET $_ for @expiring;
Time::HiRes::sleep(1.5);    # let them expire (max-age=1)
my @fresh = map { "/bytes?n=5000&cc=max-age%3D300&r=$run-f$_" } 1 .. 18;
for my $i (0 .. $#fresh) {
    GET $fresh[$i];
    GET $fresh[0] if $i % 4 == 3;    # keep the first one recently used
}
my $peak = usage();
ok($peak > 40 * 1024 || error_log_wait($mark, qr/RL06008/, 0),
    "stored past the limit ($peak bytes)");

my $deadline = Time::HiRes::time() + 15;
while (usage() > 40 * 1024 && Time::HiRes::time() < $deadline) {
    Time::HiRes::sleep(0.1);
}
my $after = usage();
ok($after <= 40 * 1024, "shrunk under 40K within 15 s ($after bytes)");
ok(error_log_wait($mark, qr/RL06008: disk cache .* removed \d+ entries/, 5),
   'the cleaner said what it removed (RL06008)');
# Each removal goes down to 90% of the limit, not just under it.
my @remain = map {
    /RL06008: disk cache \Q$root\E: removed [1-9]\d* entries.*; (\d+) bytes in/
        ? $1 : ()
} error_log_since($mark);
ok(@remain && !grep({ $_ > 36 * 1024 } @remain),
    "every removal left at most 90% of the limit (@remain bytes)");
my $left = grep { (entry_key($_) // '') =~ /\Q$run-x\E/ } entry_files($root);
is($left, 0, 'the expired entries went first');
my $first = GET $fresh[0];
like($first->header('X-Cache') // '', qr/^HIT/,
    'a recently used entry is still a hit');
# The store's metrics count the cleaner's removals and what it left (the
# only CacheRoots counted are those with a CacheDiskLimit).
{
    my $page = prom_text(vhost_port('cache_metrics'), '/metrics');
    my $evicted = prom_pick($page, 'relay_cache_evictions_total',
                            { store => 'disk' });
    my $entries = prom_pick($page, 'relay_cache_entries', { store => 'disk' });
    my @removed = map { /RL06008: disk cache \Q$root\E: removed (\d+)/ ? $1 : () }
        error_log_since($mark);
    my $sum = 0;
    $sum += $_ for @removed;
    ok(defined $evicted && $evicted >= $sum && $sum > 0 && defined $entries
        && $entries >= 1, 'metrics: disk evictions ' . ($evicted // 'none')
        . " >= $sum removed, entries " . ($entries // 'none'));
}
my @errors = error_log_errors($mark);
is(scalar @errors, 0, 'no error logged') or diag join "\n", @errors;
