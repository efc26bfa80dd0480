# Licensed under the Apache License, Version 2.0.
#
# The read-only balancer status page and mod_status rows
# (t/conf/proxy_balancer_shared.conf.in):
#  - `SetHandler balancer-manager` shows each balancer of the virtual
#    host with its members, state, requests, errors and bytes, as an HTML
#    page or, with ?auto, as "Key: value" lines;
#  - it has no write operations: POST is refused with 405;
#  - with ProxyStatus On, /server-status (and its ?auto form) carries the
#    same rows; with ProxyStatus Off it does not.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use Relay::Test;
use Relay::Balancer;

plan tests => 13;

my $port = vhost_port('balancer_shared');
my $dead = dead_port();

# Traffic so that counters move: 4 requests, one member in error.
my @warm = burst($port, '/shfail/x', ('') x 4);
my $echoed = 0;
$echoed += length($_->{body}) for @warm;

sub get {
    my ($p, $target, $method) = @_;
    $method //= 'GET';
    return parse_response(raw_request($p,
        "$method $target HTTP/1.0\r\nHost: 127.0.0.1\r\n"
        . ($method eq 'POST' ? "Content-Length: 3\r\n\r\nb=x" : "\r\n")));
}

{
    my $res = get($port, '/balancer-manager');
    is($res->{status}, 200, 'status page: 200');
    like($res->{body}, qr{<h2>balancer://shfail</h2>},
        'status page: names the balancer');
    like($res->{body},
        qr{<td>http://127\.0\.0\.1:\d+/echo/sa</td><td></td><td>1\.00</td><td>0</td><td>Ok</td><td>\d+</td>},
        'status page: a row per member with its state and counters');
    like($res->{body},
        qr{<td>http://127\.0\.0\.1:\Q$dead\E/echo/sd</td>.*?<td>Err</td>},
        'status page: the member in error state shows Err');
}

{
    my $auto = balancer_auto($port, '/balancer-manager');
    like(member_field($auto, qr{/echo/sd$}, 'Status') // '', qr/^Err/,
        '?auto: the dead member is in error');
    cmp_ok(member_field($auto, qr{/echo/sd$}, 'Errors') // 0, '>=', 1,
        '?auto: its errors are counted');
    cmp_ok(member_field($auto, qr{/echo/sa$}, 'Rcvd') // 0, '>', $echoed,
        '?auto: bytes read from the live member are counted');
    cmp_ok(member_field($auto, qr{/echo/sa$}, 'Sent') // 0, '>', 0,
        '?auto: bytes sent to it too');
}

{
    my $res = get($port, '/balancer-manager', 'POST');
    is($res->{status}, 405, 'status page: POST refused (read-only)');
    my $allow = join(' ', header_values($res, 'Allow'));
    ok($allow =~ /\bGET\b/ && $allow !~ /POST/,
        "status page: Allow names GET, not POST ($allow)");
}

{
    my $res = get($port, '/server-status?auto');
    like($res->{body}, qr{^ProxyBalancer\[\d+\]Name: balancer://shfail$}m,
        'mod_status ?auto with ProxyStatus On: the balancer is listed');
    like($res->{body},
        qr{^ProxyBalancer\[\d+\]Worker\[\d+\]Elected: \d+$}m,
        'mod_status ?auto: member counters are listed');
    $res = get(vhost_port('balancer_status_off'), '/server-status?auto');
    unlike($res->{body}, qr{ProxyBalancer}, 'ProxyStatus Off: no rows');
}
