# Licensed under the Apache License, Version 2.0.
#
# Two gateways, one cache: the test starts its own memcached and
# redis-server on loopback and two separate httpd processes per store
# (t/lib/Relay/Socache.pm), each with Relay's mod_cache_socache pointed at
# the same server. A response cached through one is a hit through the
# other; an unsafe method through one invalidates for both, Vary variants
# included. A body spanning several memcached items is served whole; a
# missing chunk or a chunk of another place makes a miss, never a mix.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Digest::MD5 qw(md5_hex);
use LWP::UserAgent ();

use lib 't/lib';
use Relay::Test qw(origin_port origin_count bytes_md5);
use Relay::Socache;

plan tests => 32;

my $run = "$$-" . time;
my $ua = LWP::UserAgent->new(timeout => 20);
my @servers;
END { stop_server($_) for reverse @servers }

sub get {
    my ($gw, $path, @h) = @_;
    return $ua->get("http://127.0.0.1:$gw->{port}$path", @h);
}

sub xc { return $_[0]->header('X-Cache') // '' }

for my $store (qw(memcache redis)) {
    my $srv = $store eq 'memcache' ? start_memcached() : start_redis();
    push @servers, $srv;
    my %gw = (socache => "$store:127.0.0.1:$srv->{port}",
              origin => origin_port(),
              extra => "CacheSocacheMaxSize 2000000\n"
                  . ($store eq 'redis' ? "RedisTimeout 2\n" : ''));
    my $a = start_gateway(%gw);
    my $b = start_gateway(%gw);
    push @servers, $a, $b;
    isnt($a->{pid}, $b->{pid}, "$store: two gateway processes");

    my $name = "sh-$store-$run";
    my $url = "/count/$name?cc=max-age%3D300";
    like(xc(get($a, $url)), qr/^MISS/, "$store: miss through gateway A");
    my $hit = get($b, $url);
    like(xc($hit), qr/^HIT/, "$store: hit through gateway B");
    is($hit->content, "count $name 1\n", "$store: B serves what A stored");

    my $post = $ua->post("http://127.0.0.1:$b->{port}$url", Content => 'x');
    like(xc($post), qr/^INVALIDATE/, "$store: POST through B invalidates");
    my $again = get($a, $url);
    like(xc($again), qr/^MISS/, "$store: A misses after B's POST");
    is(origin_count($name), 3, "$store: the origin saw A, the POST, A again");

    my $vary = "/headers?Vary=X-Lang&Cache-Control=max-age%3D300&r=$store-$run";
    get($a, $vary, 'X-Lang' => 'en');
    get($a, $vary, 'X-Lang' => 'fr');
    like(xc(get($b, $vary, 'X-Lang' => 'fr')), qr/^HIT/,
         "$store: B hits A's fr variant");
    $ua->request(HTTP::Request->new(DELETE => "http://127.0.0.1:$a->{port}$vary"));
    like(xc(get($b, $vary, 'X-Lang' => 'en')), qr/^MISS/,
         "$store: A's DELETE removed the en variant for B");
    like(xc(get($b, $vary, 'X-Lang' => 'fr')), qr/^MISS/,
         "$store: and the fr variant");

    my $n = 1_200_000;
    my $big = "/bytes?n=$n&cc=max-age%3D300&r=$store-$run";
    get($a, $big);
    my $bh = get($b, $big);
    like(xc($bh), qr/^HIT/, "$store: a body of three items: hit through B");
    is(md5_hex($bh->content), bytes_md5($n), "$store: served whole");

    next unless $store eq 'memcache';

    # Damage the stored chunks in memcached itself: each time, the next
    # request is a miss served whole from the origin, never a broken body.
    my @chunks = grep { /:4[bB]/ } memcached_keys($srv->{port});
    cmp_ok(scalar @chunks, '>=', 3, 'memcache: the body sits in chunk items')
        or diag join ' ', memcached_keys($srv->{port});
    like(memcached_cmd($srv->{port}, "delete $chunks[1]\r\n"), qr/DELETED/,
         'memcache: one chunk deleted');
    my $m1 = get($b, $big);
    like(xc($m1), qr/^MISS/, 'memcache: a missing chunk is a miss');
    is(md5_hex($m1->content), bytes_md5($n), 'memcache: and the body is whole');

    # Stored anew (new stamp); now put a chunk of the old stamp, or another
    # chunk's bytes, in place of one of the new chunks.
    my %old = map { $_ => 1 } @chunks;
    my @fresh = grep { !$old{$_} } grep { /:4[bB]/ } memcached_keys($srv->{port});
    my $c0 = memcached_cmd($srv->{port}, "get $fresh[0]\r\n");
    my ($flags, $data) = $c0 =~ /^VALUE \S+ (\d+) \d+\r\n(.*)\r\nEND\r\n\z/s;
    ok(defined $data, 'memcache: read a chunk of the new write');
    my ($target) = grep { $_ ne $fresh[0] } @fresh;
    like(memcached_cmd($srv->{port},
         "set $target $flags 0 " . length($data) . "\r\n$data\r\n"),
         qr/STORED/, 'memcache: another chunk replaced by it');
    my $m2 = get($a, $big);
    like(xc($m2), qr/^MISS/, 'memcache: a chunk of another place is a miss');
    is(md5_hex($m2->content), bytes_md5($n), 'memcache: and the body is whole');
}
