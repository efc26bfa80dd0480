# Licensed under the Apache License, Version 2.0.
#
# Relay::Stream - large bodies through the test server on raw sockets,
# for the streaming tests of the scheme modules (proxy_fcgi_stream.t,
# proxy_ajp_stream.t). Neither side of a transfer is ever held by the
# proxy under test, nor by this client: both are made and checked as they
# flow. `$sample` (Relay::Proc::rss_watch) is called every 16 MiB so that
# the server's memory is watched while the bytes flow.
#
#   my ($body, $md5) = upload($port, $path, $size, $sample);
#       POSTs $size bytes (1 MiB pieces, a byte value per piece) with
#       Content-Length; returns the (short) response body and the md5 sent
#   my ($length, $md5) = download($port, $path, $sample);
#       GETs $path; returns the length and md5 of the body as received
#       (de-chunked), or an empty list when the response is malformed

package Relay::Stream;

use strict;
use warnings FATAL => 'all';

use Digest::MD5 ();
use Exporter qw(import);
use IO::Select ();

use Relay::Test ();

our @EXPORT_OK = qw(upload download);

use constant MiB => 1024 * 1024;

# The whole response on $s, read until the server closes (for short
# bodies).
sub read_response {
    my ($s) = @_;
    my $buf = '';
    my $sel = IO::Select->new($s);
    while ($sel->can_read(60)) {
        my $n = sysread($s, $buf, MiB, length $buf);
        last unless $n;
    }
    my $end = index($buf, "\r\n\r\n");
    return undef if $end < 0;
    my ($head, $body) = (substr($buf, 0, $end), substr($buf, $end + 4));
    ($body) = Relay::Test::dechunk($body) if $head =~ /^Transfer-Encoding: chunked/mi;
    return $body;
}

# A chunked body decoded as it arrives: feed() takes the next bytes and
# hands the payload to $out; done() tells whether the last chunk and the
# trailer section were seen; false from feed() means malformed.
sub chunk_decoder {
    my ($out) = @_;
    my ($pending, $left, $state) = ('', 0, 'size');
    my $feed = sub {
        $pending .= $_[0];
        while (1) {
            if ($state eq 'data') {
                my $k = $left < length $pending ? $left : length $pending;
                $out->(substr($pending, 0, $k, ''));
                $left -= $k;
                return 1 if $left > 0;
                $state = 'crlf';
            }
            my $eol = index($pending, "\r\n");
            return length($pending) < 4096 if $eol < 0;
            my $line = substr($pending, 0, $eol + 2, '');
            if ($state eq 'crlf') {
                return 0 if $line ne "\r\n";
                $state = 'size';
            }
            elsif ($state eq 'size') {
                return 0 unless $line =~ /^([0-9A-Fa-f]{1,15})(?:;[^\r\n]*)?\r\n\z/;
                $left = hex $1;
                $state = $left ? 'data' : 'trailers';
            }
            elsif ($state eq 'trailers') {
                $state = 'end' if $line eq "\r\n";
            }
            else {
                return 0;    # bytes after the end of the body
            }
        }
    };
    return ($feed, sub { $state eq 'end' });
}

sub upload {
    my ($port, $path, $size, $sample) = @_;
    my $s = Relay::Test::raw_connect($port, 60);
    Relay::Test::write_all($s, "POST $path HTTP/1.1\r\nHost: x\r\n"
        . "Content-Type: application/octet-stream\r\n"
        . "Content-Length: $size\r\nConnection: close\r\n\r\n");
    my $md5 = Digest::MD5->new;
    for my $i (1 .. $size / MiB) {
        my $piece = chr($i % 251) x MiB;
        $md5->add($piece);
        Relay::Test::write_all($s, $piece);
        $sample->() if $i % 16 == 0;
    }
    return (read_response($s), $md5->hexdigest);
}

sub download {
    my ($port, $path, $sample) = @_;
    my $s = Relay::Test::raw_connect($port, 60);
    Relay::Test::write_all($s,
        "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my ($md5, $length, $since_sample) = (Digest::MD5->new, 0, 0);
    my $out = sub { $md5->add($_[0]); $length += length $_[0] };
    my ($feed, $done, $head, $buf) = (undef, undef, undef, '');
    my $sel = IO::Select->new($s);
    while ($sel->can_read(60)) {
        my $n = sysread($s, $buf, MiB, length $buf);
        last unless $n;
        $since_sample += $n;
        if ($since_sample > 16 * MiB) {
            $sample->();
            $since_sample = 0;
        }
        if (!defined $head) {
            my $end = index($buf, "\r\n\r\n");
            next if $end < 0;
            $head = substr($buf, 0, $end + 4, '');
            ($feed, $done) = chunk_decoder($out)
                if $head =~ /^Transfer-Encoding: chunked/mi;
        }
        if ($feed) {
            $feed->($buf) or return;
        }
        else {
            $out->($buf);
        }
        $buf = '';
    }
    return if !defined $head || ($done && !$done->());
    return ($length, $md5->hexdigest);
}


1;
