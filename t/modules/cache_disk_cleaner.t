# Licensed under the Apache License, Version 2.0.
#
# relay-cacheclean (build/bin), the command-line cleaner of Relay's disk
# cache, on entries stored through vhost cache_disk_bounds of
# t/conf/mod_cache_disk.conf.in: -a and -A list them, -D removes nothing,
# -l and -L bound size and entries, -t prunes emptied directories, -v
# reports statistics, URL arguments remove those entries, a pass removes
# temporary files of dead writers and damaged entries, -d runs as a
# daemon (-P pidfile) that cleans at once, -v shows progress on a long
# run, and bad options are refused.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Find ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use Time::HiRes ();

use Relay::DiskCache;

my $tool = File::Spec->catfile(Apache::Test::vars('serverroot'), '..',
    ($ENV{RELAY_MODULE_DIR} // '') =~ m{build-asan} ? 'build-asan' : 'build',
    'bin', 'relay-cacheclean');

plan tests => 18, need { 'relay-cacheclean built' => -x $tool };

my $root = cache_root('bounds');
Apache::TestRequest::module('cache_disk_bounds');
my $run = "$$-" . time;

sub run_tool {
    my $out = `'$tool' @_ 2>&1`;
    return ($? >> 8, $out);
}

sub usage_bytes {
    my $t = 0;
    $t += -s $_ for entry_files($root);
    return $t;
}

sub count_entries {
    my @f = entry_files($root);
    return scalar @f;
}

sub fill {
    GET "/bytes?n=1000&cc=max-age%3D300&r=$run-$_" for @_;
}

fill(1 .. 8);
is(count_entries(), 8, 'eight entries stored');

my ($rc, $out) = run_tool("-A -p '$root'");
is(scalar(grep { /r=\Q$run\E-\d \d+ \d+ \d+$/ } split /\n/, $out), 8,
    '-A lists every entry with size, last use and expiry');
($rc, $out) = run_tool("-a -p '$root'");
is(scalar(grep { m{^http://.*/bytes\?.*r=\Q$run\E-\d$} } split /\n/, $out), 8,
    '-a lists their URLs');

($rc, $out) = run_tool("-D -l 3K -p '$root'");
ok($rc == 0 && $out =~ /would remove/ && count_entries() == 8,
    '-D reports and removes nothing');

($rc, $out) = run_tool("-v -t -l 4K -p '$root'");
ok($rc == 0 && usage_bytes() <= 4096, '-l 4K: at most 4 KiB left')
    or diag $out;
like($out, qr/size after \.+ \d+ bytes/, '-v prints statistics');
my $empty = 0;
File::Find::find({ no_chdir => 1, wanted => sub {
    return if !-d $_ || $_ eq $root;
    opendir my $dh, $_ or return;
    $empty++ unless grep { !/^\.\.?\z/ } readdir $dh;
} }, $root);
is($empty, 0, '-t left no empty directory');

fill(11 .. 15);
($rc, $out) = run_tool("-L 2 -p '$root'");
is(count_entries(), 2, '-L 2: two entries left');

# URL arguments: that entry goes, the other stays.
my @files = entry_files($root);
my $key = entry_key($files[0]);
($rc, $out) = run_tool("-p '$root' '$key'");
ok(!-e $files[0] && -e $files[1], 'a URL argument removes that entry only')
    or diag $out;

# Leftovers of a dead writer and a damaged entry.
my $tmp = "$root/relay-tmp.0.abcdef";
open my $fh, '>', $tmp or die $!;
print $fh 'partial';
close $fh;
open $fh, '>>', $files[1] or die $!;
print $fh 'garbage';
close $fh;
($rc, $out) = run_tool("-v -l 1G -p '$root'");
ok(!-e $tmp, 'a dead writer\'s temporary file is removed');
ok(!-e $files[1], 'a damaged entry is removed');
like($out, qr/unfinished \.+ 1 removed.*damaged \.+ 1 removed/s,
    'and counted');

# Daemon mode: cleans at once, then sleeps; stopped by its pid.
fill(21 .. 26);
my $pidfile = "$root/../cleaner.pid";
unlink $pidfile;
($rc, $out) = run_tool("-d 60 -P '$pidfile' -l 2K -p '$root'");
is($rc, 0, '-d returns once detached');
my $deadline = Time::HiRes::time() + 10;
Time::HiRes::sleep(0.05)
    while (usage_bytes() > 2048 || !-s $pidfile)
        && Time::HiRes::time() < $deadline;
ok(usage_bytes() <= 2048, 'the daemon cleaned at once');
my $pid = do { local (@ARGV, $/) = ($pidfile); <> } // '';
chomp $pid;
my $cmd = $pid =~ /^\d+\z/ && $pid > 1
    ? do { local (@ARGV, $/) = ("/proc/$pid/cmdline"); <> } // '' : '';
ok($cmd =~ /relay-cacheclean/, 'and wrote its pid');
kill 'TERM', $pid if $cmd =~ /relay-cacheclean/;

# Progress on long runs: a count on stderr every 1000 files.
make_path("$root/zz");
for my $i (1 .. 1000) {
    open my $f, '>', "$root/zz/foreign$i" or die $!;
    close $f;
}
($rc, $out) = run_tool("-v -p '$root' -l 1G");
like($out, qr/1000 files scanned/, '-v shows progress on a long run');
remove_tree("$root/zz");

($rc, $out) = run_tool('-l 1K');
is($rc, 1, 'no -p: refused');
($rc, $out) = run_tool("-l 12X -p '$root'");
like($out, qr/usage/, 'a bad size: usage');
