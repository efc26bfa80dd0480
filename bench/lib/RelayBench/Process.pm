# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Process - the servers bench/relay-bench starts (pinned to
# the servers' CPU, each in its own process group, stopped by PID), free
# ports and sockets, and what /proc says of a server's processes: CPU time and RSS.
package RelayBench::Process;

use strict;
use warnings;
use Exporter qw(import);
use IO::Socket::INET;
use IO::Socket::UNIX;
use POSIX qw(WNOHANG _exit);
use Time::HiRes qw(sleep time);

use RelayBench::Options;

our @EXPORT = qw(say_ spawn stop_pid stop_all free_port wait_port wait_unix
                 wait_cpong wait_processes process_tree cpu_seconds user_cpu_seconds
                 run_seconds jit_seconds rss_kib);

my %CHILDREN;    # pid => name, every server this script started

sub say_ { print STDERR "relay-bench: @_\n" }

sub stop_pid {
    my ($pid) = @_;
    return unless $CHILDREN{$pid};
    kill 'TERM', $pid;
    for (1 .. 100) {
        last if waitpid($pid, WNOHANG) != 0;
        sleep 0.1;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }
    delete $CHILDREN{$pid};
}

sub stop_all {
    stop_pid($_) for sort { $b <=> $a } keys %CHILDREN;
}

# Start a command in the background, on the servers' CPU, in its own
# process group (a Ctrl-C reaches this script, which stops it in order).
# With as_user, the command runs as that user from the start.
sub spawn {
    my ($name, $log, @cmd) = @_;
    my $as_user = ref $cmd[0] ? shift(@cmd)->{as_user} : undef;
    my $pid = fork() // die "relay-bench: fork: $!\n";
    if ($pid == 0) {
        setpgrp(0, 0);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', $log;
        open STDERR, '>&', \*STDOUT;
        if ($as_user) {
            my (undef, undef, $uid, $gid) = getpwnam($as_user);
            $) = "$gid $gid";
            $( = $gid;
            POSIX::setuid($uid) or _exit(126);
        }
        { exec('taskset', '-c', $opt{'server-cpu'}, @cmd) };
        print STDERR "exec @cmd: $!\n";
        _exit(127);
    }
    $CHILDREN{$pid} = $name;
    return $pid;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1)
        or die "relay-bench: no free port: $!\n";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub wait_port {
    my ($port, $pid, $seconds, $what) = @_;
    my $end = time + $seconds;
    while (time < $end) {
        return 1 if IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                          Proto => 'tcp', Timeout => 1);
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $CHILDREN{$pid};
            die "relay-bench: $what exited at start-up (status $?)\n";
        }
        sleep 0.1;
    }
    die "relay-bench: $what not listening on 127.0.0.1:$port after ${seconds}s\n";
}

# Like wait_port, for a server listening on a unix socket.
sub wait_unix {
    my ($path, $pid, $seconds, $what) = @_;
    my $end = time + $seconds;
    while (time < $end) {
        return 1 if IO::Socket::UNIX->new(Peer => $path);
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $CHILDREN{$pid};
            die "relay-bench: $what exited at start-up (status $?)\n";
        }
        sleep 0.1;
    }
    die "relay-bench: $what not listening on $path after ${seconds}s\n";
}

# Like wait_port, until an AJP connector on the port answers a CPing
# (AJP13 packet 0x12 0x34, length 1, type 10) with a CPong ("AB",
# length 1, type 9): Tomcat takes connections before it is ready.
sub wait_cpong {
    my ($port, $pid, $seconds, $what) = @_;
    my $end = time + $seconds;
    while (time < $end) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                      Proto => 'tcp', Timeout => 1);
        my $got = '';
        if ($s && syswrite($s, "\x12\x34\x00\x01\x0a") == 5) {
            my $rin = '';
            vec($rin, fileno($s), 1) = 1;
            while (length $got < 5 && select(my $r = $rin, undef, undef, 1)) {
                sysread($s, $got, 5 - length $got, length $got) or last;
            }
        }
        close $s if $s;
        return 1 if $got eq "AB\x00\x01\x09";
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $CHILDREN{$pid};
            die "relay-bench: $what exited at start-up (status $?)\n";
        }
        sleep 0.2;
    }
    die "relay-bench: $what answered no AJP CPing on 127.0.0.1:$port "
        . "after ${seconds}s\n";
}

