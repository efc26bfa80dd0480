# Licensed under the Apache License, Version 2.0.
#
# Relay::ConfigTest - standalone httpd configurations for the tests that
# check what `apache2 -t` (or a short-lived server) makes of a config.
#
# A case is written to a temporary directory under t/logs: the stock
# LoadModule lines of t/conf/modules.conf, then the modules given (Relay's
# come from relay_module_dir(): $RELAY_MODULE_DIR, else build/modules),
# then the body. configtest() returns httpd's exit status and output, the
# file, and the line number of a marked line, so a test can check that an
# error names both.

package Relay::ConfigTest;

use strict;
use warnings FATAL => 'all';

use Apache::Test ();
use Exporter qw(import);
use File::Spec ();
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use Time::HiRes ();

our @EXPORT = qw(relay_module_dir relay_load_line case_dir write_conf
    run_httpd configtest start_case stop_case);

my $httpd = Apache::Test::vars('httpd') || '/usr/sbin/apache2';
my $t_dir = Apache::Test::vars('serverroot');
my ($dir, $serial, @stock_lines);

sub relay_module_dir {
    return $ENV{RELAY_MODULE_DIR}
        // File::Spec->catdir($t_dir, '..', 'build', 'modules');
}

# "LoadModule <identifier> <Relay's module file>".
sub relay_load_line {
    my ($identifier, $file) = @_;
    return "LoadModule $identifier " . relay_module_dir() . "/$file";
}

# The directory of this test file's cases (made on first use).
sub case_dir {
    my ($name) = @_;
    if (!$dir) {
        $dir = tempdir(($name // 'config') . '-XXXXXX',
            DIR => Apache::Test::vars('t_logs'), CLEANUP => 1);
        chmod 0755, $dir;
    }
    return $dir;
}

sub stock_lines {
    if (!@stock_lines) {
        my $file = File::Spec->catfile($t_dir, 'conf', 'modules.conf');
        open my $fh, '<', $file or die "$file: $!";
        @stock_lines = grep { /^\s*(?:LoadModule|TypesConfig)\b/ } <$fh>;
        chomp @stock_lines;
    }
    return @stock_lines;
}

# Writes a case and returns (file, line number of the line equal to $mark
# if given, the case's PidFile).
sub write_conf {
    my ($mark, $modules, @body) = @_;
    my $d = case_dir();
    $serial++;
    my $file = File::Spec->catfile($d, sprintf('case%02d.conf', $serial));
    my @lines = ("ServerRoot \"$d\"", 'ServerName 127.0.0.1',
        "PidFile \"$d/httpd$serial.pid\"",
        "ErrorLog \"$d/error$serial.log\"", "DefaultRuntimeDir \"$d\"",
        stock_lines(), @$modules, @body);
    open my $fh, '>', $file or die "$file: $!";
    print $fh map { "$_\n" } @lines;
    close $fh;
    my ($line) = defined $mark
        ? grep { $lines[$_ - 1] eq $mark } 1 .. @lines : ();
    return ($file, $line, "$d/httpd$serial.pid");
}

# Runs httpd with @args; returns (exit status, stdout and stderr).
sub run_httpd {
    my @args = @_;
    my $pid = open(my $out, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or die "dup: $!";
        exec $httpd, @args or die "cannot run $httpd: $!";
    }
    my $text = do { local $/; <$out> } // '';
    close $out;
    return ($? >> 8, $text);
}

# `httpd -t` on a new case: (exit status, output, file, line of $mark).
sub configtest {
    my ($mark, $modules, @body) = @_;
    my ($file, $line) = write_conf($mark, $modules, @body);
    my ($rc, $out) = run_httpd('-t', '-f', $file);
    return ($rc, $out, $file, $line);
}

# Starts httpd on a new case whose body listens on the loopback @ports,
# and waits (up to 10 s each) until they answer. Returns the server:
# { conf, pidfile }, for stop_case(). Dies when it does not start.
sub start_case {
    my ($modules, $ports, @body) = @_;
    my ($conf, undef, $pidfile) = write_conf(undef, $modules, @body);
    my ($rc, $out) = run_httpd('-f', $conf, '-k', 'start');
    die "httpd did not start: $out" if $rc;
    for my $port (@$ports) {
        my $deadline = Time::HiRes::time() + 10;
        until (IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                     Timeout => 1)) {
            die "httpd on $port did not answer"
                if Time::HiRes::time() > $deadline;
            Time::HiRes::sleep(0.05);
        }
    }
    return { conf => $conf, pidfile => $pidfile };
}

# Stops a server start_case() started; waits (up to 10 s) for its pid file
# to go.
sub stop_case {
    my ($s) = @_;
    run_httpd('-f', $s->{conf}, '-k', 'stop');
    my $deadline = Time::HiRes::time() + 10;
    Time::HiRes::sleep(0.05)
        while -e $s->{pidfile} && Time::HiRes::time() < $deadline;
}

1;
