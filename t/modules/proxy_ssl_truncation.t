# Licensed under the Apache License, Version 2.0.
#
# A TLS stream that ends without close_notify is a truncation, never the
# end of a response (t/conf/proxy_ssl_truncation.conf.in, the https test
# origin's /cut endpoint):
#  - a body delimited by the close: ended with close_notify it is whole
#    (the client's chunked response ends with its last chunk); ended
#    without, the client's response is cut off (no last chunk, the
#    connection closes) with one RL02024 line;
#  - under a mem and a disk cache the truncated response is not stored
#    (the next request reaches the origin again, as its counter shows),
#    while the one ended with close_notify is, and is then a hit;
#  - with Content-Length or chunked framing the body was short anyway: the
#    client's response is cut off with one RL02021 line naming the missing
#    close_notify; inside the head it is a 502 (RL02010), and before any
#    byte of it too (RL02012).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Relay::Test qw(raw_connect read_until parse_response
    header_values dechunk error_log_mark error_log_tags error_log_wait
    error_log_errors);
use Relay::DiskCache qw(cache_root);

plan tests => 32;

sub port_of {
    my ($vhost) = @_;
    Apache::TestRequest::module($vhost);
    return (Apache::TestRequest::hostport() =~ /:(\d+)\z/)[0];
}

my %port = map { $_ => port_of($_) }
    qw(proxy_ssl_truncation proxy_ssl_truncation_mem proxy_ssl_truncation_disk);
cache_root('tls-truncation');

my $run = "$$-" . time;
my $start = error_log_mark();

# Whether $raw holds a whole response, by its framing towards the client.
sub complete {
    my ($raw) = @_;
    my $res = parse_response($raw) or return 0;
    my ($len) = header_values($res, 'Content-Length');
    return length($res->{body}) >= $len if defined $len;
    return scalar(my @d = dechunk($res->{body}))
        if grep { /chunked/i } header_values($res, 'Transfer-Encoding');
    return 0;
}

# GETs $path from $vhost on a keep-alive HTTP/1.1 connection (so that
# httpd frames a body of unknown length by chunks). Returns the response,
# with {whole} true when it arrived complete, and {end} telling how the
# read ended ('match' for a whole response, 'eof' when httpd closed).
sub fetch {
    my ($vhost, $path) = @_;
    my $sock = raw_connect($port{$vhost}, 15);
    Relay::Test::write_all($sock, "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    my $buf = '';
    my $end = read_until($sock, \$buf, \&complete, 15);
    close $sock;
    my $res = parse_response($buf) // { status => 0, headers => [],
        body => $buf };
    $res->{end} = $end;
    $res->{whole} = complete($buf);
    my @d = dechunk($res->{body});
    $res->{data} = @d ? $d[0] : $res->{body};
    return $res;
}

sub counted {
    my ($name) = @_;
    my $res = fetch('proxy_ssl_truncation', "/counted/$name");
    return $res->{body} =~ /^(\d+)$/ ? $1 : -1;
}

# -------------------------------------------------- close-delimited bodies

my $mark = error_log_mark();
my $res = fetch('proxy_ssl_truncation', "/cut/plain-clean-$run?framing=close");
is($res->{status}, 200, 'close-delimited, close_notify: 200');
ok($res->{whole} && $res->{end} eq 'match', 'and a whole chunked response');
is($res->{data}, "cut plain-clean-$run 1\n", 'with the whole body');

$res = fetch('proxy_ssl_truncation',
    "/cut/plain-abrupt-$run?framing=close&end=abrupt");
is($res->{status}, 200, 'close-delimited, no close_notify: the head went');
ok(!$res->{whole} && $res->{end} eq 'eof',
    'but the response is cut off: no last chunk, the connection closed');
like($res->{body}, qr/cut plain-abrupt-\Q$run\E 1\n/,
    'after the bytes that did come');
ok(error_log_wait($mark, qr/RL02024:.*close_notify/, 5),
    'the truncation is logged (RL02024)');

# ---------------------------------------------------------------- caches

for my $store (qw(mem disk)) {
    my $vhost = "proxy_ssl_truncation_$store";
    my $cc = 'cc=public%2C%20max-age%3D300';
    my $name = "$store-abrupt-$run";
    my $first = fetch($vhost, "/cut/$name?framing=close&end=abrupt&$cc");
    ok(!$first->{whole}, "$store: truncated response cut off for the client");
    my $second = fetch($vhost, "/cut/$name?framing=close&end=abrupt&$cc");
    like($second->{body}, qr/cut \Q$name\E 2\n/,
        "$store: the next request reaches the origin again");
    is(counted($name), 2, "$store: the origin counted two requests");

    $name = "$store-clean-$run";
    $first = fetch($vhost, "/cut/$name?framing=close&$cc");
    ok($first->{whole}, "$store: with close_notify the response is whole");
    $second = fetch($vhost, "/cut/$name?framing=close&$cc");
    is($second->{data}, "cut $name 1\n", "$store: and then served ...");
    like((header_values($second, 'X-Cache'))[0] // '', qr/^HIT/,
        "$store: ... from the cache");
    is(counted($name), 1, "$store: the origin counted one request");
}

# ----------------------------------------- length, chunked, inside the head

$mark = error_log_mark();
$res = fetch('proxy_ssl_truncation',
    "/cut/length-$run?framing=length&end=abrupt");
is($res->{status}, 200, 'Content-Length, no close_notify: the head went');
ok(!$res->{whole} && $res->{end} eq 'eof', 'and the response is cut off');
ok(error_log_wait($mark, qr/RL02021:.*close_notify/, 5),
    'logged as RL02021, naming the missing close_notify');

$mark = error_log_mark();
$res = fetch('proxy_ssl_truncation',
    "/cut/chunked-$run?framing=chunked&end=abrupt");
is($res->{status}, 200, 'chunked, no close_notify: the head went');
ok(!$res->{whole} && $res->{end} eq 'eof', 'and the response is cut off');
ok(error_log_wait($mark, qr/RL02021:.*close_notify/, 5),
    'logged as RL02021, naming the missing close_notify');

$mark = error_log_mark();
$res = fetch('proxy_ssl_truncation', "/cut/head-$run?framing=head&end=abrupt");
is($res->{status}, 502, 'inside the head, no close_notify: 502');
ok(error_log_wait($mark, qr/RL02010:/, 5), 'logged as RL02010');

$mark = error_log_mark();
$res = fetch('proxy_ssl_truncation', "/cut/none-$run?framing=none&end=abrupt");
is($res->{status}, 502, 'not a byte, no close_notify: 502');
ok(error_log_wait($mark, qr/RL02012:.*without TLS close_notify/, 5),
    'logged as RL02012, naming the missing close_notify');

is_deeply([error_log_errors($start, qw(RL02024 RL02021 RL02010 RL02012))], [],
    'no other errors');
