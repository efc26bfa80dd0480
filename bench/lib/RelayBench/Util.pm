# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Util - commands and files: run, capture, read, write, and
# the @NAME@ templates of the configurations.
package RelayBench::Util;

use strict;
use warnings;
use Exporter qw(import);

our @EXPORT = qw(sh capture read_file write_file fill);

sub sh {
    my (@cmd) = @_;
    system(@cmd) == 0 or die "relay-bench: failed: @cmd\n";
}

sub capture {
    my ($cmd) = @_;
    my $out = `$cmd 2>&1`;
    $out =~ s/\s+$//;
    return $out;
}

sub read_file {
    my ($file) = @_;
    open my $fh, '<', $file or die "relay-bench: $file: $!\n";
    local $/;
    return scalar <$fh>;
}

sub write_file {
    my ($file, $text) = @_;
    open my $fh, '>', $file or die "relay-bench: $file: $!\n";
    print $fh $text;
    close $fh;
}

sub fill {
    my ($text, %v) = @_;
    # Twice: values may hold @...@ names themselves (a row's body).
    for (1 .. 2) {
        $text =~ s/\@([A-Z_]+)\@/exists $v{$1} ? $v{$1} : "\@$1\@"/ge;
    }
    die "relay-bench: unfilled $1 in a configuration\n"
        if $text =~ /\@([A-Z_]+)\@/;
    return $text;
}

1;
