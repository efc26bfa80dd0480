# Licensed under the Apache License, Version 2.0.
#
# A 304 lands only on the entry it revalidated (t/conf/mod_cache_race.conf.in,
# one virtual host per store: mem, disk, socache on shmcb). Request A
# revalidates the stored version 1 of /version/NAME; the origin holds its
# 304 (X-Hold) until the test opens the gate. Meanwhile request B gets a
# new entity, version 2, of the same length, which replaces the entry.
# When the 304 comes, A is answered from the version 1 it revalidated
# with the refreshed head, and the stored version 2 is left as it is: a
# hit afterwards has version 2's body with version 2's head, never
# version 2's body under version 1's ETag (RFC 9111 §4.3.4: a 304 updates
# only stored responses with its validator). A 304 without a race still
# refreshes the stored head. No sleep decides anything: the test waits
# for the origin to say it holds the 304.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Time::HiRes ();

use lib 't/lib';
use Relay::Test qw(vhost_port raw_connect raw_request read_until burst
                   origin_port origin_count parse_response header_values
                   error_log_mark error_log_errors);
use Relay::DiskCache qw(cache_root);

my @stores = (
    [mem     => 'cache_race_mem'],
    [disk    => 'cache_race_disk'],
    [socache => 'cache_race_socache'],
);

plan tests => 13 * @stores + 1;

my $run = "$$-" . time;
my $mark = error_log_mark();
cache_root('race');

sub hdr { return (header_values($_[0], $_[1]))[0] // '' }

sub origin_id {
    my ($res) = @_;
    return join '/', map { hdr($res, $_) } qw(X-Origin-Conn X-Origin-Seq);
}

# Waits until the origin has counted $name at least once (10 s at most).
sub wait_count {
    my ($name) = @_;
    my $deadline = Time::HiRes::time() + 10;
    while (origin_count($name) < 1 && Time::HiRes::time() < $deadline) {
        Time::HiRes::sleep(0.02);
    }
    return origin_count($name) >= 1;
}

sub race {
    my ($store, $vhost) = @_;
    my $port = vhost_port($vhost);
    my $name = "race-$store-$run";
    my $gate = "gate-$store-$run";
    my $path = "/version/$name";
    my $v1 = "version $name 1\n";
    my $v2 = "version $name 2\n";

    my ($first) = burst($port, $path, '');
    is($first->{body}, $v1, "$store: version 1 stored");

    # A: a forced revalidation of version 1, its 304 held at the origin.
    my $a = raw_connect($port, 20);
    syswrite($a, "GET $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n"
                 . "Cache-Control: max-age=0\r\nX-Hold: $gate\r\n"
                 . "Connection: close\r\n\r\n");
    ok(wait_count("$gate.held"), "$store: the origin holds A's 304");

    # B: version 2 replaces the entry while A waits.
    my ($b) = burst($port, $path,
                    "Cache-Control: max-age=0\r\nX-Version-Bump: 1\r\n");
    is($b->{body}, $v2, "$store: B got version 2");
    my ($hit) = burst($port, $path, '');
    is(hdr($hit, 'X-Cache') =~ /^HIT/ && $hit->{body} eq $v2 ? 1 : 0, 1,
       "$store: version 2 is the stored entry");

    # The 304 goes out to A.
    raw_request(origin_port(), "GET /count/$gate HTTP/1.1\r\nHost: o\r\n"
                               . "Connection: close\r\n\r\n");
    my $buf = '';
    read_until($a, \$buf, undef, 20);
    close $a;
    my $ra = parse_response($buf) // { status => 0, body => '',
                                       headers => [] };
    is($ra->{status}, 200, "$store: A answered 200");
    like(hdr($ra, 'X-Cache'), qr/^REVALIDATE/, "$store: A revalidated");
    is($ra->{body}, $v1, "$store: A got the version it revalidated");
    is(hdr($ra, 'ETag'), qq("$name-1"), "$store: with that version's ETag");

    # The stored entry is still version 2, head and body.
    my ($after) = burst($port, $path, '');
    like(hdr($after, 'X-Cache'), qr/^HIT/, "$store: then a hit");
    is($after->{body}, $v2, "$store: of version 2's body");
    is(hdr($after, 'ETag') . ' ' . hdr($after, 'X-Version'),
       qq("$name-2" 2), "$store: under version 2's head");

    # Without a race, a 304 still refreshes the entry it answers.
    my ($e) = burst($port, $path, "Cache-Control: max-age=0\r\n");
    like(hdr($e, 'X-Cache'), qr/^REVALIDATE/, "$store: a later revalidation");
    my ($f) = burst($port, $path, '');
    is(origin_id($f) . ' ' . $f->{body}, origin_id($e) . " $v2",
       "$store: refreshed the stored head (the 304's origin fields)");
}

race(@$_) for @stores;

is_deeply([error_log_errors($mark)], [], 'no error in the log');
