# Licensed under the Apache License, Version 2.0.
#
# Relay::Test - helpers shared by Relay's Apache::Test files.
#
#  - where the test origin and the dead port are (origin_port, dead_port,
#    origin_url): scripts/relay-test exports RELAY_ORIGIN_PORT and
#    RELAY_DEAD_PORT before it runs t/TEST;
#  - raw sockets for hostile or byte-exact exchanges (raw_request,
#    raw_connect, read_until), a small response parser (parse_response,
#    header_values, dechunk) and WebSocket client frames (ws_*);
#  - the /bytes pattern of t/origin/relay_origin.pl (bytes_pattern,
#    bytes_md5), kept identical to the origin's;
#  - the server's error log: lines and "RLnnnnn:" tags written since a mark,
#    and the error-level lines no test expected (error_log_*).
#
# Everything connects to 127.0.0.1 and every wait has a deadline.

package Relay::Test;

use strict;
use warnings FATAL => 'all';

use Carp qw(croak);
use Digest::MD5 ();
use Digest::SHA ();
use Errno qw(EINTR);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Spec ();
use IO::Select ();
use IO::Socket::INET ();
use MIME::Base64 qw(encode_base64);
use Time::HiRes ();

our @EXPORT = qw(
    origin_port dead_port origin_url vhost_port
    raw_request raw_connect read_until burst origin_count
    parse_response header_values dechunk
    bytes_pattern bytes_md5
    ws_accept ws_frame ws_read_frame
    error_log_path error_log_mark error_log_since error_log_tags
    error_log_errors error_log_wait
);

# ------------------------------------------------------------- ports

sub env_port {
    my ($name) = @_;
    my $port = $ENV{$name};
    croak "$name is not set: run the suite with scripts/relay-test"
        unless defined $port && $port =~ /^\d+\z/;
    return $port;
}

sub origin_port { env_port('RELAY_ORIGIN_PORT') }
sub dead_port   { env_port('RELAY_DEAD_PORT') }

# The port Apache::Test gave the named <VirtualHost> of t/conf/*.conf.in.
sub vhost_port {
    my ($vhost) = @_;
    require Apache::TestRequest;
    Apache::TestRequest::module($vhost);
    my ($port) = Apache::TestRequest::hostport() =~ /:(\d+)\z/;
    return $port;
}

sub origin_url {
    my ($path) = @_;
    return 'http://127.0.0.1:' . origin_port() . ($path // '/');
}

# ------------------------------------------------------- raw sockets

sub raw_connect {
    my ($port, $timeout) = @_;
    my $sock = IO::Socket::INET->new(
        PeerAddr => '127.0.0.1',
        PeerPort => $port,
        Proto    => 'tcp',
        Timeout  => $timeout // 10,
    ) or croak "connect 127.0.0.1:$port: $@";
    binmode $sock;
    return $sock;
}

sub write_all {
    my ($sock, $bytes) = @_;
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($sock, $bytes, length($bytes) - $off, $off);
        if (!defined $n) {
            next if $! == EINTR;
            return 0;    # the peer closed; what it sent is still readable
        }
        $off += $n;
    }
    return 1;
}

# Reads from $sock into $$buf until $stop holds for the data read so far
# (a regex to match, a code ref called with the buffer; undef reads to the
# end), the peer closes or $timeout seconds pass. Returns 'match', 'eof',
# 'timeout' or 'error'.
sub read_until {
    my ($sock, $buf, $stop, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 10);
    my $sel = IO::Select->new($sock);
    my $done = !defined $stop ? sub { 0 }
             : ref $stop eq 'CODE' ? $stop
             : sub { $_[0] =~ $stop };
    while (1) {
        return 'match' if $done->($$buf);
        my $left = $deadline - Time::HiRes::time();
        return 'timeout' if $left <= 0;
        next unless $sel->can_read($left);
        my $n = sysread($sock, $$buf, 65536, length $$buf);
        next if !defined $n && $! == EINTR;
        return 'error' unless defined $n;
        return 'eof' if $n == 0;
    }
}

