# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Servers - what a run needs before it measures: the Debian
# packages, Relay's build, the files and PHP scripts, and the servers
# themselves: the nginx origin, the php-fpm pool of the fcgi rows, the
# Tomcat of the ajp rows, and one server per configuration, configured
# from the templates in bench/conf.
package RelayBench::Servers;

use strict;
use warnings;
use Cwd qw(abs_path);
use Exporter qw(import);
use File::Copy qw(copy);
use File::Path qw(make_path);
use Time::HiRes qw(time);

use RelayBench::Options;
use RelayBench::Process;
use RelayBench::Util;

our @EXPORT = qw(install_packages install_gnuplot build_relay raise_open_files make_files
                 httpd_conf start_origin start_fpm start_tomcat start_server
                 origin_requests body_of);

sub install_packages {
    my ($fpm, $tomcat) = @_;
    my @want;
    push @want, 'nginx-light' unless -x $NGINX;
    push @want, 'wrk' unless -x '/usr/bin/wrk';
    push @want, 'valgrind'
        if $opt{callgrind} && !-x '/usr/bin/valgrind';
    push @want, 'gnuplot-nox' unless -x '/usr/bin/gnuplot';
    push @want, 'php-fpm' if $fpm && !-x $opt{'php-fpm'};
    push @want, 'tomcat10' if $tomcat && !-x "$TOMCAT_HOME/bin/catalina.sh";
    apt_install('"${RELAY_BASE_PACKAGES[@]}"', @want);
    -x $NGINX or die "relay-bench: $NGINX missing after installation\n";
    if ($fpm && !-x $opt{'php-fpm'}) {
        my ($found) = sort { $b cmp $a } glob('/usr/sbin/php-fpm*');
        $opt{'php-fpm'} = $found
            or die "relay-bench: no php-fpm after installing php-fpm\n";
    }
    if ($tomcat && !-x "$TOMCAT_HOME/bin/catalina.sh") {
        die "relay-bench: no $TOMCAT_HOME/bin/catalina.sh after "
            . "installing tomcat10\n";
    }
}

# For --chart alone: gnuplot only.
sub install_gnuplot {
    apt_install('', 'gnuplot-nox') unless -x '/usr/bin/gnuplot';
}

# The shared installer adds the packages that are missing and keeps
# Debian from starting the services it installs (policy-rc.d).
sub apt_install {
    my ($shell_words, @pkgs) = @_;
    sh('bash', '-c', '. "$1"; shift; relay_install_packages '
       . "$shell_words \"\$@\"", 'bash',
       "$REPO/scripts/lib/relay-packages.sh", @pkgs);
}

# Relay's modules from build/ are brought up to date on every run (an
# incremental build, nothing to do when current), so a run never measures
# stale modules; the tree is configured first when it never was.
# --relay-modules DIR is taken as it is.
sub build_relay {
    my $dir = $opt{'relay-modules'};
    if ($dir ne "$REPO/build/modules") {
        return if -f "$dir/mod_proxy.so" && -f "$dir/mod_proxy_http.so";
        die "relay-bench: no mod_proxy.so and mod_proxy_http.so in $dir\n";
    }
    if (!-f "$REPO/build/CMakeCache.txt") {
        say_("configuring Relay's build");
        sh("cmake -S '$REPO' -B '$REPO/build' >/dev/null");
    }
    my $log = capture("cmake --build '$REPO/build' -j2");
    die "relay-bench: building Relay failed:\n$log\n" if $?;
    -f "$dir/mod_proxy.so" && -f "$dir/mod_proxy_http.so"
        or die "relay-bench: the build made no modules in $dir\n";
}

