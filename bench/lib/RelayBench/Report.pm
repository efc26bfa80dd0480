# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Report - what a run prints and writes to bench/results:
# the header (versions, machine, settings), one table per size and
# connection count with medians, spread and ratios against each row's
# baseline, the summaries, every run, and the servers' error logs; the
# same figures are recorded for the JSON file (RelayBench::Json).
package RelayBench::Report;

use strict;
use warnings;
use Exporter qw(import);
use File::Path qw(make_path);
use POSIX qw(strftime);

use RelayBench::Json;
use RelayBench::Options;
use RelayBench::Util;

our @EXPORT = qw(out header loadavg report_load report_logs
                 write_report run_stamp median minmax);

# The run's start, which names its files in bench/results.
my $STAMP;

sub run_stamp {
    $STAMP //= strftime('%Y%m%d-%H%M%S', localtime);
    return $STAMP;
}

my @REPORT;

sub out {
    my ($line) = @_;
    $line =~ s/\s+$//;
    print "$line\n";
    push @REPORT, $line;
}

sub median {
    my @v = sort { $a <=> $b } grep {defined} @_;
    return undef unless @v;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub minmax {
    my @v = sort { $a <=> $b } grep {defined} @_;
    return @v ? ($v[0], $v[-1]) : (undef, undef);
}

sub fmt {
    my ($fmt, $v) = @_;
    return defined $v ? sprintf($fmt, $v) : '-';
}

sub loadavg {
    return join ' ', (split ' ', read_file('/proc/loadavg'))[0 .. 2];
}

sub header {
    my ($open_files, $fpm, $tomcat) = @_;
    my $commit = capture("git -C '$REPO' rev-parse --short HEAD");
    my $dirty = capture("git -C '$REPO' status --porcelain --untracked-files=no");
    my ($cpu) = grep {/^model name/} split /\n/, read_file('/proc/cpuinfo');
    $cpu =~ s/^model name\s*:\s*//;
    my $ncpu = () = read_file('/proc/cpuinfo') =~ /^processor/mg;
    my $mem = (read_file('/proc/meminfo') =~ /^MemTotal:\s+(\d+)/m)[0];
    my $machine = sprintf '%d x %s, %.0f GiB, kernel %s', $ncpu, $cpu,
        ($mem // 0) / 1048576, capture('uname -r');
    my %version = (
        httpd => (capture("$HTTPD -v") =~ /version: (\S+)/)[0],
        nginx => (capture("$NGINX -v") =~ m{nginx/(\S+)})[0],
        wrk   => (capture('wrk -v') =~ /^wrk (\S+)/m)[0]);
    $version{php_fpm} = $fpm->{version} if $fpm;
    @version{qw(tomcat java)} = @$tomcat{qw(version java)} if $tomcat;
    my $start_load = loadavg();
    record(date => strftime('%Y-%m-%dT%H:%M:%S%z', localtime),
           stamp => run_stamp(), commit => $commit,
           commit_full => capture("git -C '$REPO' rev-parse HEAD"),
           uncommitted_changes => $dirty ne '' ? JSON::PP::true()
                                               : JSON::PP::false(),
           'machine.description' => $machine, 'machine.cpus' => $ncpu,
           'machine.cpu' => $cpu, 'machine.mem_kib' => num($mem),
           'machine.kernel' => capture('uname -r'),
           'machine.load_start' => $start_load, versions => \%version,
           settings => settings($open_files));
    record(tomcat_start_seconds => num($tomcat->{start_seconds}))
        if $tomcat;
    record(configs => [map { { name => $_->{name}, about => $_->{about},
                               vs => $_->{vs} // 'stock' } } @RUN_CONFIGS]);
    $commit .= ' (uncommitted changes)' if $dirty ne '';
    out("relay-bench " . strftime('%Y-%m-%d %H:%M:%S %Z', localtime));
    out("Relay:   $commit, modules from $opt{'relay-modules'}");
    out("httpd:   $version{httpd}, event MPM, 1 child: ThreadsPerChild = "
        . "MaxRequestWorkers = $opt{threads}, AsyncRequestWorkerFactor 10");
    out("nginx:   $version{nginx}, 1 worker");
    out("wrk:     wrk $version{wrk}, 1 thread, keep-alive; open files limit "
        . $open_files);
    out("machine: $machine, load average $start_load");
    out("servers on CPU $opt{'server-cpu'}, wrk on CPU $opt{'client-cpu'}; "
        . "$opt{rounds} round(s) of $opt{duration} s per size after a "
        . "$opt{warmup} s warm-up; configuration order rotates per round");
    out('');
    out('configurations (compared with):');
    out(sprintf '  %-13s %s (%s)', $_->{name}, $_->{about},
        $_->{vs} // 'stock') for @RUN_CONFIGS;
    out('');
}

sub settings {
    my ($open_files) = @_;
    my %s = map { $_ => num($opt{$_}) }
        grep { defined $opt{$_} } qw(rounds duration warmup threads
                                     server-cpu client-cpu callgrind);
    $s{$_} = $opt{$_} for grep { $opt{$_} } qw(quick stream stream-only
                                                callgrind-only);
    $s{sizes} = [@RUN_SIZES];
    $s{conns} = [map { num($_) } @RUN_CONNS];
    $s{configs} = [map { $_->{name} } @RUN_CONFIGS];
    $s{open_files} = $open_files;
    $s{relay_modules} = $opt{'relay-modules'};
    if (uses_backend('php-fpm', @RUN_CONFIGS)) {
        $s{php_fpm} = $opt{'php-fpm'};
        $s{fpm_children} = num($opt{'fpm-children'});
    }
    if (uses_backend('tomcat', @RUN_CONFIGS)) {
        $s{tomcat_threads} = num($opt{'tomcat-threads'});
        $s{tomcat_warmup} = num($opt{'tomcat-warmup'});
    }
    return \%s;
}

# Why a row has no figures at a size, or nothing.
sub not_stored {
    my ($c, $size) = @_;
    return unless $c->{max_body} && $SIZES{$size} > $c->{max_body};
    return "not stored by this configuration (bodies over $c->{max_body}"
        . " bytes), not measured";
}

sub report_table {
    my ($size, $conns, $results, $failed) = @_;
    out(sprintf '%s, %d connections: median of %d round(s) (min-max)',
        $SIZE_LABEL{$size}, $conns, $opt{rounds});
    my $fmt = "  %-13s %-24s %7s %8s %9s %7s %9s %8s %7s %-18s %-18s";
    out(sprintf $fmt, 'config', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/r',
        'user', 'orig us/r', 'RSS MiB', 'errors', 'req/s vs base',
        'CPU vs base');
    my @notes;
    for my $c (grep { measures($_, $size) } @RUN_CONFIGS) {
        my $name = $c->{name};
        my %entry = (config => $name, size => $size,
                     bytes => $SIZES{$size}, conns => num($conns));
        my $why = $failed->{$name} // not_stored($c, $size);
        if ($why) {
            out(sprintf '  %-13s %s', $name, $why);
            record_push(load => { %entry, not_measured => $why });
            next;
        }
        my @runs = @{ $results->{$name} || [] };
        next unless @runs;
        record_push(load => load_entry($c, $results, \%entry, @runs));
        my @rps = map { $_->{rps} } @runs;
        my ($lo, $hi) = minmax(@rps);
        my $errors = 0;
        $errors += $_->{errors} for @runs;
        my $mark = grep({ $_->{errors} || $_->{restarted} } @runs) ? ' !' : '';
        for my $i (0 .. $#runs) {
            next unless $runs[$i]{errors} || $runs[$i]{restarted};
            push @notes, sprintf '  ! %s round %d: %s', $name, $i + 1,
                $runs[$i]{error_text};
        }
        my ($rr, $cr) = vs_ratios($c, $results);
        out(sprintf $fmt, $name,
            sprintf('%.0f (%.0f-%.0f)', median(@rps), $lo, $hi),
            fmt('%.2f', median(map { $_->{p50} } @runs)),
            fmt('%.2f', median(map { $_->{p99} } @runs)),
            fmt('%.1f', median(map { $_->{cpu_us} } @runs)),
            fmt('%.1f', median(map { $_->{user_us} } @runs)),
            fmt('%.1f', median(map { $_->{ocpu_us} } @runs)),
            fmt('%.1f', (minmax(map { $_->{rss} } @runs))[1]),
            $errors . $mark, ratio_text(@$rr), ratio_text(@$cr));
    }
    out($_) for @notes;
    out('');
}

# The JSON entry of one configuration at one size and connection count.
sub load_entry {
    my ($c, $results, $entry, @runs) = @_;
    my $spread = sub {
        my (@v) = @_;
        return undef unless grep {defined} @v;
        my ($lo, $hi) = minmax(@v);
        return { median => num(median(@v)), min => num($lo), max => num($hi) };
    };
    my ($rr, $cr) = vs_ratios($c, $results);
    my $errors = 0;
    $errors += $_->{errors} for @runs;
    my @keep = qw(round rps requests p50 p99 cpu_us user_us ocpu_us rss errors
                  error_text origin_requests);
    return { %$entry, vs => $c->{vs} // 'stock',
             rps => $spread->(map { $_->{rps} } @runs),
             p50_ms => num(median(map { $_->{p50} } @runs)),
             p99_ms => num(median(map { $_->{p99} } @runs)),
             cpu_us_per_request => num(median(map { $_->{cpu_us} } @runs)),
             user_cpu_us_per_request =>
                 num(median(map { $_->{user_us} } @runs)),
             origin_cpu_us_per_request =>
                 num(median(map { $_->{ocpu_us} } @runs)),
             rss_mib_peak => num((minmax(map { $_->{rss} } @runs))[1]),
             errors => num($errors),
             ratio_rps => $spread->(@$rr), ratio_cpu => $spread->(@$cr),
             runs => [map { my $r = $_; +{ (map {
                 $_ => $_ eq 'error_text' ? $r->{$_} : num($r->{$_}) }
                 grep { defined $r->{$_} && $r->{$_} ne '' } @keep),
                 tcp => { map { $_ => num($r->{tcp}{$_}) }
                          keys %{ $r->{tcp} || {} } } } } @runs] };
}

# Ratios of a configuration against its baseline (stock unless the row
# says otherwise), round by round: req/s and CPU time per request.
sub vs_ratios {
    my ($c, $results) = @_;
    my $base = $c->{vs} // 'stock';
    my (@rr, @cr);
    return (\@rr, \@cr) if $base eq $c->{name} || !$results->{$base};
    my @runs = @{ $results->{ $c->{name} } || [] };
    for my $i (0 .. $#runs) {
        my $b = $results->{$base}[$i] or next;
        push @rr, $runs[$i]{rps} / $b->{rps} if $b->{rps};
        push @cr, $runs[$i]{cpu_us} / $b->{cpu_us}
            if $b->{cpu_us} && defined $runs[$i]{cpu_us};
    }
    return (\@rr, \@cr);
}

sub ratio_text {
    my (@r) = @_;
    return '-' unless @r;
    return sprintf '%.2f', $r[0] if @r == 1;
    my ($lo, $hi) = minmax(@r);
    return sprintf '%.2f (%.2f-%.2f)', median(@r), $lo, $hi;
}

# The per-size tables, the summaries and every run of the load phase.
# $all: size => conns => name => [runs]; $failed: name => reason.
sub report_load {
    my ($all, $failed) = @_;
    for my $size (@RUN_SIZES) {
        report_table($size, $_, $all->{$size}{$_}, $failed) for @RUN_CONNS;
    }
    my @measured = grep { !$failed->{ $_->{name} } } @RUN_CONFIGS;
    report_summaries($all, @measured);
    report_connections($all, @measured) if @RUN_CONNS > 1;
    out('every run (config size conns round: req/s p50 p99 ms, CPU us/req, '
        . 'origin us/req, RSS MiB, TCP retransmitted segments / zero-window '
        . 'advertisements / listen overflows on the host, errors):');
    for my $size (@RUN_SIZES) {
        for my $conns (@RUN_CONNS) {
            for my $c (@measured) {
                for my $r (@{ $all->{$size}{$conns}{ $c->{name} } || [] }) {
                    my $tcp = $r->{tcp} || {};
                    out(sprintf '  %-13s %-9s %4d %d: %8.0f %7s %7s %7s %7s %6.1f %s %s',
                        $c->{name}, $size, $conns, $r->{round}, $r->{rps},
                        fmt('%.2f', $r->{p50}), fmt('%.2f', $r->{p99}),
                        fmt('%.1f', $r->{cpu_us}), fmt('%.1f', $r->{ocpu_us}),
                        $r->{rss}, join('/', map { $tcp->{$_} // '-' }
                            qw(RetransSegs TCPToZeroWindowAdv ListenOverflows)),
                        $r->{errors}
                        ? "$r->{errors} ($r->{error_text})" : 0);
                }
            }
        }
    }
    out('');
}

sub report_summaries {
    my ($all, @measured) = @_;
    my %here = map { $_->{name} => 1 } @measured;
    for my $c (grep { $_->{summary} } @measured) {
        my $base = $c->{vs} // 'stock';
        next unless $here{$base};
        out("$c->{name} / $base, median of the per-round ratios (min-max):");
        out(sprintf '  %-11s %5s  %-18s %-18s', 'size', 'conns', 'req/s',
            'CPU time/request');
        for my $size (grep { measures($c, $_) } @RUN_SIZES) {
            for my $conns (@RUN_CONNS) {
                my ($rr, $cr) = vs_ratios($c, $all->{$size}{$conns});
                out(sprintf '  %-11s %5d  %-18s %-18s', $SIZE_LABEL{$size},
                    $conns, ratio_text(@$rr), ratio_text(@$cr));
            }
        }
        out('');
    }
}

# Requests/s at every connection count against the first one, per
# configuration and size (medians), with the errors at that count.
sub report_connections {
    my ($all, @measured) = @_;
    my ($first, @more) = @RUN_CONNS;
    out("req/s at more connections / at $first, medians (errors):");
    out(sprintf '  %-13s %-11s %s', 'config', 'size',
        join ' ', map { sprintf '%-16s', "c$_" } @more);
    for my $c (@measured) {
        for my $size (@RUN_SIZES) {
            my $runs = sub { @{ $all->{$size}{ $_[0] }{ $c->{name} } || [] } };
            my $base = median(map { $_->{rps} } $runs->($first)) or next;
            my @cells;
            for my $n (@more) {
                my @r = $runs->($n);
                my $errors = 0;
                $errors += $_->{errors} for @r;
                push @cells, sprintf '%-16s', sprintf '%.2f (%d)',
                    (median(map { $_->{rps} } @r) // 0) / $base, $errors;
            }
            out(sprintf '  %-13s %-11s %s', $c->{name}, $SIZE_LABEL{$size},
                join ' ', @cells);
        }
    }
    out('');
}

# Every error-log line of the servers (LogLevel warn) goes into the
# report, but httpd's start and stop notices: a crash, a refused
# connection or a bad response shows here.
my $LIFECYCLE = qr/\b(?:AH00489|AH00094|AH00491|AH00492|AH00493|AH00494):/;

sub report_logs {
    my (@servers) = @_;
    my %seen;
    for my $srv (@servers) {
        next if !$srv->{log} || $seen{ $srv->{log} }++;
        next unless -s $srv->{log};
        my @lines = grep { !/$LIFECYCLE/ } split /\n/, read_file($srv->{log});
        next unless @lines;
        out("error log of $srv->{name} (" . scalar(@lines) . ' lines):');
        out("  $_") for @lines[0 .. ($#lines < 29 ? $#lines : 29)];
        out('  ...') if @lines > 30;
        out('');
    }
}

# The text report and the JSON file, bench/results/<stamp>.txt and
# .json; returns the JSON file's name.
sub write_report {
    my $dir = "$BENCH/results";
    make_path($dir);
    my $base = "$dir/" . run_stamp();
    write_file("$base.txt", join("\n", @REPORT) . "\n");
    write_json("$base.json");
    print "results written to $base.txt and $base.json\n";
    return "$base.json";
}

1;
