# Licensed under the Apache License, Version 2.0.
#
# TLS to origins with Relay's mod_proxy_ssl (t/conf/proxy_ssl.conf.in),
# against the https test origins that scripts/relay-test starts with
# certificates of a test CA made for the run:
#  - verified by default: the configured CA is trusted; with no CA the
#    system's trust store is used, so the test CA is refused (RL03010,
#    with the hint for configurations written for stock), until
#    SSLProxyVerify none;
#  - SNI and the name check use the URL's host (the client's Host with
#    ProxyPreserveHost); wrong names, wildcards over two labels and
#    expired certificates give 502; IP origins are checked against IP SANs;
#  - ALPN http/1.1; TLS connections are pooled per name, and a new
#    connection resumes the session of an earlier one (never across names);
#  - a TLS failure gives 502 with one log line naming the worker, the
#    origin and OpenSSL's reason, and leaves the worker usable;
#  - client certificates (file, directory, wrong CA), and wss:// tunnels.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Relay::Test;

plan tests => 52;

sub port_of {
    my ($vhost) = @_;
    Apache::TestRequest::module($vhost);
    return (Apache::TestRequest::hostport() =~ /:(\d+)\z/)[0];
}

my %port;
for my $vhost (qw(proxy_ssl proxy_ssl_default proxy_ssl_preserve)) {
    $port{$vhost} = port_of($vhost);
}

# GET $path from a virtual host, with a Host of its own when given.
sub get {
    my ($vhost, $path, $host) = @_;
    $host //= "127.0.0.1:$port{$vhost}";
    my $raw = raw_request($port{$vhost},
        "GET $path HTTP/1.1\r\nHost: $host\r\nConnection: close\r\n\r\n", 20);
    return parse_response($raw) // { status => 0, body => $raw,
        headers => [] };
}

# GETs each of @paths in turn on one keep-alive client connection (so one
# child process, whose pools and session cache are its own, serves them).
# Each request is a path, or [Host, path].
sub get_many {
    my ($vhost, @reqs) = @_;
    my $sock = raw_connect($port{$vhost}, 20);
    my @res;
    for my $req (@reqs) {
        my ($host, $path) = ref $req ? @$req
            : ("127.0.0.1:$port{$vhost}", $req);
        print $sock "GET $path HTTP/1.1\r\nHost: $host\r\n\r\n";
        my $buf = '';
        read_until($sock, \$buf, sub {
            my $res = parse_response($_[0]) or return 0;
            my ($len) = header_values($res, 'Content-Length');
            return defined $len && length($res->{body}) >= $len;
        }, 20);
        push @res, parse_response($buf) // { status => 0, headers => [],
            body => $buf };
    }
    close $sock;
    return @res;
}

# A "name: value" line of the origin's /echo text.
sub field {
    my ($res, $name) = @_;
    return $res->{body} =~ /^\Q$name\E: (.*)$/m ? $1 : undef;
}