# Every connection is a descriptor in wrk and in the server (and one
# more to the origin in a proxy): the soft limit goes up to the hard one,
# which goes up to 65536 where the system allows it. wrk and the servers
# inherit the limit from here. Returns the limit in force.
sub raise_open_files {
    system("prlimit --pid $$ --nofile=65536:65536 2>/dev/null");
    my $hard = capture("prlimit --pid $$ --nofile --raw --noheadings "
                       . "--output HARD");
    system("prlimit --pid $$ --nofile=$hard:$hard") if $hard =~ /^\d+$/;
    my $soft = capture("prlimit --pid $$ --nofile --raw --noheadings "
                       . "--output SOFT");
    my ($most) = sort { $b <=> $a } @RUN_CONNS;
    say_("open-files limit $soft is too low for $most connections")
        if $soft =~ /^\d+$/ && $soft < 3 * $most + 100;
    return $soft;
}

# The kilobyte every body repeats: printable ASCII in a fixed order.
my $PATTERN = join '', map { chr(32 + ($_ * 7) % 95) } 0 .. 1023;

# The body a size's response must have.
sub body_of {
    my ($size) = @_;
    return $HELLO_BODY if $size eq 'php-hello';
    return $JSP_HELLO_BODY if $size eq 'jsp-hello';
    return $PATTERN x ($SIZES{$size} / 1024);
}

