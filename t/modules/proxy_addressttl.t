# Licensed under the Apache License, Version 2.0.
#
# addressttl=: how long a worker keeps its origin's resolved address. A
# resolver stub (t/stub/resolver_stub.c, preloaded into a server of the
# test's own, one child process) resolves relay-ttl.test to the address
# in a file; two small origins answer "first" on 127.0.0.1 and "second"
# on 127.0.0.2, same port. After the file changes, the worker with
# addressttl=2 reaches the new address once two seconds have passed; the
# worker without it (-1, stock's default) keeps the address it resolved.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Spec ();
use IO::Socket::INET ();
use Time::HiRes ();

use Relay::Test;
use Relay::Client;
use Relay::ConfigTest qw(start_case stop_case relay_load_line case_dir);
use Relay::DiskCache ();

my $cc = (grep { -x "/usr/bin/$_" } qw(cc gcc))[0];
plan tests => 5, need {
    'a C compiler for the resolver stub' => defined $cc,
    '127.0.0.2 on loopback' => IO::Socket::INET->new(LocalAddr => '127.0.0.2',
        LocalPort => 0, Listen => 1) ? 1 : 0,
};

my $dir = case_dir('proxy_addressttl');
my $stub = File::Spec->catfile($dir, 'resolver_stub.so');
my $src = File::Spec->catfile(Apache::Test::vars('serverroot'), 'stub',
    'resolver_stub.c');
system($cc, '-shared', '-fPIC', '-o', $stub, $src, '-ldl') == 0
    or die "cannot build $stub";
chmod 0755, $dir;

# A tiny origin answering every connection with $word.
my @kids;
sub answer_with {
    my ($addr, $port, $word) = @_;
    my $l = IO::Socket::INET->new(LocalAddr => $addr, LocalPort => $port,
        Listen => 16, ReuseAddr => 1) or die "listen $addr:$port: $@";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        local $SIG{ALRM} = sub { exit 0 };
        alarm 120;
        while (my $c = $l->accept) {
            my $req = '';
            sysread($c, $req, 4096);
            syswrite($c, "HTTP/1.1 200 OK\r\nContent-Length: "
                . length($word) . "\r\nConnection: close\r\n\r\n$word");
            close $c;
        }
        exit 0;
    }
    push @kids, $pid;
}

my $port = Relay::DiskCache::free_port();
answer_with('127.0.0.1', $port, 'first');
answer_with('127.0.0.2', $port, 'second');

my $hosts = File::Spec->catfile($dir, 'relay-ttl.addr');
sub point_to {
    open my $fh, '>', $hosts or die "$hosts: $!";
    print $fh "$_[0]\n";
    close $fh;
    chmod 0644, $hosts;
}
point_to('127.0.0.1');

my $gw = Relay::DiskCache::free_port();
my @servers;
END {
    stop_case($_) for @servers;
    kill 'TERM', @kids if @kids;
}
{
    local $ENV{LD_PRELOAD} = $stub;
    local $ENV{RELAY_STUB_NAME} = 'relay-ttl.test';
    local $ENV{RELAY_STUB_FILE} = $hosts;
    push @servers, start_case(
        [relay_load_line('proxy_module', 'mod_proxy.so'),
         relay_load_line('proxy_http_module', 'mod_proxy_http.so')],
        [$gw], ($> == 0 ? ('User nobody', 'Group nogroup') : ()),
        "Listen 127.0.0.1:$gw", 'ServerLimit 1', 'StartServers 1',
        'MinSpareThreads 1', 'MaxSpareThreads 25', 'ThreadsPerChild 25',
        'MaxRequestWorkers 25',
        "ProxyPass /ttl/ http://relay-ttl.test:$port/ttl/ addressttl=2 disablereuse=On",
        "ProxyPass /once/ http://relay-ttl.test:$port/once/ disablereuse=On");
}

sub who {
    my $c = Relay::Client->new($gw, timeout => 10);
    my $res = $c->get($_[0], Connection => 'close');
    $c->disconnect;
    return $res && $res->{status} == 200 ? $res->{body} : 'status '
        . ($res ? $res->{status} : 0);
}

is(who('/ttl/x'), 'first', 'addressttl=2: the name resolves to the first address');
is(who('/once/x'), 'first', 'default: likewise');
point_to('127.0.0.2');
is(who('/ttl/x'), 'first', 'addressttl=2: within the two seconds, the address it had');
Time::HiRes::sleep(2.3);
is(who('/ttl/x'), 'second', 'addressttl=2: after it, the name\'s new address');
is(who('/once/x'), 'first', 'default (-1): the address it resolved, until restart');
