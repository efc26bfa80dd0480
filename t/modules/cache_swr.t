# Licensed under the Apache License, Version 2.0.
#
# stale-while-revalidate (RFC 5861 §3) through Relay's mod_cache
# (t/conf/mod_cache_status.conf.in, vhost cache_status, CacheLock off):
# within the window one request refreshes the entry from the origin while
# the concurrent ones get the stale entry at once with Warning 110; the
# refreshed entry then answers as a plain hit. only-if-cached within the
# window gets the stale entry and never reaches the origin. (With
# max-age=1 the refreshed entry may be stale again at once, so it is
# checked with only-if-cached.)

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Time::HiRes ();

use lib 't/lib';
use Relay::Test qw(raw_connect raw_request read_until parse_response
                   header_values origin_port vhost_port);

plan tests => 8;

my $run = "$$-" . time;
my $port = vhost_port('cache_status');

# One GET per entry of @extra (extra header lines), all sent at once.
sub burst {
    my ($path, @extra) = @_;
    my @socks = map {
        my $s = raw_connect($port, 15);
        syswrite($s, "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
                     . $_ . "Connection: close\r\n\r\n");
        $s;
    } @extra;
    return map {
        my $buf = '';
        read_until($_, \$buf, undef, 15);
        close $_;
        parse_response($buf) // { status => 0, body => '', headers => [] };
    } @socks;
}

sub counted {
    my ($name) = @_;
    my $res = parse_response(raw_request(origin_port(),
        "GET /counted/$name HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n"));
    return $res && $res->{body} =~ /^(\d+)/ ? $1 : -1;
}

sub warning { (header_values($_[0], 'Warning'))[0] // '' }

my $name = "swr-$run";
my $path = "/count/$name?ms=800&cc=max-age%3D1%2C%20stale-while-revalidate%3D30";
burst($path, '');

# Wait until the entry is stale (only-if-cached: never forwarded).
my $r;
my $deadline = Time::HiRes::time() + 10;
do {
    Time::HiRes::sleep(0.2);
    ($r) = burst($path, "Cache-Control: only-if-cached\r\n");
} while (warning($r) eq '' && Time::HiRes::time() < $deadline);
like(warning($r), qr/^110 /, 'only-if-cached in the window: stale, Warning 110');
is(counted($name), 1, 'only-if-cached did not reach the origin');

my @res = burst($path, ('') x 4);
is(counted($name), 2, 'one refresh reached the origin');
my @stale = grep { $_->{body} eq "count $name 1\n" } @res;
is(scalar @stale, 3, 'the other three got the stale entry');
is(scalar(grep { warning($_) =~ /^110 / } @stale), 3, 'with Warning 110');
is(scalar(grep { $_->{body} eq "count $name 2\n" } @res), 1,
   'the refreshing request got the new answer');

($r) = burst($path, "Cache-Control: only-if-cached\r\n");
is($r->{body}, "count $name 2\n", 'afterwards: the refreshed entry is stored');
is(counted($name), 2, 'and the origin saw no more requests');
