# Licensed under the Apache License, Version 2.0.
#
# The seed configuration end to end (t/conf/seed.conf.in): the tutorial's
# gateway for www.host.com in front of the test origin.
#  - ProxyRequests Off with the <Proxy *> access block: 127.0.0.1 may use
#    the gateway; the block as printed (Deny from all, no Allow) refuses
#    every proxied request before the origin is contacted; an absolute-URI
#    request is not forward-proxied;
#  - ProxyPreserveHost On: the origin sees the client's Host;
#  - X-Forwarded-For, -Host and -Server added, appended comma-separated to
#    values the request already had;
#  - ProxyPassReverse: Location and Content-Location pointing at the
#    origin come back pointing at the gateway;
#  - ErrorDocument 503 with the error page excluded from ProxyPass: the
#    custom page when the origin is down.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;
use Relay::Client;

plan tests => 32;

# The values of one request field as the origin's /echo listed them.
sub seen {
    my ($res, $name) = @_;
    return map { /^header: \Q$name\E: (.*)$/i ? $1 : () }
        split /\n/, $res->{body} // '';
}

sub hv { (header_values($_[0], $_[1]))[0] // '' }

# Connections the origin has accepted so far (asked directly).
sub origin_connections {
    my $res = parse_response(scalar raw_request(origin_port(),
        "GET /stats HTTP/1.1\r\nHost: o\r\nConnection: close\r\n\r\n"));
    return $res && $res->{body} =~ /^connections: (\d+)$/m ? $1 : -1;
}

my $mark = error_log_mark();
my $port = vhost_port('seed');
my $host = "www.host.com:$port";
my $oport = origin_port();

# Forwarding fields and Host, on a request that has none of its own ...
{
    my $c = Relay::Client->new($port);
    my $res = $c->get('/echo', Host => $host);
    is($res && $res->{status}, 200, 'seed: /echo proxied, 200');
    like($res->{body}, qr/^target: \/echo$/m, 'seed: origin got /echo');
    is_deeply([seen($res, 'Host')], [$host],
        'ProxyPreserveHost On: the client\'s Host reaches the origin');
    is_deeply([seen($res, 'X-Forwarded-For')], ['127.0.0.1'],
        'X-Forwarded-For: the client address');
    is_deeply([seen($res, 'X-Forwarded-Host')], [$host],
        'X-Forwarded-Host: the Host the client asked for');
    is_deeply([seen($res, 'X-Forwarded-Server')], ['www.host.com'],
        'X-Forwarded-Server: the ServerName');

    # ... and on one that passed through other proxies already.
    $res = $c->get('/echo', Host => $host,
        'X-Forwarded-For' => '10.1.2.3',
        'X-Forwarded-Host' => 'front.example',
        'X-Forwarded-Server' => 'edge.example');
    is($res && $res->{status}, 200, 'seed: with forwarding fields, 200');
    is_deeply([seen($res, 'X-Forwarded-For')], ['10.1.2.3, 127.0.0.1'],
        'X-Forwarded-For appended comma-separated');
    is_deeply([seen($res, 'X-Forwarded-Host')], ["front.example, $host"],
        'X-Forwarded-Host appended comma-separated');
    is_deeply([seen($res, 'X-Forwarded-Server')],
        ['edge.example, www.host.com'],
        'X-Forwarded-Server appended comma-separated');
    ok(!$c->closed, 'seed: the client connection stays open');
    $c->disconnect;
}

# ProxyPassReverse: the origin's own URLs become the gateway's.
{
    my $c = Relay::Client->new($port);
    my $to = "http://127.0.0.1:$oport/landing?a=1";
    (my $enc = $to) =~ s/([^A-Za-z0-9._~-])/sprintf '%%%02X', ord $1/ge;
    my $res = $c->get("/redirect?to=$enc", Host => $host);
    is($res && $res->{status}, 302, 'redirect: status passed on');
    is(hv($res, 'Location'), "http://$host/landing?a=1",
        'redirect: Location rewritten to the gateway');
    $res = $c->get("/redirect?code=301&to=$enc", Host => $host);
    is(hv($res, 'Location'), "http://$host/landing?a=1",
        'redirect: 301 Location rewritten too');
    $res = $c->get('/redirect?to=http%3A%2F%2Fother.example%2Fx',
                   Host => $host);
    is(hv($res, 'Location'), 'http://other.example/x',
        'redirect: a foreign Location is left alone');
    $res = $c->get("/headers?Content-Location=http%3A%2F%2F127.0.0.1%3A$oport"
                   . '%2Fdoc.html', Host => $host);
    is(hv($res, 'Content-Location'), "http://$host/doc.html",
        'Content-Location rewritten to the gateway');
    $c->disconnect;
}

# The error page is the gateway's own: not sent to the origin.
{
    my $c = Relay::Client->new($port);
    my $res = $c->get('/error-documents/503.html', Host => $host);
    is($res && $res->{status}, 200, 'error page: served by the gateway');
    like($res->{body}, qr/relay-seed-503/, 'error page: the gateway\'s file');
    is(hv($res, 'X-Origin-Conn'), '', 'error page: the origin was not asked');
    $c->disconnect;
}

# An absolute-URI request with ProxyRequests Off is served by the
# ProxyPass mapping, never forwarded to the host it names.
{
    my $c = Relay::Client->new($port);
    my $res = $c->send_raw("GET http://other.example/echo HTTP/1.1\r\n"
                           . "Host: other.example\r\n\r\n");
    is($res && $res->{status}, 200, 'ProxyRequests Off: absolute URI, 200');
    like($res->{body}, qr/^target: \/echo$/m,
        'ProxyRequests Off: mapped by ProxyPass to the origin\'s /echo');
    $c->disconnect;
}

# The origin down: the custom 503 page.
{
    my $dport = vhost_port('seed_down');
    my $c = Relay::Client->new($dport);
    my $res = $c->get('/', Host => "www.host.com:$dport");
    is($res && $res->{status}, 503, 'origin down: 503');
    like($res->{body}, qr/relay-seed-503/,
        'origin down: the ErrorDocument page');
    like(hv($res, 'Content-Type'), qr{^text/html}, 'origin down: as HTML');
    ok(error_log_wait($mark, qr/RL01014: worker http:\/\/127\.0\.0\.1:/, 2),
        'origin down: the failed connect is logged');
    $c->disconnect;

    $c = Relay::Client->new($dport);
    $res = $c->get('/any/path?x=1', Host => "www.host.com:$dport");
    is($res && $res->{status}, 503, 'origin down: any path 503');
    like($res->{body}, qr/relay-seed-503/, 'origin down: the same page');
    $c->disconnect;
}

# The <Proxy *> block as printed refuses everyone; the origin never hears
# of the request.
{
    my $nport = vhost_port('seed_denied');
    my $before = origin_connections();
    my $c = Relay::Client->new($nport);
    my $res = $c->get('/echo', Host => "www.host.com:$nport");
    is($res && $res->{status}, 403, 'Deny from all, no Allow: 403');
    is(hv($res, 'X-Origin-Conn'), '', 'Deny from all: not the origin\'s answer');
    is(origin_connections(), $before + 1,
        'Deny from all: the origin accepted no connection for it');
    ok(error_log_wait($mark, qr/AH01797:.*proxy:http:\/\/127\.0\.0\.1/, 2),
        'Deny from all: httpd logs the refusal for the proxied URL');
    $c->disconnect;
}

is_deeply([grep { !/AH01797:/ } error_log_errors($mark, 'RL01014', 'RL01002')],
    [], 'no error-level lines but the expected ones');