sub conn_id { return (header_values($_[0], 'X-Origin-Conn'))[0] // '' }

# The one Relay error line a failed request logged, if exactly one.
sub tls_error {
    my ($mark) = @_;
    error_log_wait($mark, qr/RL030[12]0:/, 5);
    my @lines = grep { /\[(?:[\w.]+:)?error\]/ } error_log_since($mark);
    return @lines == 1 ? $lines[0] : join("\n", 'lines: ' . @lines, @lines);
}

my $tls_port = $ENV{RELAY_TLS_PORT};

# ------------------------------------------------- verified, SNI, ALPN
{
    my $mark = error_log_mark();
    my $res = get('proxy_ssl', '/good/echo');
    is($res->{status}, 200, 'good certificate from the configured CA: 200');
    is(field($res, 'tls-sni'), 'localhost', 'SNI is the URL host');
    is(field($res, 'tls-alpn'), 'http/1.1', 'ALPN http/1.1 was negotiated');
    is(field($res, 'target'), '/echo', 'request went through TLS as usual');
    is_deeply([error_log_errors($mark)], [], 'no error logged');
}

# ------------------------------------------------- failures → 502
# A TLSv1.3 origin refuses a client certificate after the handshake:
# then the line is RL03020, from the first read.
sub refused {
    my ($what, $vhost, $path, $reason, %o) = @_;
    my $mark = error_log_mark();
    my $res = get($vhost, $path, $o{host});
    is($res->{status}, 502, "$what: 502");
    my $line = tls_error($mark);
    my $re = $o{after_handshake}
        ? qr/RL03020: worker https:\/\/\S+: TLS error from 127\.0\.0\.1:\d+: $reason/
        : qr/RL03010: worker https:\/\/\S+: TLS handshake with 127\.0\.0\.1:\d+ \(name '[^']+'\) failed: $reason/;
    like($line, $re, "$what: one line naming worker, origin and reason");
    return $line;
}

refused('wrong name', 'proxy_ssl', '/wrong/echo',
    qr/certificate verify failed: hostname mismatch/);
refused('expired', 'proxy_ssl', '/expired/echo',
    qr/certificate verify failed: certificate has expired/);
refused('IP origin without IP SAN', 'proxy_ssl', '/ip-nosan/echo',
    qr/certificate verify failed: IP address mismatch/);
refused('plain HTTP origin', 'proxy_ssl', '/plain/echo', qr/.+/);
{
    my $res = get('proxy_ssl', '/ip-san/echo');
    is($res->{status}, 200, 'IP origin with a matching IP SAN: 200');
    is(field($res, 'tls-sni'), '-', 'no SNI for an IP address origin');
}

# A TLS failure leaves the worker usable (no error state as for a refused
# connection): the same worker serves the next request at once.
{
    my $mark = error_log_mark();
    my $bad = get('proxy_ssl_preserve', '/echo', 'a.b.wild.relay.test');
    is($bad->{status}, 502,
        'wildcard does not match two labels (ProxyPreserveHost name): 502');
    like(tls_error($mark), qr/\(name 'a\.b\.wild\.relay\.test'\) failed: certificate verify failed: hostname mismatch/,
        'the name checked is the client Host');
    my $good = get('proxy_ssl_preserve', '/echo', 'a.wild.relay.test');
    is($good->{status}, 200, 'same worker right after: 200 (not in error state)');
    is(field($good, 'tls-sni'), 'a.wild.relay.test',
        'ProxyPreserveHost: SNI is the client Host');
}

# ----------------------------------------- default trust: system store
{
    my $line = refused('test CA unknown to the system store',
        'proxy_ssl_default', '/strict/echo',
        qr/certificate verify failed: unable to get local issuer certificate/);
    like($line, qr/SSLProxyVerify is not set, and Relay verifies origin certificates by default/,
        'the line tells an old configuration what changed');
    my $res = get('proxy_ssl_default', '/none/echo');
    is($res->{status}, 200, 'SSLProxyVerify none: the unknown CA is accepted');
}

# -------------------------------------------- pooling and resumption
{
    my @res = get_many('proxy_ssl', ('/good/echo') x 3);
    is(scalar(grep { $_->{status} == 200 } @res), 3, 'pooled: three 200s');
    is(scalar(grep { conn_id($_) eq conn_id($res[0]) } @res), 3,
        'pooled: one TLS connection carried all three');
    my @seq = map { (header_values($_, 'X-Origin-Seq'))[0] } @res;
    is($seq[2] - $seq[0], 2, 'pooled: one request after the other on it');

    # disablereuse: a new connection each time; the first is a full
    # handshake (sessions are per worker), the others resume its session.
    my @fresh = get_many('proxy_ssl', ('/fresh/x') x 4);
    is(scalar(grep { $_->{status} == 200 } @fresh), 4, 'fresh connections: 200s');
    my %conns = map { conn_id($_) => 1 } @fresh;
    is(scalar(keys %conns), 4, 'fresh connections: four TLS connections');
    is(join(' ', map { field($_, 'tls-session-reused') } @fresh),
        'no yes yes yes',
        'fresh connections: a full handshake, then resumed sessions');
}

# Per name: a pooled connection or a session made for one name is never
# used for another.
{
    my ($a1, $b1, $a2) = get_many('proxy_ssl_preserve',
        ['origin.relay.test', '/echo'], ['localhost', '/echo'],
        ['origin.relay.test', '/echo']);
    ok($a1->{status} == 200 && $b1->{status} == 200 && $a2->{status} == 200,
        'two names through one worker: 200s');
    isnt(conn_id($b1), conn_id($a1), 'another name: not the pooled connection');
    is(field($b1, 'tls-sni'), 'localhost', 'another name: its own SNI');
    is(field($b1, 'tls-session-reused'), 'no',
        'another name: no session of the first name offered');
    is(conn_id($a2), conn_id($a1), 'first name again: its pooled connection');
}

# ------------------------------------------------ client certificates
{
    refused('origin wants a client certificate, none configured',
        'proxy_ssl', '/mtls-none/echo', qr/.*alert certificate required/,
        after_handshake => 1);
    my $res = get('proxy_ssl', '/mtls/x');
    is($res->{status}, 200, 'SSLProxyMachineCertificateFile: 200');
    like(field($res, 'tls-client') // '', qr/CN\s*=\s*client\.relay\.test/,
        'the origin saw the client certificate');
    $res = get('proxy_ssl', '/mtls-path/x');
    is($res->{status}, 200, 'SSLProxyMachineCertificatePath: 200');
    like(field($res, 'tls-client') // '', qr/client\.relay\.test/,
        'the origin saw the certificate from the directory');
    refused('client certificate from another CA (none sent)', 'proxy_ssl',
        '/mtls-other/x', qr/.*alert certificate required/,
        after_handshake => 1);
}

# ------------------------------------------------------------ wss://
# Through the Upgrade tunnel over TLS, and (for comparison, and as the
# regression test of a tunnel that closed at once) over plain ws://.
for my $case (['wss://', '/ws'], ['ws://', '/plainws']) {
    my ($what, $path) = @$case;
    my $sock = raw_connect($port{proxy_ssl});
    print $sock "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        . "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
        . "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    my $buf = '';
    read_until($sock, \$buf, qr/\r\n\r\n/, 10);
    my $head = substr($buf, 0, index($buf, "\r\n\r\n") + 4, '');
    like($head, qr{^HTTP/1\.1 101 }, "$what: 101");
    like($head, qr/Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i,
        "$what: the origin answered the handshake");
    print $sock ws_frame(1, 'hello through the tunnel');
    my ($fin, $op, $payload) = ws_read_frame($sock, \$buf, 10);
    is($payload, 'hello through the tunnel', "$what: text echoed");
    my $big = 'x' x 70000;
    print $sock ws_frame(2, $big);
    ($fin, $op, $payload) = ws_read_frame($sock, \$buf, 10);
    ok(defined $payload && $payload eq $big,
        "$what: a 70000-byte frame (several TLS records) echoed");
    print $sock ws_frame(8, pack('n', 1000));
    ($fin, $op) = ws_read_frame($sock, \$buf, 10);
    is($op, 8, "$what: close answered");
    close $sock;
}
