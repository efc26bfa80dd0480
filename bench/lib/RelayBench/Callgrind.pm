# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Callgrind - instructions per request: httpd -X under
# valgrind's callgrind, serving a fixed number of sequential keep-alive
# GETs of one size (--callgrind-sizes), for the rows marked callgrind.
# For an fcgi or ajp row only httpd is counted: the php-fpm pool or the
# Tomcat it talks to runs outside valgrind.
package RelayBench::Callgrind;

use strict;
use warnings;
use Exporter qw(import);
use File::Path qw(make_path);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep);

use RelayBench::Client;
use RelayBench::Configs qw(@CONFIGS);
use RelayBench::Json;
use RelayBench::Options;
use RelayBench::Process;
use RelayBench::Report;
use RelayBench::Servers;
use RelayBench::Util;

our @EXPORT = qw(callgrind_phase callgrind_configs);

# httpd -X (one process) under callgrind, serving `count` sequential
# GETs of the file of `size` on one keep-alive connection, then stopped:
# returns the instructions (Ir) of the whole process life. As root,
# valgrind and httpd run as nobody from the start (no User directive), so
# the server can write the profile when it exits.
# A port picked by free_port() may be taken by another connection's local
# port before the slow start under valgrind binds it: httpd then exits at
# start-up (make_sock), and the run is tried again on another port.
# httpd -X stopped by TERM sometimes dies of a signal in its exit handlers
# under valgrind (stock and Relay alike: the event MPM tearing down its
# pools while its threads end), after serving every request: that run's
# shutdown is cut short, so it is tried again too.
sub callgrind_total {
    my (@args) = @_;
    for my $try (1 .. 3) {
        my @r = eval { callgrind_once(@args) };
        return @r if @r;
        die $@ if $try == 3 || $@ !~ /exited at start-up|died at exit/;
    }
}

