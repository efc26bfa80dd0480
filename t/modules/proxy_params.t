# Licensed under the Apache License, Version 2.0.
#
# Worker parameters and server-level limits, each by an effect a client or
# the origin can see (t/conf/proxy_params.conf.in):
#  - ProxyTimeout is the default I/O timeout of workers;
#  - responsefieldsize bounds one response header line (502 beyond it);
#  - enablereuse=Off opens a new origin connection per request;
#  - max=1 with acquire: a request finding no free connection waits that
#    long, then gets 503 (RL01013);
#  - keepalive=On puts TCP keep-alive on the origin connection (seen in
#    the socket's timer with ss);
#  - connectiontimeout bounds the connect alone (1 s and 3 s against a
#    listener whose queue the test keeps full, with timeout=30): 503 after
#    that long, RL01014 logged;
#  - flushpackets=on flushes the client connection after every read from
#    the origin, the default only after reads that found nothing more
#    waiting (counted by the trace1 line RL02023); flushpackets=auto waits
#    flushwait for more before that flush: a body in pieces 150 ms apart
#    is never flushed with flushwait=1000, at every piece with 20;
#  - receivebuffersize= (and ProxyReceiveBufferSize for workers without
#    it) set the origin socket's receive buffer (ss shows the kernel's
#    doubled size);
#  - status= on a worker outside balancers: +D and +S answer 503 (RL01017),
#    +C keeps it out, +I lets requests try a worker in error state; other
#    member keys (lbset, route, redirect, loadfactor, +H) change nothing;
#  - ping= for HTTP: a request with a body asks the origin for its 100
#    (Expect: 100-continue, though the client did not) and sends the body
#    after it; silence for that long is a 503 (RL02018) with the worker
#    put in error state, and a balancer sends the request to another
#    member, body and all; a request without a body is not held up.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use IO::Socket::INET ();
use Socket qw(AF_INET SOCK_STREAM SOL_SOCKET SO_REUSEADDR inet_aton pack_sockaddr_in);
use Time::HiRes qw(time);

use Relay::Test;
use Relay::Client;

plan tests => 46;

