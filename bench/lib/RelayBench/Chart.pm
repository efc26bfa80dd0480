# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Chart - the PNG chart of a run, drawn by gnuplot from the
# run's JSON document (RelayBench::Json): requests/s per configuration,
# size and connection count with their spread and the ratio to each
# row's baseline; instructions per request when callgrind ran; the RSS
# growth of the streaming check when it ran. Each panel is drawn only
# when its figures are there; the title names the date, the machine and
# the commit.
package RelayBench::Chart;

use strict;
use warnings;
use Exporter qw(import);
use File::Temp qw(tempfile);

use RelayBench::Util;

our @EXPORT = qw(draw_chart);

my $GNUPLOT = '/usr/bin/gnuplot';

# One colour per configuration, the same in every panel and chart.
my %COLOUR = (
    stock => '#8c8c8c', relay => '#1f77b4', static => '#2ca02c',
    nginx => '#ff7f0e', direct => '#9467bd', 'stock-socache' => '#c7c7c7',
    'relay-mem' => '#17becf', 'stock-disk' => '#595959',
    'relay-disk' => '#0b4f8a', 'nginx-cache' => '#d62728',
    'stock-fcgi' => '#b07aa1', 'relay-fcgi' => '#4e2a84',
    'stock-ajp' => '#e5ae38', 'relay-ajp' => '#8c510a');
my @SPARE = ('#bcbd22', '#e377c2', '#8c564b', '#7f7f7f');

my %LABEL = ('1k' => '1 KiB', '16k' => '16 KiB', '256k' => '256 KiB',
             '1m' => '1 MiB', 'php-hello' => 'PHP hello',
             'php-256k' => 'PHP 256 KiB', 'jsp-hello' => 'JSP hello',
             'jsp-256k' => 'JSP 256 KiB');

sub colour {
    my ($name) = @_;
    return $COLOUR{$name} //= shift(@SPARE) // '#000000';
}

