# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Options - the command line of bench/relay-bench and the
# state of one run every part reads: the options (%opt), the run
# directory ($RUN), the configurations, sizes and connection counts
# picked, and the sizes: files the nginx origin serves, the PHP scripts
# the php-fpm pool runs and the JSPs Tomcat runs (measured by the rows
# whose backend is php-fpm, or Tomcat, and only by those).
package RelayBench::Options;

use strict;
use warnings;
use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(dirname);
use Getopt::Long qw(GetOptionsFromArray);
use POSIX ();

use RelayBench::Configs qw(@CONFIGS %GROUPS);

our @EXPORT = qw(%opt $RUN $BENCH $REPO $HTTPD $NGINX $MODDIR $TICK $ROOT
                 $TOMCAT_HOME %SIZES %SIZE_LABEL @RUN_CONFIGS @RUN_SIZES
                 @RUN_CONNS $HELLO_BODY $JSP_HELLO_BODY parse_options
                 size_path size_backend measures uses_backend
                 default_sizes);

our $BENCH  = dirname(dirname(dirname(abs_path(__FILE__))));
our $REPO   = dirname($BENCH);
our $HTTPD  = '/usr/sbin/apache2';
our $NGINX  = '/usr/sbin/nginx';
our $MODDIR = '/usr/lib/apache2/modules';
our $TOMCAT_HOME = '/usr/share/tomcat10';
our $TICK   = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
our $ROOT   = $> == 0;

# What the hello-world script prints: its SAPI's name, so a body that
# reads so has been made by PHP-FPM (a .php file served as it is would
# show its source).
our $HELLO_BODY = "hello from fpm-fcgi\n";
# What the hello-world JSP (bench/conf/tomcat/hello.jsp) prints; the
# page's source holds no such line.
our $JSP_HELLO_BODY = "hello from tomcat-ajp\n";

# Bytes of the response body of every size.
our %SIZES = ('1k' => 1024, '16k' => 16384, '256k' => 262144,
              '1m' => 1048576, 'php-hello' => length $HELLO_BODY,
              'php-256k' => 262144, 'jsp-hello' => length $JSP_HELLO_BODY,
              'jsp-256k' => 262144);
our %SIZE_LABEL = ('1k' => '1 KiB', '16k' => '16 KiB', '256k' => '256 KiB',
                   '1m' => '1 MiB', 'php-hello' => 'PHP hello',
                   'php-256k' => 'PHP 256 KiB', 'jsp-hello' => 'JSP hello',
                   'jsp-256k' => 'JSP 256 KiB');
# The file under a row's URL prefix that each size requests; the .php
# ones are written into the document root and run by php-fpm, the .jsp
# ones are Tomcat's ROOT application.
my %SIZE_FILE = ('php-hello' => 'hello.php', 'php-256k' => '256k.php',
                 'jsp-hello' => 'hello.jsp', 'jsp-256k' => '256k.jsp');
my @FILE_SIZES = qw(1k 16k 256k 1m);
my @PHP_SIZES = qw(php-hello php-256k);
my @JSP_SIZES = qw(jsp-hello jsp-256k);

our %opt;
our $RUN;    # run directory: configurations, logs, files
our (@RUN_CONFIGS, @RUN_SIZES, @RUN_CONNS);

sub usage {
    my $groups = join '', map { sprintf "                     %-6s %s\n", $_,
        join ',', @{ $GROUPS{$_} } } sort keys %GROUPS;
    print <<"USAGE";
usage: bench/relay-bench [options]

  --quick            smoke run: 1 round of 2 s, 1 s warm-up, files of 1k
                     and 256k
  --rounds N         rounds per size (default 3; RELAY_BENCH_ROUNDS)
  --duration S       seconds per wrk run (default 5; RELAY_BENCH_DURATION)
  --warmup S         seconds of the warm-up run, 0 for none (default 2;
                     RELAY_BENCH_WARMUP)
  --sizes LIST       of 1k,16k,256k,1m (files, for the proxy and cache
                     rows), php-hello,php-256k (scripts, for the fcgi
                     rows) and jsp-hello,jsp-256k (JSPs, for the ajp
                     rows); default: all of those the rows picked
                     measure (RELAY_BENCH_SIZES)
  --conns LIST       wrk connections, e.g. 50,1000 (default 50,500;
                     RELAY_BENCH_CONNS)
  --configs LIST     configurations or groups to run (default proxy;
                     RELAY_BENCH_CONFIGS); groups:
$groups  --callgrind [N]    also count instructions per request of httpd -X under
                     callgrind for the rows marked so (stock, relay, the
                     httpd caches, the fcgi and the ajp rows), N requests
                     (default 2000)
  --callgrind-only   only the callgrind part
  --callgrind-sizes LIST  sizes the callgrind part requests (default
                     1k,256k, php-hello,php-256k and jsp-hello,jsp-256k,
                     those the rows measure)
  --stream           also the streaming check: a 1 GiB body through the
                     stock and Relay proxies, fetched at full speed and
                     at a bounded rate, the servers' RSS sampled
  --stream-only      only the streaming check
  --stream-size MIB  size of the streamed body (default 1024)
  --stream-rate MIBS rate of the limited client in MiB/s (default 40)
  --chart FILE.json  draw the chart of an earlier run's JSON file and exit
  --png FILE         where the chart goes (default: the JSON file's name
                     with .png)
  --threads N        ThreadsPerChild of every httpd (default: twice the
                     largest --conns, rounded up to a multiple of 64)
  --relay-modules D  Relay's modules from D, taken as they are (default
                     build/modules, brought up to date by an incremental
                     build; RELAY_BENCH_MODULES)
  --php-fpm FILE     the php-fpm of the fcgi rows (default
                     /usr/sbin/php-fpm8.2, else the newest
                     /usr/sbin/php-fpm*; RELAY_BENCH_PHP_FPM)
  --fpm-children N   php-fpm's pm.max_children, pm = static (default:
                     the largest --conns, so no request waits for a
                     PHP process)
  --tomcat-threads N the AJP connector's maxThreads, all started at once
                     (default: the largest --conns)
  --tomcat-warmup S  before the first warm-up of each JSP size, load
                     through the ajp rows in 5 s runs until the JVM's JIT
                     compiler threads go quiet (under 50 ms in a run, for
                     each row), at most S seconds (default 120, 0 for
                     none; RELAY_BENCH_TOMCAT_WARMUP)
  --server-cpu N     CPU of the servers (default 0)
  --client-cpu N     CPU of wrk and of this script (default 1)
  --time-limit M     stop everything after M minutes (default 60)
  --keep             keep the run directory (configurations, logs)
  --list             list the configurations and exit