# Sends $bytes to 127.0.0.1:$port and returns everything that comes back
# until the peer closes or $timeout seconds pass. In list context also
# returns how the read ended ('eof', 'timeout' or 'error').
sub raw_request {
    my ($port, $bytes, $timeout) = @_;
    my $sock = raw_connect($port, $timeout);
    write_all($sock, $bytes);
    my $buf = '';
    my $end = read_until($sock, \$buf, undef, $timeout);
    close $sock;
    return wantarray ? ($buf, $end) : $buf;
}

# ---------------------------------------------------------- responses

# Splits one response off raw bytes: {version, status, reason, headers =>
# [[name, value], ...], head, body}. The body is every byte after the head,
# unframed; a 1xx response has none, its successors stay in {rest}.
sub parse_response {
    my ($raw) = @_;
    return undef unless defined $raw;
    my $end = index($raw, "\r\n\r\n");
    return undef if $end < 0;
    my $head = substr($raw, 0, $end);
    my $after = substr($raw, $end + 4);
    my ($status_line, @lines) = split /\r\n/, $head;
    my ($version, $status, $reason) =
        $status_line =~ m{^(HTTP/\d\.\d) (\d{3})(?: (.*))?\z} or return undef;
    my @headers = map { /^([^:]+):[ \t]*(.*?)[ \t]*\z/ ? [$1, $2] : [$_, undef] }
        @lines;
    my $res = {
        version => $version, status => $status, reason => $reason // '',
        headers => \@headers, head => $head,
    };
    if ($status < 200) {
        @$res{qw(body rest)} = ('', $after);
    }
    else {
        @$res{qw(body rest)} = ($after, '');
    }
    return $res;
}

sub header_values {
    my ($res, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $res->{headers} };
}

# Decodes a complete chunked body. Returns (data, [[name, value]...]
# trailers, extensions seen), or an empty list when it is malformed or cut.
sub dechunk {
    my ($body) = @_;
    my $data = '';
    my (@trailers, @ext);
    pos($body) = 0;    # parsed with \G from an offset: linear in the size
    while (1) {
        $body =~ /\G([0-9A-Fa-f]+)((?:;[^\r\n]*)?)\r\n/gc or return;
        my ($size, $ext) = (hex $1, $2);
        push @ext, $ext if $ext ne '';
        if ($size == 0) {
            while ($body =~ /\G([^\r\n:]+):[ \t]*([^\r\n]*)\r\n/gc) {
                push @trailers, [$1, $2];
            }
            return $body =~ /\G\r\n/gc ? ($data, \@trailers, \@ext) : ();
        }
        my $at = pos $body;
        return if length($body) - $at < $size + 2;
        $data .= substr($body, $at, $size);
        pos($body) = $at + $size;
        $body =~ /\G\r\n/gc or return;
    }
}

# ------------------------------------------------------ /bytes pattern
# The same 64-byte line the origin repeats: byte i is LINE[i % 64].

my $LINE = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+' . "\n";
my $BLOCK = $LINE x 1024;

sub bytes_pattern {
    my ($n) = @_;
    return substr($LINE x (int($n / 64) + 1), 0, $n);
}

sub bytes_md5 {
    my ($n) = @_;
    my $md5 = Digest::MD5->new;
    $md5->add($BLOCK) for 1 .. int($n / length $BLOCK);
    $md5->add(substr($BLOCK, 0, $n % length $BLOCK));
    return $md5->hexdigest;
}

# ---------------------------------------------------------- WebSocket

sub ws_accept {
    my ($key) = @_;
    return encode_base64(
        Digest::SHA::sha1($key . '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'), '');
}

# A client frame (RFC 6455 section 5.2): FIN set unless fin => 0, masked
# with a fixed key unless mask => undef is passed.
sub ws_frame {
    my ($opcode, $payload, %o) = @_;
    my $b0 = (exists $o{fin} && !$o{fin} ? 0 : 0x80) | $opcode;
    my $mask = exists $o{mask} ? $o{mask} : "\x37\xfa\x21\x3d";
    my $len = length $payload;
    my $mbit = defined $mask ? 0x80 : 0;
    my $frame = $len < 126 ? pack('CC', $b0, $mbit | $len)
              : $len < 65536 ? pack('CCn', $b0, $mbit | 126, $len)
              : pack('CCQ>', $b0, $mbit | 127, $len);
    if (defined $mask) {
        $payload ^= substr($mask x (int($len / 4) + 1), 0, $len);
        $frame .= $mask;
    }
    return $frame . $payload;
}

