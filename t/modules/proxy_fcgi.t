# Licensed under the Apache License, Version 2.0.
#
# FastCGI to a real PHP-FPM (t/conf/proxy_fcgi.conf.in, scripts in
# t/htdocs/fcgi/): every form stock accepts an fcgi:// URL in reaches the
# script with the CGI environment stock gives for it (SetHandler through
# Debian's php8.2-fpm.conf on a unix socket, SetHandler on a TCP port,
# ProxyPass, ProxyPassMatch, a unix: ProxyPass, a balancer of both);
# request bodies stream in, responses stream out; Status, Location and
# repeated fields follow the CGI rules; stderr goes to the error log; an
# unreachable backend is a 503, a slow one a 504.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET POST);
use Digest::MD5 qw(md5_hex);

use lib 't/lib';
use Relay::LogGate ();
use Relay::Test qw(error_log_mark error_log_wait error_log_since);

plan tests => 49, need {
    'php-fpm running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_FPM_SOCK} // '') ne '' && -S $ENV{RELAY_FPM_SOCK},
};

my $docroot = Apache::Test::vars('documentroot');
my $fcgi = "$docroot/fcgi";

# $_SERVER of env.php as a hash.
sub env_of {
    my ($res) = @_;
    my %env;
    for (split /\n/, $res->content) {
        $env{$1} = $2 if /^([^=]+)=(.*)$/;
    }
    return \%env;
}

