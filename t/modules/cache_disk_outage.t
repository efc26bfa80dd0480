# Licensed under the Apache License, Version 2.0.
#
# A CacheRoot the server's User cannot write (vhost cache_disk_ro of
# t/conf/mod_cache_disk.conf.in, a directory owned by root, mode 0755,
# while the children run as nobody): every response is served whole from
# the origin, nothing is stored, and the outage is logged once (RL06002),
# not once per request. When the directory becomes writable, entries are
# stored again and that is logged once too (RL06003).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Path qw(make_path remove_tree);
use Time::HiRes ();

use Relay::Test qw(bytes_pattern error_log_mark error_log_tags error_log_errors
    error_log_wait);
use Relay::DiskCache;

plan tests => 7, need { 'running as root (children as nobody)' => $> == 0 };

my $root = Apache::Test::vars('t_logs') . '/cache-disk/ro';
remove_tree($root);
make_path($root, { mode => 0755 });    # root's: nobody cannot write here
Apache::TestRequest::module('cache_disk_ro');
my $run = "$$-" . time;
my $mark = error_log_mark();

my ($whole, $misses) = (0, 0);
for my $i (1 .. 12) {
    my $url = "/bytes?n=2000&cc=max-age%3D300&r=$run-" . ($i % 3);
    my $res = GET $url;
    $whole++ if $res->code == 200 && $res->content eq bytes_pattern(2000);
    $misses++ if ($res->header('X-Cache') // '') =~ /^MISS/;
}
is($whole, 12, 'every response served whole');
is($misses, 12, 'none from the cache');
my @stored = entry_files($root);
is(scalar @stored, 0, 'nothing stored');
error_log_wait($mark, qr/RL06002/, 5);
my @tags = error_log_tags($mark);
is(scalar(grep { $_ eq 'RL06002' } @tags), 1, 'the outage logged once');

# Writable again: stored, and the end of the outage logged once.
chown scalar(getpwnam('nobody')), scalar(getgrnam('nogroup')), $root;
my $url = "/bytes?n=2000&cc=max-age%3D300&r=$run-back";
GET $url for 1 .. 3;
like((GET $url)->header('X-Cache') // '', qr/^HIT/, 'stored again');
error_log_wait($mark, qr/RL06003/, 5);
is(scalar(grep { $_ eq 'RL06003' } error_log_tags($mark)), 1,
    'the recovery logged once');
my @errors = error_log_errors($mark, 'RL06002');
is(scalar @errors, 0, 'no other error') or diag join "\n", @errors;
