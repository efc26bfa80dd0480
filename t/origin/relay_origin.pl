#!/usr/bin/env perl
# Licensed under the Apache License, Version 2.0.
#
# relay_origin.pl - the deterministic HTTP/1.1 origin that Relay's
# Apache::Test suite proxies to.
#
# It listens on 127.0.0.1 and forks one child per TCP connection, so the
# child's pid (sent back as X-Origin-Conn) names the connection, and
# X-Origin-Seq counts the requests served on it from 1: a test sees whether
# the proxy reused a pooled connection without looking at sockets. Requests
# are read with Content-Length or chunked bodies; HTTP/1.1 connections stay
# open until the client sends Connection: close, HTTP/1.0 ones close.
#
#   relay_origin.pl [--port N | --unix PATH] [--port-file F] [--pid-file F]
#                   [--idle-timeout SECONDS]
#                   [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]]
#
# --port 0 (the default) binds an ephemeral port; --port-file receives the
# bound port once the socket listens (0 with --unix, which listens on a
# unix socket at PATH instead, open to every user). SIGTERM stops the
# server and its
# children. Only core Perl modules are used, and IO::Socket::SSL for TLS.
#
# With --tls-cert and --tls-key every connection is TLS (an https origin;
# FILE may hold the certificate's chain after it), with ALPN http/1.1 and
# session tickets that every connection child accepts (the context is made
# once, before the children fork). --tls-client-ca asks for a client
# certificate and refuses connections without one issued by that CA.
# /echo then also reports the TLS side of the connection:
#   tls-version: TLSv1.3          tls-session-reused: yes|no
#   tls-cipher: NAME
#   tls-sni: NAME|-               tls-alpn: http/1.1|-
#   tls-client: SUBJECT|-
#
# Endpoints (query parameters in brackets):
#   /echo                 the request as seen: method, target, version, each
#                         header line in arrival order, body length and md5
#   /echo/ANY             the same, for any path below /echo/ (as received,
#                         still encoded), to see how a path was mapped
#   /echo-body            the request body streamed back, same Content-Type,
#                         chunked if the request was chunked
#   /status/NNN           that status, body "status NNN\n" (none for 204/304)
#   /headers?N=V&...      each pair as a response header, body "ok\n"
#   /redirect?to=U&code=C Location: U with status C (302 by default)
#   /set-cookie?c=V&...   one Set-Cookie line per value
#   /cond?etag=E&lm=D&cc=CC  ETag E, Last-Modified D, Cache-Control CC (each
#                         if given) and body "cond\n"; 304 instead when
#                         If-None-Match equals E, or (without it)
#                         If-Modified-Since equals D; X-Seen-INM / X-Seen-IMS
#                         report those request fields ("-" when absent)
#   /cond/TAG             the same with ETag "TAG" and no query (a response
#                         a cache may store without explicit expiry)
#   /delay?ms=N           waits N ms before the response head
#   /slowbody?ms=N&chunks=K[&chunked=0][&cc=CC]  head (Cache-Control CC if
#                         given), then K 16-byte pieces N ms apart
#   /trickle?ms=N&bytes=K  a response head sent one byte every N ms, with
#                         a header padded to about K bytes in all, body "ok\n"
#   /bytes?n=N[&chunked=1][&cc=CC]  N bytes of the 64-byte line pattern
#   /bytes-md5?n=N        md5 hex of those N bytes
#   /text?text=T&n=N[&type=TYPE][&cc=CC]  T (default "relay\n") N times as
#                         TYPE (default text/html), Cache-Control CC if given:
#                         a text body a compressing filter takes
#   /chunked?chunks=N&size=M  chunked body, extension on the first chunk,
#                         trailer X-Relay-Trailer
#   /interim[?count=N]    N "103 Early Hints" responses, then 200
#   /expect[?send100=0]   answers Expect: 100-continue, then echoes
#   /ws                   WebSocket handshake and echo loop (RFC 6455)
#   /close-after          200, then closes without Connection: close
#   /raw/CASE             canned byte-exact response (see %RAW), then close
#   /stats                origin parent pid and connections accepted so far
#   /peer                 "peer: ADDRESS\n", the address the connection
#                         came from (no-store)
#   /count/NAME[?ms=N&status=S&cc=CC]  counts the requests for NAME (across
#                         all connections), waits N ms, then status S (200)
#                         with Cache-Control CC if given and body
#                         "count NAME N\n", N the requests so far
#   /lastmod/S/NAME       Last-Modified S seconds ago, ETag "NAME", no
#                         query and no explicit expiry (heuristic freshness);
#                         body "lastmod NAME\n"
#   /counted/NAME         how many requests /count/NAME has had ("N\n",
#                         no-store)
#   /cut/NAME?framing=F[&end=abrupt][&cc=CC]  counts NAME with /count's
#                         counter, answers 200 with Connection: close and
#                         Cache-Control CC if given, body "cut NAME N\n"
#                         framed by F: close (no length: the close ends it),
#                         length (a Content-Length twice the bytes sent) or
#                         chunked (no last chunk), or none of it with head
#                         (the head's first lines only) or none (not a
#                         byte); then closes. With
#                         end=abrupt a TLS origin closes the TCP connection
#                         without close_notify (a truncation); otherwise
#                         close_notify first, as always
#   /version/NAME         a resource whose entity changes on demand: the
#                         counter NAME holds its version N (the first
#                         request makes it 1, a request with X-Version-Bump
#                         makes it N+1); ETag "NAME-N", X-Version N,
#                         Cache-Control max-age=300 and body
#                         "version NAME N\n" (one length for versions 1 to
#                         9); 304 when If-None-Match is the current ETag and
#                         the request has no X-Version-Bump. With
#                         X-Hold: GATE the 304 counts itself in the counter
#                         GATE.held, then waits until the counter GATE is
#                         above 0 (a /count/GATE request), at most 15 s
# Anything else is 404 "not found\n". HEAD is GET without the body.