# Each form: the vhost, the URL, and what the script must see.
my @forms = (
    ['Debian php8.2-fpm.conf, unix socket', 'proxy_fcgi_debian',
     '/fcgi/env.php?a=1&b=2', "$fcgi/env.php", '/fcgi/env.php'],
    ['SetHandler on a TCP port', 'proxy_fcgi',
     '/fcgi/env.php?a=1&b=2', "$fcgi/env.php", '/fcgi/env.php'],
    ['ProxyPass', 'proxy_fcgi',
     '/app/env.php?a=1&b=2', "$fcgi/env.php", '/app/env.php'],
    ['ProxyPassMatch', 'proxy_fcgi',
     '/match/env.php?a=1&b=2', "$fcgi/env.php", '/match/env.php'],
    ['unix: ProxyPass', 'proxy_fcgi',
     '/uds/env.php?a=1&b=2', "$fcgi/env.php", '/uds/env.php'],
    ['balancer of TCP and unix members', 'proxy_fcgi',
     '/lb/env.php?a=1&b=2', "$fcgi/env.php", '/lb/env.php'],
);
for my $f (@forms) {
    my ($what, $vhost, $url, $file, $script) = @$f;
    Apache::TestRequest::module($vhost);
    my $res = GET $url, 'X-Relay-Test' => 'fcgi';
    my $env = env_of($res);
    ok($res->code == 200 && $env->{SCRIPT_FILENAME} eq $file,
       "$what: SCRIPT_FILENAME is the file") or diag $res->as_string;
    is($env->{SCRIPT_NAME} // '', $script, "$what: SCRIPT_NAME");
    ok(($env->{QUERY_STRING} // '') eq 'a=1&b=2'
           && ($env->{REQUEST_URI} // '') eq $url,
       "$what: QUERY_STRING and REQUEST_URI");
    ok(($env->{HTTP_X_RELAY_TEST} // '') eq 'fcgi'
           && ($env->{REMOTE_ADDR} // '') eq '127.0.0.1'
           && ($env->{SERVER_PROTOCOL} // '') eq 'HTTP/1.1'
           && ($env->{REQUEST_METHOD} // '') eq 'GET',
       "$what: request fields and connection variables");
}

# PATH_INFO: SetHandler's file walk finds it; under ProxyPass only when
# proxy-fcgi-pathinfo asks (first-dot here).
Apache::TestRequest::module('proxy_fcgi_debian');
my $e = env_of(GET '/fcgi/env.php/extra/path');
ok(($e->{PATH_INFO} // '') eq '/extra/path'
       && ($e->{SCRIPT_NAME} // '') eq '/fcgi/env.php'
       && ($e->{PATH_TRANSLATED} // '') eq "$docroot/extra/path",
   'SetHandler: PATH_INFO, SCRIPT_NAME and PATH_TRANSLATED from the file walk');
Apache::TestRequest::module('proxy_fcgi');
$e = env_of(GET '/app/env.php');
ok(!exists $e->{PATH_INFO}, 'ProxyPass: no PATH_INFO by default');
$e = env_of(GET '/app/pathinfo/env.php/extra');
ok(($e->{PATH_INFO} // '') eq '/extra'
       && ($e->{SCRIPT_NAME} // '') eq '/app/pathinfo/env.php'
       && ($e->{SCRIPT_FILENAME} // '') eq "$fcgi/env.php",
   'proxy-fcgi-pathinfo first-dot splits PATH_INFO off the script')
    or diag explain $e;
$e = env_of(GET '/generic/env.php');
is($e->{SCRIPT_FILENAME} // '', "$fcgi/env.php",
   'ProxyFCGIBackendType GENERIC: SCRIPT_FILENAME is the bare path');

# ProxyFCGISetEnvIf: set with a value expression, unset with !name.
$e = env_of(GET '/fcgi/env.php?fixup');
ok(($e->{RELAY_FIXUP} // '') eq 'set GET' && !exists $e->{RELAY_UNSET_ME},
   'ProxyFCGISetEnvIf sets and unsets variables');

# SetHandler inside <If>: the script runs only when the condition holds.
my $res = GET '/fcgi-if/env.php?run';
ok($res->content =~ /^SCRIPT_NAME=\/fcgi-if\/env\.php$/m,
   'SetHandler inside <If>: proxied when the condition holds');
$res = GET '/fcgi-if/env.php';
like($res->content, qr/<\?php/, 'and not otherwise (the file itself)');

# HTTP_AUTHORIZATION as Debian's SetEnvIfNoCase gives it.
Apache::TestRequest::module('proxy_fcgi_debian');
$e = env_of(GET '/fcgi/env.php', Authorization => 'Bearer relay');
is($e->{HTTP_AUTHORIZATION} // '', 'Bearer relay',
   "Debian's SetEnvIfNoCase passes Authorization on");

# Bodies in: Content-Length and chunked, streamed to php://input.
my $body = join '', map { chr(($_ * 7) % 256) } 1 .. 300_000;
$res = POST '/fcgi/body.php', content => $body,
    'Content-Type' => 'application/octet-stream';
is($res->content, "length=300000\nmd5=" . md5_hex($body) . "\n",
   'a 300 KB request body arrives whole');
# A chunked body: PHP-FPM reads none without CONTENT_LENGTH, so under
# proxy-sendcl it is spooled first and its length sent, as stock.
sub chunked_post {
    my ($path) = @_;
    my $port = Relay::Test::vhost_port('proxy_fcgi_debian');
    my $s = Relay::Test::raw_connect($port, 10);
    my $chunks = join '',
        map { sprintf("%x\r\n%s\r\n", 1000, 'x' x 1000) } 1 .. 50;
    Relay::Test::write_all($s, "POST $path HTTP/1.1\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        . $chunks . "0\r\n\r\n");
    my $buf = '';
    Relay::Test::read_until($s, \$buf, undef, 10);
    my $r = Relay::Test::parse_response($buf) // { body => '' };
    my $got = $r->{body} // '';
    ($got) = Relay::Test::dechunk($got)
        if $buf =~ /^Transfer-Encoding: chunked/mi;
    return $got // '';
}
is(chunked_post('/sendcl/body.php'),
   "length=50000\nmd5=" . md5_hex('x' x 50000) . "\n",
   'proxy-sendcl: a chunked request body arrives whole, with its length');
is(chunked_post('/fcgi/body.php'), "length=0\nmd5=" . md5_hex('') . "\n",
   'without proxy-sendcl PHP-FPM reads no chunked body, as with stock');

# Bodies out.
$res = GET '/fcgi/big.php';
ok($res->code == 200 && length($res->content) == 262144
       && md5_hex($res->content) eq Relay::Test::bytes_md5(262144),
   'a 256 KiB response arrives whole') or diag $res->status_line;

# CGI response rules.
$res = GET '/fcgi/headers.php?status=404%20Gone%20Away';
ok($res->code == 404 && $res->content eq "headers\n", 'Status: sets the status');
$res = GET '/fcgi/headers.php';
is(join(',', $res->header('Set-Cookie')), 'a=1,b=2', 'repeated Set-Cookie kept');
is($res->header('X-Fcgi') // '', 'yes', 'a field passes');
# Location, seen on the wire (the user agent would follow it).
sub raw_get {
    my ($path) = @_;
    my $port = Relay::Test::vhost_port('proxy_fcgi_debian');
    return Relay::Test::parse_response(Relay::Test::raw_request($port,
        "GET $path HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        10)) // { status => 0, headers => [], body => '' };
}
my $raw = raw_get('/fcgi/headers.php?location=http://example.invalid/x');
ok($raw->{status} == 302
       && (Relay::Test::header_values($raw, 'Location'))[0] eq
       'http://example.invalid/x',
   'an absolute Location without Status: 302');
$raw = raw_get('/fcgi/headers.php?location=/fcgi/target.txt');
ok($raw->{status} == 302,
   "a local Location from PHP: 302 (PHP adds the Status itself)");

# stderr to the error log, never into the body.
my $tag = "t$$";
my $mark = error_log_mark();
$res = GET "/fcgi/stderr.php?tag=$tag";
is($res->content, "body\n", 'stderr is not in the body');
ok(error_log_wait($mark, qr/RL07020: .*relay-stderr-line \Q$tag\E/, 5),
   'stderr logged (RL07020) with the worker and script');

# HEAD: no body.
$res = Apache::TestRequest::HEAD('/fcgi/big.php');
ok($res->code == 200 && $res->content eq '', 'HEAD: head only');

# Errors.
Apache::TestRequest::module('proxy_fcgi');
$mark = error_log_mark();
$res = GET '/dead/x.php';
is($res->code, 503, 'an unreachable FastCGI server: 503');
ok(scalar(grep { /RL01014/ } error_log_since($mark)),
   'the connect failure is logged (RL01014)');
$res = GET '/slow/slow.php?ms=3000';
is($res->code, 504, 'a backend slower than timeout=1: 504');
$res = GET '/app/missing.php';
is($res->code, 404, "php-fpm's \"Primary script unknown\": 404, as stock");

# enablereuse=on: connections go back to the pool (FCGI_KEEP_CONN).
my $ok = 0;
for (1 .. 6) {
    $ok++ if (GET '/reuse/env.php')->code == 200;
}
is($ok, 6, 'enablereuse=on: six requests through pooled connections');
