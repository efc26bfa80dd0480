# Licensed under the Apache License, Version 2.0.
#
# The seed configuration's memory cache in front of ProxyPass
# (t/conf/cache_seed.conf.in: CacheEnable mem / with MCacheSize 4096,
# MCacheMaxObjectCount 100, MCacheMinObjectSize 1, MCacheMaxObjectSize 2048
# and CacheDisable http://security.update.server/update-list/): a first
# request is a MISS that reaches the origin, the next ones are HITs served
# without it (same X-Origin-Conn and X-Origin-Seq, Age present), also over
# many client connections at once, which the server spreads over its child
# processes (one cache in shared memory); a body over MCacheMaxObjectSize
# streams through whole and is never stored; HEAD is answered from a stored
# GET.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET HEAD);
use IO::Socket::INET ();
use Relay::Test ();

plan tests => 19;

Apache::TestRequest::module('cache_seed');
my $hostport = Apache::TestRequest::hostport();
my $run = "$$-" . time;

sub origin_id {
    my ($res) = @_;
    return join '/', map { $res->header($_) // '' } qw(X-Origin-Conn X-Origin-Seq);
}

my $url = "/headers?Cache-Control=max-age%3D300&r=$run";
my $first = GET $url;
is($first->code, 200, 'first request answered');
like($first->header('X-Cache') // '', qr/^MISS from /, 'first is a MISS');
my $second = GET $url;
like($second->header('X-Cache') // '', qr/^HIT from /, 'second is a HIT');
is(origin_id($second), origin_id($first),
    'the hit is the stored response (same origin connection and sequence)');
is($second->content, "ok\n", 'stored body served');
like($second->header('Age') // '', qr/^\d+$/, 'Age on the hit');
my $head = HEAD $url;
like($head->header('X-Cache') // '', qr/^HIT/, 'HEAD answered from the GET');
is($head->content, '', 'HEAD has no body');

# Many connections at once: every one of them is a hit, whichever child
# process serves it.
my @socks;
for (1 .. 12) {
    my $s = IO::Socket::INET->new(PeerAddr => $hostport, Timeout => 10)
        or die "connect: $!";
    push @socks, $s;
}
for my $s (@socks) {
    print $s "GET $url HTTP/1.1\r\nHost: $hostport\r\nConnection: close\r\n\r\n";
}
my ($hits, $same) = (0, 0);
my $want = origin_id($first);
for my $s (@socks) {
    local $/;
    my $resp = <$s> // '';
    $hits++ if $resp =~ /^X-Cache: HIT from /mi;
    my ($conn) = $resp =~ /^X-Origin-Conn: (\S+)/mi;
    my ($seq) = $resp =~ /^X-Origin-Seq: (\S+)/mi;
    $same++ if defined $conn && "$conn/$seq" eq $want;
}
is($hits, 12, 'twelve concurrent connections all hit');
is($same, 12, 'all of them got the one stored response');

# Over MCacheMaxObjectSize (2048): streamed whole, never stored.
my $big = "/bytes?n=5000&cc=max-age%3D300&r=$run";
my $b1 = GET $big;
my $b2 = GET $big;
is(length($b1->content), 5000, 'big body complete');
is($b1->content, Relay::Test::bytes_pattern(5000), 'big body intact');
like($b2->header('X-Cache') // '', qr/^MISS/, 'big body not stored');
isnt(origin_id($b2), origin_id($b1), 'big body fetched again');

# Within the bounds, chunked from the origin (no Content-Length).
my $small = "/bytes?n=1500&chunked=1&cc=max-age%3D300&r=$run";
my $s1 = GET $small;
my $s2 = GET $small;
like($s2->header('X-Cache') // '', qr/^HIT/, 'chunked body within bounds stored');
is($s2->content, Relay::Test::bytes_pattern(1500), 'chunked body served whole');
is($s2->header('Content-Length'), 1500, 'hit carries Content-Length');

# Not cacheable without expiry or validator: stays a MISS.
my $n1 = GET "/headers?r=$run-plain";
my $n2 = GET "/headers?r=$run-plain";
like($n2->header('X-Cache') // '', qr/^MISS/, 'no expiry, no validator: not stored');
isnt(origin_id($n2), origin_id($n1), 'origin asked again');