use strict;
use warnings;

use Digest::MD5 ();
use Digest::SHA ();
use Errno qw(EINTR EAGAIN);
use Fcntl qw(:flock O_RDWR O_CREAT);
use File::Temp ();
use Getopt::Long qw(GetOptions);
use IO::Select ();
use IO::Socket::INET ();
use IO::Socket::UNIX ();
use MIME::Base64 qw(encode_base64);
use POSIX qw(WNOHANG);
use Socket qw(IPPROTO_TCP TCP_NODELAY);

my %opt = (port => 0, 'idle-timeout' => 60);
GetOptions(\%opt, 'port=i', 'port-file=s', 'pid-file=s', 'idle-timeout=i',
           'tls-cert=s', 'tls-key=s', 'tls-client-ca=s', 'unix=s')
    or die "usage: $0 [--port N] [--port-file F] [--pid-file F]\n";
my $TLS;    # the IO::Socket::SSL context, with --tls-cert

use constant MAX_HEAD  => 64 * 1024;    # request header block limit
use constant MAX_FRAME => 16 << 20;     # WebSocket payload limit
use constant WS_GUID   => '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

# The /bytes pattern: one 64-byte line repeated; byte i is LINE[i % 64].
my $LINE  = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+' . "\n";
my $BLOCK = $LINE x 1024;    # 64 KiB, a whole number of lines
my $BLOCK_CHUNK = sprintf("%x\r\n", length $BLOCK) . $BLOCK . "\r\n";

my %REASON = (
    100 => 'Continue', 101 => 'Switching Protocols', 103 => 'Early Hints',
    200 => 'OK', 201 => 'Created', 202 => 'Accepted', 204 => 'No Content',
    206 => 'Partial Content', 301 => 'Moved Permanently', 302 => 'Found',
    303 => 'See Other', 304 => 'Not Modified', 307 => 'Temporary Redirect',
    308 => 'Permanent Redirect', 400 => 'Bad Request', 401 => 'Unauthorized',
    403 => 'Forbidden', 404 => 'Not Found', 405 => 'Method Not Allowed',
    408 => 'Request Timeout', 410 => 'Gone', 413 => 'Content Too Large',
    426 => 'Upgrade Required', 429 => 'Too Many Requests',
    500 => 'Internal Server Error', 501 => 'Not Implemented',
    502 => 'Bad Gateway', 503 => 'Service Unavailable',
    504 => 'Gateway Timeout',
);

# Canned responses for /raw/CASE, written exactly as they stand here.
my $OK  = "HTTP/1.1 200 OK\r\n";
my %RAW = (
    garbage    => "hello world\r\n\r\n",
    badstatus  => "HTTP/1.1 2OO OK\r\nContent-Length: 5\r\n\r\nbody\n",
    dupcl      => $OK . "Content-Length: 5\r\nContent-Length: 6\r\n\r\nbody\n",
    samecl     => $OK . "Content-Length: 5\r\nContent-Length: 5\r\n\r\nbody\n",
    clte       => $OK . "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n"
        . "\r\n5\r\nbody\n\r\n0\r\n\r\n",
    badte      => $OK . "Transfer-Encoding: gzip\r\n\r\nbody\n",
    badchunk   => $OK . "Transfer-Encoding: chunked\r\n\r\nzz\r\nbody\n\r\n"
        . "0\r\n\r\n",
    obsfold    => $OK . "X-Folded: first\r\n second\r\n\tthird\r\n"
        . "Content-Length: 5\r\n\r\nbody\n",
    obsfoldcl  => $OK . "Content-Length: 5\r\n 0\r\n\r\nbody\n",
    obsfoldte  => $OK . "Transfer-Encoding:\r\n chunked\r\n\r\n5\r\nbody\n\r\n"
        . "0\r\n\r\n",
    obsfoldfirst => $OK . " X-Folded: first\r\nContent-Length: 5\r\n\r\nbody\n",
    spacecolon => $OK . "Foo : bar\r\nContent-Length: 5\r\n\r\nbody\n",
    nulheader  => $OK . "X-Nul: a\0b\r\nContent-Length: 5\r\n\r\nbody\n",
    # 1024 header lines of exactly 128 bytes: a 128 KiB header block.
    hugeheader => $OK
        . join('', map { sprintf("X-Huge-%04d: %s\r\n", $_, 'h' x 113) }
            1 .. 1024)
        . "Content-Length: 5\r\n\r\nbody\n",
    truncated  => $OK . "Content-Length: 1000\r\n\r\n0123456789",
    truncatedchunk => $OK . "Transfer-Encoding: chunked\r\n\r\n10\r\n01234567",
    badheaderline  => $OK . "X-Before: 1\r\nNoColonHere\r\nX-After: 2\r\n"
        . "Content-Length: 5\r\n\r\nbody\n",
    # A 101 to a request that asked for no upgrade, then bytes.
    unrequested101 => "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n"
        . "Connection: Upgrade\r\n\r\nnot http\n",
    # A 304 nobody asked for (no conditional in the request), storable.
    unsolicited304 => "HTTP/1.1 304 Not Modified\r\nETag: \"u\"\r\n"
        . "Cache-Control: public, max-age=300\r\n\r\n",
    # A storable 200 whose Content-Length runs past what is sent.
    truncatedfresh => $OK . "Cache-Control: public, max-age=300\r\n"
        . "Content-Length: 1000\r\n\r\n0123456789",
    silent     => undef,    # read the request, answer nothing for 30 s
    close      => '',       # read the request, close without a byte
);

