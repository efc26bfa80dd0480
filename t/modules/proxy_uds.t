# Licensed under the Apache License, Version 2.0.
#
# unix: socket URLs to an HTTP origin (t/conf/proxy_uds.conf.in), with
# stock's syntax: ProxyPass, "unix:/path|http:" alone, a BalancerMember
# and SetHandler "proxy:unix:...". The host after the "|" is the origin's
# name in Host; the connection goes to the socket; the pooled connection
# is reused.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

use lib 't/lib';
use Relay::Test ();

plan tests => 8;

Apache::TestRequest::module('proxy_uds');

sub seen {
    my ($res, $field) = @_;
    return $res->content =~ /^header: \Q$field\E: (.*)$/mi ? $1 : '';
}

my $r1 = GET '/uds/a?q=1';
ok($r1->code == 200 && $r1->content =~ m{^target: /echo/a\?q=1$}m,
   'ProxyPass to unix:/path|http://host/: the path and query after the |');
is(seen($r1, 'Host'), 'app.internal', 'Host is the name after the |');
# Two requests on one client connection (so one child, one pool): the
# second goes over the socket connection the first left in the pool.
{
    my $port = Relay::Test::vhost_port('proxy_uds');
    my $s = Relay::Test::raw_connect($port, 10);
    my @conn;
    for my $path ('/uds/b', '/uds/c') {
        Relay::Test::write_all($s, "GET $path HTTP/1.1\r\nHost: x\r\n\r\n");
        my $buf = '';
        Relay::Test::read_until($s, \$buf, sub {
            $_[0] =~ /\r\n\r\n/ && $_[0] =~ /^Content-Length: (\d+)/mi
                && length($_[0]) >= index($_[0], "\r\n\r\n") + 4 + $1 }, 10);
        push @conn, $buf =~ /^X-Origin-Conn: (\S+)/mi ? $1 : '';
    }
    ok($conn[0] ne '' && $conn[0] eq $conn[1],
       'the pooled socket connection is reused');
}
my $r3 = GET '/bare/echo/c';
ok($r3->code == 200 && seen($r3, 'Host') eq 'localhost',
   '"unix:/path|http:" alone: the origin is localhost');
my $r4 = GET '/lb/d';
ok($r4->code == 200 && seen($r4, 'Host') eq 'member.internal',
   'a BalancerMember on a unix socket');
my $r5 = GET '/sethandler/e';
ok($r5->code == 200 && seen($r5, 'Host') eq 'handler.internal',
   'SetHandler "proxy:unix:...|http://host/path"');
my $docroot = Apache::Test::vars('documentroot');
like($r5->content, qr{^target: /echo\Q$docroot\E/sethandler$}m,
     'SetHandler: the mapped file path follows the handler URL, as stock');
my $r6 = GET '/fcgi-form/x';
ok($r6->code == 404 && $r6->content eq "not found\n",
   'SetHandler "proxy:unix:...|http:": the file path on localhost')
    or diag $r6->as_string;
