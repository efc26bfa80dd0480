# Licensed under the Apache License, Version 2.0.
#
# Relay::Socache - the servers the shared-cache tests start themselves,
# on loopback ports nobody uses, each stopped by its PID: memcached,
# redis-server, and extra httpd gateways (Relay's proxy and cache with a
# CacheSocache line), so that two separate server processes share one
# cache.
#
#   free_port()                      a loopback port nobody listens on
#   start_memcached()                { pid, port } once it answers
#   start_redis()                    { pid, port } once it answers
#   start_gateway(socache => SPEC, origin => PORT, extra => TEXT)
#                                    an httpd on a port of its own
#   stop_server($server)             SIGTERM, wait (up to 10 s), SIGKILL
#   memcached_cmd($port, $cmd)       one command, its reply up to END/...
#   memcached_keys($port)            the keys memcached holds

package Relay::Socache;

use strict;
use warnings FATAL => 'all';

use Carp qw(croak);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Spec ();
use File::Temp qw(tempdir);
use IO::Socket::INET ();
use POSIX qw(WNOHANG);
use Time::HiRes ();

our @EXPORT = qw(
    free_port start_memcached start_redis start_gateway stop_server
    memcached_cmd memcached_keys
);

my $T_DIR = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..', '..'));

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                  Proto => 'tcp', Listen => 1, ReuseAddr => 1)
        or croak "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub answers {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}

# Forks and execs @cmd (output to $dir/log), then waits up to 10 s until
# $port accepts connections.
sub spawn {
    my ($port, $dir, @cmd) = @_;
    my $pid = fork // croak "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$dir/log";
        open STDERR, '>&', \*STDOUT;
        exec(@cmd) or POSIX::_exit(127);
    }
    my $server = { pid => $pid, port => $port, dir => $dir };
    my $deadline = Time::HiRes::time() + 10;
    until (answers($port)) {
        if (waitpid($pid, WNOHANG) == $pid || Time::HiRes::time() > $deadline) {
            stop_server($server);
            my $log = do { local (@ARGV, $/) = ("$dir/log"); <> } // '';
            croak "$cmd[0] did not start on port $port: $log";
        }
        Time::HiRes::sleep(0.02);
    }
    return $server;
}

sub start_memcached {
    my (%o) = @_;
    my $port = $o{port} // free_port();
    my $dir = tempdir('relay-memcached-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my @user = $> == 0 ? ('-u', 'nobody') : ();
    return spawn($port, $dir, '/usr/bin/memcached', '-l', '127.0.0.1',
                 '-p', $port, '-U', '0', '-m', '64', '-t', '2', @user);
}

sub start_redis {
    my (%o) = @_;
    my $port = $o{port} // free_port();
    my $dir = tempdir('relay-redis-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    return spawn($port, $dir, '/usr/bin/redis-server', '--port', $port,
                 '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
                 '--dir', $dir, '--daemonize', 'no');
}

# An httpd of its own: Relay's mod_proxy, mod_proxy_http, mod_cache and
# mod_cache_socache from the build tree, ProxyPass / to the test origin,
# CacheEnable socache / with the given CacheSocache; one child process.
# Every gateway is named gateway.test:80 (UseCanonicalName On), as the
# gateways of one site behind a load balancer would be.
sub start_gateway {
    my (%o) = @_;
    my $port = free_port();
    my $dir = tempdir('relay-gateway-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;
    my $mods = $ENV{RELAY_MODULE_DIR} // "$T_DIR/../build/modules";
    my $stock = '/usr/lib/apache2/modules';
    my $user = $> == 0 ? "User nobody\nGroup nogroup\n" : '';
    my $extra = $o{extra} // '';
    open my $fh, '>', "$dir/httpd.conf" or croak "$dir/httpd.conf: $!";
    print $fh <<"CONF";
ServerRoot $dir
# The gateways of one site share a name, and so their cache keys.
ServerName gateway.test:80
UseCanonicalName On
Listen 127.0.0.1:$port
PidFile $dir/httpd.pid
DefaultRuntimeDir $dir
ErrorLog $dir/error_log
LogLevel warn cache_socache:debug
Mutex file:$dir default
$user
LoadModule mpm_event_module $stock/mod_mpm_event.so
LoadModule authz_core_module $stock/mod_authz_core.so
LoadModule socache_memcache_module $stock/mod_socache_memcache.so
LoadModule socache_redis_module $stock/mod_socache_redis.so
LoadModule proxy_module $mods/mod_proxy.so
LoadModule proxy_http_module $mods/mod_proxy_http.so
LoadModule cache_module $mods/mod_cache.so
LoadModule cache_socache_module $mods/mod_cache_socache.so
StartServers 1
ServerLimit 1
ThreadsPerChild 8
MaxRequestWorkers 8
ProxyPass / http://127.0.0.1:$o{origin}/
CacheEnable socache /
CacheHeader on
CacheSocache $o{socache}
$extra
CONF
    close $fh;
    # The suite's httpd: in the sanitizer run, a wrapper preloading ASan.
    my $httpd = eval { Apache::Test::vars('httpd') } || '/usr/sbin/apache2';
    my $server = spawn($port, $dir, $httpd, '-f',
                       "$dir/httpd.conf", '-DFOREGROUND');
    $server->{error_log} = "$dir/error_log";
    return $server;
}

sub stop_server {
    my ($server) = @_;
    return unless $server && $server->{pid};
    kill 'TERM', $server->{pid};
    my $deadline = Time::HiRes::time() + 10;
    while (waitpid($server->{pid}, WNOHANG) == 0) {
        if (Time::HiRes::time() > $deadline) {
            kill 'KILL', $server->{pid};
            waitpid($server->{pid}, 0);
            last;
        }
        Time::HiRes::sleep(0.02);
    }
    $server->{pid} = 0;
}

# One memcached text-protocol command; the reply up to its last line.
sub memcached_cmd {
    my ($port, $cmd) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 5)
        or croak "memcached on $port: $!";
    print $s $cmd;
    my $reply = '';
    my $deadline = Time::HiRes::time() + 5;
    while (Time::HiRes::time() < $deadline) {
        my $n = sysread($s, my $buf, 65536);
        last unless $n;
        $reply .= $buf;
        last if $reply =~ /(?:^|\n)(?:END|STORED|DELETED|NOT_FOUND|ERROR[^\n]*|OK)\r\n\z/;
    }
    close $s;
    return $reply;
}

sub memcached_keys {
    my ($port) = @_;
    my $dump = memcached_cmd($port, "lru_crawler metadump all\r\n");
    my @keys = map { /^key=(\S+)/ ? $1 : () } split /\r?\n/, $dump;
    s/%([0-9A-Fa-f]{2})/chr hex $1/ge for @keys; # metadump URL-encodes
    return @keys;
}

1;
