# Licensed under the Apache License, Version 2.0.
#
# Cache poisoning attempts against the memory cache in front of a proxy
# (t/conf/mod_cache_hostile.conf.in): nothing a hostile client or origin
# does ends up stored and served to others.
#  - A request with an oversized header block is refused, and the URL it
#    named is then served normally, not the error. One with both
#    Content-Length and Transfer-Encoding (a smuggling attempt) is read as
#    chunked and ends its connection, so the request hidden behind it is
#    never answered and nothing is stored for its URL.
#  - A 304 the origin sends to an unconditional request is never stored,
#    and a storable response cut short before its Content-Length is not
#    stored either: the next request for each reaches the origin again.
#  - Many, overlapping or huge byte ranges on a cached entry get an answer
#    no larger than the entry itself (httpd's MaxRanges and merging apply
#    to hits too), and the entry stays intact.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Relay::Test;

plan tests => 17;

my $port = vhost_port('cache_hostile');
my $run = "$$-" . time;

sub get {
    my ($target, @extra) = @_;
    my $raw = raw_request($port,
        "GET $target HTTP/1.1\r\nHost: hostile\r\n"
        . join('', map { "$_\r\n" } @extra) . "Connection: close\r\n\r\n", 10);
    return parse_response($raw);
}

sub cache_of { (header_values($_[0], 'X-Cache'))[0] // '' }
sub origin_seq {
    my ($res) = @_;
    return join '/', map { (header_values($res, $_))[0] // '' }
        qw(X-Origin-Conn X-Origin-Seq);
}

# An oversized header block: refused by the server; the URL is then
# fetched from the origin and stored, never the refusal.
{
    my $url = "/headers?Cache-Control=max-age%3D300&r=big-$run";
    my $res = get($url, map { "X-Big-$_: " . ('b' x 4000) } 1 .. 40);
    ok($res && $res->{status} =~ /^(400|431)$/,
        'oversized header block refused (' . ($res && $res->{status}) . ')');
    my $next = get($url);
    is($next && $next->{status}, 200, 'the same URL then answers 200');
    like(cache_of($next), qr/^MISS/, 'from the origin, the refusal was not stored');
    like(cache_of(get($url)), qr/^HIT/, 'and the real response is what is stored');
}

# Content-Length with Transfer-Encoding: read one way, the connection
# closed after it; nothing stored for the URL.
{
    my $url = "/headers?Cache-Control=max-age%3D300&r=smuggle-$run";
    my $raw = raw_request($port,
        "POST $url HTTP/1.1\r\nHost: hostile\r\nContent-Length: 4\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        . "GET $url HTTP/1.1\r\nHost: hostile\r\n\r\n", 10);
    my $res = parse_response($raw);
    ok($res && $res->{status} =~ /^(200|400)$/,
        'CL with TE: refused or read as chunked (' . ($res && $res->{status})
            . ')');
    my $count = () = $raw =~ m{^HTTP/1\.1 }mg;
    is($count, 1, 'the request hidden behind it is not answered');
    my $next = get($url);
    like(cache_of($next), qr/^MISS/, 'the URL is then a miss, nothing stored');
}

# A 304 to an unconditional request: whatever the client gets, the next
# request reaches the origin again.
{
    my $first = get('/raw/unsolicited304');
    ok($first, 'unsolicited 304 answered (' . ($first && $first->{status}) . ')');
    my $second = get('/raw/unsolicited304');
    unlike(cache_of($second), qr/^HIT/, 'the unsolicited 304 was not stored');
}

# A storable response cut short: the client sees the cut, nothing stored.
{
    my $first = get('/raw/truncatedfresh');
    ok($first && length($first->{body}) < 1000, 'truncated body not completed');
    my $second = get('/raw/truncatedfresh');
    unlike(cache_of($second), qr/^HIT/, 'the cut response was not stored');
}

# Range abuse on a stored entry of 64 KiB.
{
    my $url = "/bytes?n=65536&cc=public,max-age%3D300&r=range-$run";
    my $full = get($url);
    is(length($full->{body} // ''), 65536, 'entry fetched');
    like(cache_of(get($url)), qr/^HIT/, 'entry stored');

    my $many = get($url, 'Range: bytes=' . join(',', map { "0-$_" } 1 .. 400));
    ok($many && length($many->{body}) <= 65536 + 4096,
        sprintf('400 overlapping ranges: answer not larger than the entry '
            . '(status %s, %d bytes)', $many && $many->{status},
            length($many->{body} // '')));
    my $huge = get($url, 'Range: bytes=0-99999999999999999999');
    ok($huge && $huge->{status} =~ /^(200|206|416)$/
            && length($huge->{body}) <= 65536,
        'a huge range is bounded by the entry (status '
            . ($huge && $huge->{status}) . ')');
    my $after = get($url);
    is(length($after->{body} // ''), 65536, 'the entry is intact afterwards');
    like(cache_of($after), qr/^HIT/, 'and still a hit');
}