my $PARENT = $$;     # the listening process
# /count's counters, one file per name, shared by the connection children.
my $COUNT_DIR = File::Temp::tempdir('relay-origin-XXXXXX', TMPDIR => 1,
                                    CLEANUP => 1);
my $accepted = 0;    # connections accepted, as of the child's fork
my %kids;            # live connection children
my ($SOCK, $INBUF, $SEQ);    # a child's connection, read buffer, requests
my $ABRUPT;    # close without close_notify (/cut?end=abrupt)

my %ROUTE = (
    '/echo'        => \&h_echo,
    '/echo-body'   => \&h_echo_body,
    '/headers'     => \&h_headers,
    '/redirect'    => \&h_redirect,
    '/set-cookie'  => \&h_set_cookie,
    '/cond'        => \&h_cond,
    '/delay'       => \&h_delay,
    '/slowbody'    => \&h_slowbody,
    '/trickle'     => \&h_trickle,
    '/bytes'       => \&h_bytes,
    '/bytes-md5'   => \&h_bytes_md5,
    '/text'        => \&h_text,
    '/chunked'     => \&h_chunked,
    '/interim'     => \&h_interim,
    '/expect'      => \&h_expect,
    '/ws'          => \&h_ws,
    '/close-after' => \&h_close_after,
    '/stats'       => \&h_stats,
    '/peer'        => \&h_peer,
);

# ------------------------------------------------------ connection I/O
# One connection per process: the socket and its read buffer are globals.

sub fill {
    my $timeout = $opt{'idle-timeout'};
    my $sel = IO::Select->new($SOCK);
    while (1) {
        # TLS may hold decrypted bytes that select() cannot see.
        my @ready = $TLS && $SOCK->pending ? ($SOCK)
            : $sel->can_read($timeout);
        if (!@ready) {
            next if $! == EINTR;
            die "timeout\n";
        }
        my $n = sysread($SOCK, $INBUF, 65536, length $INBUF);
        next if !defined $n && $! == EINTR;
        die "read: $!\n" unless defined $n;
        die "eof\n" if $n == 0;
        return $n;
    }
}

sub read_line {
    my ($max) = @_;
    while (1) {
        my $i = index($INBUF, "\n");
        if ($i >= 0) {
            my $line = substr($INBUF, 0, $i + 1, '');
            $line =~ s/\r?\n\z//;
            return $line;
        }
        die "line too long\n" if length $INBUF > $max;
        fill();
    }
}

# Returns up to $max bytes, at least one.
sub read_some {
    my ($max) = @_;
    fill() if $INBUF eq '';
    return substr($INBUF, 0, $max, '');
}

sub read_exact {
    my ($n) = @_;
    fill() while length $INBUF < $n;
    return substr($INBUF, 0, $n, '');
}

sub write_all {
    my ($data) = @_;
    my $off = 0;
    my $len = length $data;
    while ($off < $len) {
        my $n = syswrite($SOCK, $data, $len - $off, $off);
        if (!defined $n) {
            next if $! == EINTR;
            die "closed: write: $!\n";
        }
        $off += $n;
    }
}

# Sends FIN, then reads and drops what the client still sends for up to
# two seconds, so that closing never resets the connection under a
# response the client has not read yet.
sub lingering_close {
    my ($sock) = @_;
    # TLS: close_notify first, so the proxy sees a clean end of stream
    # (unless /cut asked for the stream to be truncated).
    eval { $sock->stop_SSL(SSL_fast_shutdown => 1) } if $TLS && !$ABRUPT;
    shutdown($sock, 1);
    my $deadline = time + 2;
    my $sel = IO::Select->new($sock);
    while ((my $left = $deadline - time) > 0) {
        next unless $sel->can_read($left);
        my $n = sysread($sock, my $junk, 65536);
        last unless $n;
    }
    close $sock;
}

sub msleep {
    my ($ms) = @_;
    select(undef, undef, undef, $ms / 1000) if $ms > 0;
}

# ------------------------------------------------------------ requests

sub serve_connection {
    ($SOCK) = @_;
    $INBUF = '';
    $SEQ = 0;
    setsockopt($SOCK, IPPROTO_TCP, TCP_NODELAY, 1);
    while (1) {
        my $req = read_request() or return;
        dispatch($req);
        return if $req->{close};
        drain_body($req);
    }
}

