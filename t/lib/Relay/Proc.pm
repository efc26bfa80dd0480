# Licensed under the Apache License, Version 2.0.
#
# Relay::Proc - the test server's processes, seen through /proc: the
# child processes of the httpd named by t/logs/httpd.pid (each one has its
# own connection pools and worker state) and their resident memory, and a
# second test origin a test starts and stops itself.
#
#   httpd_children()        pids of the server's children
#   rss_kb($pid)            VmRSS of one process in KiB (undef if gone)
#   children_rss_kb()       { pid => VmRSS } of all children
#   rss_watch()             (sample, growth, \samples): sample() notes the
#                           children's RSS, growth() the largest rise of one
#                           child since the watch began
#   log_pid($line)          the pid an error-log line was written by
#   start_origin($port)     t/origin/relay_origin.pl on 127.0.0.1:$port
#   stop_origin($origin)    SIGTERM and wait for it

package Relay::Proc;

use strict;
use warnings FATAL => 'all';

use Carp qw(croak);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Spec ();
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Time::HiRes ();

our @EXPORT = qw(
    httpd_pid httpd_children rss_kb children_rss_kb rss_watch log_pid
    start_origin stop_origin
);

my $T_DIR = File::Spec->catdir(dirname(__FILE__), '..', '..');

sub httpd_pid {
    my $file = eval { Apache::Test::vars('t_pid_file') }
        // File::Spec->catfile($T_DIR, 'logs', 'httpd.pid');
    open my $fh, '<', $file or croak "$file: $!";
    my $pid = <$fh>;
    close $fh;
    chomp $pid;
    return $pid;
}

sub httpd_children {
    my $parent = httpd_pid();
    my @kids;
    opendir my $dh, '/proc' or croak "/proc: $!";
    for my $pid (grep { /^\d+\z/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh>;
        close $fh;
        # pid (comm) state ppid ...: comm may hold spaces and parentheses
        my ($ppid) = $stat =~ /\)\s+\S+\s+(\d+)/ or next;
        push @kids, $pid if $ppid == $parent;
    }
    closedir $dh;
    return sort { $a <=> $b } @kids;
}

sub rss_kb {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return undef;
    while (<$fh>) {
        return $1 if /^VmRSS:\s+(\d+)\s+kB/;
    }
    return undef;
}

sub children_rss_kb {
    my %rss;
    for my $pid (httpd_children()) {
        my $kb = rss_kb($pid);
        $rss{$pid} = $kb if defined $kb;
    }
    return \%rss;
}

# RSS of each child at the start, and the highest seen since (a child
# started meanwhile counts from its first sample).
sub rss_watch {
    my %base = %{ children_rss_kb() };
    my %peak = %base;
    my $samples = 0;
    my $sample = sub {
        my $now = children_rss_kb();
        for my $pid (keys %$now) {
            $base{$pid} //= $now->{$pid};    # a child started meanwhile
            $peak{$pid} = $now->{$pid} if $now->{$pid} > ($peak{$pid} // 0);
        }
        $samples++;
    };
    my $growth = sub {
        my ($max) = sort { $b <=> $a }
            map { $peak{$_} - $base{$_} } keys %peak;
        return $max // 0;
    };
    return ($sample, $growth, \$samples);
}

# httpd's default ErrorLogFormat writes "[pid N:tid M]".
sub log_pid {
    my ($line) = @_;
    return $line =~ /\[pid (\d+)/ ? $1 : undef;
}

# Starts a test origin on a given port and waits (up to 10 s) until it
# listens. Returns { pid, port, started } (started: the time it listened).
sub start_origin {
    my ($port) = @_;
    my $dir = tempdir('relay-origin-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $port_file = "$dir/port";
    my $script = File::Spec->catfile($T_DIR, 'origin', 'relay_origin.pl');
    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/log";
        open STDERR, '>&', \*STDOUT;
        exec($^X, $script, '--port', $port, '--port-file', $port_file)
            or POSIX::_exit(127);
    }
    my $deadline = Time::HiRes::time() + 10;
    while (!-s $port_file) {
        if (waitpid($pid, WNOHANG) == $pid
            || Time::HiRes::time() > $deadline) {
            kill 'TERM', $pid;
            croak "the origin on port $port did not start";
        }
        Time::HiRes::sleep(0.01);
    }
    return { pid => $pid, port => $port, dir => $dir,
             started => Time::HiRes::time() };
}

sub stop_origin {
    my ($origin) = @_;
    return unless $origin && $origin->{pid};
    kill 'TERM', $origin->{pid};
    my $deadline = Time::HiRes::time() + 10;
    while (waitpid($origin->{pid}, WNOHANG) == 0) {
        if (Time::HiRes::time() > $deadline) {
            kill 'KILL', $origin->{pid};
            waitpid($origin->{pid}, 0);
            last;
        }
        Time::HiRes::sleep(0.01);
    }
    $origin->{pid} = undef;
}

1;
