# Licensed under the Apache License, Version 2.0.
#
# Connection pooling between Relay and the origin (t/conf/proxy_keepalive.conf.in).
# The origin names each TCP connection (X-Origin-Conn) and counts the
# requests on it (X-Origin-Seq), so reuse is visible in the responses:
#  - consecutive requests on one client connection share one origin
#    connection, and requests on separate client connections reuse pooled
#    connections (at most one per httpd child process when they come one
#    after another);
#  - disablereuse=On opens a new origin connection per request;
#  - the keep-alive race: after /close-after (the origin closes without
#    saying so) the next requests still succeed, never a 502;
#  - ttl=1: a connection idle for over a second is replaced, a younger one
#    is reused, and one nobody asks for again is closed within a couple
#    of seconds (the origin's connection process ends);
#  - ttl=1 min=1: the idle connection stays open past the ttl (the sweeper
#    keeps min of them), and the client connection's next request uses it;
#  - max=1: concurrent slow requests all succeed, queued on one origin
#    connection per child process.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use POSIX qw(ceil);
use Time::HiRes ();

use Relay::Test;
use Relay::Client;
use Relay::Proc;

plan tests => 36;

sub conn_of { (header_values($_[0], 'X-Origin-Conn'))[0] // '' }
sub seq_of  { (header_values($_[0], 'X-Origin-Seq'))[0] // 0 }

sub uniq { my %s; grep { !$s{$_}++ } @_ }

my $mark = error_log_mark();
my $port = vhost_port('proxy_keepalive');

# One client connection, consecutive requests: one origin connection,
# whose request count goes up by one each time.
my $pooled_conn;
{
    my $c = Relay::Client->new($port);
    my @res = map { $c->get('/echo') } 1 .. 8;
    is(scalar(grep { $_ && $_->{status} == 200 } @res), 8,
        'one client connection: 8 requests answered 200');
    ok(!$c->closed, 'one client connection: kept alive throughout');
    my @conns = uniq(map { conn_of($_) } @res);
    is(scalar @conns, 1, 'one client connection: one origin connection');
    my @seq = map { seq_of($_) } @res;
    is_deeply([map { $seq[$_] - $seq[0] } 0 .. $#seq], [0 .. 7],
        'one client connection: X-Origin-Seq goes up by one per request');
    like($res[0]{body}, qr/^method: GET\ntarget: \/echo\n/,
        'one client connection: the origin saw the request');
    $pooled_conn = $conns[0];
    $c->disconnect;
}

# Separate client connections, one after another: each child process
# reuses its pooled connection, so there are no more origin connections
# than children, and each connection's count keeps going up.
{
    my @res;
    for (1 .. 8) {
        my $c = Relay::Client->new($port);
        push @res, $c->get('/echo', Connection => 'close');
        $c->disconnect;
    }
    my $children = () = httpd_children();
    is(scalar(grep { $_ && $_->{status} == 200 } @res), 8,
        'separate client connections: 8 requests answered 200');
    my @conns = uniq(map { conn_of($_) } @res);
    cmp_ok(scalar @conns, '<=', $children,
        "separate client connections: at most one origin connection per "
        . "child ($children)");
    cmp_ok(scalar @conns, '<', 8,
        'separate client connections: fewer origin connections than requests');
    my (%last, $increasing);
    $increasing = 1;
    for my $r (@res) {
        my ($conn, $seq) = (conn_of($r), seq_of($r));
        $increasing = 0 if exists $last{$conn} && $seq <= $last{$conn};
        $last{$conn} = $seq;
    }
    ok($increasing,
        'separate client connections: X-Origin-Seq goes up on each connection');
    ok(scalar(grep { $_ > 1 } map { seq_of($_) } @res) >= 8 - $children,
        'separate client connections: reused connections had served before');
}

# disablereuse=On: every request opens (and is the only one on) an origin
# connection, also on one client keep-alive connection.
{
    my $c = Relay::Client->new(vhost_port('proxy_keepalive_noreuse'));
    my @res = map { $c->get('/echo') } 1 .. 5;
    is(scalar(grep { $_ && $_->{status} == 200 } @res), 5,
        'disablereuse: 5 requests answered 200');
    is(scalar(uniq(map { conn_of($_) } @res)), 5,
        'disablereuse: 5 origin connections');
    is_deeply([map { seq_of($_) } @res], [1, 1, 1, 1, 1],
        'disablereuse: one request per origin connection');
    $c->disconnect;
}

# The keep-alive race: /close-after answers, then the origin closes the
# connection without Connection: close. The pooled connection is dead by
# the time the next request wants it; that request must still succeed on a
# fresh connection. Also pipelined, so the next request comes at once.
{
    my $c = Relay::Client->new($port);
    my ($ok, $fresh, $n) = (0, 0, 20);
    for (1 .. $n) {
        my $closing = $c->get('/close-after');
        my $next = $c->get('/echo');
        $ok++ if $closing && $closing->{status} == 200
            && $closing->{body} eq "close-after\n"
            && $next && $next->{status} == 200;
        $fresh++ if $next && conn_of($next) ne conn_of($closing);
    }
    is($ok, $n, "keep-alive race: $n x (/close-after, /echo) all answered 200");
    is($fresh, $n, 'keep-alive race: the request after a close is on a '
        . 'new origin connection');
    ok(!$c->closed, 'keep-alive race: the client connection stays open');

    my $pipelined = 0;
    for (1 .. $n) {
        $c->send_request('GET', '/close-after');
        $c->send_request('GET', '/echo');
        my $first = $c->read_response;
        my $second = $c->read_response;
        $pipelined++ if $first && $first->{status} == 200
            && $second && $second->{status} == 200
            && $second->{body} =~ /^target: \/echo$/m;
    }
    is($pipelined, $n,
        "keep-alive race, pipelined: $n x (/close-after, /echo) all 200");
    $c->disconnect;

    # Each client connection on its own: whichever child serves it may hold
    # the connection the origin closed.
    my $separate = 0;
    for (1 .. $n) {
        for my $path ('/close-after', '/echo') {
            my $one = Relay::Client->new($port);
            my $res = $one->get($path, Connection => 'close');
            $separate++ if $res && $res->{status} == 200;
            $one->disconnect;
        }
    }
    is($separate, 2 * $n,
        'keep-alive race, separate client connections: all 200');
    my @tags = error_log_tags($mark);
    ok(!grep({ $_ eq 'RL02041' || $_ eq 'RL02012' } @tags),
        'keep-alive race: no failed exchange logged');
    my $retries = grep { $_ eq 'RL02042' } @tags;
    diag("requests retried on a fresh connection: $retries") if $retries;
}

# ttl=1: a connection is reused while younger than a second, and replaced
# after it sat idle longer.
{
    my $c = Relay::Client->new(vhost_port('proxy_keepalive_ttl'));
    my $first = $c->get('/echo');
    my $soon = $c->get('/echo');
    is($soon && conn_of($soon), conn_of($first),
        'ttl=1: reused at once');
    is(seq_of($soon), seq_of($first) + 1, 'ttl=1: as its next request');
    Time::HiRes::sleep(1.5);    # let the pooled connection age past ttl
    my $late = $c->get('/echo');
    is($late && $late->{status}, 200, 'ttl=1: after 1.5 s idle, 200');
    isnt(conn_of($late), conn_of($first),
        'ttl=1: after 1.5 s idle, a new origin connection');
    is(seq_of($late), 1, 'ttl=1: the new connection serves its first request');
    my $again = $c->get('/echo');
    is(conn_of($again), conn_of($late), 'ttl=1: the new one is pooled in turn');
    $c->disconnect;
}

# ttl=1 without further requests: the child's sweeper closes the idle
# connection, which ends its origin process (X-Origin-Conn is its pid).
{
    my $c = Relay::Client->new(vhost_port('proxy_keepalive_ttl'));
    my $res = $c->get('/echo', Connection => 'close');
    my $pid = conn_of($res);
    ok($pid =~ /^\d+$/ && kill(0, $pid), 'ttl=1: origin connection open');
    my $deadline = Time::HiRes::time() + 6;
    Time::HiRes::sleep(0.1)
        while kill(0, $pid) && Time::HiRes::time() < $deadline;
    ok(!kill(0, $pid), 'ttl=1: the idle connection is closed without '
        . 'another request');
}

# min=1: the sweeper leaves one idle connection open past ttl=1.
{
    my $c = Relay::Client->new(vhost_port('proxy_keepalive_min'));
    my $res = $c->get('/echo');
    my $pid = conn_of($res);
    Time::HiRes::sleep(2.5);    # two sweeps past the ttl
    ok($pid =~ /^\d+$/ && kill(0, $pid),
        'ttl=1 min=1: the idle connection is still open after 2.5 s');
    my $again = $c->get('/echo');
    is(conn_of($again), $pid, 'ttl=1 min=1: and the next request uses it');
    $c->disconnect;
}

# max=1: eight concurrent slow requests. Each child process may hold one
# origin connection only, so the requests a child serves queue for it.
{
    my $mport = vhost_port('proxy_keepalive_max1');
    my $delay = 0.5;
    my $n = 8;
    my @clients = map { Relay::Client->new($mport, timeout => 30) } 1 .. $n;
    $_->send_request('GET', '/delay?ms=' . $delay * 1000) for @clients;
    my @res = map { $_->read_response } @clients;
    my $children = () = httpd_children();
    is(scalar(grep { $_ && $_->{status} == 200 } @res), $n,
        "max=1: $n concurrent slow requests all answered 200");
    my %by_conn;
    push @{ $by_conn{ conn_of($_) } }, $_ for grep { $_ } @res;
    my $nconns = keys %by_conn;
    cmp_ok($nconns, '<=', $children,
        "max=1: at most one origin connection per child ($children)");
    cmp_ok($nconns, '<', $n, 'max=1: requests shared origin connections');
    my ($busiest) = sort { @$b <=> @$a } values %by_conn;
    my @seq = sort { $a <=> $b } map { seq_of($_) } @$busiest;
    is_deeply(\@seq, [$seq[0] .. $seq[0] + $#seq],
        'max=1: the requests on one connection went one after another');
    my ($slowest) = sort { $b <=> $a } map { $_->{elapsed} } @$busiest;
    cmp_ok($slowest, '>=', @$busiest * $delay - 0.1,
        'max=1: the last of them waited for those before it');
    $_->disconnect for @clients;
}

is_deeply([error_log_errors($mark)], [], 'no error-level lines in the log');
is(scalar(grep { $_ eq 'RL01013' } error_log_tags($mark)), 0,
    'max=1: no request gave up waiting for the connection');
