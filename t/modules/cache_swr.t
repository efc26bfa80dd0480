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
                   header_values origin_port vhost_port burst
                   origin_count);

plan tests => 8;

my $run = "$$-" . time;
my $port = vhost_port('cache_status');

sub warning { (header_values($_[0], 'Warning'))[0] // '' }

my $name = "swr-$run";
my $path = "/count/$name?ms=800&cc=max-age%3D1%2C%20stale-while-revalidate%3D30";
burst($port, $path, '');

# Wait until the entry is stale (only-if-cached: never forwarded).
my $r;
my $deadline = Time::HiRes::time() + 10;
do {
    Time::HiRes::sleep(0.2);
    ($r) = burst($port, $path, "Cache-Control: only-if-cached\r\n");
} while (warning($r) eq '' && Time::HiRes::time() < $deadline);
like(warning($r), qr/^110 /, 'only-if-cached in the window: stale, Warning 110');
is(origin_count($name), 1, 'only-if-cached did not reach the origin');

my @res = burst($port, $path, ('') x 4);
is(origin_count($name), 2, 'one refresh reached the origin');
my @stale = grep { $_->{body} eq "count $name 1\n" } @res;
is(scalar @stale, 3, 'the other three got the stale entry');
is(scalar(grep { warning($_) =~ /^110 / } @stale), 3, 'with Warning 110');
is(scalar(grep { $_->{body} eq "count $name 2\n" } @res), 1,
   'the refreshing request got the new answer');

($r) = burst($port, $path, "Cache-Control: only-if-cached\r\n");
is($r->{body}, "count $name 2\n", 'afterwards: the refreshed entry is stored');
is(origin_count($name), 2, 'and the origin saw no more requests');
