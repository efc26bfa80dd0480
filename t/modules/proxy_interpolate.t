# Licensed under the Apache License, Version 2.0.
#
# ProxyPassInterpolateEnv On and the interpolate keyword
# (t/conf/proxy_interpolate.conf.in): for each request ${BRANCH} is the
# environment variable SetEnvIf made from X-Branch, in the ProxyPass URL
# (/j/x with X-Branch: echo goes to /echo/x), in ProxyPassReverse (a
# Location under /shop/ comes back under /i/ for X-Branch: shop) and in
# ProxyPassReverseCookiePath; with the directive off the URL is used as
# written.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use Relay::Test;
use Relay::Client;

plan tests => 5;

my $origin = '127.0.0.1:' . origin_port();

sub get {
    my ($vhost, $path, $branch) = @_;
    my $c = Relay::Client->new(vhost_port($vhost));
    my $res = $c->get($path, Connection => 'close', 'X-Branch' => $branch);
    $c->disconnect;
    return $res // { status => 0, headers => [], body => '' };
}

my $res = get('proxy_interpolate', '/j/x?q=1', 'echo');
ok($res->{status} == 200 && $res->{body} =~ m{^target: /echo/x\?q=1$}m,
   'ProxyPass interpolate: the URL takes the request\'s ${BRANCH}')
    or diag($res->{body});

$res = get('proxy_interpolate', "/i/redirect?to=http://$origin/shop/elsewhere",
    'shop');
like((header_values($res, 'Location'))[0] // '', qr{^(?:http://[^/]+)?/i/elsewhere$},
     'ProxyPassReverse interpolate: the Location mapped with ${BRANCH}');

$res = get('proxy_interpolate', '/i/set-cookie?c=a%3D1%3B%20Path%3D%2Fshop%2Fx',
    'shop');
is((header_values($res, 'Set-Cookie'))[0], 'a=1; Path=/i/x',
   'ProxyPassReverseCookiePath interpolate: the path mapped with ${BRANCH}');

$res = get('proxy_interpolate', "/i/redirect?to=http://$origin/other/elsewhere",
    'shop');
like((header_values($res, 'Location'))[0] // '', qr{/other/elsewhere$},
     'ProxyPassReverse interpolate: another branch is not mapped');

$res = get('proxy_interpolate_off', '/j/z', 'blue');
ok($res->{status} == 200 && $res->{body} !~ m{^target: /echo/blue/}m,
   'ProxyPassInterpolateEnv off: ${BRANCH} is not replaced')
    or diag($res->{body});