# The files the origin serves (docroot/files/<size>.bin) and the scripts
# php-fpm runs (docroot/php/): hello.php prints $HELLO_BODY, 256k.php
# 256 KiB of the files' pattern in one echo, as a page that PHP builds in
# memory is sent.
sub make_files {
    my $dir = "$RUN/docroot/files";
    make_path($dir);
    for my $size (grep { !size_backend($_) } keys %SIZES) {
        write_file("$dir/$size.bin", body_of($size));
    }
    my $php = "$RUN/docroot/php";
    make_path($php);
    write_file("$php/hello.php",
               "<?php\necho 'hello from ', PHP_SAPI, \"\\n\";\n");
    my $literal = $PATTERN =~ s/([\\'])/\\$1/gr;
    write_file("$php/256k.php", "<?php\necho str_repeat('$literal', "
               . $SIZES{'php-256k'} / 1024 . ");\n");
    chmod 0755, $RUN, "$RUN/docroot", $dir, $php;
    chmod 0644, glob("$dir/*.bin"), glob("$php/*.php");
}

# Tomcat's AJP port, once it runs, and the secret its connector needs.
my $AJP_PORT;
my $AJP_SECRET = 'relay-bench-secret';

sub common_vars {
    my ($name, $port, $origin_port) = @_;
    return (RUN => $RUN, NAME => $name, PORT => $port,
            ORIGIN_PORT => $origin_port // '', DOCROOT => "$RUN/docroot",
            MODDIR => $MODDIR, RELAY => abs_path($opt{'relay-modules'}),
            THREADS => $opt{threads}, FPM_SOCKET => "$RUN/php-fpm.sock",
            AJP_PORT => $AJP_PORT // '', AJP_SECRET => $AJP_SECRET,
            USER_LINES => $ROOT ? "User nobody\nGroup nogroup" : '',
            USER_LINE => $ROOT ? 'user nobody nogroup;' : '');
}

# The configuration of an httpd row. %over replaces variables: another
# name, run directory or user lines (the callgrind runs).
sub httpd_conf {
    my ($c, $port, $origin_port, %over) = @_;
    my %v = (common_vars($c->{name}, $port, $origin_port), %over);
    my @lm;
    for (@{ $c->{load_modules} }) {
        my ($id, $file) = split ' ';
        $file = "$MODDIR/$file" unless $file =~ m{^[/@]};
        push @lm, "LoadModule $id $file";
    }
    $v{LOAD_MODULES} = join "\n", @lm;
    $v{BODY} = $c->{body} // '';
    make_dirs($c, %v);
    my $file = "$v{RUN}/$v{NAME}.conf";
    write_file($file, fill(read_file("$BENCH/conf/httpd.conf.in"), %v));
    return $file;
}

# A row's directories (a disk cache's root), writable by the user the
# server's children run as.
sub make_dirs {
    my ($c, %v) = @_;
    for my $dir (map { fill($_, %v) } @{ $c->{dirs} || [] }) {
        make_path($dir);
        if ($ROOT) {
            my (undef, undef, $uid, $gid) = getpwnam('nobody');
            chown $uid, $gid, $dir;
        }
    }
}

sub nginx_conf {
    my ($template, $c, $port, $origin_port) = @_;
    my $name = $c->{name};
    my %v = common_vars($name, $port, $origin_port);
    $v{BODY} = $c->{body} // '';
    $v{HTTP_BODY} = $c->{http_body} // '';
    make_path(map {"$RUN/$name.tmp/$_"} qw(client proxy fastcgi uwsgi scgi));
    my $file = "$RUN/$name.conf";
    write_file($file, fill(read_file("$BENCH/conf/$template"), %v));
    return $file;
}

# The origin logs the requests for /cached/ (and only those) to
# origin.cached.log: a cache configuration served its load from the
# cache when the count did not move.
sub start_origin {
    my $port = free_port();
    my $conf = nginx_conf('nginx-origin.conf.in', { name => 'origin' }, $port);
    my $pid = spawn('origin', "$RUN/origin.out", $NGINX, '-p', $RUN,
                    '-e', "$RUN/origin.error_log", '-c', $conf,
                    '-g', 'daemon off;');
    wait_port($port, $pid, 10, 'the nginx origin');
    return { name => 'origin', pid => $pid, port => $port,
             log => "$RUN/origin.error_log",
             cached_log => "$RUN/origin.cached.log" };
}

# Requests for /cached/ the origin has answered so far.
sub origin_requests {
    my ($origin) = @_;
    open my $fh, '<', $origin->{cached_log} or return 0;
    my $n = 0;
    $n++ while defined(my $line = <$fh>);
    close $fh;
    return $n;
}

# The php-fpm pool of the fcgi rows (conf/php-fpm.conf.in): the master
# in the foreground on the servers' CPU, its children run as nobody when
# the script runs as root, a unix socket in the run directory. Waits
# until the socket answers and every child is there; the master's PID is
# stopped with the other servers.
sub start_fpm {
    my %v = common_vars('php-fpm');
    $v{FPM_CHILDREN} = $opt{'fpm-children'};
    $v{FPM_USER_LINES} = $ROOT
        ? join("\n", 'user = nobody', 'group = nogroup',
               'listen.owner = nobody', 'listen.group = nogroup',
               'listen.mode = 0660')
        : '';
    my $conf = "$RUN/php-fpm.conf";
    write_file($conf, fill(read_file("$BENCH/conf/php-fpm.conf.in"), %v));
    my $check = capture("'$opt{'php-fpm'}' --fpm-config '$conf' --test");
    die "relay-bench: php-fpm refuses $conf: $check\n" if $?;
    my $pid = spawn('php-fpm', "$RUN/php-fpm.out", $opt{'php-fpm'},
                    '--nodaemonize', '--fpm-config', $conf);
    my $name = 'the php-fpm pool';
    wait_unix($v{FPM_SOCKET}, $pid, 30, $name);
    wait_processes($pid, $opt{'fpm-children'} + 1, 60, $name);
    my $version = capture("'$opt{'php-fpm'}' -v") =~ /^PHP (\S+)/ ? $1 : '?';
    return { name => 'php-fpm', pid => $pid, socket => $v{FPM_SOCKET},
             pool => 1, log => "$RUN/php-fpm.error_log",
             version => $version };
}

# The Tomcat of the ajp rows: Debian's tomcat10 (CATALINA_HOME
# /usr/share/tomcat10), never its service or /var/lib/tomcat10, but
# `catalina.sh run` with a CATALINA_BASE of its own in the run directory
# (<run>/tomcat: conf/server.xml from conf/tomcat/server.xml.in, Debian's
# web.xml, context.xml and catalina.properties, the JSPs of conf/tomcat
# as the ROOT application), as nobody when the script runs as root, on
# the servers' CPU (so the JVM sees one CPU), a fixed heap of 512 MiB.
# catalina.sh execs the JVM, so the PID held is the JVM's, stopped with
# the other servers. Tomcat binds its port before it deploys the
# application, so the start is over when the connector answers an AJP
# CPing (it does once the application is deployed), not when the port
# takes connections. The JSPs are compiled at their first request (the
# start-up check).
sub start_tomcat {
    my $base = "$RUN/tomcat";
    make_path(map {"$base/$_"} qw(conf logs work temp webapps/ROOT));
    copy("/etc/tomcat10/$_", "$base/conf/$_")
        or die "relay-bench: copying /etc/tomcat10/$_: $!\n"
        for qw(web.xml context.xml catalina.properties);
    copy("$BENCH/conf/tomcat/logging.properties",
         "$base/conf/logging.properties")
        or die "relay-bench: copying logging.properties: $!\n";
    for my $jsp (qw(hello.jsp 256k.jsp)) {
        copy("$BENCH/conf/tomcat/$jsp", "$base/webapps/ROOT/$jsp")
            or die "relay-bench: copying $jsp: $!\n";
    }
    $AJP_PORT = free_port();
    my %v = (common_vars('tomcat'), TOMCAT_THREADS => $opt{'tomcat-threads'});
    write_file("$base/conf/server.xml",
               fill(read_file("$BENCH/conf/tomcat/server.xml.in"), %v));
    my @as_user;
    if ($ROOT) {
        my (undef, undef, $uid, $gid) = getpwnam('nobody');
        sh('chown', '-R', "$uid:$gid", $base);
        @as_user = ({ as_user => 'nobody' });
    }
    my $t0 = time;
    my $log = "$RUN/tomcat.out";
    my $pid = spawn('tomcat', $log, @as_user, 'env',
                    "CATALINA_HOME=$TOMCAT_HOME", "CATALINA_BASE=$base",
                    "CATALINA_TMPDIR=$base/temp",
                    'JAVA_OPTS=-Xms512m -Xmx512m',
                    "$TOMCAT_HOME/bin/catalina.sh", 'run');
    wait_cpong($AJP_PORT, $pid, 120, "Tomcat (see $log)");
    my $version = capture("dpkg-query -W -f '\${Version}' tomcat10");
    my ($java) = capture('java -version') =~ /version "([^"]+)"/;
    return { name => 'tomcat', pid => $pid, port => $AJP_PORT, log => $log,
             version => $version, java => $java // '?',
             start_seconds => time - $t0 };
}

