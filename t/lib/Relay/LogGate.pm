# Licensed under the Apache License, Version 2.0.
#
# Relay::LogGate - fails a test file during which httpd logged a crash.
#
# scripts/relay-test loads it into every test program (PERL5OPT). In a
# t/*.t process it notes where the server's error log ends when the file
# starts, and when it ends reads what was logged since: a child process
# that died on a signal (AH00052, AH00051, a segmentation fault, an abort)
# or a line at level emerg or alert makes the file fail (exit status 255)
# with the lines shown. A test that provokes such a line on purpose says so
# first with Relay::LogGate::expect(qr/.../). A crash logged just after a
# file ends (httpd's parent notices a dead child within a second) fails the
# next file, and scripts/relay-test reads the whole log once more at the
# end of each pass (bad_lines).

package Relay::LogGate;

use strict;
use warnings FATAL => 'all';

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Spec ();

my $BAD = qr{
    \bAH0005[12]:                       # child pid N exit signal ...
  | exit\ signal\ (?:Segmentation|Aborted|Bus\ error|Illegal)
  | \[(?:[\w.]+:)?(?:emerg|alert)\]
}x;

my @expected;
my ($log, $start, $owner);

sub log_path {
    return File::Spec->catfile(dirname(dirname(dirname(abs_path(__FILE__)))),
                               'logs', 'error_log');
}

# Lines of `$file` (from byte $from) that a crash or emerg/alert left,
# except those a test expects.
sub bad_lines {
    my ($file, $from) = @_;
    open my $fh, '<', $file or return ();
    seek $fh, $from // 0, 0;
    my @bad;
    while (my $line = <$fh>) {
        next unless $line =~ $BAD;
        next if grep { $line =~ $_ } @expected;
        chomp $line;
        push @bad, "$line\n";
    }
    close $fh;
    return @bad;
}

# Lines matching $re are expected from now on in this test file.
sub expect {
    my ($re) = @_;
    push @expected, $re;
    return;
}

if ($0 =~ /\.t\z/) {
    $log = log_path();
    $start = -s $log // 0;
    $owner = $$;
}

END {
    if (defined $owner && $$ == $owner) {
        my @bad = bad_lines($log, $start);
        if (@bad) {
            print STDERR "# error-log gate: httpd logged while this file "
                . "ran:\n", map { "#   $_" } @bad;
            $? = 255;
        }
    }
}

1;
