# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Stream - the streaming check: one large body (1 GiB by
# default, a sparse file the origin serves) fetched through each proxy
# row marked stream, once by a client reading as fast as it can and once
# by one reading at a bounded rate, while the resident memory (VmRSS) of
# the server's processes is sampled every 0.1 s. Reports RSS before, at
# its peak and after each transfer, the growth (peak - before) against
# the target, and whether the client got every byte.
package RelayBench::Stream;

use strict;
use warnings;
use Exporter qw(import);
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(sleep time);

use RelayBench::Client;
use RelayBench::Configs qw(@CONFIGS);
use RelayBench::Json;
use RelayBench::Options;
use RelayBench::Process;
use RelayBench::Report;
use RelayBench::Servers;

our @EXPORT = qw(make_stream_file stream_phase);

my $PATH = '/files/stream.bin';
my $TARGET_MIB = 16;      # growth allowed while streaming
my $SAMPLE_S = 0.1;

sub stream_bytes { return $opt{'stream-size'} * 1048576 }

# The body: a sparse file of --stream-size MiB (zeros, no disk space),
# made in an instant.
sub make_stream_file {
    my $file = "$RUN/docroot$PATH";
    open my $fh, '>', $file or die "relay-bench: $file: $!\n";
    truncate($fh, stream_bytes()) or die "relay-bench: truncate $file: $!\n";
    close $fh;
    chmod 0644, $file;
}

# GET the body on one connection; with a rate (bytes/s), never read
# ahead of it. Returns "status length bytes seconds" or "error TEXT".
sub fetch {
    my ($port, $rate) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                     Proto => 'tcp', Timeout => 30)
        or return "error connect: $!";
    print $sock "GET $PATH HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
        . "Connection: close\r\n\r\n" or return "error write: $!";
    my $buf = '';
    my $head_end;
    while (($head_end = index($buf, "\r\n\r\n")) < 0) {
        sysread($sock, $buf, 65536, length $buf)
            or return 'error connection closed in the head';
    }
    my $head = substr($buf, 0, $head_end);
    my ($status) = $head =~ m{^HTTP/1\.\d (\d{3})} or return 'error status line';
    my ($len) = $head =~ /^Content-Length:\s*(\d+)/mi;
    return "error no Content-Length (status $status)" unless defined $len;
    my $got = length($buf) - $head_end - 4;
    my $chunk = $rate ? 65536 : 1048576;
    my $t0 = time;
    while ($got < $len) {
        my $n = sysread($sock, $buf, $chunk);
        last unless $n;
        $got += $n;
        if ($rate) {
            my $ahead = $got / $rate - (time - $t0);
            sleep($ahead) if $ahead > 0;
        }
    }
    return sprintf '%d %d %d %.3f', $status, $len, $got, time - $t0;
}

# One transfer through a server, the client in a child process (on the
# client's CPU, as this script) while this one samples the server's RSS.
sub stream_once {
    my ($srv, $rate) = @_;
    my @tree = process_tree($srv->{pid});
    my $before = rss_kib(@tree);
    my $cpu0 = cpu_seconds(@tree);
    pipe(my $rd, my $wr) or die "relay-bench: pipe: $!\n";
    my $pid = fork() // die "relay-bench: fork: $!\n";
    if ($pid == 0) {
        close $rd;
        print $wr fetch($srv->{port}, $rate), "\n";
        close $wr;
        _exit(0);
    }
    close $wr;
    my $sel = IO::Select->new($rd);
    my ($peak, $out, @samples) = ($before, '');
    my $t0 = time;
    # Twice the limited client's time, or 5 MiB/s for the fast one.
    my $deadline = $t0 + 60 + stream_bytes() / ($rate ? $rate / 2
                                                      : 5 * 1048576);
    while (time < $deadline) {
        if ($sel->can_read($SAMPLE_S)) {
            my $n = sysread($rd, $out, 4096, length $out);
            last unless $n;
        }
        my $rss = rss_kib(@tree);
        push @samples, [time - $t0, $rss];
        $peak = $rss if $rss > $peak;
    }
    if (waitpid($pid, WNOHANG) == 0) {
        kill 'KILL', $pid;
        $out ||= 'error no answer within ' . int($deadline - $t0) . ' s';
    }
    waitpid($pid, 0);
    close $rd;
    sleep 0.5;    # the connection's memory is given back as it closes
    my $after = rss_kib(@tree);
    my %r = (before_kib => $before, peak_kib => $peak, after_kib => $after,
             growth_kib => $peak - $before, samples => scalar @samples,
             cpu_s => cpu_seconds(@tree) - $cpu0,
             rss_mib_by_time => [map { [num(sprintf '%.2f', $_->[0]),
                                        num(sprintf '%.2f', $_->[1] / 1024)] }
                                 @samples]);
    chomp $out;
    if ($out =~ /^(\d+) (\d+) (\d+) ([\d.]+)$/) {
        @r{qw(status length bytes seconds)} = ($1, $2, $3, $4);
        $r{complete} = $1 == 200 && $2 == stream_bytes() && $3 == $2 ? 1 : 0;
        $r{error} = "status $1, Content-Length $2, got $3 bytes"
            unless $r{complete};
    }
    else {
        $r{error} = $out =~ s/^error //r || 'client gave no result';
        $r{complete} = 0;
    }
    return \%r;
}