Results: printed and written to bench/results/<timestamp>.txt, .json
and .png (the chart).
USAGE
    exit 0;
}

sub parse_options {
    my (@argv) = @_;
    %opt = (
        rounds   => $ENV{RELAY_BENCH_ROUNDS}   // 3,
        duration => $ENV{RELAY_BENCH_DURATION} // 5,
        warmup   => $ENV{RELAY_BENCH_WARMUP}   // 2,
        sizes    => $ENV{RELAY_BENCH_SIZES},
        conns    => $ENV{RELAY_BENCH_CONNS}    // '50,500',
        configs  => $ENV{RELAY_BENCH_CONFIGS}  // 'proxy',
        'server-cpu' => 0,
        'client-cpu' => 1,
        'relay-modules' => $ENV{RELAY_BENCH_MODULES}
            // "$REPO/build/modules",
        'php-fpm' => $ENV{RELAY_BENCH_PHP_FPM} // default_php_fpm(),
        'tomcat-warmup' => $ENV{RELAY_BENCH_TOMCAT_WARMUP} // 120,
        'time-limit' => 60,
        'stream-size' => 1024,
        'stream-rate' => 40,
    );
    my %cli;
    GetOptionsFromArray(\@argv, \%cli, 'quick', 'rounds=i', 'duration=i',
        'warmup=i', 'sizes=s', 'conns=s', 'configs=s', 'callgrind:i',
        'callgrind-only', 'callgrind-sizes=s', 'stream', 'stream-only', 'stream-size=i',
        'stream-rate=i', 'chart=s', 'png=s', 'relay-modules=s', 'php-fpm=s',
        'fpm-children=i', 'tomcat-threads=i', 'tomcat-warmup=i',
        'server-cpu=i', 'client-cpu=i', 'threads=i', 'time-limit=i', 'keep', 'list', 'help|h' => \&usage)
        or die "relay-bench: bad options, see --help\n";
    die "relay-bench: unexpected argument '$argv[0]', see --help\n" if @argv;
    # --quick changes the defaults; options given with it still win.
    if ($cli{quick}) {
        @opt{qw(rounds duration warmup)} = (1, 2, 1);
    }
    %opt = (%opt, %cli);
    if (defined $opt{callgrind}) {
        $opt{callgrind} ||= 2000;
    }
    elsif ($opt{'callgrind-only'}) {
        $opt{callgrind} = 2000;
    }
    $opt{stream} = 1 if $opt{'stream-only'};
    die "relay-bench: --stream-size and --stream-rate must be at least 1\n"
        if $opt{'stream-size'} < 1 || $opt{'stream-rate'} < 1;
    if ($opt{list}) {
        printf "%-13s %s\n", $_->{name}, $_->{about} for @CONFIGS;
        printf "%-13s %s\n", "group $_", join ',', @{ $GROUPS{$_} }
            for sort keys %GROUPS;
        exit 0;
    }
    select_configs();
    if ($opt{'stream-only'}) {
        my @rows = grep { $_->{stream} } @RUN_CONFIGS;
        @RUN_CONFIGS = @rows ? @rows : grep { $_->{stream} } @CONFIGS;
    }
    $opt{sizes} //= default_sizes($opt{quick} ? [qw(1k 256k)]
                                  : \@FILE_SIZES, @RUN_CONFIGS);
    @RUN_SIZES = split /,/, $opt{sizes};
    for (@RUN_SIZES, split /,/, $opt{'callgrind-sizes'} // '') {
        exists $SIZES{$_}
            or die "relay-bench: unknown size '$_' ("
            . join(',', @FILE_SIZES, @PHP_SIZES, @JSP_SIZES) . ")\n";
    }
    # A row none of whose sizes was asked for (an fcgi row with files
    # only, a proxy row with scripts only) has nothing to measure.
    my @asked = (@RUN_SIZES, split /,/, $opt{'callgrind-sizes'} // '');
    my @idle = grep { my $c = $_; !grep { measures($c, $_) } @asked }
        @RUN_CONFIGS;
    if (@idle && !$opt{'stream-only'}) {
        print STDERR 'relay-bench: not measured, none of their sizes asked '
            . 'for: ' . join(',', map { $_->{name} } @idle) . "\n";
        my %idle = map { $_->{name} => 1 } @idle;
        @RUN_CONFIGS = grep { !$idle{ $_->{name} } } @RUN_CONFIGS;
        die "relay-bench: no configuration measures the sizes "
            . "$opt{sizes}\n" unless @RUN_CONFIGS;
    }
    @RUN_CONNS = split /,/, $opt{conns};
    for (@RUN_CONNS) {
        /^\d+$/ && $_ > 0 or die "relay-bench: bad connection count '$_'\n";
    }
    die "relay-bench: --rounds must be at least 1\n" if $opt{rounds} < 1;
    die "relay-bench: --duration must be at least 1\n" if $opt{duration} < 1;
    # Two threads per connection: every connection served at once, also
    # while the connections of the run before (whose responses are still
    # being written) close and the next run's arrive. A child whose
    # threads are all busy closes idle keep-alive connections.
    if (!$opt{threads}) {
        my ($most) = sort { $b <=> $a } @RUN_CONNS;
        $opt{threads} = 64 * (int((2 * $most + 63) / 64) || 1);
    }
    # One PHP process per connection: a request never waits in php-fpm's
    # queue for one, at any connection count of the run.
    if (!$opt{'fpm-children'}) {
        my ($most) = sort { $b <=> $a } @RUN_CONNS;
        $opt{'fpm-children'} = $most;
    }
    die "relay-bench: --fpm-children must be at least 1\n"
        if $opt{'fpm-children'} < 1;
    # One Tomcat thread per connection, for the same reason.
    if (!$opt{'tomcat-threads'}) {
        my ($most) = sort { $b <=> $a } @RUN_CONNS;
        $opt{'tomcat-threads'} = $most;
    }
    die "relay-bench: --tomcat-threads must be at least 1\n"
        if $opt{'tomcat-threads'} < 1;
    die "relay-bench: --tomcat-warmup must not be negative\n"
        if $opt{'tomcat-warmup'} < 0;
}

