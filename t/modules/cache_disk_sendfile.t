# Licensed under the Apache License, Version 2.0.
#
# Disk cache hits leave the body to the kernel where httpd allows it
# (t/conf/mod_cache_disk.conf.in, vhosts cache_disk_sendfile and
# cache_disk_nosendfile): with EnableSendfile On, the hit of a 300 KB entry
# goes out through sendfile(2) from the entry file, not through a copy in
# user space; with EnableSendfile Off it does not. A small entry's hit is
# served from the one read of the entry file's end. The server's child
# processes are watched with strace (attached by pid for the one request,
# then detached); the test is skipped where strace is missing.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Spec ();
use File::Temp qw(tempfile);
use POSIX ();
use Time::HiRes ();

use Relay::Test qw(bytes_pattern);
use Relay::DiskCache;

my $strace = (grep { -x } qw(/usr/bin/strace /bin/strace))[0];
plan skip_all => 'strace is not installed' unless $strace;
plan tests => 12;

my $run = "$$-" . time;

# The pids of the server's child processes.
sub children {
    my $pidfile = File::Spec->catfile(Apache::Test::vars('t_logs'), 'httpd.pid');
    open my $fh, '<', $pidfile or return ();
    chomp(my $parent = <$fh> // '');
    return () unless $parent =~ /^\d+$/;
    return grep { /^\d+$/ } split ' ', `pgrep -P $parent`;
}

# Waits up to $timeout seconds until every thread of every process in
# @pids has a tracer (strace attaches to them one by one).
sub wait_traced {
    my ($timeout, @pids) = @_;
    my $deadline = Time::HiRes::time() + $timeout;
    while (Time::HiRes::time() < $deadline) {
        my @status = map { glob "/proc/$_/task/*/status" } @pids;
        my $untraced = grep {
            open my $fh, '<', $_ or next;
            local $/;
            (<$fh> // '') =~ /^TracerPid:\s+0$/m;
        } @status;
        return 1 if @status && !$untraced;
        Time::HiRes::sleep(0.05);
    }
    return 0;
}

# The calls of the system calls named in $calls ("sendfile,pread64") the
# children make while $code runs: [name, result] each.
sub traced_calls {
    my ($calls, $code) = @_;
    my ($fh, $out) = tempfile(UNLINK => 1);
    my @pids = children();
    my $tracer = fork // die "fork: $!";
    if ($tracer == 0) {
        { exec $strace, '-f', '-qq', '-e', "trace=$calls", '-o', $out,
            map { ('-p', $_) } @pids }
        POSIX::_exit(127);
    }
    wait_traced(10, @pids);
    # The response is complete once the traced calls have returned, and
    # strace writes each call as it returns.
    $code->();
    kill 'INT', $tracer;
    waitpid($tracer, 0);
    open my $in, '<', $out or return ();
    return map { /(\w+)\(.*\)\s*=\s*(-?\d+)/ ? [$1, $2] : () } <$in>;
}

# The bytes of each sendfile call the children make while $code runs.
sub sendfile_calls {
    my ($code) = @_;
    return map { $_->[0] eq 'sendfile' ? $_->[1] : () }
        traced_calls('sendfile', $code);
}

for my $case ([on => 'cache_disk_sendfile'], [off => 'cache_disk_nosendfile']) {
    my ($mode, $vhost) = @$case;
    cache_root($vhost =~ s/^cache_disk_//r);
    Apache::TestRequest::module($vhost);
    my $url = "/bytes?n=300000&cc=max-age%3D300&r=$run-$mode";
    like(GET($url)->header('X-Cache') // '', qr/^MISS/, "$mode: stored");
    my $hit;
    my @sent = sendfile_calls(sub { $hit = GET $url });
    like($hit->header('X-Cache') // '', qr/^HIT/, "$mode: hit");
    ok($hit->content eq bytes_pattern(300000), "$mode: body served whole");
    my $total = 0;
    $total += $_ for @sent;
    if ($mode eq 'on') {
        ok($total >= 300000,
            "EnableSendfile On: the body went out through sendfile ($total bytes)");
    }
    else {
        is($total, 0, 'EnableSendfile Off: no sendfile');
    }
}

# A small entry (body, key, head and trailer within the 4 KiB a hit reads
# from the end of the entry file) comes out of that one read: no sendfile
# and no second read, EnableSendfile On or not.
{
    cache_root('sendfile');
    Apache::TestRequest::module('cache_disk_sendfile');
    my $url = "/bytes?n=1000&cc=max-age%3D300&r=$run-small";
    like(GET($url)->header('X-Cache') // '', qr/^MISS/, 'small: stored');
    my $hit;
    my @calls = traced_calls('sendfile,pread64', sub { $hit = GET $url });
    like($hit->header('X-Cache') // '', qr/^HIT/, 'small: hit');
    ok($hit->content eq bytes_pattern(1000), 'small: body served whole');
    my @names = map { $_->[0] } @calls;
    is("@names", 'pread64',
        'small entry: one read of the entry file, no sendfile');
}
