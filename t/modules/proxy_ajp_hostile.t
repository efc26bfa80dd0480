# Licensed under the Apache License, Version 2.0.
#
# mod_proxy_ajp against a scripted AJP container (t/lib/Relay/AjpBackend.pm
# on a unix socket): malformed packets, a body before the head, a missing
# head, a bad status or a field holding CR LF are a 502 with one log line;
# a container that stops answering a 504; one that stops in the middle of
# the body cuts the client's response off.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

use lib 't/lib';
use Relay::AjpBackend ();
use Relay::Test qw(error_log_mark error_log_since);

my @cases = (
    ['ok', 200, ''],
    ['badmagic', 502, 'RL08012'],
    ['toolong', 502, 'RL08012'],
    ['badcode', 502, 'RL08012'],
    ['bodyfirst', 502, 'RL08015'],
    ['nohead', 502, 'RL08014'],
    ['badstatus', 502, 'RL08010'],
    ['crlf', 502, 'RL08010'],
    ['stallhead', 504, 'RL08011'],
);

plan tests => @cases + (grep { $_->[2] } @cases) + 6;

my $logs = Apache::Test::vars('t_logs');
my $backend = Relay::AjpBackend->start("$logs/ajp-hostile.sock");
Apache::TestRequest::module('proxy_ajp_hostile');

for my $c (@cases) {
    my ($case, $status, $tag) = @$c;
    my $mark = error_log_mark();
    my $res = GET "/hostile/$case";
    is($res->code, $status, "$case: $status");
    if ($tag) {
        ok(scalar(grep { /\b$tag:/ } error_log_since($mark)),
           "$case: logged $tag");
    }
}
my $res = GET '/hostile/ok';
is($res->content, "ok\n", 'the well-formed answer passes whole');
$res = GET '/hostile/askfirst';
ok($res->code == 201 && $res->content_type eq 'text/x-relay'
       && $res->content eq "asked\n",
   'the body asked for before the head: the head is the container\'s')
    or diag $res->as_string;
$res = Apache::TestRequest::POST('/hostile/strict', content => 'twelve bytes');
is($res->header('X-Extra') // '', '0',
   'a body of known length: no empty packet sent unasked');

my $port = Relay::Test::vhost_port('proxy_ajp_hostile');
my ($raw) = Relay::Test::raw_request($port,
    "GET /hostile/cutbody HTTP/1.1\r\nHost: x\r\n\r\n", 10);
ok($raw =~ /^HTTP\/1\.1 200/ && $raw !~ /\r\n0\r\n\r\n\z/,
   'cut off in the body: the chunked response never ends');
my $mark = error_log_mark();
($raw) = Relay::Test::raw_request($port,
    "GET /hostile/twohead HTTP/1.1\r\nHost: x\r\n\r\n", 10);
# (A 502 when nothing of the first had gone out yet: both arrive in one
# read here.)
ok($raw !~ /X-Second|two/
       && ($raw =~ /^HTTP\/1\.1 502/
           || ($raw =~ /^HTTP\/1\.1 200/ && $raw !~ /\r\n0\r\n\r\n\z/)),
   'a second head: 502 or the response cut off, nothing of it passed on')
    or diag $raw;
ok(scalar(grep { /\bRL08016:/ } error_log_since($mark)),
   'a second head: logged RL08016');

$backend->stop;
