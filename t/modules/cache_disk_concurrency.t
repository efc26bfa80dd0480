# Licensed under the Apache License, Version 2.0.
#
# Concurrent writers and readers of one key in Relay's disk store (vhost
# cache_disk_seed of t/conf/mod_cache_disk.conf.in, no CacheLock): a burst
# of misses for one uncached 200 KB response all store it at once, and
# leave one complete entry file and no temporary file; then hits read the
# entry while requests with Cache-Control: no-cache fetch and store it
# anew (renamed over the file being read): every response is whole.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

use Relay::Test qw(burst vhost_port bytes_pattern error_log_mark
    error_log_errors);
use Relay::DiskCache;

plan tests => 7;

my $port = vhost_port('cache_disk_seed');
my $seed = Apache::Test::vars('t_logs') . '/cache-disk/seed';
-d $seed or cache_root('seed');
my $run = "$$-" . time;
my $mark = error_log_mark();
my $n = 200000;
my $url = "/bytes?n=$n&cc=max-age%3D300&r=$run";
my $want = bytes_pattern($n);

my @writers = burst($port, $url, ('') x 12);
is(scalar(grep { $_->{status} == 200 && $_->{body} eq $want } @writers), 12,
    'twelve concurrent misses, every body whole');
my @files = grep { (entry_key($_) // '') =~ /r=\Q$run\E\z/ } entry_files($seed);
is(scalar @files, 1, 'one entry file for the key');
ok(@files && defined entry_key($files[0]), 'and it is complete');
is(scalar(grep { /relay-tmp\.\d+\./ } temp_files($seed)), 0,
    'no temporary file left');

my @mixed = burst($port, $url,
    map { $_ % 2 ? "Cache-Control: no-cache\r\n" : '' } 1 .. 16);
is(scalar(grep { $_->{status} == 200 && $_->{body} eq $want } @mixed), 16,
    'readers during replacement get whole bodies');
Apache::TestRequest::module('cache_disk_seed');
my $after = GET $url;
ok($after->header('X-Cache') =~ /^HIT/ && $after->content eq $want,
    'the entry is whole afterwards');
my @errors = error_log_errors($mark);
is(scalar @errors, 0, 'no error logged') or diag join "\n", @errors;
