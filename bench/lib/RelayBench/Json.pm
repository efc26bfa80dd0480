# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Json - the figures of a run as data: the parts record what
# they measure as they go (record), and the whole is written to
# bench/results/<timestamp>.json next to the text report (write_json);
# read_json loads such a file back (the chart is drawn from it).
#
# The document: date, commit, machine, versions, settings, configs (name,
# about, compared with), load (one entry per configuration, size and
# connection count: medians, spread, ratios, every run), callgrind
# (instructions per request), stream (RSS while 1 GiB goes through).
package RelayBench::Json;

use strict;
use warnings;
use Exporter qw(import);
use B ();
use JSON::PP ();

our @EXPORT = qw(record record_push recorded num write_json read_json);

# Bumped when a field changes meaning; readers check it.
my $FORMAT = 1;

my %DOC = (format => $FORMAT, tool => 'relay-bench');

# record(key => value, ...) sets top-level fields; record('a.b', value)
# sets a nested one.
sub record {
    my (%kv) = @_;
    for my $key (keys %kv) {
        my @path = split /\./, $key;
        my $last = pop @path;
        my $node = \%DOC;
        $node = $node->{$_} //= {} for @path;
        $node->{$last} = $kv{$key};
    }
}

# Appends one entry to a list field ('load', 'callgrind.rows', ...).
sub record_push {
    my ($key, $entry) = @_;
    my @path = split /\./, $key;
    my $last = pop @path;
    my $node = \%DOC;
    $node = $node->{$_} //= {} for @path;
    push @{ $node->{$last} }, $entry;
}

sub recorded { return \%DOC }

# A figure as a number (values parsed from text are strings until
# used as numbers, and JSON::PP would write them as strings); undef stays.
sub num {
    my ($v) = @_;
    return defined $v ? 0 + $v : undef;
}

# Numbers keep at most 4 decimals; strings and undef (null) stay.
sub clean {
    my ($v) = @_;
    if (ref $v eq 'HASH') {
        return { map { $_ => clean($v->{$_}) } keys %$v };
    }
    if (ref $v eq 'ARRAY') {
        return [map { clean($_) } @$v];
    }
    return $v if ref $v || !defined $v;
    my $flags = B::svref_2object(\$v)->FLAGS;
    return $v if $flags & B::SVp_POK() || !($flags & B::SVp_NOK());
    return $v == int($v) ? int($v) : 0 + sprintf('%.4f', $v);
}

sub encoder {
    return JSON::PP->new->utf8->pretty->canonical;
}

sub write_json {
    my ($file) = @_;
    open my $fh, '>', $file or die "relay-bench: $file: $!\n";
    print $fh encoder()->encode(clean(\%DOC));
    close $fh or die "relay-bench: $file: $!\n";
}

sub read_json {
    my ($file) = @_;
    open my $fh, '<', $file or die "relay-bench: $file: $!\n";
    local $/;
    my $doc = eval { JSON::PP->new->utf8->decode(scalar <$fh>) }
        or die "relay-bench: $file is not JSON: $@";
    die "relay-bench: $file is not a relay-bench result (format "
        . ($doc->{format} // 'none') . ", expected $FORMAT)\n"
        unless ($doc->{tool} // '') eq 'relay-bench'
        && ($doc->{format} // 0) == $FORMAT;
    return $doc;
}

1;
