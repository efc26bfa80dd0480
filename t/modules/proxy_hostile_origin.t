# Licensed under the Apache License, Version 2.0.
#
# Hostile origins (t/conf/proxy_hostile_origin.conf.in, timeout=2):
#  - a response head trickling in a byte at a time, each byte well within
#    the timeout: the whole head must arrive within the timeout, so the
#    request ends with 504 (RL02011) after about two seconds instead of
#    being held as long as the origin likes; a head that trickles but
#    completes in time is served;
#  - a 101 Switching Protocols to a request that asked for no upgrade:
#    502 (RL02013), and nothing the origin sent after it reaches the
#    client.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes qw(time);

use Relay::Test;
use Relay::Client;

plan tests => 8;

my $port = vhost_port('proxy_hostile_origin');
my $mark = error_log_mark();

# 200 bytes at 50 ms each: ten seconds for the head.
{
    my $t0 = time;
    my $res = Relay::Client->new($port, timeout => 20)
        ->get('/trickle?ms=50&bytes=200', Connection => 'close');
    my $took = time - $t0;
    is($res && $res->{status}, 504, 'trickling head: 504');
    ok($took >= 1.8 && $took < 4.5,
        sprintf('after about the timeout, not the ten seconds the head '
            . 'takes (%.1f s)', $took));
    ok(error_log_wait($mark, qr/RL02011:.*trickle/, 5),
        'trickling head: RL02011 logged');
}

# 40 bytes at 10 ms each: slow, but whole within the timeout.
{
    my $res = Relay::Client->new($port)
        ->get('/trickle?ms=10&bytes=40', Connection => 'close');
    is($res && $res->{status}, 200, 'slow head within the timeout: 200');
    is($res && $res->{body}, "ok\n", 'with its body');
}

# A 101 nobody asked for.
{
    my $res = Relay::Client->new($port)
        ->get('/raw/unrequested101', Connection => 'close');
    is($res && $res->{status}, 502, 'unrequested 101: 502');
    unlike($res && $res->{body} // '', qr/not http/,
        'the bytes after the 101 do not reach the client');
    ok(error_log_wait($mark, qr/RL02013:/, 5), 'unrequested 101: RL02013 logged');
}
