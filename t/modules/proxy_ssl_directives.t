# Licensed under the Apache License, Version 2.0.
#
# Every SSLProxy* directive, each in a <Proxy> section of its own
# (t/conf/proxy_ssl_directives.conf.in), against the https test origins:
# the outcome (200, or 502 with the RL03010 reason) and what the origin
# saw (TLS version, cipher). Covers SSLProxyCheckPeerName/CN (with the
# 2.4.21 rules: either off turns name checks off, CN on with Name off
# compares the CN), SSLProxyCheckPeerExpire, SSLProxyVerifyDepth with an
# intermediate CA, SSLProxyCACertificateFile/Path, SSLProxyVerify
# require/optional/optional_no_ca, SSLProxyCARevocationFile/Path/Check,
# SSLProxyProtocol, SSLProxyCipherSuite (both forms), and SSLProxyEngine
# off for a server but on in a <Proxy> section.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Relay::Test;

# [path, status, RL03010 reason or undef, {echo field => value}]
my @cases = (
    ['name-off', 200],
    ['cn-off', 200],
    ['cn-only', 502, qr/CN 'good\.relay\.test' does not match 'localhost'/],
    ['expire-off', 200],
    ['expire-on', 502, qr/certificate has expired/],
    ['chain', 200],
    ['depth1', 502, qr/certificate chain too long \(depth 2/],
    ['depth2', 200],
    ['capath', 200],
    ['other-ca', 502, qr/unable to get local issuer certificate/],
    ['require', 502, qr/unable to get local issuer certificate \(depth 0, subject [^)]*\)$/],
    ['optional', 502, qr/unable to get local issuer certificate/],
    ['no-ca', 200],
    ['no-ca-wrong', 502, qr/hostname mismatch/],
    ['revoked', 502, qr/certificate revoked/],
    ['revoked-path', 502, qr/certificate revoked/],
    ['revoked-nocheck', 200],
    ['crl-good', 200],
    ['crl-missing', 502, qr/unable to get certificate CRL/],
    ['crl-missing-ok', 200],
    ['revoked-crl-ok', 502, qr/certificate revoked/],
    ['verify-on', 502, qr/unable to get local issuer certificate/],
    ['verify-off', 200],
    ['tls12', 200, undef, {'tls-version' => 'TLSv1_2'}],
    ['tls13', 200, undef, {'tls-version' => 'TLSv1_3'}],
    ['cipher12', 200, undef,
        {'tls-cipher' => 'ECDHE-ECDSA-CHACHA20-POLY1305'}],
    ['cipher13', 200, undef, {'tls-cipher' => 'TLS_CHACHA20_POLY1305_SHA256'}],
    ['cipher-none', 502, qr/.+/],
);
my $fields = 0;
$fields += keys %{ $_->[3] // {} } for @cases;

plan tests => 2 * @cases + $fields + 4;

Apache::TestRequest::module('proxy_ssl_directives');
my ($port) = Apache::TestRequest::hostport() =~ /:(\d+)\z/;

sub get {
    my ($port, $path, $host) = @_;
    my $raw = raw_request($port, "GET $path HTTP/1.1\r\nHost: "
        . ($host // "127.0.0.1:$port") . "\r\nConnection: close\r\n\r\n", 20);
    return parse_response($raw) // { status => 0, body => $raw // '',
        headers => [] };
}

sub field {
    my ($res, $name) = @_;
    return $res->{body} =~ /^\Q$name\E: (.*)$/m ? $1 : undef;
}

for my $case (@cases) {
    my ($name, $status, $reason, $expect) = @$case;
    my $mark = error_log_mark();
    my $res = get($port, "/$name/x");
    is($res->{status}, $status, "$name: $status");
    if ($reason) {
        my $line = error_log_wait($mark, qr/RL03010:/, 5) // '';
        like($line, qr/RL03010: worker https:\/\/localhost:\d+\/echo\/\Q$name\E\/: TLS handshake with 127\.0\.0\.1:\d+ \(name 'localhost'\) failed: .*$reason/,
            "$name: RL03010 with the reason");
    }
    else {
        is_deeply([error_log_errors($mark)], [], "$name: no error logged");
    }
    for my $f (sort keys %{ $expect // {} }) {
        is(field($res, $f), $expect->{$f}, "$name: origin saw $f $expect->{$f}");
    }
}

# The legacy CN comparison passes when the name is the certificate's CN.
{
    my $res = get($port, '/cn-only-host/x', 'good.relay.test');
    is($res->{status}, 200, 'CN only: the CN as the name (client Host): 200');
    is(field($res, 'tls-sni'), 'good.relay.test', 'CN only: that name as SNI');
}

# SSLProxyEngine: off for the server, on in the URL's <Proxy> section.
{
    Apache::TestRequest::module('proxy_ssl_section');
    my ($sport) = Apache::TestRequest::hostport() =~ /:(\d+)\z/;
    my $res = get($sport, '/on/x');
    is($res->{status}, 200, 'SSLProxyEngine On in <Proxy>: 200');
    is(field($res, 'target'), '/echo/on/x', 'SSLProxyEngine On in <Proxy>: proxied');
}
