# Licensed under the Apache License, Version 2.0.
#
# What Relay's disk store makes of damaged files (vhost cache_disk_seed of
# t/conf/mod_cache_disk.conf.in): an entry file with a flipped byte, one cut
# short, one cut inside its body, a foreign file at an entry's path, and
# another key's valid entry copied over it are each a MISS that reaches the
# origin (never a wrong body), the file is removed with one RL06004 line,
# and the answer is stored anew. And the size bounds (vhost
# cache_disk_bounds: CacheMinFileSize 100, CacheMaxFileSize 2000), with
# and without Content-Length.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Copy qw(copy);

use Relay::Test qw(bytes_pattern error_log_mark error_log_tags error_log_errors);
use Relay::DiskCache;

plan tests => 27;

my $start = error_log_mark();
my $run = "$$-" . time;
Apache::TestRequest::module('cache_disk_seed');

sub origin_id {
    my ($res) = @_;
    return join '/', map { $res->header($_) // '' } qw(X-Origin-Conn X-Origin-Seq);
}

# The seed vhost's CacheRoot is shared with cache_disk_seed.t: find files
# there, by their key.
my $seed = Apache::Test::vars('t_logs') . '/cache-disk/seed';
-d $seed or cache_root('seed');

sub damage_case {
    my ($name, $damage) = @_;
    my $url = "/bytes?n=1500&cc=max-age%3D300&r=$run-$name";
    my $first = GET $url;
    my $file = entry_file($seed, qr/r=\Q$run-$name\E\z/);
    $damage->($file);
    my $mark = error_log_mark();
    my $again = GET $url;
    ok($again->header('X-Cache') =~ /^MISS/
        && origin_id($again) ne origin_id($first),
        "$name: a miss that goes to the origin");
    ok($again->content eq bytes_pattern(1500), "$name: the right body");
    is(scalar(grep { $_ eq 'RL06004' } error_log_tags($mark)), 1,
        "$name: one RL06004 line");
    my $third = GET $url;
    ok($third->header('X-Cache') =~ /^HIT/
        && origin_id($third) eq origin_id($again), "$name: stored anew");
}

sub edit {
    my ($file, $code) = @_;
    open my $fh, '+<:raw', $file or die "$file: $!";
    local $/;
    my $data = <$fh>;
    $data = $code->($data);
    seek $fh, 0, 0;
    truncate $fh, 0;
    print $fh $data;
    close $fh;
}

damage_case('flip', sub {
    edit($_[0], sub { my $d = shift; substr($d, -40, 1) ^= "\x01"; $d });
});
damage_case('short', sub {
    edit($_[0], sub { substr(shift, 0, -7) });
});
damage_case('body-cut', sub {
    edit($_[0], sub { my $d = shift; substr($d, 100, 200) = ''; $d });
});
damage_case('foreign', sub {
    edit($_[0], sub { "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello" });
});

# Another key's valid entry at this key's path: never served for it.
my $other = "/bytes?n=700&cc=max-age%3D300&r=$run-other";
GET $other;
damage_case('other-key', sub {
    copy(entry_file($seed, qr/r=\Q$run-other\E\z/), $_[0]) or die "copy: $!";
});

Apache::TestRequest::module('cache_disk_bounds');
cache_root('bounds');
my %cases = (
    'below CacheMinFileSize' => ['/bytes?n=50&cc=max-age%3D300', 0],
    'within the bounds' => ['/bytes?n=1000&cc=max-age%3D300', 1],
    'over CacheMaxFileSize' => ['/bytes?n=3000&cc=max-age%3D300', 0],
    'chunked, within' => ['/bytes?n=1000&chunked=1&cc=max-age%3D300', 1],
    'chunked, over the maximum' =>
        ['/bytes?n=3000&chunked=1&cc=max-age%3D300', 0],
    'chunked, below the minimum' =>
        ['/bytes?n=50&chunked=1&cc=max-age%3D300', 0],
);
for my $what (sort keys %cases) {
    my ($url, $stored) = @{ $cases{$what} };
    $url .= "&r=$run";
    my $a = GET $url;
    my $b = GET $url;
    my $n = ($url =~ /n=(\d+)/)[0];
    ok(($b->header('X-Cache') =~ /^HIT/ ? 1 : 0) == $stored
        && $b->content eq bytes_pattern($n),
        "$what: " . ($stored ? 'stored' : 'not stored') . ', body whole');
}
my @errors = error_log_errors($start, 'RL06004');
is(scalar @errors, 0, 'no unexpected error logged') or diag join "\n", @errors;
