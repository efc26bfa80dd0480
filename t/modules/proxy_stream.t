# Licensed under the Apache License, Version 2.0.
#
# Response bodies streamed through Relay (t/conf/proxy_stream.conf.in):
#  - a 1 GiB response (Content-Length) arrives whole and exact while the
#    resident memory of httpd's children stays flat;
#  - a 256 MiB chunked response likewise, re-chunked to the client;
#  - a client that stops reading for 2 s in the middle of 512 MiB holds
#    the origin back instead of making httpd buffer the rest;
#  - a slow origin's pieces reach the client as they are sent, not all
#    at the end (chunked and with Content-Length).
# Bodies are read from a raw socket, counted and hashed as they come (never
# held); memory is VmRSS from /proc, sampled every 0.1 s while reading.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Digest::MD5 ();
use IO::Select ();
use Time::HiRes qw(time);

use Relay::Test;
use Relay::Proc;

plan tests => 22;

use constant MiB => 1024 * 1024;
use constant FLAT_KB => 64 * 1024;    # allowed RSS growth of one child

Apache::TestRequest::module('proxy_stream');
my ($port) = Apache::TestRequest::hostport() =~ /:(\d+)\z/;

# GET $path on a connection of its own. The body is decoded by its
# framing, counted and hashed as it arrives. Options: pause_at/pause (stop
# reading for `pause` seconds once `pause_at` bytes are in), arrivals (keep
# [time, bytes so far] for each read). Returns a hash with status,
# response (the head), length, md5, complete, rss_growth_kb, samples,
# arrivals, elapsed.
sub stream_get {
    my ($path, %o) = @_;
    my $start = time;
    my ($sample, $growth, $samples) = rss_watch();
    my $sock = raw_connect($port, 30);
    syswrite($sock, "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
                    . "Connection: close\r\n\r\n");
    my $in = '';
    read_until($sock, \$in, qr/\r\n\r\n/, 30) eq 'match' or return {};
    my $res = parse_response($in);
    $in = $res->{body};
    my $chunked = join(',', header_values($res, 'Transfer-Encoding'))
        =~ /chunked/i;
    my ($cl) = header_values($res, 'Content-Length');
    my $md5 = Digest::MD5->new;
    my ($n, $left, $state, $done) = (0, 0, 'size', 0);
    my @arrivals;

    # Takes what it can from $in; sets $done at the end of the body.
    my $feed = sub {
        while (length $in && !$done) {
            if (!$chunked || $left > 0) {
                my $take = length $in;
                $take = $left if $chunked && $take > $left;
                $md5->add(substr($in, 0, $take, ''));
                $n += $take;
                $left -= $take if $chunked;
                $state = 'crlf' if $chunked && $left == 0;
                $done = 1 if !$chunked && defined $cl && $n >= $cl;
            }
            elsif ($state eq 'crlf') {
                return if length $in < 2;
                substr($in, 0, 2, '') eq "\r\n" or return $done = -1;
                $state = 'size';
            }
            else {
                my $eol = index($in, "\r\n");
                return if $eol < 0;
                my $line = substr($in, 0, $eol + 2, '');
                $line =~ /^([0-9a-fA-F]+)/ or return $done = -1;
                $left = hex $1;
                $done = 1 if $left == 0;
            }
        }
    };

    my $sel = IO::Select->new($sock);
    my ($last_sample, $paused) = (0, 0);
    $feed->();
    push @arrivals, [time, $n] if $o{arrivals} && $n;
    while (!$done) {
        if ($o{pause_at} && !$paused && $n >= $o{pause_at}) {
            $paused = 1;
            my $end = time + $o{pause};
            while (time < $end) {
                $sample->();
                Time::HiRes::sleep(0.1);
            }
        }
        last unless $sel->can_read(30);
        my $got = sysread($sock, my $data, 256 * 1024);
        last unless $got;
        $in .= $data;
        $feed->();
        push @arrivals, [time, $n] if $o{arrivals};
        if (time - $last_sample >= 0.1) {
            $sample->();
            $last_sample = time;
        }
    }
    $sample->();
    close $sock;
    return {
        status => $res->{status}, response => $res, length => $n,
        md5 => $md5->hexdigest, complete => $done == 1,
        rss_growth_kb => $growth->(), samples => $$samples,
        arrivals => \@arrivals, elapsed => time - $start,
    };
}