sub quote {
    my ($s) = @_;
    $s =~ s/(["\\])/\\$1/g;
    return qq{"$s"};
}

# A panel of grouped bars. $clusters: the x labels, left to right;
# $series: [{ name, title, bars => { cluster index => [y, lo, hi,
# label] } }]. Options: ylabel, hline => [y, title], ymin_top (the y
# axis reaches at least this far), key (where the legend goes).
sub bars_panel {
    my ($id, $title, $clusters, $series, %o) = @_;
    my @series = grep { %{ $_->{bars} } } @$series;
    return unless @series;
    my $n = @series;
    my $width = 0.8 / $n;
    my (@blocks, @plots, $top);
    $top = $o{ymin_top} // 0;
    for my $i (0 .. $#series) {
        my $s = $series[$i];
        my @rows;
        for my $k (sort { $a <=> $b } keys %{ $s->{bars} }) {
            my ($y, $lo, $hi, $label) = @{ $s->{bars}{$k} };
            next unless defined $y;
            $lo //= $y;
            $hi //= $y;
            $top = $hi if $hi > $top;
            my $x = $k - 0.4 + $width * ($i + 0.5);
            push @rows, join ' ', $x, $y, $lo, $hi, quote($label // '');
        }
        push @blocks, "\$${id}_$i << EOD\n" . join("\n", @rows) . "\nEOD";
        my $c = colour($s->{name});
        push @plots,
            "\$${id}_$i using 1:2:3:4:(" . $width * 0.95 . ') with boxerrorbars '
            . "lc rgb '$c' "
            . 'title ' . quote($s->{title} // $s->{name}),
            "\$${id}_$i using 1:4:5 with labels offset 0,0.6 font ',8' "
            . 'notitle';
    }
    if ($o{hline}) {
        my ($y, $t) = @{ $o{hline} };
        push @plots, "$y with lines dt 2 lw 2 lc rgb '#d62728' title "
            . quote($t);
        $top = $y if $y > $top;
    }
    my $xtics = join ', ', map { quote($clusters->[$_]) . " $_" }
        0 .. $#$clusters;
    return join "\n", @blocks,
        'set title ' . quote($title),
        'set key ' . ($o{key} // 'top right'),
        'set ylabel ' . quote($o{ylabel} // ''),
        "set xrange [-0.6:" . ($#$clusters + 0.6) . ']',
        'set yrange [0:' . ($top * 1.18 || 1) . ']',
        "set xtics ($xtics)",
        'plot ' . join(", \\\n     ", @plots), '';
}

# Requests/s per configuration at every size and connection count; the
# label over a bar is its ratio to its baseline (medians of the per-round
# ratios).
sub load_panel {
    my ($doc) = @_;
    my (@clusters, %at, %series, @order);
    for my $e (@{ $doc->{load} || [] }) {
        next unless $e->{rps};
        my $key = "$e->{size} $e->{conns}";
        if (!exists $at{$key}) {
            $at{$key} = @clusters;
            push @clusters, "$LABEL{$e->{size}}, $e->{conns} conns";
        }
        my $name = $e->{config};
        if (!$series{$name}) {
            push @order, $name;
            $series{$name} = { name => $name, bars => {},
                title => $e->{vs} eq $name ? $name : "$name (vs $e->{vs})" };
        }
        my $r = $e->{ratio_rps};
        $series{$name}{bars}{ $at{$key} } = [
            @{ $e->{rps} }{qw(median min max)},
            $r ? sprintf('%.2f', $r->{median}) : ''];
    }
    my $s = $doc->{settings} || {};
    return bars_panel('load', sprintf('requests/s, median of %d round(s) '
        . 'of %d s, bars min-max; label: ratio to the baseline in the '
        . 'legend (median of per-round ratios)', $s->{rounds} // 0,
        $s->{duration} // 0), \@clusters, [map { $series{$_} } @order],
        ylabel => 'requests/s');
}

sub callgrind_panel {
    my ($doc) = @_;
    my $cg = $doc->{callgrind} or return;
    my (@clusters, %at, %series, @order);
    for my $row (@{ $cg->{rows} || [] }) {
        # A cache row whose requests reached the origin measured misses.
        next if $row->{origin_requests};
        my $size = $row->{size} // $cg->{size} // '1k';
        if (!exists $at{$size}) {
            $at{$size} = @clusters;
            push @clusters, "$LABEL{$size}, sequential keep-alive GETs";
        }
        my $name = $row->{config};
        if (!$series{$name}) {
            push @order, $name;
            $series{$name} = { name => $name, bars => {},
                title => $row->{vs} && $row->{vs} ne $name
                    ? "$name (vs $row->{vs})" : $name };
        }
        my $k = $row->{instructions_per_request} / 1000;
        my $label = sprintf '%.1f k', $k;
        $label .= sprintf ' (%.2f)', $row->{ratio} if defined $row->{ratio};
        $series{$name}{bars}{ $at{$size} } = [$k, $k, $k, $label];
    }
    return bars_panel('cg', 'instructions per request (callgrind, httpd -X, '
        . "$cg->{requests} requests); label: thousands (ratio to the "
        . 'baseline in the legend)', \@clusters,
        [map { $series{$_} } @order], ylabel => 'thousand instructions');
}

sub stream_panel {
    my ($doc) = @_;
    my $st = $doc->{stream} or return;
    my (@clusters, %at, %series, @order);
    for my $row (@{ $st->{rows} || [] }) {
        my $client = $row->{client} eq 'fast' ? 'client at full speed'
            : "client limited to $row->{rate_limit_mib_s} MiB/s";
        if (!exists $at{$client}) {
            $at{$client} = @clusters;
            push @clusters, $client;
        }
        my $name = $row->{config};
        if (!$series{$name}) {
            push @order, $name;
            $series{$name} = { name => $name, bars => {} };
        }
        my $g = $row->{growth_kib} / 1024;
        $series{$name}{bars}{ $at{$client} } = [$g, $g, $g, sprintf(
            '%+.1f (%.1f to %.1f)%s', $g, $row->{before_kib} / 1024,
            $row->{peak_kib} / 1024, $row->{complete} ? '' : ' incomplete')];
    }
    my $mib = $st->{bytes} / 1048576;
    return bars_panel('st', sprintf('streaming %s through the proxy: '
        . 'growth of the server\'s RSS, MiB (label: growth, before to peak)',
        $mib >= 1024 ? ($mib / 1024) . ' GiB' : "$mib MiB"), \@clusters,
        [map { $series{$_} } @order], ylabel => 'RSS growth, MiB',
        hline => [$st->{target_growth_mib}, "target < "
                  . "$st->{target_growth_mib} MiB"],
        ymin_top => $st->{target_growth_mib}, key => 'left center');
}

# Draws the chart of a run's document into $png; returns nothing, dies
# when gnuplot fails.
sub draw_chart {
    my ($doc, $png) = @_;
    -x $GNUPLOT or die "relay-bench: $GNUPLOT missing (gnuplot-nox)\n";
    my @panels = grep {defined} load_panel($doc), callgrind_panel($doc),
        stream_panel($doc);
    die "relay-bench: no figures to draw\n" unless @panels;
    my $m = $doc->{machine} || {};
    my $title = sprintf 'Relay benchmark %s, commit %s%s\n%s\nload average '
        . '%s at the start, %s at the end (a shared machine: compare the '
        . 'ratios within the run)', substr($doc->{date} // '', 0, 16) =~ s/T/ /r,
        $doc->{commit} // '?', $doc->{uncommitted_changes}
        ? ' (uncommitted changes)' : '', $m->{description} // '',
        $m->{load_start} // '?', $m->{load_end} // '?';
    my $terminal = capture("$GNUPLOT -e 'set terminal'") =~ /pngcairo/
        ? "pngcairo size 1200,%d font 'Sans,10'" : 'png size 1200,%d';
    my $script = join "\n",
        sprintf("set terminal $terminal", 100 + 380 * @panels),
        'set output ' . quote($png),
        'set style fill solid 0.85 border rgb "#333333"',
        'set errorbars lc rgb "#333333"',
        'set grid ytics lc rgb "#dddddd"',
        'set key top right font ",9"',
        'set border 3', 'set tics nomirror', 'set xtics scale 0',
        sprintf('set multiplot layout %d,1 title "%s" font ",11"',
                scalar @panels, $title =~ s/"/\\"/gr),
        @panels, 'unset multiplot', '';
    my ($fh, $file) = tempfile('relay-chart-XXXXXX', TMPDIR => 1,
                               SUFFIX => '.gp', UNLINK => 1);
    print $fh $script;
    close $fh;
    my $err = capture("$GNUPLOT '$file'");
    die "relay-bench: gnuplot failed drawing $png:\n$err\n" if $?;
}

1;
