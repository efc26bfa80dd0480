# Licensed under the Apache License, Version 2.0.
#
# mod_proxy_fcgi's error paths against a scripted FastCGI application
# (t/lib/Relay/FcgiBackend.pm on a unix socket): malformed records and
# header blocks are a 502 with one log line, an application that stops
# answering is a 504 (or, once the head went out, a cut-off response), a
# backend that is not there a 503 with ErrorDocument, and a local Location
# an internal redirect. Then the socket rules: only the configuration
# picks a unix socket, whatever the request says (the CVE-2021-40438
# class); a decoy socket sees no connection.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use IO::Select ();
use IO::Socket::UNIX ();
use Socket qw(SOCK_STREAM);

use lib 't/lib';
use Relay::FcgiBackend ();
use Relay::Test qw(error_log_mark error_log_since);

plan tests => 28;

my $logs = Apache::Test::vars('t_logs');
my $backend = Relay::FcgiBackend->start("$logs/fcgi-hostile.sock");
Apache::TestRequest::module('proxy_fcgi_hostile');
my $port = Relay::Test::vhost_port('proxy_fcgi_hostile');

sub tags_since {
    my ($mark) = @_;
    return join ' ', map { /\b(RL\d{5}):/ ? $1 : () } error_log_since($mark);
}

my @cases = (
    ['ok', 200, '', 'a well-formed response'],
    ['badversion', 502, 'RL07024', 'a record of another FastCGI version'],
    ['wrongid', 502, 'RL07024', 'a record for another request id'],
    ['bighead', 502, 'RL07024', 'a header block over 64 KiB'],
    ['nohead', 502, 'RL07022', 'END_REQUEST without a header block'],
    ['overloaded', 503, 'RL07021', 'END_REQUEST saying overloaded'],
    ['stallhead', 504, 'RL07023', 'no answer within timeout'],
);
for my $c (@cases) {
    my ($case, $status, $tag, $what) = @$c;
    my $mark = error_log_mark();
    my $res = GET "/hostile/$case";
    is($res->code, $status, "$what: $status");
    if ($tag) {
        like(tags_since($mark), qr/\b$tag\b/, "$what: logged $tag");
    }
}

my $res = GET '/hostile/unknowntype';
ok($res->code == 200 && $res->content eq "ok\n",
   'a record of an unknown type is skipped');
$res = GET '/hostile/padding';
ok($res->code == 200 && $res->content eq "padded\n",
   'records with the most padding');
$res = GET '/hostile/splithead';
ok($res->code == 201 && $res->content_type eq 'text/x-relay'
       && $res->header('X-Split') && $res->content eq "split\n",
   'a header block in two records: the whole head is the application\'s')
    or diag $res->as_string;
$res = GET '/hostile/redirect';
ok($res->code == 200 && $res->content eq "internal redirect target\n",
   'a local Location without Status: an internal redirect');

# Cut off after the head: the client must see a broken response.
for my $case (qw(cutbody stallbody)) {
    my ($raw) = Relay::Test::raw_request($port,
        "GET /hostile/$case HTTP/1.1\r\nHost: x\r\n\r\n", 10);
    ok($raw =~ /^HTTP\/1\.1 200/ && $raw !~ /\r\n0\r\n\r\n\z/,
       "$case: the chunked body never ends, the connection closes");
}

# Nobody on the socket: 503 with the ErrorDocument, the path logged.
my $mark = error_log_mark();
$res = GET '/down/x.php';
ok($res->code == 503 && $res->content eq "internal redirect target\n",
   'a socket nobody listens on: 503 with ErrorDocument');
ok(scalar(grep { /RL01015: .*fcgi-none\.sock/ } error_log_since($mark)),
   'RL01015 names the socket path and the error');

# The socket rules. A decoy listens where no worker points.
my $decoy_path = "$logs/fcgi-decoy.sock";
unlink $decoy_path;
my $decoy = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $decoy_path,
                                  Listen => 5) or die "decoy: $!";
chmod 0777, $decoy_path;
$res = GET '/rw-ok/env.php';
ok($res->code == 200 && $res->content =~ /^SCRIPT_NAME=/m,
   'RewriteRule [P] to a socket a worker names: served');
$res = GET '/matchuds/env.php';
ok($res->code == 200 && $res->content =~ /^SCRIPT_NAME=/m,
   'ProxyPassMatch through a unix socket');
$mark = error_log_mark();
$res = GET '/rw-other/x';
is($res->code, 403, 'RewriteRule [P] to a socket no worker names: 403');
$res = GET "/rw-client/unix:$decoy_path%7Cfcgi://localhost/x";
isnt($res->code, 200, 'a socket written by the client: refused');
ok(tags_since($mark) =~ /RL01022/, 'RL01022 logged');
$res = GET "/hostile/ok?unix:$decoy_path|fcgi://x/";
is($res->code, 200, 'a unix: URL in the query changes nothing');
ok(!IO::Select->new($decoy)->can_read(0.2), 'the decoy socket saw no connection');

$backend->stop;
