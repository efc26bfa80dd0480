# Licensed under the Apache License, Version 2.0.
#
# The seed configuration's SSL virtual host end to end
# (t/conf/proxy_ssl_seed.conf.in): a client speaks TLS to stock mod_ssl
# (SSLEngine on), Relay forwards over TLS to the https origin with the
# client's Host (ProxyPreserveHost On) as SNI and certificate name, and
# ProxyPassReverse maps the origin's redirects back.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use IO::Socket::SSL ();
use Relay::Test;

plan tests => 8;

Apache::TestRequest::module('relay_seed_ssl');
my ($port) = Apache::TestRequest::hostport() =~ /:(\d+)\z/;
my $tls_port = $ENV{RELAY_TLS_PORT};

sub tls_get {
    my ($path) = @_;
    my $sock = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $port,
        SSL_hostname => 'origin.relay.test', SSL_ca_file => $ENV{RELAY_TLS_CA},
        SSL_verifycn_name => 'origin.relay.test', SSL_verifycn_scheme => 'http',
        Timeout => 10) or return { status => 0, body => IO::Socket::SSL::errstr(),
        headers => [] };
    print $sock "GET $path HTTP/1.1\r\nHost: origin.relay.test\r\n"
        . "Connection: close\r\n\r\n";
    my $raw = '';
    read_until($sock, \$raw, undef, 15);
    close $sock;
    return parse_response($raw) // { status => 0, body => $raw, headers => [] };
}

my $mark = error_log_mark();
my $res = tls_get('/echo');
is($res->{status}, 200, 'TLS to mod_ssl, TLS to the origin: 200');
like($res->{body}, qr/^header: Host: origin\.relay\.test$/m,
    'ProxyPreserveHost: the origin got the client Host');
like($res->{body}, qr/^tls-sni: origin\.relay\.test$/m,
    'the client Host is the SNI to the origin');
like($res->{body}, qr/^header: X-Forwarded-For: 127\.0\.0\.1$/m,
    'X-Forwarded-For added');
like($res->{body}, qr/^header: X-Forwarded-Host: origin\.relay\.test$/m,
    'X-Forwarded-Host added');

$res = tls_get("/redirect?to=https://localhost:$tls_port/elsewhere");
is($res->{status}, 302, 'redirect from the origin passed on');
is((header_values($res, 'Location'))[0], 'https://origin.relay.test/elsewhere',
    'ProxyPassReverse maps the https origin URL back');
is_deeply([error_log_errors($mark)], [], 'no error logged');