my $mark = error_log_mark();

# A first body through the worker, so that the pools and buffers every
# response uses exist before memory is measured.
{
    my $r = stream_get('/bytes?n=' . 16 * MiB);
    is($r->{md5}, bytes_md5(16 * MiB), 'warm-up: 16 MiB through Relay');
}

# 1 GiB with Content-Length.
{
    my $n = 1024 * MiB;
    my $r = stream_get("/bytes?n=$n");
    diag(sprintf '1 GiB in %.1f s, %d RSS samples, peak growth %d KiB',
         $r->{elapsed}, $r->{samples}, $r->{rss_growth_kb});
    is($r->{status}, 200, '1 GiB: 200');
    is((header_values($r->{response}, 'Content-Length'))[0], $n,
        '1 GiB: Content-Length passed on');
    is($r->{length}, $n, '1 GiB: every byte arrived');
    is($r->{md5}, bytes_md5($n), '1 GiB: md5 of the origin\'s pattern');
    cmp_ok($r->{samples}, '>=', 3, '1 GiB: memory sampled while streaming');
    cmp_ok($r->{rss_growth_kb}, '<', FLAT_KB,
        '1 GiB: httpd children grew by less than 64 MiB');
}

# 256 MiB chunked: decoded from the origin, chunked again to the client.
{
    my $n = 256 * MiB;
    my $r = stream_get("/bytes?n=$n&chunked=1");
    is($r->{status}, 200, 'chunked 256 MiB: 200');
    like(join(',', header_values($r->{response}, 'Transfer-Encoding')),
        qr/chunked/i, 'chunked 256 MiB: chunked to the client');
    ok($r->{complete}, 'chunked 256 MiB: ends with the last chunk');
    is($r->{length}, $n, 'chunked 256 MiB: every byte arrived');
    is($r->{md5}, bytes_md5($n), 'chunked 256 MiB: md5');
    cmp_ok($r->{rss_growth_kb}, '<', FLAT_KB,
        'chunked 256 MiB: httpd children grew by less than 64 MiB');
}

# A client that stops reading: the origin is held back, httpd does not
# take the rest of the body into memory meanwhile.
{
    my $n = 512 * MiB;
    my $r = stream_get("/bytes?n=$n", pause_at => 64 * MiB, pause => 2);
    diag(sprintf 'slow reader: %.1f s, peak growth %d KiB',
         $r->{elapsed}, $r->{rss_growth_kb});
    is($r->{length}, $n, 'slow reader: every byte arrived');
    is($r->{md5}, bytes_md5($n), 'slow reader: md5');
    cmp_ok($r->{elapsed}, '>=', 2, 'slow reader: it did stop for 2 s');
    cmp_ok($r->{rss_growth_kb}, '<', FLAT_KB,
        'slow reader: httpd children grew by less than 64 MiB');
}

# A slow origin: six 16-byte pieces 300 ms apart. Each reaches the client
# when it is sent, so the first arrives 1.5 s before the last.
for my $chunked (1, 0) {
    my $what = $chunked ? 'slow origin, chunked' : 'slow origin, Content-Length';
    my $r = stream_get("/slowbody?ms=300&chunks=6&chunked=$chunked",
                       arrivals => 1);
    is($r->{md5}, Digest::MD5::md5_hex(
            join '', map { sprintf "chunk %09d\n", $_ } 1 .. 6),
        "$what: the whole body");
    my ($first) = grep { $_->[1] > 0 } @{ $r->{arrivals} };
    my $last = $r->{arrivals}[-1];
    cmp_ok($last->[0] - ($first // $last)->[0], '>=', 1.0,
        "$what: first piece arrived over a second before the last");
}

is_deeply([error_log_errors($mark)], [], 'no error-level lines in the log');
