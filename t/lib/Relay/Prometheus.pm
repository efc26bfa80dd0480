# Licensed under the Apache License, Version 2.0.
#
# Relay::Prometheus - a small strict parser of Prometheus' text exposition
# format (version 0.0.4), for the tests of the relay-metrics handler.
#
#   my $m = prom_parse($text);   # dies with "line N: why" on the first fault
#   prom_value($m, $name, \%labels)   the value of the one sample of $name
#                                whose labels include %labels (a value may
#                                be a qr// to match; undef: none; dies when
#                                several match)
#   prom_sum($m, $name, \%labels)     the sum over every matching sample
#   prom_text($port, $path)      GETs $path (HTTP/1.0) from 127.0.0.1:$port,
#                                the body; dies unless it is a 200 of type
#                                text/plain; version=0.0.4
#   prom_fetch($port, $path)     the same, parsed with prom_parse
#   prom_pick($text, $name, \%labels)  the sum of the samples of $name
#                                matching %labels found in $text, without
#                                parsing the rest (undef: none) - for polls
#                                of a page too large to parse each time
#
# $m is { families => { name => { type, help, samples => [...] } },
#         samples => [ { name, family, labels => {..}, value } ] }.
#
# What it rejects: a line that is neither a comment, blank, nor
# `name{labels} value [timestamp]`; bad metric or label names; label
# values with a raw newline, an unescaped quote or an unknown escape; a
# repeated label name; a sample before its family's # TYPE (and # HELP,
# which Relay always writes) or of no declared family; a second # HELP or
# # TYPE for a family, or one after its samples; a type other than
# counter, gauge, histogram, summary or untyped; a counter whose name does
# not end in _total; a series (name and label set) given twice; a family
# whose samples are not all together; a value that is not a float (or
# +Inf, -Inf, NaN); a negative counter; a histogram series without a +Inf
# bucket, with buckets not in increasing `le` order or with counts that
# go down, whose +Inf bucket differs from its _count, or that lacks _sum
# or _count; text not ending in a newline.
package Relay::Prometheus;

use strict;
use warnings;

use Exporter qw(import);

use Relay::Test qw(raw_request parse_response);

our @EXPORT = qw(prom_parse prom_value prom_sum prom_fetch prom_text
    prom_pick);