# Reads one server frame. $buf holds bytes already read from $sock (the
# handshake's leftovers); consumed bytes are removed from it. Returns
# (fin, opcode, payload), or an empty list on timeout or close.
sub ws_read_frame {
    my ($sock, $buf, $timeout) = @_;
    my $need = sub {
        my ($n) = @_;
        return length $$buf >= $n
            || read_until($sock, $buf, sub { length $_[0] >= $n }, $timeout)
                eq 'match';
    };
    $need->(2) or return;
    my ($b0, $b1) = unpack 'CC', $$buf;
    my $len = $b1 & 0x7f;
    my $hlen = 2 + ($len == 126 ? 2 : $len == 127 ? 8 : 0)
        + (($b1 & 0x80) ? 4 : 0);
    $need->($hlen) or return;
    $len = unpack 'x2n', $$buf if $len == 126;
    $len = unpack 'x2Q>', $$buf if $len == 127;
    $need->($hlen + $len) or return;
    my $frame = substr($$buf, 0, $hlen + $len, '');
    my $payload = substr($frame, $hlen);
    if ($b1 & 0x80) {
        my $mask = substr($frame, $hlen - 4, 4);
        $payload ^= substr($mask x (int($len / 4) + 1), 0, $len);
    }
    return ($b0 >> 7, $b0 & 0x0f, $payload);
}

# ------------------------------------------------------------ error log

sub error_log_path {
    my $logs = eval { Apache::Test::vars('t_logs') }
        // File::Spec->catdir(dirname(__FILE__), '..', '..', 'logs');
    return File::Spec->catfile($logs, 'error_log');
}

# The current end of the error log: pass it to error_log_since and friends
# to see only what a test caused.
sub error_log_mark {
    return -s error_log_path() // 0;
}

sub error_log_since {
    my ($mark) = @_;
    open my $fh, '<', error_log_path() or return ();
    seek $fh, $mark // 0, 0;
    my @lines = <$fh>;
    close $fh;
    chomp @lines;
    return @lines;
}

# The "RLnnnnn" tags of Relay's log lines since $mark, in order.
sub error_log_tags {
    my ($mark) = @_;
    return map { /\b(RL\d{5}):/ ? $1 : () } error_log_since($mark);
}

# Lines at level error or worse since $mark, except those carrying one of
# the tags a test expects: any line this returns should fail the test.
sub error_log_errors {
    my ($mark, @expected) = @_;
    my %ok = map { $_ => 1 } @expected;
    return grep {
        /\[(?:[\w.]+:)?(?:emerg|alert|crit|error)\]/
            && !(/\b(RL\d{5}):/ && $ok{$1})
    } error_log_since($mark);
}

# Waits up to $timeout seconds for a line since $mark matching $re (httpd
# may log after the response has gone). Returns the line or undef.
sub error_log_wait {
    my ($mark, $re, $timeout) = @_;
    my $deadline = Time::HiRes::time() + ($timeout // 5);
    while (1) {
        my ($line) = grep { $_ =~ $re } error_log_since($mark);
        return $line if defined $line;
        return undef if Time::HiRes::time() >= $deadline;
        Time::HiRes::sleep(0.05);
    }
}


# Sends one GET of $path per entry of @extra (extra header lines, each
# ending in CRLF, or '') at once, on separate connections to $port; the
# parsed responses, in order ({ status => 0 } for none).
sub burst {
    my ($port, $path, @extra) = @_;
    my @socks = map {
        my $s = raw_connect($port, 15);
        write_all($s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
                      . $_ . "Connection: close\r\n\r\n");
        $s;
    } @extra;
    return map {
        my $buf = '';
        read_until($_, \$buf, undef, 15);
        close $_;
        parse_response($buf) // { status => 0, body => '', headers => [] };
    } @socks;
}

# How many requests the origin's /count/NAME endpoint has seen (-1: none).
sub origin_count {
    my ($name) = @_;
    my $res = parse_response(raw_request(origin_port(),
        "GET /counted/$name HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n"));
    return $res && $res->{body} =~ /^(\d+)/ ? $1 : -1;
}

1;
