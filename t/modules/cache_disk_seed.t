# Licensed under the Apache License, Version 2.0.
#
# The seed configuration's disk cache (t/conf/mod_cache_disk.conf.in, vhost
# cache_disk_seed: CacheEnable disk /, CacheDirLevels 5, CacheDirLength 3,
# in front of ProxyPass): a MISS reaches the origin and is stored, the next
# request is a HIT served without it (same X-Origin-Conn and X-Origin-Seq);
# the entry is one file five directory levels down, each level named by
# three characters; a large body is served whole from its file; each
# variant of a Vary response has its own file and an unsafe request
# removes them all; a 304 to a revalidation rewrites the entry with the
# new head and the same body.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use File::Basename qw(dirname);
use File::Spec ();

use Relay::Test qw(bytes_pattern error_log_mark error_log_errors);
use Relay::DiskCache;

plan tests => 22;

my $root = cache_root('seed');
Apache::TestRequest::module('cache_disk_seed');
my $run = "$$-" . time;
my $mark = error_log_mark();

sub origin_id {
    my ($res) = @_;
    return join '/', map { $res->header($_) // '' } qw(X-Origin-Conn X-Origin-Seq);
}

my $url = "/headers?Cache-Control=max-age%3D300&r=$run";
my $first = GET $url;
is($first->code, 200, 'first request answered');
like($first->header('X-Cache') // '', qr/^MISS/, 'first is a MISS');
my $second = GET $url;
like($second->header('X-Cache') // '', qr/^HIT/, 'second is a HIT');
is(origin_id($second), origin_id($first),
    'the hit is the stored response, without the origin');
is($second->content, "ok\n", 'stored body served');

my $file = entry_file($root, qr/r=\Q$run\E\z/);
ok($file, 'the entry is a file under CacheRoot');
my @parts = File::Spec->splitdir(File::Spec->abs2rel($file, $root));
is(scalar @parts, 6, 'five directory levels, then the file');
is(scalar(grep { length == 3 } @parts[0 .. 4]), 5,
    'each directory name is three characters long');
is(scalar(temp_files($root)), 0, 'no temporary file left after storing');

# A body of 300 KB: stored, then served whole from its file.
my $big = "/bytes?n=300000&cc=max-age%3D300&r=$run";
my $b1 = GET $big;
my $b2 = GET $big;
like($b2->header('X-Cache') // '', qr/^HIT/, 'large body stored');
ok($b2->content eq bytes_pattern(300000), 'large body served whole from disk');
is($b2->header('Content-Length'), 300000, 'with its Content-Length');

# Vary: one file per variant, in the primary's vary directory.
my $vary = "/headers?Vary=X-Lang&Cache-Control=max-age%3D300&r=$run-vary";
my $en1 = GET $vary, 'X-Lang' => 'en';
my $fr1 = GET $vary, 'X-Lang' => 'fr';
my $en2 = GET $vary, 'X-Lang' => 'en';
my $fr2 = GET $vary, 'X-Lang' => 'fr';
ok($en2->header('X-Cache') =~ /^HIT/ && origin_id($en2) eq origin_id($en1),
    'en variant hit');
ok($fr2->header('X-Cache') =~ /^HIT/ && origin_id($fr2) eq origin_id($fr1),
    'fr variant hit');
my @variants = grep { (entry_key($_) // '') =~ /\Q$run-vary\E\x01/ }
    entry_files($root);
is(scalar @variants, 2, 'two variant files');
ok(@variants && dirname($variants[0]) =~ /\.vary\z/,
    'in the vary directory of the primary key');
POST $vary, content => 'x';
@variants = grep { (entry_key($_) // '') =~ /\Q$run-vary/ } entry_files($root);
is(scalar @variants, 0, 'an unsafe request removes the key and its variants');

# Revalidation: a 304 rewrites the entry with the new head (a new file
# renamed over the old), keeping the body.
my $cond = "/cond?etag=%22e$run%22&cc=max-age%3D300&r=$run";
GET $cond;
my $cfile = entry_file($root, qr/\Q$cond\E\z/);
my $inode = $cfile ? (stat $cfile)[1] : -1;
my $c2 = GET $cond, 'Cache-Control' => 'max-age=0';    # forces revalidation
like($c2->header('X-Cache') // '', qr/^REVALIDATE/, 'entry revalidated (304)');
is($c2->content, "cond\n", 'the stored body after the 304');
my $c3 = GET $cond;
like($c3->header('X-Cache') // '', qr/^HIT/, 'fresh again: a hit');
isnt((stat entry_file($root, qr/\Q$cond\E\z/))[1] // -1, $inode,
    'the refreshed entry is a new file');

my @errors = error_log_errors($mark);
is(scalar @errors, 0, 'no error logged') or diag join "\n", @errors;