sub callgrind_once {
    my ($c, $origin, $size, $count) = @_;
    my $name = "cg-$c->{name}-$size-$count";
    my $dir = "$RUN/$name";
    make_path($dir);
    my @as_user;
    if ($ROOT) {
        my (undef, undef, $uid, $gid) = getpwnam('nobody');
        chown $uid, $gid, $dir;
        @as_user = ({ as_user => 'nobody' });
    }
    my $port = free_port();
    # 64 threads whatever --conns asked for: one client is served, and
    # valgrind runs at most 500 threads.
    my $conf = httpd_conf($c, $port, $origin->{port}, NAME => $name,
                          RUN => $dir, USER_LINES => '', THREADS => 64);
    my $profile = "$dir/callgrind.out";
    # Left by a try before (a pid file left would be warned about).
    unlink $profile, "$dir/valgrind.out", "$dir/$name.pid";
    my $pid = spawn($name, "$dir/valgrind.out", @as_user, 'valgrind',
                    '--tool=callgrind', "--callgrind-out-file=$profile",
                    $HTTPD, '-X', '-f', $conf);
    my $err = eval {
        wait_port($port, $pid, 120, "$c->{name} under callgrind");
        get_n($port, size_path($c, $size), $count, $SIZES{$size});
    } // $@;
    # httpd writes the profile as it exits on TERM; give it time.
    kill 'TERM', $pid;
    for (1 .. 600) {
        last if waitpid($pid, WNOHANG) != 0;
        sleep 0.1;
    }
    stop_pid($pid);
    chomp $err if $err;
    if ($err) {
        my ($last) = reverse grep {/\S/} split /\n/,
            (eval { read_file("$dir/$name.error_log") } // '');
        die "$c->{name} under callgrind, $count requests: $err"
            . ($last ? " ($last)" : '') . "\n";
    }
    die "$c->{name} under callgrind: no profile $profile\n" unless -s $profile;
    my ($signal) = (eval { read_file("$dir/valgrind.out") } // '')
        =~ /Process terminating with default action of signal (\d+)/;
    die "$c->{name} under callgrind: httpd died at exit (signal $signal)\n"
        if $signal;
    my ($ir) = read_file($profile) =~ /^(?:summary|totals):\s*(\d+)/m;
    die "$c->{name} under callgrind: no totals in $profile\n" unless $ir;
    return ($ir, "$dir/$name.error_log");
}

# Instructions per request: a run with W + N requests minus a run with
# the same W warm-up requests only, divided by N. Start-up, the first
# connections to the origin (and a cache's first miss) and shutdown
# cancel out.
my $CG_WARM = 50;

# The rows measured: those picked that are marked callgrind, else all
# that are.
sub callgrind_configs {
    my @cg = grep { $_->{callgrind} } @RUN_CONFIGS;
    return @cg ? @cg : grep { $_->{callgrind} } @CONFIGS;
}

sub callgrind_phase {
    my ($origin) = @_;
    my $n = $opt{callgrind};
    my @cg = callgrind_configs();
    my @sizes = split /,/, $opt{'callgrind-sizes'}
        // default_sizes([qw(1k 256k)], @cg);
    record('callgrind.requests' => num($n), 'callgrind.warm' => $CG_WARM,
           'callgrind.sizes' => [@sizes]);
    out("callgrind: httpd -X, sequential keep-alive GETs; "
        . "instructions/request = (Ir of $CG_WARM + $n requests - Ir of "
        . "$CG_WARM requests) / $n");
    out('  (for the fcgi rows, httpd alone: php-fpm runs outside valgrind)')
        if uses_backend('php-fpm', @cg);
    out('  (for the ajp rows, httpd alone: Tomcat runs outside valgrind)')
        if uses_backend('tomcat', @cg);
    my @logs;
    for my $size (@sizes) {
        push @logs, callgrind_size($origin, $size, $n, @cg);
    }
    out('');
    report_logs(@logs);
}

# The callgrind rows of one size; returns their logs.
sub callgrind_size {
    my ($origin, $size, $n, @all) = @_;
    my @cg = grep { measures($_, $size) } @all;
    return unless @cg;
    my (%per, @logs, @done);
    out("  $SIZE_LABEL{$size}:");
    for my $c (@cg) {
        say_("callgrind: $c->{name}, $SIZE_LABEL{$size}");
        my ($full, $base, $log1, $log2, $misses);
        my $ok = eval {
            my %v = (RELAY => $opt{'relay-modules'});
            for my $file (map { fill($_, %v) } @{ $c->{requires} || [] }) {
                die "skipped: $file does not exist (not built yet)\n"
                    unless -f $file;
            }
            my $seen0 = origin_requests($origin);
            ($full, $log1) =
                callgrind_total($c, $origin, $size, $CG_WARM + $n);
            my $seen1 = origin_requests($origin);
            ($base, $log2) = callgrind_total($c, $origin, $size, $CG_WARM);
            # A cache: the N more requests must all have been hits.
            $misses = ($seen1 - $seen0) - (origin_requests($origin) - $seen1);
            1;
        };
        push @logs, map { { name => "$c->{name} (callgrind)", log => $_ } }
            grep {defined} $log1, $log2;
        if (!$ok) {
            chomp(my $e = $@);
            out(sprintf '  %-13s %s', $c->{name},
                $e =~ /^skipped/ ? $e : "failed: $e");
            next;
        }
        $per{ $c->{name} } = ($full - $base) / $n;
        push @done, [$c, $full, $base, $misses];
    }
    for (@done) {
        my ($c, $full, $base, $misses) = @$_;
        my $vs = '';
        my $b = $c->{vs} // 'stock';
        my $ratio = $per{$b} && $b ne $c->{name}
            ? $per{ $c->{name} } / $per{$b} : undef;
        $vs = sprintf ', %.2f x %s', $ratio, $b if defined $ratio;
        record_push('callgrind.rows', {
            config => $c->{name}, size => $size, instructions_per_request =>
                num($per{ $c->{name} }), ir_full => num($full),
            ir_base => num($base), vs => $b, ratio => num($ratio),
            origin_requests => num($c->{cache} ? $misses : undef) });
        $vs .= "; ! origin saw $misses more request(s): not all hits"
            if $c->{cache} && $misses;
        out(sprintf '  %-13s %10.0f instructions/request (Ir %d - %d)%s',
            $c->{name}, $per{ $c->{name} }, $full, $base, $vs);
    }
    return @logs;
}

1;
