# Licensed under the Apache License, Version 2.0.
#
# WebSocket through Relay (t/conf/proxy_websocket.conf.in):
#  - with upgrade=websocket the handshake reaches the origin and its 101
#    comes back with the right Sec-WebSocket-Accept; then the tunnel
#    carries text, fragmented and binary frames (a 70 KiB one with a 64-bit
#    length, a 4 MiB one), ping/pong and the closing handshake, and bytes
#    the client sends right behind its handshake;
#  - without upgrade=, or for another protocol than the one allowed, the
#    origin sees no Upgrade field and its 426 reaches the client as a
#    normal response on a connection that stays usable;
#  - a ws:// origin URL tunnels without upgrade=.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;
use Relay::Client;

plan tests => 31;

my $KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

sub handshake_bytes {
    my ($port, %o) = @_;
    return "GET /ws HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
        . 'Upgrade: ' . ($o{upgrade} // 'websocket') . "\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Key: $KEY\r\n"
        . "Sec-WebSocket-Version: 13\r\n\r\n" . ($o{after} // '');
}

# Sends the handshake (and $o{after} in the same write). Returns the
# socket, the parsed response and the bytes read past its head.
sub ws_open {
    my ($port, %o) = @_;
    my $sock = raw_connect($port);
    syswrite($sock, handshake_bytes($port, %o));
    my $buf = '';
    read_until($sock, \$buf, qr/\r\n\r\n/, 10);
    my $res = parse_response($buf);
    $buf = $res ? $res->{body} . $res->{rest} : q{};
    return ($sock, $res, \$buf);
}

sub send_all {
    my ($sock, $bytes) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($sock, $bytes, length($bytes) - $off, $off) or last;
        $off += $n;
    }
}

sub hv { (header_values($_[0], $_[1]))[0] // '' }

my $mark = error_log_mark();
my $port = vhost_port('proxy_websocket');

# upgrade=websocket: handshake, then frames both ways.
{
    my ($sock, $res, $buf) = ws_open($port);
    is($res && $res->{status}, 101, 'upgrade=websocket: 101 from the origin');
    is(hv($res, 'Sec-WebSocket-Accept'), ws_accept($KEY),
        'upgrade=websocket: Sec-WebSocket-Accept for our key');
    like(hv($res, 'Upgrade'), qr/^websocket\z/i,
        'upgrade=websocket: Upgrade: websocket');
    like(hv($res, 'Connection'), qr/\bupgrade\b/i,
        'upgrade=websocket: Connection: Upgrade');
    ok(hv($res, 'X-Origin-Conn'), 'upgrade=websocket: the head is the origin\'s');

    send_all($sock, ws_frame(1, 'hello relay'));
    is_deeply([ws_read_frame($sock, $buf, 10)], [1, 1, 'hello relay'],
        'tunnel: text frame echoed');

    send_all($sock, ws_frame(1, 'frag-', fin => 0) . ws_frame(0, 'ment'));
    is_deeply([ws_read_frame($sock, $buf, 10), ws_read_frame($sock, $buf, 10)],
        [0, 1, 'frag-', 1, 0, 'ment'],
        'tunnel: fragmented message echoed frame by frame');

    my $big = bytes_pattern(70 * 1024);
    send_all($sock, ws_frame(2, $big));
    my @f = ws_read_frame($sock, $buf, 10);
    is($f[1], 2, 'tunnel: 70 KiB binary frame (64-bit length) echoed');
    ok(defined $f[2] && $f[2] eq $big, 'tunnel: ... byte for byte');

    my $huge = bytes_pattern(4 << 20);
    send_all($sock, ws_frame(2, $huge));
    @f = ws_read_frame($sock, $buf, 20);
    ok(defined $f[2] && length $f[2] == length $huge && $f[2] eq $huge,
        'tunnel: 4 MiB binary frame echoed byte for byte');

    send_all($sock, ws_frame(9, 'ping!'));
    is_deeply([ws_read_frame($sock, $buf, 10)], [1, 10, 'ping!'],
        'tunnel: ping answered with pong');

    send_all($sock, ws_frame(8, pack('n', 1000) . 'bye'));
    is_deeply([ws_read_frame($sock, $buf, 10)], [1, 8, pack('n', 1000) . 'bye'],
        'tunnel: close answered with close');
    my $rest = '';
    is(read_until($sock, \$rest, undef, 10), 'eof',
        'tunnel: the connection ends after the closing handshake');
    is($rest, '', 'tunnel: nothing after the close frame');
    close $sock;
}

# Frames sent in the same write as the handshake are not lost.
{
    my ($sock, $res, $buf) = ws_open($port, after => ws_frame(1, 'early'));
    is($res && $res->{status}, 101, 'early frame: 101');
    is_deeply([ws_read_frame($sock, $buf, 10)], [1, 1, 'early'],
        'early frame: echoed after the handshake');
    close $sock;
}

# Upgrade to a protocol the worker does not allow: plain HTTP.
{
    my $c = Relay::Client->new($port);
    my $res = $c->send_raw(handshake_bytes($port, upgrade => 'h2c'));
    is($res && $res->{status}, 426,
        'upgrade=websocket, Upgrade: h2c: the origin saw no websocket upgrade');
    my $echo = $c->get('/echo', Upgrade => 'websocket', Connection => 'Upgrade');
    is($echo && $echo->{status}, 200,
        'upgrade=websocket: a mapping without it (/echo) is plain HTTP');
    unlike($echo->{body}, qr/^header: (?:Upgrade|Connection):/mi,
        'upgrade=websocket: ... and forwards no Upgrade or Connection field');
    $c->disconnect;
}

# No upgrade=: the origin never sees the Upgrade field and answers 426,
# which the client gets as an ordinary response.
{
    my $pport = vhost_port('proxy_websocket_plain');
    my $c = Relay::Client->new($pport);
    my $res = $c->send_raw(handshake_bytes($pport));
    is($res && $res->{status}, 426, 'no upgrade=: the origin\'s 426');
    is($res->{body}, "upgrade required\n", 'no upgrade=: with its body');
    ok(!$c->closed, 'no upgrade=: the client connection stays open');
    my $echo = $c->get('/echo', Upgrade => 'websocket', Connection => 'Upgrade',
                       'Sec-WebSocket-Key' => $KEY);
    is($echo && $echo->{status}, 200, 'no upgrade=: next request served');
    unlike($echo->{body}, qr/^header: Upgrade:/mi,
        'no upgrade=: Upgrade not forwarded');
    unlike($echo->{body}, qr/^header: Connection:.*upgrade/mi,
        'no upgrade=: Connection: Upgrade not forwarded');
    like($echo->{body}, qr/^header: Sec-WebSocket-Key: \Q$KEY\E$/m,
        'no upgrade=: end-to-end fields still forwarded');
    $c->disconnect;
}

# ws:// origin URL.
{
    my $wport = vhost_port('proxy_websocket_wsurl');
    my ($sock, $res, $buf) = ws_open($wport);
    is($res && $res->{status}, 101, 'ws:// URL: 101');
    is(hv($res, 'Sec-WebSocket-Accept'), ws_accept($KEY),
        'ws:// URL: Sec-WebSocket-Accept');
    send_all($sock, ws_frame(1, 'over ws://'));
    is_deeply([ws_read_frame($sock, $buf, 10)], [1, 1, 'over ws://'],
        'ws:// URL: text frame echoed');
    send_all($sock, ws_frame(8, pack('n', 1000)));
    is_deeply([ws_read_frame($sock, $buf, 10)], [1, 8, pack('n', 1000)],
        'ws:// URL: close answered with close');
    close $sock;
}

is_deeply([error_log_errors($mark)], [], 'no error-level lines in the log');