# Waits until the server's tree has `count` processes (a pool whose
# children are all started).
sub wait_processes {
    my ($pid, $count, $seconds, $what) = @_;
    my $end = time + $seconds;
    my $n;
    while (time < $end) {
        $n = () = process_tree($pid);
        return 1 if $n >= $count;
        if (waitpid($pid, WNOHANG) == $pid) {
            delete $CHILDREN{$pid};
            die "relay-bench: $what exited at start-up (status $?)\n";
        }
        sleep 0.2;
    }
    die "relay-bench: $what has $n of $count processes after ${seconds}s\n";
}

sub proc_stat {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return;
    my $line = <$fh>;
    close $fh;
    defined $line or return;    # the process has just exited
    $line =~ s/^.*\)\s+// or return;
    return [split ' ', $line];    # [0] state, [1] ppid, [11..14] times
}

# The server's root process and all of its descendants.
sub process_tree {
    my ($root) = @_;
    my %kids;
    opendir my $dh, '/proc' or return ($root);
    for my $pid (grep { /^\d+$/ } readdir $dh) {
        my $st = proc_stat($pid) or next;
        push @{ $kids{ $st->[1] } }, $pid;
    }
    closedir $dh;
    my @tree = ($root);
    for (my $i = 0; $i < @tree; $i++) {
        push @tree, @{ $kids{ $tree[$i] } || [] };
    }
    return @tree;
}

# CPU seconds of the tree: utime + stime of every process, plus cutime +
# cstime (children that have been reaped).
sub cpu_seconds {
    my (@pids) = @_;
    my $ticks = 0;
    for my $pid (@pids) {
        my $st = proc_stat($pid) or next;
        $ticks += $st->[11] + $st->[12] + $st->[13] + $st->[14];
    }
    return $ticks / $TICK;
}

# The part of cpu_seconds spent in the processes' own code (utime +
# cutime); the rest is the kernel's (system calls, TCP, scheduling).
sub user_cpu_seconds {
    my (@pids) = @_;
    my $ticks = 0;
    for my $pid (@pids) {
        my $st = proc_stat($pid) or next;
        $ticks += $st->[11] + $st->[13];
    }
    return $ticks / $TICK;
}

# CPU seconds of single-threaded processes from the scheduler's own count
# (/proc/PID/schedstat, nanoseconds): for a pool of hundreds of processes
# that each run less than a clock tick between two readings, where the
# tick counts of /proc/PID/stat, rounded down per process, lose most of
# the time. Reaped children are not in it; a php-fpm pool with pm =
# static reaps none.
sub run_seconds {
    my (@pids) = @_;
    my $ns = 0;
    for my $pid (@pids) {
        open my $fh, '<', "/proc/$pid/schedstat" or next;
        my ($run) = split ' ', scalar(<$fh>) // '';
        close $fh;
        $ns += $run if defined $run && $run =~ /^\d+$/;
    }
    return $ns / 1e9;
}

# CPU seconds a JVM's JIT compiler threads have run so far (its tasks
# named "C1 CompilerThre..." and "C2 CompilerThre...", from the
# scheduler's count): once the code under load is compiled, this stops
# growing.
sub jit_seconds {
    my ($pid) = @_;
    my $ns = 0;
    opendir my $dh, "/proc/$pid/task" or return 0;
    for my $tid (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/task/$tid/comm" or next;
        my $comm = <$fh> // '';
        close $fh;
        next unless $comm =~ /^C\d CompilerThre/;
        open $fh, '<', "/proc/$pid/task/$tid/schedstat" or next;
        my ($run) = split ' ', scalar(<$fh>) // '';
        close $fh;
        $ns += $run if defined $run && $run =~ /^\d+$/;
    }
    closedir $dh;
    return $ns / 1e9;
}

sub rss_kib {
    my (@pids) = @_;
    my $kib = 0;
    for my $pid (@pids) {
        open my $fh, '<', "/proc/$pid/status" or next;
        while (my $line = <$fh>) {
            if ($line =~ /^VmRSS:\s+(\d+)/) {
                $kib += $1;
                last;
            }
        }
        close $fh;
    }
    return $kib;
}

1;
