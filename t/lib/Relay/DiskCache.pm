# Licensed under the Apache License, Version 2.0.
#
# Relay::DiskCache - helpers of the mod_cache_disk tests:
#
#   cache_root($name)        t/logs/cache-disk/$name, made anew, owned by the
#                            server's User (nobody when the tests run as root)
#   entry_files($root)       the entry files (*.rly) under $root
#   entry_key($file)         the key an entry file holds (undef: not an entry),
#                            read from its trailer (include/relay/relay_disk.h)
#   entry_file($root, $re)   the entry file whose key matches $re
#   temp_files($root)        the temporary files at the top of $root
#   start_server(%o)         a standalone httpd of Relay's proxy, cache and
#                            disk store on a free loopback port (o: root,
#                            extra => [lines]); returns {pid, port, conf,
#                            error_log}
#   stop_server($s)          SIGTERM to its parent, waits until it is gone
#   kill_server($s)          SIGKILL to its parent and children at once
#
# Every wait has a deadline; only processes these helpers started are
# signalled, by their pid.

package Relay::DiskCache;

use strict;
use warnings FATAL => 'all';

use Carp qw(croak);
use Exporter qw(import);
use File::Find ();
use File::Path qw(make_path remove_tree);
use File::Spec ();
use IO::Socket::INET ();
use Time::HiRes ();

use Apache::Test ();
use Relay::ConfigTest qw(relay_load_line write_conf run_httpd);

our @EXPORT = qw(cache_root entry_files entry_key entry_file temp_files
    start_server stop_server kill_server server_children);

my $TRAILER = 32;

sub owner_ids {
    return () unless $> == 0;
    my $uid = getpwnam('nobody');
    my $gid = getgrnam('nogroup');
    return ($uid, $gid);
}

sub cache_root {
    my ($name) = @_;
    my $root = File::Spec->catdir(Apache::Test::vars('t_logs'), 'cache-disk',
        $name);
    remove_tree($root);
    make_path($root, { mode => 0755 });
    my @ids = owner_ids();
    chown @ids, $root if @ids;
    return $root;
}

sub entry_files {
    my ($root) = @_;
    my @files;
    File::Find::find({ no_chdir => 1, wanted => sub {
        push @files, $File::Find::name if -f $_ && /\.rly\z/;
    } }, $root) if -d $root;
    return sort @files;
}

sub entry_key {
    my ($file) = @_;
    open my $fh, '<:raw', $file or return undef;
    my $size = -s $fh;
    return undef if !$size || $size < $TRAILER;
    seek $fh, $size - $TRAILER, 0;
    read($fh, my $t, $TRAILER) == $TRAILER or return undef;
    my ($magic, $version, undef, $klen, $hlen, $bhi, $blo) =
        unpack 'a4 n n N N N N', $t;
    return undef unless $magic eq 'RLYD' && $version == 1;
    my $body = $bhi * 2**32 + $blo;
    return undef unless $body + $klen + $hlen + $TRAILER == $size;
    seek $fh, $body, 0;
    read($fh, my $key, $klen) == $klen or return undef;
    return $key;
}

sub entry_file {
    my ($root, $re) = @_;
    my @match = grep { (entry_key($_) // '') =~ $re } entry_files($root);
    return $match[0];
}

sub temp_files {
    my ($root) = @_;
    opendir my $dh, $root or return ();
    my @t = map { "$root/$_" } grep { /^relay-tmp\./ } readdir $dh;
    closedir $dh;
    return @t;
}

sub free_port {
    my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
        Listen => 1) or croak "bind: $@";
    return $s->sockport;
}

sub start_server {
    my (%o) = @_;
    my $port = free_port();
    my $origin = $ENV{RELAY_ORIGIN_PORT} or croak 'RELAY_ORIGIN_PORT unset';
    my @user = $> == 0 ? ('User nobody', 'Group nogroup') : ();
    my ($conf, undef, $pidfile) = write_conf(undef,
        [relay_load_line('proxy_module', 'mod_proxy.so'),
         relay_load_line('proxy_http_module', 'mod_proxy_http.so'),
         relay_load_line('cache_module', 'mod_cache.so'),
         relay_load_line('cache_disk_module', 'mod_cache_disk.so')],
        @user, "Listen 127.0.0.1:$port", 'LogLevel info cache_disk:debug',
        'StartServers 1', 'ServerLimit 2', 'ThreadsPerChild 16',
        "ProxyPass / http://127.0.0.1:$origin/",
        'CacheEnable disk /', "CacheRoot $o{root}",
        'CacheDirLevels 5', 'CacheDirLength 3', 'CacheHeader on',
        @{ $o{extra} // [] });
    my ($rc, $out) = run_httpd('-f', $conf, '-k', 'start');
    croak "httpd did not start: $out" if $rc;
    my $deadline = Time::HiRes::time() + 10;
    my $pid;
    while (Time::HiRes::time() < $deadline) {
        if (open my $fh, '<', $pidfile) {
            $pid = <$fh>;
            close $fh;
        }
        my ($parent) = ($pid // '') =~ /^(\d+)/;
        if ($parent && $parent > 1 && IO::Socket::INET->new(
                PeerAddr => "127.0.0.1:$port", Timeout => 1)) {
            my $s = { pid => $parent, port => $port, conf => $conf,
                      pidfile => $pidfile };
            croak "pid $parent is not the server just started"
                unless ours($s, $parent);
            ($s->{error_log} = $pidfile) =~ s{httpd(\d+)\.pid\z}{error$1.log};
            return $s;
        }
        Time::HiRes::sleep(0.05);
    }
    croak "httpd on port $port did not answer";
}

# Whether $pid runs with this server's configuration file (so a signal
# never reaches another process).
sub ours {
    my ($s, $pid) = @_;
    return 0 unless $pid && $pid =~ /^\d+\z/ && $pid > 1;
    open my $fh, '<', "/proc/$pid/cmdline" or return 0;
    my $cmd = do { local $/; <$fh> } // '';
    close $fh;
    return index($cmd, "\0$s->{conf}\0") >= 0;
}

# The children of a server's parent (through /proc).
sub server_children {
    my ($s) = @_;
    my @kids;
    opendir my $dh, '/proc' or return ();
    for my $pid (grep { /^\d+\z/ } readdir $dh) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my $stat = <$fh>;
        close $fh;
        my ($ppid) = $stat =~ /\)\s+\S+\s+(\d+)/ or next;
        push @kids, $pid if $ppid == $s->{pid} && ours($s, $pid);
    }
    closedir $dh;
    return @kids;
}

# Waits until the processes are gone, reaped too: a zombie still counts as
# a live process for whoever looks (kill 0).
sub wait_gone {
    my (@pids) = @_;
    my $deadline = Time::HiRes::time() + 15;
    while (grep { -e "/proc/$_" } @pids) {
        return 0 if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
    return 1;
}

sub stop_server {
    my ($s) = @_;
    return unless $s && ours($s, $s->{pid});
    my @kids = server_children($s);
    kill 'TERM', $s->{pid};
    wait_gone($s->{pid}, @kids);
    $s->{pid} = undef;
}

sub kill_server {
    my ($s) = @_;
    return unless $s && ours($s, $s->{pid});
    my @all = ($s->{pid}, server_children($s));
    kill 'KILL', @all;
    wait_gone(@all);
    unlink $s->{pidfile};
    $s->{pid} = undef;
}

1;
