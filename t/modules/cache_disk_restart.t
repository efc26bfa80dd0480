# Licensed under the Apache License, Version 2.0.
#
# Relay's disk store across restarts and crashes, on httpd servers this
# test starts itself (Relay::DiskCache::start_server, CacheDirLevels 5,
# CacheDirLength 3) on a CacheRoot of their own:
#  - an entry stored before a clean stop is a HIT after the next start,
#    without the origin;
#  - kill -9 of the server (parent and children) while responses are
#    being stored leaves temporary files only; the next start removes
#    them (RL06007), every entry file left is complete, the interrupted
#    responses are misses and the complete ones hits with whole bodies.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes ();

use Relay::Test qw(raw_connect raw_request parse_response bytes_pattern);
use Relay::DiskCache;

plan tests => 12;

my $root = cache_root('restart');
my $run = "$$-" . time;
my @servers;
END { stop_server($_) for @servers }

sub get {
    my ($server, $path) = @_;
    return parse_response(raw_request($server->{port},
        "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        20)) // { status => 0, headers => [], body => '' };
}

sub hdr {
    my ($res, $name) = @_;
    my ($v) = Relay::Test::header_values($res, $name);
    return $v // '';
}

sub origin_id {
    my ($res) = @_;
    return hdr($res, 'X-Origin-Conn') . '/' . hdr($res, 'X-Origin-Seq');
}

# Persistence across a stop and a start.
my $s = start_server(root => $root);
push @servers, $s;
my $url = "/bytes?n=4000&cc=max-age%3D300&r=$run";
my $first = get($s, $url);
like(hdr($first, 'X-Cache'), qr/^MISS/, 'stored by the first server');
stop_server($s);
$s = start_server(root => $root);
push @servers, $s;
my $again = get($s, $url);
like(hdr($again, 'X-Cache'), qr/^HIT/, 'a hit after the restart');
is(origin_id($again), origin_id($first), 'without asking the origin');
ok($again->{body} eq bytes_pattern(4000), 'with the whole body');

# Complete entries, then a storing load cut by kill -9.
my @done = map { "/bytes?n=3000&cc=max-age%3D300&r=$run-done$_" } 1 .. 4;
get($s, $_) for @done;
my @slow = map { "/slowbody?ms=100&chunks=40&chunked=0&cc=max-age%3D300"
                 . "&r=$run-slow$_" } 1 .. 6;
my @socks = map {
    my $sock = raw_connect($s->{port}, 10);
    print $sock "GET $_ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    $sock;
} @slow;
my $deadline = Time::HiRes::time() + 10;
while (temp_files($root) < @slow && Time::HiRes::time() < $deadline) {
    Time::HiRes::sleep(0.05);
}
my $partial = () = temp_files($root);
kill_server($s);
close $_ for @socks;
is($partial, scalar @slow, 'every slow response was being stored when killed');
ok(scalar(temp_files($root)) > 0, 'the crash left temporary files');

$s = start_server(root => $root);
push @servers, $s;
is(scalar(temp_files($root)), 0, 'the next start removed them');
my $log = do { local (@ARGV, $/) = ($s->{error_log}); <> } // '';
like($log, qr/RL06007: removed \d+ unfinished file/, 'and said so (RL06007)');
my @bad = grep { !defined entry_key($_) } entry_files($root);
is(scalar @bad, 0, 'every entry file left is complete') or diag "@bad";
my $misses = grep { hdr(get($s, $_), 'X-Cache') =~ /^MISS/ } @slow[0 .. 1];
is($misses, 2, 'the interrupted responses are misses');
my $hits = grep {
    my $r = get($s, $_);
    hdr($r, 'X-Cache') =~ /^HIT/ && $r->{body} eq bytes_pattern(3000);
} @done;
is($hits, scalar @done, 'the complete ones are whole hits');
my $pid = $s->{pid};
stop_server($s);
ok(!-e "/proc/$pid" || !Relay::DiskCache::ours($s, $pid),
    'the last server stopped');
