# Licensed under the Apache License, Version 2.0.
#
# Relay::AjpBackend - a scripted AJP/1.3 container for the tests of
# mod_proxy_ajp's error paths (t/modules/proxy_ajp_hostile.t). It listens
# on a unix socket, reads a FORWARD_REQUEST (and the body packets that
# follow it, up to the empty one), and answers as the request URI's last
# segment says:
#
#   ok          SEND_HEADERS 200, a body chunk "ok\n", END_RESPONSE
#   badmagic    a packet that does not begin with "AB"
#   toolong     a packet announcing 9000 bytes (over the 8192 agreed)
#   badcode     a packet with the prefix code 99
#   bodyfirst   a SEND_BODY_CHUNK before any SEND_HEADERS
#   nohead      END_RESPONSE without SEND_HEADERS
#   badstatus   SEND_HEADERS with the status 42
#   crlf        a header value holding CR LF
#   stallhead   nothing at all (the proxy's timeout ends it)
#   cutbody     the head and part of the body, then the connection closes
#   strict      a request with a body of known length: its one body packet
#               read, then X-Extra tells how many more bytes the proxy
#               sent unasked within 0.3 s (none belong there)
#
#   my $b = Relay::AjpBackend->start($socket_path);   # forks
#   $b->stop;

package Relay::AjpBackend;

use strict;
use warnings FATAL => 'all';

use IO::Select ();

use Relay::UnixServer ();

sub packet { return 'AB' . pack('n', length $_[0]) . $_[0] }

sub string {
    my ($s) = @_;
    return pack('n', length $s) . $s . "\0";
}

sub headers {
    my ($status, @h) = @_;
    my $p = pack('Cn', 4, $status) . string('OK') . pack('n', @h / 2);
    while (my ($n, $v) = splice @h, 0, 2) {
        $p .= string($n) . string($v);
    }
    return packet($p);
}

sub chunk { return packet(pack('Cn', 3, length $_[0]) . $_[0] . "\0") }
sub end_response { return packet(pack('CC', 5, $_[0] // 1)) }

# One packet from the server: its payload, or undef.
sub read_packet {
    my ($sock) = @_;
    my $head = Relay::UnixServer::read_exact($sock, 4) // return undef;
    my (undef, $len) = unpack('nn', $head);
    return Relay::UnixServer::read_exact($sock, $len);
}

sub answer {
    my ($sock, $case) = @_;
    my %reply = (
        ok => headers(200, 'Content-Type', 'text/plain') . chunk("ok\n")
            . end_response(),
        badmagic => 'XY' . pack('n', 1) . "\x05",
        toolong => 'AB' . pack('n', 9000) . ("\0" x 100),
        badcode => packet("\x63"),
        bodyfirst => chunk("early\n") . end_response(),
        nohead => end_response(),
        badstatus => headers(42) . end_response(),
        crlf => headers(200, 'X-Split', "a\r\nInjected: yes") . end_response(),
        twohead => headers(200, 'Content-Type', 'text/plain') . chunk("one\n")
            . headers(500, 'X-Second', 'yes') . chunk("two\n")
            . end_response(),
    );
    if ($case eq 'stallhead') {
        sleep 30;
        return;
    }
    if ($case eq 'askfirst') {
        # Asks for the body before answering, as Tomcat does for a page
        # that reads its input; the head comes a little later.
        print {$sock} packet(pack('Cn', 6, 8186));
        read_packet($sock);
        select(undef, undef, undef, 0.2);
        print {$sock} headers(201, 'Content-Type', 'text/x-relay')
            . chunk("asked\n") . end_response();
        return;
    }
    if ($case eq 'cutbody') {
        print {$sock} headers(200, 'Content-Type', 'text/plain')
            . chunk('b' x 1000);
        return;
    }
    print {$sock} $reply{$case} // $reply{ok};
}

# Bytes that arrive within $wait seconds.
sub unasked_bytes {
    my ($sock, $wait) = @_;
    my $sel = IO::Select->new($sock);
    my ($n, $buf) = (0, '');
    while ($sel->can_read($wait)) {
        my $got = sysread($sock, $buf, 4096);
        last unless $got;
        $n += $got;
    }
    return $n;
}

sub serve {
    my ($sock) = @_;
    my $req = read_packet($sock) // return;
    # prefix, method, protocol, req_uri: the URI is the second string.
    my $off = 2;
    my ($plen) = unpack('n', substr($req, $off, 2));
    $off += 2 + $plen + 1;
    my ($ulen) = unpack('n', substr($req, $off, 2));
    my $uri = substr($req, $off + 2, $ulen);
    my ($case) = $uri =~ m{/(\w+)\z};
    if (($case // '') eq 'strict') {
        read_packet($sock);    # the body, all of it in its first packet
        print {$sock} headers(200, 'X-Extra', unasked_bytes($sock, 0.3))
            . end_response();
        return;
    }
    answer($sock, $case // 'ok');
}

sub start {
    my ($class, $path) = @_;
    return Relay::UnixServer->start($path, \&serve);
}

1;