sub conn_of { (header_values($_[0], 'X-Origin-Conn'))[0] // '' }

my $mark = error_log_mark();

# ProxyTimeout 1 at server level: a slow origin gives 504 after ~1 s.
{
    my $port = vhost_port('proxy_params_proxytimeout');
    my $t0 = time;
    my $res = Relay::Client->new($port)
        ->get('/delay?ms=4000', Connection => 'close');
    my $took = time - $t0;
    is($res && $res->{status}, 504, 'ProxyTimeout 1: 504');
    ok($took >= 0.8 && $took < 3.5,
        sprintf('ProxyTimeout 1: after about a second (%.1f s)', $took));
    $res = Relay::Client->new($port)->get('/delay?ms=100',
        Connection => 'close');
    is($res && $res->{status}, 200, 'ProxyTimeout 1: a fast answer is fine');
}

# responsefieldsize=600: a 1000-byte header line is refused, a short one
# is not.
{
    my $port = vhost_port('proxy_params_fieldsize');
    my $long = 'x' x 1000;
    my $res = Relay::Client->new($port)
        ->get("/headers?X-Long=$long", Connection => 'close');
    is($res && $res->{status}, 502, 'responsefieldsize: long line gives 502');
    ok(error_log_wait($mark, qr/RL02010:/, 5),
        'responsefieldsize: RL02010 logged');
    $res = Relay::Client->new($port)->get('/headers?X-Short=' . ('y' x 400),
        Connection => 'close');
    is($res && $res->{status}, 200, 'responsefieldsize: shorter line passes');
}

# enablereuse=Off: every request on one client connection gets a new
# origin connection.
{
    my $c = Relay::Client->new(vhost_port('proxy_params_enablereuse'));
    my @conns = map { conn_of($c->get('/echo')) } 1 .. 4;
    my %seen = map { $_ => 1 } @conns;
    is(scalar(keys %seen), 4, 'enablereuse=Off: four origin connections');
    $c->disconnect;
}

# max=1 acquire=300: while one slow request holds the connection, a
# request in the same child waits 0.3 s and gets 503. httpd may run more
# than one child, and each has its own pool, so a round whose requests all
# met another child proves nothing and is tried again (at most 3 rounds).
{
    my $port = vhost_port('proxy_params_acquire');
    my ($busy, $took, $first) = (0, 0, undef);
    for my $round (1 .. 3) {
        my $slow = Relay::Client->new($port);
        $slow->send_request('GET', '/delay?ms=2500', Connection => 'close');
        Time::HiRes::sleep(0.3);
        my @quick = map { Relay::Client->new($port) } 1 .. 8;
        $_->send_request('GET', '/echo', Connection => 'close') for @quick;
        my $t0 = time;
        my @res = map { $_->read_response('GET') } @quick;
        $took = time - $t0;
        $busy = grep { $_ && $_->{status} == 503 } @res;
        $first = $slow->read_response('GET');
        last if $busy;
    }
    ok($busy >= 1, "acquire: a request found no free connection ($busy 503)");
    ok($took < 2.0, sprintf('acquire: it waited no longer than about '
        . 'acquire, not for the slow request (%.1f s)', $took));
    ok(error_log_wait($mark, qr/RL01013:/, 5), 'acquire: RL01013 logged');
    is($first && $first->{status}, 200, 'acquire: the slow request is served');
}

# keepalive=On: the idle pooled connection to the origin has TCP
# keep-alive on, which ss shows as a keepalive timer on httpd's socket.
SKIP: {
    skip 'ss is not installed', 2 unless -x '/usr/bin/ss' || -x '/bin/ss';
    my $c = Relay::Client->new(vhost_port('proxy_params_keepalive'));
    my $res = $c->get('/echo');
    is($res && $res->{status}, 200, 'keepalive=On: request served');
    my $origin_pid = conn_of($res);
    # The origin child's socket gives the port httpd connected from.
    my @lines = `ss -tnoHp state established 2>/dev/null`;
    my ($httpd_port) = map { /127\.0\.0\.1:\d+\s+127\.0\.0\.1:(\d+).*pid=$origin_pid,/ ? $1 : () } @lines;
    my ($httpd_side) = grep { defined $httpd_port
            && /127\.0\.0\.1:$httpd_port\s+127\.0\.0\.1:\d+/ } @lines;
    like($httpd_side // '', qr/timer:\(keepalive/,
        'keepalive=On: the origin connection has a keepalive timer');
    $c->disconnect;
}

# connectiontimeout: a listener with a backlog of 0 that never accepts,
# and one connection of the test's own in its queue: the kernel drops
# further SYNs, so a connect to it neither succeeds nor fails until the
# connecting side gives up.
{
    my $silent = Relay::Test::env_port('RELAY_SILENT_PORT');
    socket(my $listener, AF_INET, SOCK_STREAM, 0) or die "socket: $!";
    setsockopt($listener, SOL_SOCKET, SO_REUSEADDR, 1);
    bind($listener, pack_sockaddr_in($silent, inet_aton('127.0.0.1')))
        or die "bind 127.0.0.1:$silent: $!";
    listen($listener, 0) or die "listen: $!";
    my $filler = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $silent, Timeout => 2) or die "filler: $@";

    for my $case ([1, 'proxy_params_conntimeout1'],
                  [3, 'proxy_params_conntimeout3']) {
        my ($secs, $vhost) = @$case;
        my $t0 = time;
        my $res = Relay::Client->new(vhost_port($vhost))
            ->get('/echo', Connection => 'close');
        my $took = time - $t0;
        is($res && $res->{status}, 503, "connectiontimeout=$secs: 503");
        ok($took >= $secs - 0.2 && $took < $secs + 2.5,
            sprintf("connectiontimeout=$secs: given up after about "
                . "$secs s, not timeout=30 (%.1f s)", $took));
    }
    ok(error_log_wait($mark, qr/RL01014:.*:$silent/, 5),
        'connectiontimeout: RL01014 names the origin');
    close $filler;
    close $listener;
}