sub stream_configs {
    my @mine = grep { $_->{stream} } @RUN_CONFIGS;
    return @mine ? @mine : grep { $_->{stream} } @CONFIGS;
}

sub mib { return sprintf '%.1f', $_[0] / 1024 }

sub stream_phase {
    my ($origin) = @_;
    my $bytes = stream_bytes();
    my $rate = $opt{'stream-rate'} * 1048576;
    my @clients = (['fast', 0], ["$opt{'stream-rate'} MiB/s", $rate]);
    out(sprintf 'stream: %d MiB (%s, sparse) through each proxy, one '
        . 'connection; client fast and limited to %s MiB/s; RSS = VmRSS '
        . 'summed over the server\'s processes, sampled every %.1f s; '
        . 'target: growth < %d MiB', $opt{'stream-size'}, $PATH,
        $opt{'stream-rate'}, $SAMPLE_S, $TARGET_MIB);
    record('stream.bytes' => $bytes, 'stream.path' => $PATH,
           'stream.rate_limit_mib_s' => num($opt{'stream-rate'}),
           'stream.sample_s' => $SAMPLE_S, 'stream.target_growth_mib' =>
           $TARGET_MIB);
    my $fmt = '  %-8s %-10s %10s %7s %6s %6s %10s %8s %9s  %s';
    out(sprintf $fmt, 'config', 'client', 'bytes', 'seconds', 'MiB/s',
        'CPU s', 'RSS before', 'peak', 'after MiB', 'growth MiB');
    my (%servers, @logs);
    for my $c (stream_configs()) {
        my $srv = eval { start_server($c, $origin) };
        my $err = $srv ? get_n($srv->{port}, '/files/1k.bin', 3, 1024)
                       : do { chomp(my $e = $@); $e };
        if ($err) {
            out(sprintf '  %-8s not measured: %s', $c->{name}, $err);
            next;
        }
        $servers{ $c->{name} } = $srv;
        push @logs, $srv;
    }
    for my $client (@clients) {
        my ($label, $limit) = @$client;
        for my $c (grep { $servers{ $_->{name} } } stream_configs()) {
            say_("stream: $c->{name}, client $label");
            my $r = stream_once($servers{ $c->{name} }, $limit);
            my $ok = $r->{complete} && $r->{growth_kib} < $TARGET_MIB * 1024;
            out(sprintf $fmt, $c->{name}, $label, $r->{bytes} // '-',
                $r->{seconds} // '-', $r->{seconds}
                ? sprintf('%.0f', $r->{bytes} / 1048576 / $r->{seconds})
                : '-', sprintf('%.2f', $r->{cpu_s}), mib($r->{before_kib}),
                mib($r->{peak_kib}), mib($r->{after_kib}),
                sprintf('%+.1f %s', $r->{growth_kib} / 1024,
                        $ok ? 'ok' : $r->{error} ? "! $r->{error}"
                                                 : "! over $TARGET_MIB MiB"));
            record_push('stream.rows', {
                config => $c->{name}, client => $limit ? 'limited' : 'fast',
                rate_limit_mib_s => $limit ? num($opt{'stream-rate'}) : undef,
                expected_bytes => $bytes, met_target => $ok ? 1 : 0,
                map { $_ => $_ eq 'error' || ref $r->{$_} ? $r->{$_}
                                                          : num($r->{$_}) }
                    grep { defined $r->{$_} } keys %$r });
        }
    }
    stop_pid($_->{pid}) for values %servers;
    out('');
    report_logs(@logs);
}

1;
