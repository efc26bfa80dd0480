# Licensed under the Apache License, Version 2.0.
#
# AJP/1.3 to a real Tomcat (t/conf/proxy_ajp.conf.in, t/tomcat/): what
# the servlet sees of the request (method, URI, query, client address and
# port, fields, body), responses with their status, repeated fields and
# a 256 KiB body, the secret Tomcat requires (a wrong one is refused),
# nothing under the servlet specification's names forwarded, sticky
# sessions on JSESSIONID (cookie and ;jsessionid=) across a balancer of
# two connectors, TLS facts under an https front end, and a 503 when the
# container is not there.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Digest::MD5 qw(md5_hex);
use IO::Socket::SSL ();

use lib 't/lib';
use Relay::Test qw(read_until parse_response);

plan tests => 24, need {
    'Tomcat running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_AJP_PORT} // 9) != 9,
};

Apache::TestRequest::module('proxy_ajp');

sub seen {
    my ($res, $name) = @_;
    my $text = ref $res eq 'HASH' ? $res->{body} : $res->content;
    return $text =~ /^\Q$name\E: (.*)$/m ? $1 : '';
}

my $res = GET '/app/info.jsp?a=1&b=2', 'X-Relay-Test' => 'ajp';
is($res->code, 200, 'a JSP page through ajp://') or diag $res->as_string;
is(seen($res, 'uri'), '/info.jsp', 'the servlet sees the mapped URI');
is(seen($res, 'query'), 'a=1&b=2', 'and the query');
is(seen($res, 'remote-addr'), '127.0.0.1', 'the client address');
like(seen($res, 'remote-port'), qr/^[1-9]\d*$/,
     'the client port (AJP_REMOTE_PORT)');
is(seen($res, 'header: x-relay-test'), 'ajp', 'a request field');
is(seen($res, 'secure'), 'false', 'not secure over plain HTTP');
is(seen($res, 'include-path'), 'null',
   'an AJP_jakarta.servlet.* variable is never forwarded');

my $body = join '', map { chr(($_ * 13) % 256) } 1 .. 200_000;
$res = POST '/app/info.jsp', content => $body,
    'Content-Type' => 'application/octet-stream';
ok(seen($res, 'body-length') == 200_000
       && seen($res, 'body-md5') eq md5_hex($body),
   'a 200 KB request body arrives whole (GET_BODY_CHUNK)');
is(seen($res, 'method'), 'POST', 'the method');
$res = Apache::TestRequest::PUT('/app/info.jsp', content => 'put');
is($res->code, 405, 'PUT reaches the container (JSP pages refuse it: 405)');

$res = GET '/app/big.jsp';
ok($res->code == 200 && length($res->content) == 262144
       && md5_hex($res->content) eq Relay::Test::bytes_md5(262144),
   'a 256 KiB response arrives whole');
$res = GET '/app/status.jsp?code=418';
is($res->code, 418, "the container's status");
is(join(',', $res->header('Set-Cookie')), 'a=1,b=2', 'repeated Set-Cookie kept');
$res = GET '/match/info.jsp';
is(seen($res, 'uri'), '/info.jsp', 'ProxyPassMatch to ajp://');

$res = GET '/wrong/info.jsp';
is($res->code, 403, 'a wrong secret: Tomcat refuses (403)');
$res = GET '/down/info.jsp';
is($res->code, 503, 'no container listening: 503');
$res = GET '/jsp/info.jsp';
is($res->code, 404,
   'SetHandler "proxy:ajp://...": the file path goes to the container');

# Sticky sessions: a session made by engine tc1 ends in ".tc1" and is
# known there only; its requests must all go to the member route=tc1.
$res = GET '/lb/info.jsp?session=1';
my $sid = seen($res, 'session');
for (1 .. 10) {
    last if $sid =~ /\.tc1$/;
    $sid = seen(GET('/lb/info.jsp?session=1'), 'session');
}
like($sid, qr/\.tc1$/, 'a session of the engine tc1');
my %seen;
$seen{ seen(GET('/lb/info.jsp', Cookie => "JSESSIONID=$sid"), 'session') }++
    for 1 .. 6;
is_deeply([keys %seen], [$sid],
          'JSESSIONID cookie: every request to the member that knows it');
%seen = ();
$seen{ seen(GET("/lb/info.jsp;jsessionid=$sid"), 'session') }++ for 1 .. 6;
is_deeply([keys %seen], [$sid],
          ';jsessionid= path parameter: every request to that member');
%seen = ();
$seen{ (seen(GET('/lb/info.jsp?session=1'), 'session') =~ /\.(tc\d)$/)[0] }++
    for 1 .. 6;
is_deeply([sort keys %seen], ['tc1', 'tc2'],
          'without a session both members serve');

# An https front end: the container learns the TLS facts.
{
    my $port = Relay::Test::vhost_port('proxy_ajp_tls');
    my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $port,
        SSL_verify_mode => 0, Timeout => 10);
    my $raw = '';
    if ($s) {
        print $s "GET /info.jsp HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        read_until($s, \$raw, undef, 15);
    }
    my $r = parse_response($raw) // { body => '' };
    ok(seen($r, 'secure') eq 'true' && seen($r, 'scheme') eq 'https',
       'TLS from the client: secure, scheme https') or diag $raw;
    ok(seen($r, 'cipher') ne 'null' && seen($r, 'key-size') =~ /^\d+$/
           && seen($r, 'ssl-session') ne 'null',
       'the cipher, key size and session reach the servlet');
}