# flushpackets: a 4 MiB body read by a client that waits a little first,
# so the origin connection has more data waiting at most reads.
for my $case (['on', 'proxy_params_flush_on'],
              ['default', 'proxy_params_flush_default']) {
    my ($name, $vhost) = @$case;
    my $c = Relay::Client->new(vhost_port($vhost));
    my $target = "/bytes?n=4194304&flush=$name";
    $c->send_request('GET', $target, Connection => 'close');
    Time::HiRes::sleep(0.5);
    my $res = $c->read_response('GET');
    is($res && length($res->{body} // ''), 4194304,
        "flushpackets $name: whole body");
    my $line = error_log_wait($mark,
        qr/RL02023: response body for \Q$target\E:/, 5) // '';
    my ($passes, $flushed) = $line =~ /: (\d+) passes, (\d+) flushed/;
    ok(defined $passes && $passes > 1, "flushpackets $name: passes counted")
        or diag $line;
    if ($name eq 'on') {
        is($flushed, $passes, 'flushpackets=on: every pass flushed');
    } else {
        ok(defined $flushed && $flushed < $passes,
            "default: reads with more waiting did not flush ($flushed of "
            . ($passes // '?') . ')');
    }
}

my @unexpected = error_log_errors($mark, qw(RL02011 RL02010 RL01013 RL01014 RL01002));
is(scalar @unexpected, 0, 'no unexpected error lines')
    or diag join '', @unexpected;

# ProxySourceAddress: the origin sees the connection come from it.
for my $case (['proxy_params_source', '127.0.0.2'],
              ['proxy_params_nosource', '127.0.0.1']) {
    my ($vhost, $want) = @$case;
    my $c = Relay::Client->new(vhost_port($vhost));
    $c->send_request('GET', '/peer', Connection => 'close');
    my $res = $c->read_response('GET');
    is($res && $res->{body}, "peer: $want\n",
       "$vhost: the origin sees $want");
}

# receivebuffersize: the pooled connection's receive buffer, as ss shows it
# for the port the origin saw (Linux keeps twice what was asked for).
SKIP: {
    skip 'ss is not installed', 2 unless -x '/usr/bin/ss' || -x '/bin/ss';
    for my $case (['proxy_params_rcvbuf', 8192, 'receivebuffersize=8192'],
                  ['proxy_params_rcvbuf_server', 12288,
                   'ProxyReceiveBufferSize 12288']) {
        my ($vhost, $size, $name) = @$case;
        my $c = Relay::Client->new(vhost_port($vhost));
        my $res = $c->get('/peer?port=1');
        my ($port) = ($res && $res->{body} // '') =~ /^peer-port: (\d+)$/m;
        my $line = defined $port
            ? join(' ', `ss -tmnH state established '( sport = :$port )' 2>/dev/null`)
            : '';
        my ($rb) = ($line // '') =~ /\brb(\d+)/;
        ok(defined $rb && ($rb == 2 * $size || $rb == $size),
           "$name: the origin socket's receive buffer (rb " . ($rb // '?') . ')')
            or diag($line);
        $c->disconnect;
    }
}

# status= outside balancers.
{
    my $port = vhost_port('proxy_params_status');
    my $get = sub {
        my $c = Relay::Client->new($port);
        my $res = $c->get($_[0]);
        $c->disconnect;
        return $res // { status => 0, body => '' };
    };
    my $res = $get->('/plain/x');
    ok($res->{status} == 200 && $res->{body} =~ m{^target: /echo/plain/x$}m,
       'lbset, route, redirect, loadfactor, +H outside a balancer: served');
    my $mark = error_log_mark();
    is($get->('/disabled/x')->{status}, 503, 'status=+D: 503');
    ok(error_log_wait($mark, qr/RL01017: worker \S+ is disabled/),
       'status=+D: RL01017 logged');
    is($get->('/stopped/x')->{status}, 503, 'status=+S (by ProxySet): 503');
    is($get->('/failed/x')->{status}, 503, 'status=+C: out until a check passes');
    # A dead origin: the first failure puts the worker in error state for
    # retry=60; +I lets the next request try again (and fail again) at
    # once instead of being refused from the error state.
    $get->('/ignerr/x');
    $mark = error_log_mark();
    $get->('/ignerr/x');
    ok(error_log_wait($mark, qr/RL01014:.*ignerr/, 3),
       'status=+I: a worker in error state is still tried (RL01014 again)');
}

# ping= on HTTP workers.
{
    my $port = vhost_port('proxy_params_ping');
    my $post = sub {
        my ($path) = @_;
        my $c = Relay::Client->new($port, timeout => 10);
        my $res = $c->send_raw("POST $path HTTP/1.1\r\nHost: x\r\n"
            . "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
        $c->disconnect;
        return $res // { status => 0, body => '' };
    };
    my $c = Relay::Client->new($port);
    my $res = $c->get('/single/echo');
    $c->disconnect;
    ok($res && $res->{status} == 200 && $res->{body} !~ /Expect/,
       'ping: a request without a body goes as it is');
    $res = $post->('/single/expect');
    ok($res->{status} == 200 && $res->{body} =~ /^expect-seen: yes$/m
           && $res->{body} =~ /^body-length: 5$/m,
       'ping: the origin was asked for its 100, then got the body')
        or diag($res->{body});
    my $mark = error_log_mark();
    my $t0 = Time::HiRes::time();
    $res = $post->('/single/expect?send100=0');
    my $took = Time::HiRes::time() - $t0;
    is($res->{status}, 503, 'ping: no 100 within ping=300ms: 503');
    cmp_ok($took, '<', 2, "ping: after about the ping time ($took s)");
    ok(error_log_wait($mark, qr/RL02018: worker \S+ no answer to the ping|RL02018: worker \S+: no answer to the ping/),
       'ping: RL02018 logged');

    $mark = error_log_mark();
    my @who = map { $post->('/bal/expect?send100=0') } 1 .. 3;
    is_deeply([map { $_->{status} } @who], [200, 200, 200],
              'ping in a balancer: the silent member is left, every request served');
    ok(!(grep { $_->{body} !~ m{^target: /echo/expect}m
                || $_->{body} !~ /^body-length: 5$/m } @who),
       'ping in a balancer: by the other member, with the body')
        or diag(join "\n", map { $_->{body} } @who);
}

# flushpackets=auto with flushwait: five pieces 150 ms apart.
for my $case (['proxy_params_flush_auto_long', 1000, 0, 0],
              ['proxy_params_flush_auto_short', 20, 4, 5]) {
    my ($vhost, $wait, $min, $max) = @$case;
    my $mark = error_log_mark();
    my $c = Relay::Client->new(vhost_port($vhost));
    my $target = "/slowbody?chunks=5&ms=150&chunked=0&w=$wait";
    my $res = $c->get($target, Connection => 'close');
    is($res && length($res->{body} // ''), 80, "flushwait=$wait: the whole body");
    my $line = error_log_wait($mark,
        qr/RL02023: response body for \Q$target\E:/, 5) // '';
    my ($passes, $flushed) = $line =~ /: (\d+) passes, (\d+) flushed/;
    ok(defined $flushed && $flushed >= $min && $flushed <= $max,
       "flushpackets=auto flushwait=$wait: $min to $max flushes ("
       . ($flushed // '?') . ' of ' . ($passes // '?') . ' passes)');
}
