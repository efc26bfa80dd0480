#!/usr/bin/env perl
# Licensed under the Apache License, Version 2.0.
#
# work_ratio.pl PROGRAM MODE SMALL LARGE MAX
#
# Counts the instructions of `PROGRAM MODE N` under valgrind's callgrind
# for N = 0, SMALL and LARGE, and checks that the work beyond N = 0 grows
# at most MAX times as fast as N: for LARGE = 4 x SMALL, a linear cost
# gives a ratio near 4 and a quadratic one near 16. Instructions, not
# time: the count is the same on a busy machine. One TAP test.

use strict;
use warnings;

my ($prog, $mode, $small, $large, $max) = @ARGV;
die "usage: $0 PROGRAM MODE SMALL LARGE MAX\n" unless defined $max;

print "1..1\n";

sub instructions {
    my ($n) = @_;
    my $out = `valgrind --tool=callgrind --callgrind-out-file=/dev/null $prog $mode $n 2>&1`;
    my $status = $?;
    my ($count) = $out =~ /Collected\s*:\s*(\d+)/;
    if ($status != 0 || !defined $count) {
        print "not ok 1 - $prog $mode $n under callgrind (status $status)\n";
        print "# $_\n" for split /\n/, $out;
        exit 1;
    }
    return $count;
}

my $base = instructions(0);
my $s = instructions($small) - $base;
my $l = instructions($large) - $base;
my $ratio = $s > 0 ? $l / $s : 0;
printf "# %s %s: %d instructions at %d, %d at %d, ratio %.2f "
    . "(input ratio %.2f, at most %.2f)\n",
    $prog, $mode, $s, $small, $l, $large, $ratio, $large / $small, $max;
print $ratio > 0 && $ratio <= $max ? "ok 1" : "not ok 1",
    " - $mode: work linear in the input\n";
exit($ratio > 0 && $ratio <= $max ? 0 : 1);