# Reads one request head. Returns undef when the client closed the idle
# connection; a malformed head is answered with 400 and closes.
sub read_request {
    my $line;
    eval {
        do { $line = read_line(MAX_HEAD) } while $line eq '';
        1;
    } or do {
        return undef if $@ =~ /^(?:eof|timeout)\b/;
        die $@;
    };
    $SEQ++;
    my $req = {
        seq => $SEQ, method => '', headers => [], close => 0, sent_100 => 0,
    };
    my ($method, $target, $version) =
        $line =~ m{^([!#\$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) (HTTP/1\.[01])\z};
    unless ($method) {
        $req->{close} = 1;
        respond($req, 400, [], "bad request line\n");
        return undef;
    }
    @$req{qw(method target version)} = ($method, $target, $version);

    my $size = length $line;
    while (1) {
        my $h = read_line(MAX_HEAD);
        last if $h eq '';
        $size += length $h;
        my ($name, $value) = $h =~ /^([^\s:]+):[ \t]*(.*?)[ \t]*\z/;
        if (!defined $name || $size > MAX_HEAD) {
            $req->{close} = 1;
            respond($req, 400, [], "bad header line\n");
            return undef;
        }
        push @{ $req->{headers} }, [$name, $value];
    }

    my $conn = lc join ',', header_values($req, 'Connection');
    $req->{close} = 1 if $version eq 'HTTP/1.0' || $conn =~ /\bclose\b/;
    my $te = lc join ',', header_values($req, 'Transfer-Encoding');
    my @cl = header_values($req, 'Content-Length');
    if ($te ne '') {
        if ($te !~ /^\s*chunked\s*\z/ || @cl) {
            $req->{close} = 1;
            respond($req, 400, [], "bad framing\n");
            return undef;
        }
        $req->{chunked} = 1;
    }
    elsif (@cl) {
        if (grep { $_ ne $cl[0] || !/^\d+\z/ } @cl) {
            $req->{close} = 1;
            respond($req, 400, [], "bad content-length\n");
            return undef;
        }
        $req->{remaining} = $cl[0];
    }
    else {
        $req->{remaining} = 0;
    }
    $req->{expect_100} = $version eq 'HTTP/1.1'
        && lc(header($req, 'Expect') // '') eq '100-continue';
    $req->{body_done} = !$req->{chunked} && $req->{remaining} == 0;

    (my $path = $target) =~ s{^https?://[^/]*}{}i;
    $path = '/' if $path eq '';
    ($req->{path}, my $query) = split /\?/, $path, 2;
    $req->{query} = parse_query($query // '');
    return $req;
}

sub header_values {
    my ($req, $name) = @_;
    return map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $req->{headers} };
}

sub header {
    my @v = header_values(@_);
    return $v[0];
}

sub url_decode {
    my ($s) = @_;
    $s =~ tr/+/ /;
    $s =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
    return $s;
}

sub parse_query {
    my ($q) = @_;
    my @pairs;
    for my $part (split /&/, $q) {
        next if $part eq '';
        my ($k, $v) = split /=/, $part, 2;
        push @pairs, [url_decode($k), url_decode($v // '')];
    }
    return \@pairs;
}

sub param {
    my ($req, $name, $default) = @_;
    for (@{ $req->{query} }) {
        return $_->[1] if $_->[0] eq $name;
    }
    return $default;
}

sub int_param {
    my ($req, $name, $default) = @_;
    my $v = param($req, $name, $default);
    return $v =~ /^\d+\z/ ? $v : $default;
}

# Next piece of the request body, '' at its end. Sends 100 Continue first
# when the client asked for it, as httpd does when a handler reads the body.
sub read_body {
    my ($req) = @_;
    return '' if $req->{body_done};
    if ($req->{expect_100} && !$req->{sent_100} && !$req->{no_auto_100}) {
        send_100($req);
    }
    if (!$req->{chunked}) {
        my $piece = read_some($req->{remaining} < 65536
                              ? $req->{remaining} : 65536);
        $req->{remaining} -= length $piece;
        $req->{body_done} = 1 if $req->{remaining} == 0;
        return $piece;
    }
    if (!$req->{remaining}) {
        my $line = read_line(4096);
        my ($hex) = $line =~ /^([0-9A-Fa-f]+)\s*(?:;.*)?\z/
            or die "bad chunk size line\n";
        $req->{remaining} = hex $hex;
        if ($req->{remaining} == 0) {
            while (read_line(MAX_HEAD) ne '') { }    # trailer fields
            $req->{body_done} = 1;
            return '';
        }
    }
    my $piece = read_some($req->{remaining} < 65536
                          ? $req->{remaining} : 65536);
    $req->{remaining} -= length $piece;
    if ($req->{remaining} == 0) {
        read_line(2) eq '' or die "chunk not followed by CRLF\n";
    }
    return $piece;
}

sub drain_body {
    my ($req) = @_;
    1 while read_body($req) ne '';
}

sub send_100 {
    my ($req) = @_;
    write_all("HTTP/1.1 100 Continue\r\n\r\n");
    $req->{sent_100} = 1;
}

# ----------------------------------------------------------- responses

sub has_no_body {
    my ($req, $status) = @_;
    return $req->{method} eq 'HEAD' || $status == 204 || $status == 304
        || $status < 200;
}

# Writes the status line and headers. The framing is Content-Length when
# $o{length} is given, chunked when $o{chunked}, none for 1xx/204/304.
sub send_head {
    my ($req, $status, $headers, %o) = @_;
    my %have = map { lc $_->[0] => 1 } @$headers;
    # A body the client still holds back for 100 Continue cannot be drained.
    if ($req->{expect_100} && !$req->{sent_100} && !$req->{body_done}) {
        $req->{close} = 1;
    }
    my $head = "HTTP/1.1 $status " . ($REASON{$status} // 'Status') . "\r\n";
    $head .= "$_->[0]: $_->[1]\r\n" for @$headers;
    if ($status >= 200 && $status != 204 && $status != 304) {
        if ($o{chunked}) {
            $head .= "Transfer-Encoding: chunked\r\n";
        }
        elsif (defined $o{length}) {
            $head .= "Content-Length: $o{length}\r\n";
        }
    }
    $head .= "X-Origin-Conn: $$\r\nX-Origin-Seq: $req->{seq}\r\n";
    $head .= 'Date: ' . http_date(time) . "\r\n" unless $have{date};
    $head .= "Server: relay-origin\r\n" unless $have{server};
    $head .= "Connection: close\r\n" if $req->{close};
    write_all("$head\r\n");
}

# An IMF-fixdate (RFC 9110 section 5.6.7), independent of the locale.
sub http_date {
    my ($t) = @_;
    my @g = gmtime $t;
    return sprintf('%s, %02d %s %04d %02d:%02d:%02d GMT',
                   (qw(Sun Mon Tue Wed Thu Fri Sat))[$g[6]], $g[3],
                   (qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec))[$g[4]],
                   $g[5] + 1900, $g[2], $g[1], $g[0]);
}

sub respond {
    my ($req, $status, $headers, $body) = @_;
    my @h = @$headers;
    push @h, ['Content-Type', 'text/plain']
        unless grep { lc $_->[0] eq 'content-type' } @h;
    send_head($req, $status, \@h, length => length $body);
    write_all($body) unless has_no_body($req, $status);
}

sub write_chunk {
    my ($data) = @_;
    write_all(sprintf("%x\r\n", length $data) . $data . "\r\n")
        if length $data;
}

# ------------------------------------------------------------ handlers

sub dispatch {
    my ($req) = @_;
    my $path = $req->{path};
    if (my $h = $ROUTE{$path}) {
        return $h->($req);
    }
    if ($path =~ m{/http11\z}) {
        return h_http11($req);
    }
    if ($path =~ m{^/echo/}) {
        return h_echo($req);
    }
    if ($path =~ m{^/count/([\w.-]+)\z}) {
        return h_count($req, $1);
    }
    if ($path =~ m{^/lastmod/(\d+)/([\w.-]+)\z}) {
        drain_body($req);
        return respond($req, 200, [['Last-Modified', http_date(time - $1)],
                                   ['ETag', qq("$2")]], "lastmod $2\n");
    }
    if ($path =~ m{^/counted/([\w.-]+)\z}) {
        return h_counted($req, $1);
    }
    if ($path =~ m{^/cut/([\w.-]+)\z}) {
        return h_cut($req, $1);
    }
    if ($path =~ m{^/cond/([\w.-]+)\z}) {
        return h_cond($req, qq("$1"));
    }
    if ($path =~ m{^/version/([\w.-]+)\z}) {
        return h_version($req, $1);
    }
    if ($path =~ m{^/status/(\d{3})\z} && $1 >= 200 && $1 <= 599) {
        return respond($req, $1, [], "status $1\n");
    }
    if ($path =~ m{^/raw/(\w+)\z} && exists $RAW{$1}) {
        return h_raw($req, $1);
    }
    respond($req, 404, [], "not found\n");
}

sub echo_text {
    my ($req) = @_;
    my $md5 = Digest::MD5->new;
    my $len = 0;
    while ((my $piece = read_body($req)) ne '') {
        $len += length $piece;
        $md5->add($piece);
    }
    my $text = "method: $req->{method}\ntarget: $req->{target}\n"
        . "version: $req->{version}\n";
    $text .= "header: $_->[0]: $_->[1]\n" for @{ $req->{headers} };
    $text .= "body-length: $len\nbody-md5: " . $md5->hexdigest . "\n";
    $text .= 'after-body: ' . after_body() . "\n" if param($req, 'after');
    $text .= tls_text() if $TLS;
    return $text;
}

# Up to two bytes that follow a request's body within 0.3 s (a client
# sending CRLF after it, say), escaped; "none" when nothing came.
sub after_body {
    my $sel = IO::Select->new($SOCK);
    while (length $INBUF < 2 && $sel->can_read(0.3)) {
        my $n = sysread($SOCK, $INBUF, 2 - length $INBUF, length $INBUF);
        last unless $n;
    }
    return 'none' if $INBUF eq '';
    (my $seen = substr($INBUF, 0, 2)) =~ s/([^\x21-\x7e])/sprintf('%%%02X', ord $1)/ge;
    return $seen;
}

sub tls_text {
    my $client = $SOCK->peer_certificate('subject');
    return 'tls-version: ' . $SOCK->get_sslversion . "\n"
        . 'tls-cipher: ' . $SOCK->get_cipher . "\n"
        . 'tls-session-reused: ' . ($SOCK->get_session_reused ? 'yes' : 'no')
        . "\ntls-sni: " . ($SOCK->get_servername // '-') . "\n"
        . 'tls-alpn: ' . ($SOCK->alpn_selected // '-') . "\n"
        . 'tls-client: ' . ($client // '-') . "\n";
}

sub h_echo {
    my ($req) = @_;
    respond($req, 200, [], echo_text($req));
}

sub h_echo_body {
    my ($req) = @_;
    my @h;
    my $type = header($req, 'Content-Type');
    push @h, ['Content-Type', $type] if defined $type;
    if ($req->{chunked}) {
        send_100($req) if $req->{expect_100};
        send_head($req, 200, \@h, chunked => 1);
        while ((my $piece = read_body($req)) ne '') {
            write_chunk($piece) unless $req->{method} eq 'HEAD';
        }
        write_all("0\r\n\r\n") unless $req->{method} eq 'HEAD';
        return;
    }
    send_100($req) if $req->{expect_100} && !$req->{body_done};
    send_head($req, 200, \@h, length => $req->{remaining});
    while ((my $piece = read_body($req)) ne '') {
        write_all($piece) unless $req->{method} eq 'HEAD';
    }
}

sub h_headers {
    my ($req) = @_;
    my @h = map { [@$_] } @{ $req->{query} };
    respond($req, 200, \@h, "ok\n");
}

sub h_redirect {
    my ($req) = @_;
    my $code = int_param($req, 'code', 302);
    my $to = param($req, 'to', '/');
    respond($req, $code, [['Location', $to]], "redirect to $to\n");
}

sub h_set_cookie {
    my ($req) = @_;
    my @h = map { ['Set-Cookie', $_->[1]] }
        grep { $_->[0] eq 'c' } @{ $req->{query} };
    respond($req, 200, \@h, "ok\n");
}

sub h_cond {
    my ($req, $tag) = @_;
    my ($etag, $lm, $cc) = map { param($req, $_) } qw(etag lm cc);
    $etag //= $tag;
    my $inm = header($req, 'if-none-match');
    my $ims = header($req, 'if-modified-since');
    my @h = (['X-Seen-INM', $inm // '-'], ['X-Seen-IMS', $ims // '-']);
    push @h, ['ETag', $etag] if defined $etag;
    push @h, ['Last-Modified', $lm] if defined $lm;
    push @h, ['Cache-Control', $cc] if defined $cc;
    drain_body($req);
    if ((defined $etag && defined $inm && $inm eq $etag)
        || (defined $lm && !defined $inm && defined $ims && $ims eq $lm)) {
        send_head($req, 304, \@h);
        return;
    }
    respond($req, 200, \@h, "cond\n");
}

sub h_delay {
    my ($req) = @_;
    my $ms = int_param($req, 'ms', 0);
    drain_body($req);
    msleep($ms);
    respond($req, 200, [], "delayed $ms\n");
}

sub h_slowbody {
    my ($req) = @_;
    my $ms = int_param($req, 'ms', 100);
    my $chunks = int_param($req, 'chunks', 5);
    my $chunked = param($req, 'chunked', 1) ne '0';
    drain_body($req);
    my @h = (['Content-Type', 'text/plain']);
    my $cc = param($req, 'cc');
    push @h, ['Cache-Control', $cc] if defined $cc;
    send_head($req, 200, \@h, $chunked ? (chunked => 1)
                                       : (length => 16 * $chunks));
    return if $req->{method} eq 'HEAD';
    for my $i (1 .. $chunks) {
        msleep($ms);
        my $piece = sprintf("chunk %09d\n", $i);
        $chunked ? write_chunk($piece) : write_all($piece);
    }
    write_all("0\r\n\r\n") if $chunked;
}

sub h_trickle {
    my ($req) = @_;
    my $ms = int_param($req, 'ms', 100);
    my $bytes = int_param($req, 'bytes', 100);
    drain_body($req);
    my $head = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n";
    my $pad = $bytes - length($head) - 15;
    $head .= 'X-Trickle: ' . ('t' x ($pad > 0 ? $pad : 1))
        . "\r\n\r\n";
    for my $byte (split //, $head) {
        write_all($byte);
        msleep($ms);
    }
    write_all("ok\n") unless $req->{method} eq 'HEAD';
}

sub bytes_md5 {
    my ($n) = @_;
    my $md5 = Digest::MD5->new;
    my $blocks = int($n / length $BLOCK);
    $md5->add($BLOCK) for 1 .. $blocks;
    $md5->add(substr($BLOCK, 0, $n % length $BLOCK));
    return $md5->hexdigest;
}

sub h_bytes {
    my ($req) = @_;
    my $n = int_param($req, 'n', 0);
    my $chunked = param($req, 'chunked', 0) eq '1';
    my @h = (['Content-Type', 'application/octet-stream']);
    my $cc = param($req, 'cc');
    push @h, ['Cache-Control', $cc] if defined $cc;
    drain_body($req);
    send_head($req, 200, \@h, $chunked ? (chunked => 1) : (length => $n));
    return if $req->{method} eq 'HEAD';
    my $blocks = int($n / length $BLOCK);
    my $rest = substr($BLOCK, 0, $n % length $BLOCK);
    if ($chunked) {
        write_all($BLOCK_CHUNK) for 1 .. $blocks;
        write_chunk($rest);
        write_all("0\r\n\r\n");
    }
    else {
        write_all($BLOCK) for 1 .. $blocks;
        write_all($rest);
    }
}

sub h_bytes_md5 {
    my ($req) = @_;
    respond($req, 200, [], bytes_md5(int_param($req, 'n', 0)) . "\n");
}

sub h_text {
    my ($req) = @_;
    my @h = (['Content-Type', param($req, 'type', 'text/html')]);
    my $cc = param($req, 'cc');
    push @h, ['Cache-Control', $cc] if defined $cc;
    drain_body($req);
    respond($req, 200, \@h,
            param($req, 'text', "relay\n") x int_param($req, 'n', 1));
}

sub h_chunked {
    my ($req) = @_;
    my $chunks = int_param($req, 'chunks', 3);
    my $size = int_param($req, 'size', 10);
    drain_body($req);
    my @h = (['Content-Type', 'text/plain'], ['Trailer', 'X-Relay-Trailer']);
    send_head($req, 200, \@h, chunked => 1);
    return if $req->{method} eq 'HEAD';
    for my $i (0 .. $chunks - 1) {
        last if $size == 0;
        my $data = chr(ord('a') + $i % 26) x $size;
        my $ext = $i == 0 ? ';relay-ext=first' : '';
        write_all(sprintf("%x%s\r\n%s\r\n", $size, $ext, $data));
    }
    write_all("0\r\nX-Relay-Trailer: done\r\n\r\n");
}

sub h_interim {
    my ($req) = @_;
    my $count = int_param($req, 'count', 1);
    my $gap = int_param($req, 'gap', 0);    # ms between them
    drain_body($req);
    for (1 .. $count) {
        msleep($gap) if $gap;
        write_all("HTTP/1.1 103 Early Hints\r\n"
                  . "Link: </style.css>; rel=preload; as=style\r\n\r\n");
    }
    respond($req, 200, [], "final\n");
}

sub h_expect {
    my ($req) = @_;
    my $seen = $req->{expect_100};
    if (param($req, 'send100', 1) eq '0') {
        $req->{no_auto_100} = 1;    # the client must time out and send
    }
    elsif ($seen) {
        send_100($req);
    }
    my $text = echo_text($req);
    $text .= 'expect-seen: ' . ($seen ? 'yes' : 'no') . "\n";
    $text .= 'sent-100: ' . ($req->{sent_100} ? 'yes' : 'no') . "\n";
    respond($req, 200, [], $text);
}

sub h_close_after {
    my ($req) = @_;
    drain_body($req);
    respond($req, 200, [], "close-after\n");
    $req->{close} = 1;    # after the head: no Connection: close was sent
}

# Adds $add to the counter NAME under an exclusive lock; the new value.
sub counter {
    my ($name, $add) = @_;
    sysopen(my $fh, "$COUNT_DIR/$name", O_RDWR | O_CREAT)
        or die "relay_origin: counter $name: $!\n";
    flock($fh, LOCK_EX) or die "relay_origin: flock: $!\n";
    my $n = <$fh> // 0;
    $n += $add;
    seek($fh, 0, 0);
    truncate($fh, 0);
    print {$fh} "$n\n";
    close $fh;
    return $n + 0;
}

sub h_count {
    my ($req, $name) = @_;
    drain_body($req);
    my $n = counter($name, 1);
    msleep(int_param($req, 'ms', 0));
    my $cc = param($req, 'cc');
    my @h = defined $cc ? (['Cache-Control', $cc]) : ();
    respond($req, int_param($req, 'status', 200), \@h, "count $name $n\n");
}

sub h_version {
    my ($req, $name) = @_;
    drain_body($req);
    my $bump = defined header($req, 'x-version-bump');
    my $n = counter($name, 0);
    $n = counter($name, 1) if $bump || $n == 0;
    my $etag = qq("$name-$n");
    my @h = (['ETag', $etag], ['X-Version', $n],
             ['Cache-Control', 'max-age=300']);
    my $inm = header($req, 'if-none-match');
    if (!$bump && defined $inm && $inm eq $etag) {
        if (defined(my $gate = header($req, 'x-hold'))) {
            die "relay_origin: bad gate name\n" unless $gate =~ /\A[\w.-]+\z/;
            counter("$gate.held", 1);
            my $deadline = time + 15;
            msleep(10) while counter($gate, 0) < 1 && time < $deadline;
        }
        send_head($req, 304, \@h);
        return;
    }
    respond($req, 200, \@h, "version $name $n\n");
}

sub h_counted {
    my ($req, $name) = @_;
    drain_body($req);
    respond($req, 200, [['Cache-Control', 'no-store']],
            counter($name, 0) . "\n");
}

sub h_cut {
    my ($req, $name) = @_;
    my $framing = param($req, 'framing', 'close');
    drain_body($req);
    $req->{close} = 1;
    $ABRUPT = param($req, 'end', 'clean') eq 'abrupt';
    my $body = "cut $name " . counter($name, 1) . "\n";
    my @h = (['Content-Type', 'text/plain']);
    my $cc = param($req, 'cc');
    push @h, ['Cache-Control', $cc] if defined $cc;
    return if $framing eq 'none';
    if ($framing eq 'head') {
        write_all("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n");
        return;
    }
    if ($framing eq 'length') {
        send_head($req, 200, \@h, length => 2 * length $body);
        write_all($body);
    }
    elsif ($framing eq 'chunked') {
        send_head($req, 200, \@h, chunked => 1);
        write_chunk($body);
    }
    else {
        send_head($req, 200, \@h);
        write_all($body);
    }
}

sub h_peer {
    my ($req) = @_;
    drain_body($req);
    respond($req, 200, [['Cache-Control', 'no-store']],
            'peer: ' . ($SOCK->peerhost // '-') . "\n"
            . (param($req, 'port') ? 'peer-port: ' . $SOCK->peerport . "\n" : ''));
}

# Any path ending in /http11: 200 for an HTTP/1.1 request with a Host
# field, else 505 (health checks over HTTP/1.1 and 1.0).
sub h_http11 {
    my ($req) = @_;
    drain_body($req);
    my $ok = $req->{version} eq 'HTTP/1.1' && defined header($req, 'Host');
    respond($req, $ok ? 200 : 505, [], "$req->{version}\n");
}

sub h_stats {
    my ($req) = @_;
    respond($req, 200, [], "pid: $PARENT\nconnections: $accepted\n");
}

sub h_raw {
    my ($req, $case) = @_;
    drain_body($req);
    $req->{close} = 1;
    my $bytes = $RAW{$case};
    if (defined $bytes) {
        write_all($bytes);
        return;
    }
    # silent: hold the connection open, unanswered, until the client
    # leaves or the time (?s=N, 30 by default) runs out.
    my $deadline = time + int_param($req, 's', 30);
    my $sel = IO::Select->new($SOCK);
    while ((my $left = $deadline - time) > 0) {
        next unless $sel->can_read($left);
        my $n = sysread($SOCK, my $junk, 65536);
        last if defined $n && $n == 0;
    }
}

# --------------------------------------------------------- WebSocket

sub h_ws {
    my ($req) = @_;
    my $upgrade = lc join ',', header_values($req, 'Upgrade');
    if ($upgrade !~ /\bwebsocket\b/) {
        return respond($req, 426, [['Upgrade', 'websocket']],
                       "upgrade required\n");
    }
    my $key = header($req, 'Sec-WebSocket-Key');
    if (!defined $key || $req->{method} ne 'GET') {
        return respond($req, 400, [], "bad websocket handshake\n");
    }
    my $accept = encode_base64(Digest::SHA::sha1($key . WS_GUID), '');
    send_head($req, 101, [['Upgrade', 'websocket'], ['Connection', 'Upgrade'],
                          ['Sec-WebSocket-Accept', $accept]]);
    $req->{close} = 1;    # the connection belongs to the tunnel now
    ws_echo_loop();
}

sub ws_frame {
    my ($b0, $payload) = @_;
    my $len = length $payload;
    my $hdr = $len < 126 ? pack('CC', $b0, $len)
            : $len < 65536 ? pack('CCn', $b0, 126, $len)
            : pack('CCQ>', $b0, 127, $len);
    return $hdr . $payload;
}

# Echoes every data frame back unmasked with its opcode and FIN bit,
# answers ping with pong and close with close, then ends.
sub ws_echo_loop {
    while (1) {
        my ($b0, $b1) = unpack 'CC', read_exact(2);
        my $opcode = $b0 & 0x0f;
        my $len = $b1 & 0x7f;
        $len = unpack 'n', read_exact(2) if $len == 126;
        $len = unpack 'Q>', read_exact(8) if $len == 127;
        die "websocket frame too large\n" if $len > MAX_FRAME;
        my $mask = ($b1 & 0x80) ? read_exact(4) : undef;
        my $payload = read_exact($len);
        if (defined $mask) {
            my $key = substr($mask x (int($len / 4) + 1), 0, $len);
            $payload ^= $key;
        }
        if ($opcode == 0x8) {
            write_all(ws_frame(0x88, $payload));
            return;
        }
        if ($opcode == 0x9) {
            write_all(ws_frame(0x8a, $payload));
        }
        elsif ($opcode != 0xa) {
            write_all(ws_frame(($b0 & 0x80) | $opcode, $payload));
        }
    }
}

# ---------------------------------------------------------------- parent

sub write_file_atomic {
    my ($file, $text) = @_;
    open my $fh, '>', "$file.tmp" or die "relay_origin: $file.tmp: $!\n";
    print $fh $text;
    close $fh or die "relay_origin: $file.tmp: $!\n";
    rename "$file.tmp", $file or die "relay_origin: $file: $!\n";
}

# One server context for all connections: its session ticket key is
# inherited by every child, so any child resumes any session.
sub tls_context {
    require IO::Socket::SSL;
    my %client = $opt{'tls-client-ca'}
        ? (SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_PEER()
               | IO::Socket::SSL::SSL_VERIFY_FAIL_IF_NO_PEER_CERT(),
           SSL_ca_file => $opt{'tls-client-ca'},
           SSL_client_ca_file => $opt{'tls-client-ca'})
        : (SSL_verify_mode => IO::Socket::SSL::SSL_VERIFY_NONE());
    my $ctx = IO::Socket::SSL::SSL_Context->new(
        SSL_server => 1,
        SSL_cert_file => $opt{'tls-cert'},
        SSL_key_file => $opt{'tls-key'},
        SSL_alpn_protocols => ['http/1.1'],
        %client,
    ) or die "relay_origin: TLS context: " . IO::Socket::SSL::errstr() . "\n";
    return $ctx;
}

sub listen_socket {
    if ($opt{unix}) {
        unlink $opt{unix};
        my $s = IO::Socket::UNIX->new(Local => $opt{unix}, Listen => 128)
            or die "relay_origin: cannot listen on $opt{unix}: $!\n";
        chmod 0777, $opt{unix};
        return $s;
    }
    my $s = IO::Socket::INET->new(
        LocalAddr => '127.0.0.1',
        LocalPort => $opt{port},
        Proto     => 'tcp',
        Listen    => 128,
        ReuseAddr => 1,
    ) or die "relay_origin: cannot listen on 127.0.0.1:$opt{port}: $@\n";
    return $s;
}

sub main {
    my $listen = listen_socket();

    $SIG{TERM} = $SIG{INT} = $SIG{HUP} = sub {
        $SIG{CHLD} = 'DEFAULT';
        kill 'TERM', keys %kids;
        1 while waitpid(-1, WNOHANG) > 0;
        unlink grep { defined } @opt{qw(pid-file port-file)};
        exit 0;
    };
    $SIG{PIPE} = 'IGNORE';
    $SIG{CHLD} = sub {
        while ((my $pid = waitpid(-1, WNOHANG)) > 0) {
            delete $kids{$pid};
        }
    };

    $TLS = tls_context() if $opt{'tls-cert'};
    write_file_atomic($opt{'pid-file'}, "$$\n") if $opt{'pid-file'};
    write_file_atomic($opt{'port-file'},
                      ($opt{unix} ? 0 : $listen->sockport) . "\n")
        if $opt{'port-file'};

    while (1) {
        my $client = $listen->accept;
        unless ($client) {
            next if $! == EINTR || $! == EAGAIN;
            die "relay_origin: accept: $!\n";
        }
        $accepted++;
        my $pid = fork;
        if (!defined $pid) {
            warn "relay_origin: fork: $!\n";
            close $client;
            next;
        }
        if ($pid == 0) {
            $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP CHLD);
            close $listen;
            if ($TLS && !IO::Socket::SSL->start_SSL($client,
                    SSL_server => 1, SSL_reuse_ctx => $TLS, Timeout => 10)) {
                warn "relay_origin[$$]: TLS handshake failed: "
                    . IO::Socket::SSL::errstr() . "\n";
                # The alert is sent; a lingering close keeps the request
                # the client may already have sent from turning the close
                # into a reset that would destroy the alert unread.
                lingering_close($client);
                POSIX::_exit(0);
            }
            eval { serve_connection($client) };
            warn "relay_origin[$$]: $@" if $@ && $@ !~ /^(?:eof|closed)\b/;
            lingering_close($client);
            POSIX::_exit(0);
        }
        $kids{$pid} = 1;
        close $client;
    }
}

main();
