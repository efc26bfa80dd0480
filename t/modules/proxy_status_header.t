# Licensed under the Apache License, Version 2.0.
#
# ProxyStatusHeader (t/conf/proxy_status_header.conf.in): the Proxy-Status
# field (RFC 9209) on the errors Relay generates, one per cause:
#  - connection refused: 503 with `relay; error=connection_refused`, kept
#    when ErrorDocument replaces the body (RL01014, RL01002);
#  - no response within the worker's timeout: 504 with
#    http_response_timeout, a named proxy and details (RL02011);
#  - a garbage status line, an oversized header block, a close before any
#    byte: 502 with http_protocol_error, http_response_header_section_size,
#    connection_terminated (RL02010, RL02012);
#  - a balancer with no usable member: 503 destination_unavailable, the
#    proxy name (an IP address) as a quoted string (RL05003);
#  - TLS: an origin certificate for another name is tls_certificate_error,
#    an origin that does not speak TLS tls_protocol_error (RL03010);
#  - no field without the directive, under `ProxyStatusHeader Off` in a
#    <Location>, on a 200, and on an origin's own 503 passed through
#    ProxyErrorOverride.
# No error-level log line other than those expected appears.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;

plan tests => 36;

my $mark = error_log_mark();

my %port = map { $_ => vhost_port($_) } qw(proxy_status_dead proxy_status_off
    proxy_status_origin proxy_status_balancer proxy_status_tls);

# GET $path from $vhost on a connection of its own: (status, Proxy-Status
# values, body).
sub get {
    my ($vhost, $path) = @_;
    my $raw = raw_request($port{$vhost}, "GET $path HTTP/1.1\r\n"
        . "Host: front.test\r\nConnection: close\r\n\r\n", 15);
    my $res = parse_response($raw) // { status => 0, headers => [], body => '' };
    return ($res->{status}, [header_values($res, 'Proxy-Status')],
            $res->{body});
}

# Refused, with the ErrorDocument: twice, to see it is not a first-time fluke.
for my $n (1, 2) {
    my ($status, $ps, $body) = get('proxy_status_dead', "/any/$n");
    is($status, 503, "refused #$n: 503");
    is_deeply($ps, ['relay; error=connection_refused'],
              "refused #$n: Proxy-Status connection_refused");
    like($body, qr/error-document-503|503/i,
         "refused #$n: the ErrorDocument is the body");
}

{
    my ($status, $ps) = get('proxy_status_off', '/any');
    is($status, 503, 'without the directive: 503');
    is_deeply($ps, [], 'without the directive: no Proxy-Status');
}

my $details = 'gw1.example.test; error=%s; details="%s"';
{
    my ($status, $ps) = get('proxy_status_origin', '/delay?ms=3000');
    is($status, 504, 'slow origin: 504');
    is_deeply($ps, [sprintf($details, 'http_response_timeout',
                            'the origin did not respond in time')],
              'slow origin: http_response_timeout with details');
}
{
    my ($status, $ps) = get('proxy_status_origin', '/raw/silent');
    is($status, 504, 'silent origin: 504');
    like($ps->[0] // '', qr/^gw1\.example\.test; error=http_response_timeout;/,
         'silent origin: http_response_timeout');
}

my @malformed = (
    ['garbage',    502, 'http_protocol_error',
     "the origin's response was malformed"],
    ['dupcl',      502, 'http_protocol_error',
     "the origin's response was malformed"],
    ['hugeheader', 502, 'http_response_header_section_size',
     "the origin's response header section was too large"],
    ['close',      502, 'connection_terminated',
     'the origin closed the connection before responding'],
);
for my $case (@malformed) {
    my ($name, $code, $type, $text) = @$case;
    my ($status, $ps) = get('proxy_status_origin', "/raw/$name");
    is($status, $code, "/raw/$name: $code");
    is_deeply($ps, [sprintf($details, $type, $text)], "/raw/$name: $type");
}

{
    my ($status, $ps) = get('proxy_status_origin', '/raw/badte');
    is($status, 502, 'ProxyStatusHeader Off in a <Location>: still 502');
    is_deeply($ps, [], 'ProxyStatusHeader Off in a <Location>: no field');
}
{
    my ($status, $ps) = get('proxy_status_origin', '/echo');
    is($status, 200, 'a good response: 200');
    is_deeply($ps, [], 'a good response: no field');
}
{
    my ($status, $ps, $body) = get('proxy_status_origin', '/status/503');
    is($status, 503, "origin's own 503 under ProxyErrorOverride: 503");
    is_deeply($ps, [], "origin's own 503: no field (not Relay's error)");
    like($body, qr/503/, "origin's own 503: the ErrorDocument body");
}

SKIP: {
    skip 'mod_proxy_balancer not built', 2 unless $port{proxy_status_balancer};
    my ($status, $ps) = get('proxy_status_balancer', '/x');
    is($status, 503, 'balancer without a usable member: 503');
    is_deeply($ps, ['"192.0.2.7"; error=destination_unavailable'],
              'balancer: destination_unavailable, IP name as a string');
}

SKIP: {
    skip 'mod_proxy_ssl not built', 6 unless $port{proxy_status_tls};
    for my $n (1, 2) {
        my ($status, $ps) = get('proxy_status_tls', "/wrong/echo/$n");
        is($status, 502, "certificate for another name #$n: 502");
        is_deeply($ps, ['relay; error=tls_certificate_error'],
                  "certificate for another name #$n: tls_certificate_error");
    }
    my ($status, $ps) = get('proxy_status_tls', '/plain/echo');
    is($status, 502, 'origin without TLS: 502');
    is_deeply($ps, ['relay; error=tls_protocol_error'],
              'origin without TLS: tls_protocol_error');
}

my @unexpected = error_log_errors($mark,
    qw(RL01002 RL01014 RL02011 RL02010 RL02012 RL02014 RL05003 RL03010));
is_deeply(\@unexpected, [], 'no unexpected error-level log lines')
    or diag(join "\n", @unexpected);