# Starts the server of a row; dies with the reason when it cannot, with
# "skipped: " first when the row's modules are not built.
sub start_server {
    my ($c, $origin) = @_;
    return { %$origin, name => $c->{name} } if $c->{server} eq 'origin';
    my %v = common_vars($c->{name});
    for my $file (map { fill($_, %v) } @{ $c->{requires} || [] }) {
        die "skipped: $file does not exist (not built yet)\n" unless -f $file;
    }
    my $port = free_port();
    my ($pid, $log);
    if ($c->{server} eq 'httpd') {
        my $conf = httpd_conf($c, $port, $origin->{port});
        my $check = capture("$HTTPD -f '$conf' -t");
        die "relay-bench: httpd refuses the $c->{name} configuration "
            . "($conf): $check\n" if $?;
        $log = "$RUN/$c->{name}.error_log";
        $pid = spawn($c->{name}, "$RUN/$c->{name}.out", $HTTPD, '-f', $conf,
                     '-DFOREGROUND');
    }
    elsif ($c->{server} eq 'nginx') {
        my $conf = nginx_conf('nginx-proxy.conf.in', $c, $port,
                              $origin->{port});
        $log = "$RUN/$c->{name}.error_log";
        $pid = spawn($c->{name}, "$RUN/$c->{name}.out", $NGINX, '-p', $RUN,
                     '-e', $log, '-c', $conf, '-g', 'daemon off;');
    }
    else {
        die "relay-bench: $c->{name}: unknown server '$c->{server}'\n";
    }
    wait_port($port, $pid, 10, "the $c->{name} server");
    return { name => $c->{name}, pid => $pid, port => $port, log => $log,
             backend => $c->{backend} };
}

1;
