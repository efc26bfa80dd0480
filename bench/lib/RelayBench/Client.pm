# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Client - the load: wrk runs against a server with the
# server's CPU time, peak RSS and (for cache configurations) the origin's
# requests around them, and a small keep-alive client for a fixed number
# of requests.
package RelayBench::Client;

use strict;
use warnings;
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;

use RelayBench::Options;
use RelayBench::Process;
use RelayBench::Servers qw(origin_requests);

our @EXPORT = qw(get_n run_wrk);

# A minimal keep-alive HTTP/1.1 client: GET one path `count` times on one
# connection, check status 200 and the length of every body (and, when
# $want_body is given, every byte of it). A body comes with a
# Content-Length or chunked (a FastCGI application's output, whose length
# httpd does not know in advance). Used for the start-up check and for
# the fixed request count under callgrind (wrk has no request count).
sub get_n {
    my ($port, $path, $count, $want_len, $want_body) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                     Proto => 'tcp', Timeout => 60)
        or return "connect: $!";
    my $buf = '';
    # Reads more into $buf; false at the end of the connection.
    my $more = sub { sysread($sock, $buf, 262144, length $buf) };
    for my $i (1 .. $count) {
        print $sock "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n\r\n"
            or return "request $i: write: $!";
        my $head_end;
        while (($head_end = index($buf, "\r\n\r\n")) < 0) {
            $more->() or return "request $i: connection closed in the head";
        }
        my $head = substr($buf, 0, $head_end);
        substr($buf, 0, $head_end + 4) = '';
        my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})}
            or return "request $i: bad status line";
        return "request $i: status $status" if $status != 200;
        my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
        my $body;
        if (!defined $len && $head =~ /^Transfer-Encoding:\s*chunked/mi) {
            $body = read_chunked($more, \$buf)
                // return "request $i: bad or cut chunked body";
            $len = length $body;
        }
        elsif (!defined $len) {
            return "request $i: neither Content-Length nor chunked";
        }
        else {
            while (length $buf < $len) {
                $more->() or return "request $i: connection closed in the body";
            }
            $body = substr($buf, 0, $len) if defined $want_body;
            substr($buf, 0, $len) = '';
        }
        return "request $i: body of $len bytes, expected $want_len"
            if defined $want_len && $len != $want_len;
        return "request $i: the body differs from the one expected"
            if defined $want_body && $body ne $want_body;
    }
    close $sock;
    return;
}

# A chunked body (RFC 9112 §7.1) from the front of $$buf, more read with
# $more as needed; the body and any trailer fields are taken off $$buf.
# Returns the body, undef when it is malformed or cut off.
sub read_chunked {
    my ($more, $buf) = @_;
    my $body = '';
    while (1) {
        my $eol;
        while (($eol = index($$buf, "\r\n")) < 0) {
            $more->() or return;
        }
        my ($hex) = substr($$buf, 0, $eol) =~ /^([0-9a-fA-F]+)/ or return;
        my $n = hex $hex;
        if ($n == 0) {
            # The last chunk, then trailer fields, then an empty line.
            my $end;
            while (($end = index($$buf, "\r\n\r\n", $eol)) < 0) {
                $more->() or return;
            }
            substr($$buf, 0, $end + 4) = '';
            return $body;
        }
        while (length $$buf < $eol + 2 + $n + 2) {
            $more->() or return;
        }
        return if substr($$buf, $eol + 2 + $n, 2) ne "\r\n";
        $body .= substr($$buf, $eol + 2, $n);
        substr($$buf, 0, $eol + 2 + $n + 2) = '';
    }
}

sub to_ms {
    my ($v, $unit) = @_;
    return $v / 1000 if $unit eq 'us';
    return $v * 1000 if $unit eq 's';
    return $v * 60000 if $unit eq 'm';
    return $v;
}

sub parse_wrk {
    my ($out) = @_;
    my %r = (errors => 0, error_text => '');
    ($r{requests}) = $out =~ /^\s*(\d+) requests in/m;
    ($r{rps}) = $out =~ /^Requests\/sec:\s*([\d.]+)/m;
    if ($out =~ /^\s*50%\s+([\d.]+)(us|ms|s|m)\b/m) {
        $r{p50} = to_ms($1, $2);
    }
    if ($out =~ /^\s*99%\s+([\d.]+)(us|ms|s|m)\b/m) {
        $r{p99} = to_ms($1, $2);
    }
    my @err;
    if ($out =~ /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/) {
        $r{errors} += $1 + $2 + $3 + $4;
        push @err, "socket errors: connect $1, read $2, write $3, timeout $4";
    }
    if ($out =~ /Non-2xx or 3xx responses: (\d+)/) {
        $r{errors} += $1;
        push @err, "non-2xx/3xx responses: $1";
    }
    $r{error_text} = join '; ', @err;
    return \%r;
}

sub add_error {
    my ($r, $count, $text) = @_;
    $r->{errors} = ($r->{errors} || 0) + $count;
    $r->{error_text} = join '; ', grep {length} $r->{error_text}, $text;
}