my $NAME  = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
my $LNAME = qr/[a-zA-Z_][a-zA-Z0-9_]*/;
my $FLOAT = qr/[+-]?(?:Inf|NaN|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/;
my %TYPES = map { $_ => 1 } qw(counter gauge histogram summary untyped);

# The family a sample name belongs to: itself, or a histogram's/summary's
# name without _bucket, _sum or _count.
sub family_of {
    my ($fam, $name) = @_;
    return $name if $fam->{$name};
    my ($base) = $name =~ /^(.*)_(?:bucket|sum|count)$/;
    return $base if defined $base && $fam->{$base}
        && ($fam->{$base}{type} // '') =~ /^(?:histogram|summary)$/;
    return undef;
}

# {a="x",b="y"} (without the braces) as a hash; dies on a fault.
sub parse_labels {
    my ($s, $where) = @_;
    my %l;
    return \%l if $s eq '';
    while (1) {
        $s =~ /\G([a-zA-Z_][a-zA-Z0-9_]*)="([^"\\]*+(?:\\.[^"\\]*+)*+)"/gc
            or die "$where: bad label (name, =, quoting) at: "
                . substr($s, pos($s) // 0) . "\n";
        my ($k, $raw) = ($1, $2);
        die "$where: label $k given twice\n" if exists $l{$k};
        if (index($raw, '\\') >= 0) {
            die "$where: unknown escape in label $k\n"
                unless $raw =~ /\A(?:[^\\]++|\\[n"\\])*+\z/;
            $raw =~ s/\\(.)/$1 eq 'n' ? "\n" : $1/ge;
        }
        $l{$k} = $raw;
        last if pos($s) == length $s;
        $s =~ /\G,(?=.)/gc
            or die "$where: labels not separated by a comma, or a "
                . "trailing comma\n";
    }
    return \%l;
}

sub num {
    my ($v) = @_;
    return 9**9**9 if $v =~ /^\+?Inf$/;
    return -9**9**9 if $v eq '-Inf';
    return $v + 0;
}

sub series_key {
    my ($name, $l) = @_;
    return join("\0", $name, map { "$_=$l->{$_}" } sort keys %$l);
}

sub check_histograms {
    my ($m) = @_;
    for my $f (grep { $m->{families}{$_}{type} eq 'histogram' }
               sort keys %{ $m->{families} }) {
        my %series;
        for my $s (@{ $m->{families}{$f}{samples} }) {
            my %l = %{ $s->{labels} };
            my $le = delete $l{le};
            my $k = series_key('', \%l);
            my $h = $series{$k} //= { buckets => [] };
            if ($s->{name} eq "${f}_bucket") {
                die "histogram $f: bucket without le\n" unless defined $le;
                push @{ $h->{buckets} }, [num($le), $s->{value}];
            }
            elsif ($s->{name} eq "${f}_count") { $h->{count} = $s->{value} }
            elsif ($s->{name} eq "${f}_sum")   { $h->{sum} = $s->{value} }
            else { die "histogram $f: sample $s->{name} of no part\n" }
        }
        for my $k (sort keys %series) {
            my $h = $series{$k};
            my @b = @{ $h->{buckets} };
            die "histogram $f: no buckets\n" unless @b;
            for my $i (1 .. $#b) {
                die "histogram $f: le not increasing\n"
                    unless $b[$i][0] > $b[$i - 1][0];
                die "histogram $f: bucket counts go down\n"
                    if $b[$i][1] < $b[$i - 1][1];
            }
            die "histogram $f: last bucket is not +Inf\n"
                unless $b[-1][0] == 9**9**9;
            die "histogram $f: no _count\n" unless defined $h->{count};
            die "histogram $f: no _sum\n" unless defined $h->{sum};
            die "histogram $f: +Inf bucket $b[-1][1] != _count $h->{count}\n"
                unless $b[-1][1] == $h->{count};
        }
    }
}

sub prom_parse {
    my ($text) = @_;
    my %m = (families => {}, samples => []);
    my $fam = $m{families};
    my (%seen, %closed);
    my $current = '';
    die "text does not end in a newline\n"
        if length $text && $text !~ /\n\z/;
    my $n = 0;
    for my $line (split /\n/, $text, -1) {
        $n++;
        my $where = "line $n";
        next if $line eq '';
        if ($line =~ /^#\s*(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/) {
            my ($kw, $name, $rest) = ($1, $2, $3 // '');
            die "$where: bad metric name $name\n" unless $name =~ /^$NAME$/;
            my $f = $fam->{$name} //= { samples => [] };
            die "$where: $kw of $name after its samples\n"
                if @{ $f->{samples} };
            die "$where: second $kw of $name\n" if exists $f->{lc $kw};
            if ($kw eq 'TYPE') {
                die "$where: unknown type '$rest'\n" unless $TYPES{$rest};
                die "$where: counter $name does not end in _total\n"
                    if $rest eq 'counter' && $name !~ /_total$/;
                $f->{type} = $rest;
            }
            else {
                die "$where: empty HELP of $name\n" unless length $rest;
                $f->{help} = $rest;
            }
            next;
        }
        next if $line =~ /^#/;
        $line =~ /^($NAME)(?:\{(.*)\})? ($FLOAT)(?: (-?\d+))?$/
            or die "$where: malformed sample line: $line\n";
        my ($name, $lbl, $value) = ($1, $2 // '', $3);
        my $f = family_of($fam, $name)
            // die "$where: sample $name of no declared family\n";
        die "$where: $f has no # TYPE before its samples\n"
            unless $fam->{$f}{type};
        die "$where: $f has no # HELP before its samples\n"
            unless $fam->{$f}{help};
        if ($f ne $current) {
            die "$where: samples of $f are not together\n" if $closed{$f};
            $closed{$current} = 1 if length $current;
            $current = $f;
        }
        my $labels = parse_labels($lbl, $where);
        my $k = series_key($name, $labels);
        die "$where: series given twice: $name\{$lbl\}\n" if $seen{$k}++;
        my $v = num($value);
        die "$where: negative counter $name\n"
            if $fam->{$f}{type} eq 'counter' && $v < 0;
        my $s = { name => $name, family => $f, labels => $labels,
                  value => $v };
        push @{ $fam->{$f}{samples} }, $s;
        push @{ $m{samples} }, $s;
    }
    check_histograms(\%m);
    return \%m;
}

sub matching {
    my ($m, $name, $want) = @_;
    return grep {
        my $s = $_;
        $s->{name} eq $name && !grep {
            my $v = $s->{labels}{$_};
            !defined $v || (ref $want->{$_} eq 'Regexp'
                            ? $v !~ $want->{$_} : $v ne $want->{$_})
        } keys %{ $want // {} }
    } @{ $m->{samples} };
}

sub prom_value {
    my ($m, $name, $want) = @_;
    my @s = matching($m, $name, $want);
    die "several samples of $name match\n" if @s > 1;
    return @s ? $s[0]{value} : undef;
}

sub prom_text {
    my ($port, $path) = @_;
    my $res = parse_response(raw_request($port,
        "GET $path HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n", 30));
    die "GET $path: no response\n" unless $res;
    die "GET $path: status $res->{status}\n" unless $res->{status} == 200;
    my ($type) = map { $_->[1] } grep { lc $_->[0] eq 'content-type' }
        @{ $res->{headers} };
    die "GET $path: Content-Type " . ($type // 'none') . "\n"
        unless ($type // '') =~ m{^text/plain; version=0\.0\.4};
    return $res->{body};
}

sub prom_fetch { return prom_parse(prom_text(@_)) }

sub prom_pick {
    my ($text, $name, $want) = @_;
    my ($sum, $n) = (0, 0);
    while ($text =~ /^\Q$name\E(?:\{([^\n]*)\})? (\S+)$/mg) {
        my ($lbl, $v) = ($1 // '', $2);
        my $m = { samples => [{ name => $name, value => num($v),
                                labels => parse_labels($lbl, $name) }] };
        next unless matching($m, $name, $want);
        $sum += num($v);
        $n++;
    }
    return $n ? $sum : undef;
}

sub prom_sum {
    my ($m, $name, $want) = @_;
    my $t = 0;
    $t += $_->{value} for matching($m, $name, $want);
    return $t;
}

1;
