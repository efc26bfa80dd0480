# Licensed under the Apache License, Version 2.0.
#
# A full disk under Relay's disk store (vhost cache_disk_full of
# t/conf/mod_cache_disk.conf.in, its CacheRoot a 256 KiB tmpfs this test
# mounts and unmounts): once the disk fills in the middle of a body, every
# response is still served whole from the origin, the failed writes leave
# no temporary file, and the outage is logged once (RL06002) however many
# requests meet it; with room again, entries are stored and the recovery
# is logged once (RL06003). Needs root and tmpfs mounts.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Path qw(make_path remove_tree);

use Relay::Test qw(bytes_pattern error_log_mark error_log_tags error_log_errors
    error_log_wait);
use Relay::DiskCache;

my $root = Apache::Test::vars('t_logs') . '/cache-disk/full';
my $mounted;
if ($> == 0) {
    system('umount', $root) if -d $root && `grep -c ' \Q$root\E ' /proc/mounts` > 0;
    remove_tree($root);
    make_path($root);
    my ($uid, $gid) = (scalar getpwnam('nobody'), scalar getgrnam('nogroup'));
    $mounted = system('mount', '-t', 'tmpfs', '-o',
        "size=256k,mode=0755,uid=$uid,gid=$gid", 'relay-test-full', $root) == 0;
}
END { system('umount', $root) if $mounted }

plan tests => 8, need { 'root and a tmpfs mount' => $mounted };

Apache::TestRequest::module('cache_disk_full');
my $run = "$$-" . time;
my $mark = error_log_mark();
my $n = 100000;
my $want = bytes_pattern($n);

my ($whole, $stored) = (0, 0);
for my $i (1 .. 8) {
    my $res = GET "/bytes?n=$n&cc=max-age%3D300&r=$run-$i";
    $whole++ if $res->code == 200 && $res->content eq $want;
}
is($whole, 8, 'every response served whole while the disk fills');
my @files = entry_files($root);
ok(@files >= 1 && @files < 8, scalar(@files) . ' entries fit, the rest not');
is(scalar(temp_files($root)), 0, 'failed writes left no temporary file');
my $hit = GET "/bytes?n=$n&cc=max-age%3D300&r=$run-1";
ok($hit->code == 200 && $hit->content eq $want, 'stored entries still serve');
error_log_wait($mark, qr/RL06002/, 5);
is(scalar(grep { $_ eq 'RL06002' } error_log_tags($mark)), 1,
    'the full disk logged once');

unlink @files;
my $url = "/bytes?n=$n&cc=max-age%3D300&r=$run-again";
GET $url;
like((GET $url)->header('X-Cache') // '', qr/^HIT/, 'stored again with room');
error_log_wait($mark, qr/RL06003/, 5);
is(scalar(grep { $_ eq 'RL06003' } error_log_tags($mark)), 1,
    'the recovery logged once');
my @errors = error_log_errors($mark, 'RL06002');
is(scalar @errors, 0, 'no other error') or diag join "\n", @errors;