# The host's TCP counters that explain a latency tail: retransmitted
# segments, zero-window advertisements (a receiver that fell behind; the
# sender then probes at growing intervals) and listen queue overflows.
# From /proc/net/snmp and /proc/net/netstat, for all of loopback.
my %TCP_COUNTERS = (Tcp => ['RetransSegs'],
                    TcpExt => ['TCPToZeroWindowAdv', 'ListenOverflows']);

sub tcp_counters {
    my %v;
    for my $file ('/proc/net/snmp', '/proc/net/netstat') {
        open my $fh, '<', $file or next;
        my %names;
        while (my $line = <$fh>) {
            my ($kind, @f) = split ' ', $line;
            $kind =~ s/:$//;
            if (!$names{$kind}) {
                $names{$kind} = \@f;
                next;
            }
            my %row;
            @row{ @{ $names{$kind} } } = @f;
            $v{$_} = $row{$_} for grep { defined $row{$_} }
                @{ $TCP_COUNTERS{$kind} || [] };
        }
    }
    return \%v;
}

# One wrk run of a configuration's server; CPU time and peak RSS of the
# server's processes (and of the origin's, for proxies; for an fcgi row
# $origin is the php-fpm pool, whose time comes from the scheduler's
# count, see run_seconds) around it. With check_hits (a measured run
# of a cache configuration), every request the origin saw for /cached/
# during the run counts as an error.
sub run_wrk {
    my ($c, $srv, $origin, $size, $conns, $seconds, $check_hits) = @_;
    my $url = "http://127.0.0.1:$srv->{port}" . size_path($c, $size);
    my @tree = process_tree($srv->{pid});
    my @otree = $srv->{pid} == $origin->{pid} ? () : process_tree($origin->{pid});
    my $ocpu_of = $origin->{pool} ? \&run_seconds : \&cpu_seconds;
    my ($cpu0, $ocpu0) = (cpu_seconds(@tree), $ocpu_of->(@otree));
    my $user0 = user_cpu_seconds(@tree);
    my $seen0 = $check_hits ? origin_requests($origin) : 0;
    my $peak = rss_kib(@tree);
    my $tcp0 = tcp_counters();
    # A response later than 10 s is a timeout error (wrk's default of 2 s
    # is shorter than the queue of 500 clients of a 1 MiB body on one
    # shared CPU: those show in p99 instead).
    my @cmd = ('timeout', '-k', '5', $seconds + 30, 'taskset', '-c',
               $opt{'client-cpu'}, 'wrk', '-t1', "-c$conns", "-d${seconds}s",
               '--timeout', '10s', '--latency', $url);
    open my $fh, '-|', @cmd or die "relay-bench: wrk: $!\n";
    my $sel = IO::Select->new($fh);
    my $out = '';
    while (1) {
        if ($sel->can_read(0.25)) {
            my $n = sysread($fh, $out, 65536, length $out);
            last unless $n;
        }
        my $rss = rss_kib(@tree);
        $peak = $rss if $rss > $peak;
    }
    close $fh;
    my $status = $?;
    my $r = parse_wrk($out);
    my $tcp = tcp_counters();
    $r->{tcp} = { map { $_ => $tcp->{$_} - ($tcp0->{$_} // 0) }
                  grep { defined $tcp->{$_} } keys %$tcp };
    $r->{cpu} = cpu_seconds(@tree) - $cpu0;
    $r->{user} = user_cpu_seconds(@tree) - $user0;
    $r->{ocpu} = @otree ? $ocpu_of->(@otree) - $ocpu0 : undef;
    $r->{rss} = $peak / 1024;
    if ($check_hits) {
        $r->{origin_requests} = origin_requests($origin) - $seen0;
        add_error($r, $r->{origin_requests},
                  "origin saw $r->{origin_requests} request(s): not all hits")
            if $r->{origin_requests};
    }
    $r->{pids} = join ',', sort { $a <=> $b } @tree;
    my @after = process_tree($srv->{pid});
    $r->{pids_after} = join ',', sort { $a <=> $b } @after;
    if ($status != 0 || !defined $r->{rps} || !$r->{requests}) {
        $r->{failed} = 1;
        add_error($r, $r->{errors} ? 0 : 1, "wrk exit status " . ($status >> 8)
                  . ($out =~ /\S/ ? '' : ', no output'));
        $r->{requests} ||= 0;
        $r->{rps} //= 0;
    }
    # A process that appeared is a crashed one replaced; one that only
    # went away may be a helper done with its work (nginx's cache loader).
    my %before = map { $_ => 1 } @tree;
    if (grep { !$before{$_} } @after) {
        add_error($r, 0, "server processes changed: $r->{pids} -> "
                  . $r->{pids_after});
        $r->{restarted} = 1;
    }
    if ($r->{requests}) {
        $r->{cpu_us} = $r->{cpu} * 1e6 / $r->{requests};
        $r->{user_us} = $r->{user} * 1e6 / $r->{requests};
        $r->{ocpu_us} = defined $r->{ocpu}
            ? $r->{ocpu} * 1e6 / $r->{requests} : undef;
    }
    $r->{raw} = $out;
    return $r;
}

1;
