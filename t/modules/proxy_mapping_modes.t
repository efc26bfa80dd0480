# Licensed under the Apache License, Version 2.0.
#
# ProxyPass mapping= (t/conf/proxy_mapping_modes.conf.in):
#  - mapping=servlet matches the path as a servlet container reads it
#    (path parameters removed, then dot segments): /app/x/..;/admin/y is
#    /app/admin/y, so <Location /app/admin> denies it (403), where a rule
#    without it proxies /plain/x/..;/admin/y; /app/pub;jsessionid=1/p goes
#    to the origin as /echo/app/pub/p;
#  - mapping=encoded matches the path as sent: /enc/special%3Fsegment/x
#    matches the rule and <Location /enc/special%3Fsegment>, and reaches
#    the origin unchanged; an encoded dot segment matches nothing.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use Relay::Test;
use Relay::Client;

plan tests => 7;

my $port = vhost_port('proxy_mapping_modes');

sub get {
    my ($path) = @_;
    my $c = Relay::Client->new($port);
    my $res = $c->get($path, Connection => 'close');
    $c->disconnect;
    return $res // { status => 0, headers => [], body => '' };
}

sub target { return $_[0]{body} =~ /^target: (.*)$/m ? $1 : '' }

is(get('/app/x/..;/admin/y')->{status}, 403,
   'mapping=servlet: /app/x/..;/admin/y is /app/admin/y, denied by <Location>');
my $res = get('/plain/x/..;/admin/y');
ok($res->{status} == 200 && target($res) =~ m{/\.\.;/admin/y$},
   'without it: the same path is proxied as it is');
$res = get('/app/pub;jsessionid=1/p');
is(target($res), '/echo/app/pub/p',
   'mapping=servlet: path parameters are not part of the mapped path');
is(get('/app/%2e%2e;x/%2e%2e/etc')->{status}, 404,
   'mapping=servlet: above the origin\'s root: not mapped');

$res = get('/enc/special%3Fsegment/x');
is($res->{status}, 200, 'mapping=encoded: the encoded prefix matches');
is((header_values($res, 'X-Location'))[0], 'matched',
   'mapping=encoded: and so does <Location /enc/special%3Fsegment>');
is(target($res), '/echo/special%3Fsegment/x',
   'mapping=encoded: the origin gets the path as sent');
