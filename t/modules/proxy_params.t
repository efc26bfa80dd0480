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
#    the socket's timer with ss).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Time::HiRes qw(time);

use Relay::Test;
use Relay::Client;

plan tests => 14;

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

my @unexpected = error_log_errors($mark, qw(RL02011 RL02010 RL01013));
is(scalar @unexpected, 0, 'no unexpected error lines')
    or diag join '', @unexpected;
