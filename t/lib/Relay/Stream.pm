# Licensed under the Apache License, Version 2.0.
#
# Relay::Stream - large bodies through the test server on raw sockets,
# for the streaming tests of the scheme modules (proxy_fcgi_stream.t,
# proxy_ajp_stream.t). Neither side of a transfer is ever held by the
# proxy under test; `$sample` (Relay::Proc::rss_watch) is called every
# 16 MiB so that its memory is watched while the bytes flow.
#
#   my ($body, $md5) = upload($port, $path, $size, $sample);
#       POSTs $size bytes (1 MiB pieces, a byte value per piece) with
#       Content-Length; returns the response body and the md5 sent
#   my $body = download($port, $path, $sample);
#       GETs $path; returns the body, de-chunked (undef when malformed)

package Relay::Stream;

use strict;
use warnings FATAL => 'all';

use Digest::MD5 ();
use Exporter qw(import);
use IO::Select ();

use Relay::Test ();

our @EXPORT_OK = qw(upload download);

use constant MiB => 1024 * 1024;

# The whole response on $s, read until the server closes.
sub read_response {
    my ($s, $sample) = @_;
    my ($buf, $last) = ('', 0);
    my $sel = IO::Select->new($s);
    while ($sel->can_read(60)) {
        my $n = sysread($s, $buf, MiB, length $buf);
        last unless $n;
        if (length($buf) - $last > 16 * MiB) {
            $sample->();
            $last = length $buf;
        }
    }
    my $end = index($buf, "\r\n\r\n");
    return undef if $end < 0;
    my ($head, $body) = (substr($buf, 0, $end), substr($buf, $end + 4));
    ($body) = Relay::Test::dechunk($body) if $head =~ /^Transfer-Encoding: chunked/mi;
    return $body;
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
    return (read_response($s, $sample), $md5->hexdigest);
}

sub download {
    my ($port, $path, $sample) = @_;
    my $s = Relay::Test::raw_connect($port, 60);
    Relay::Test::write_all($s,
        "GET $path HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    return read_response($s, $sample);
}

1;
