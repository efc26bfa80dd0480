# Licensed under the Apache License, Version 2.0.
#
# Relay::FcgiBackend - a scripted FastCGI application for the tests of
# mod_proxy_fcgi's error paths (t/modules/proxy_fcgi_hostile.t). It
# listens on a unix socket, reads each request's records up to the end of
# STDIN, and answers as the last path segment of REQUEST_URI says:
#
#   ok            a plain CGI response, "ok\n"
#   badversion    a record of FastCGI version 2
#   wrongid       a STDOUT record for request id 2
#   bighead       70 KB of header lines and no end of the block
#   nohead        END_REQUEST without any STDOUT
#   overloaded    END_REQUEST with protocol status OVERLOADED
#   unknowntype   a record of type 20 (its content skipped), then "ok\n"
#   padding       the body in one-byte records with 255 bytes of padding
#   redirect      "Location: /fcgi/target.txt" and no Status
#   stallhead     nothing at all (the proxy's timeout ends it)
#   stallbody     the head and part of the body, then nothing
#   cutbody       the head and part of the body, then the connection closes
#   stderr        a STDERR line, then "ok\n"
#
#   my $b = Relay::FcgiBackend->start($socket_path);   # forks
#   $b->stop;

package Relay::FcgiBackend;

use strict;
use warnings FATAL => 'all';

use Relay::UnixServer ();

sub record {
    my ($type, $id, $content, $padding) = @_;
    $padding //= 0;
    return pack('CCnnCx', 1, $type, $id, length $content, $padding)
        . $content . ("\0" x $padding);
}

sub stdout { return record(6, 1, $_[0]) }

sub end_request {
    my ($protocol_status) = @_;
    return record(3, 1, pack('NCx3', 0, $protocol_status // 0));
}

# Reads one record: (type, id, content), or () at the end.
sub read_record {
    my ($sock) = @_;
    my $head = Relay::UnixServer::read_exact($sock, 8) // return;
    my ($version, $type, $id, $len, $pad) = unpack('CCnnC', $head);
    my $content = Relay::UnixServer::read_exact($sock, $len + $pad) // return;
    return ($type, $id, substr($content, 0, $len));
}

# The PARAMS stream's pairs (FastCGI 1.0 §3.4).
sub parse_params {
    my ($data) = @_;
    my %env;
    while (length $data) {
        my @len;
        for (1 .. 2) {
            my $b = ord $data;
            if ($b & 0x80) {
                push @len, unpack('N', substr($data, 0, 4, '')) & 0x7fffffff;
            }
            else {
                substr($data, 0, 1, '');
                push @len, $b;
            }
        }
        my $name = substr($data, 0, $len[0], '');
        $env{$name} = substr($data, 0, $len[1], '');
    }
    return \%env;
}

sub answer {
    my ($sock, $case) = @_;
    my $head = "Content-Type: text/plain\r\n\r\n";
    my %reply = (
        ok => stdout($head . "ok\n") . end_request(),
        badversion => pack('CCnnCx', 2, 6, 1, 2, 0) . 'ok',
        wrongid => record(6, 2, $head . "ok\n") . end_request(),
        bighead => join('', map { stdout("X-Pad-$_: " . ('p' x 1000) . "\r\n") }
                        1 .. 70) . end_request(),
        nohead => end_request(),
        overloaded => end_request(2),
        unknowntype => record(20, 1, 'mystery') . stdout($head . "ok\n")
            . end_request(),
        padding => stdout($head)
            . join('', map { record(6, 1, $_, 255) } split //, "padded\n")
            . end_request(),
        redirect => stdout("Location: /fcgi/target.txt\r\n\r\n") . end_request(),
        stderr => record(7, 1, "relay-hostile-stderr\n") . stdout($head . "ok\n")
            . end_request(),
    );
    if ($case eq 'stallhead') {
        sleep 30;
        return;
    }
    if ($case eq 'splithead') {
        # The header block in two records, a little apart.
        print {$sock} stdout("Status: 201 Created\r\nX-Split: 1\r\n");
        select(undef, undef, undef, 0.2);
        print {$sock} stdout("Content-Type: text/x-relay\r\n\r\nsplit\n")
            . end_request();
        return;
    }
    if ($case eq 'stallbody' || $case eq 'cutbody') {
        print {$sock} stdout("Content-Type: text/plain\r\n\r\n" . ('b' x 1000));
        sleep 30 if $case eq 'stallbody';
        return;
    }
    print {$sock} $reply{$case} // $reply{ok};
}

sub serve {
    my ($sock) = @_;
    my ($params, $case) = ('', 'ok');
    while (my ($type, $id, $content) = read_record($sock)) {
        $params .= $content if $type == 4;
        last if $type == 5 && $content eq '';
    }
    my $env = parse_params($params);
    ($case) = ($env->{REQUEST_URI} // '') =~ m{/(\w+)(?:\?|\z)};
    answer($sock, $case // 'ok');
}

sub start {
    my ($class, $path) = @_;
    return Relay::UnixServer->start($path, \&serve);
}

1;