# Debian's php-fpm of the release (php8.2-fpm on Debian 12), else the
# newest one installed.
sub default_php_fpm {
    return '/usr/sbin/php-fpm8.2' if -x '/usr/sbin/php-fpm8.2';
    my ($newest) = sort { $b cmp $a } glob('/usr/sbin/php-fpm*');
    return $newest // '/usr/sbin/php-fpm8.2';
}

# The sizes rows measure by default: the files when a proxy or cache row
# is among them, the scripts when an fcgi row is, the JSPs when an ajp
# row is.
sub default_sizes {
    my ($files, @configs) = @_;
    my @sizes;
    push @sizes, @$files if grep { !$_->{backend} } @configs;
    push @sizes, @PHP_SIZES if uses_backend('php-fpm', @configs);
    push @sizes, @JSP_SIZES if uses_backend('tomcat', @configs);
    return join ',', @sizes;
}

# php-fpm ('php-fpm') for the scripts, Tomcat ('tomcat') for the JSPs,
# the nginx origin (undef) for the files.
sub size_backend {
    my ($size) = @_;
    return 'php-fpm' if $size =~ /^php-/;
    return 'tomcat' if $size =~ /^jsp-/;
    return undef;
}

# Whether a configuration measures a size: an fcgi row the scripts, an
# ajp row the JSPs, the others the files.
sub measures {
    my ($c, $size) = @_;
    return (size_backend($size) // '') eq ($c->{backend} // '');
}

# The URL path a configuration's load of a size goes to.
sub size_path {
    my ($c, $size) = @_;
    return $c->{path} . ($SIZE_FILE{$size} // "$size.bin");
}

# Whether any of these configurations needs that backend ('php-fpm',
# 'tomcat').
sub uses_backend {
    my ($backend, @configs) = @_;
    return scalar grep { ($_->{backend} // '') eq $backend } @configs;
}

sub select_configs {
    my %by_name = map { $_->{name} => $_ } @CONFIGS;
    my %seen;
    @RUN_CONFIGS = ();
    for my $name (map { $GROUPS{$_} ? @{ $GROUPS{$_} } : $_ }
                  split /,/, $opt{configs}) {
        my $c = $by_name{$name}
            or die "relay-bench: unknown configuration '$name' (see --list)\n";
        push @RUN_CONFIGS, $c unless $seen{$name}++;
    }
}

1;
