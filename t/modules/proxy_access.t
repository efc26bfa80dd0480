# Licensed under the Apache License, Version 2.0.
#
# <Proxy> and <ProxyMatch> sections (t/conf/proxy_access.conf.in): they
# match the origin URL a request was mapped to, carry access control
# (mod_access_compat's Order/Deny/Allow and mod_authz_core's Require) that
# applies to reverse-proxied requests, including through <Proxy *>, and
# ProxySet inside <Proxy url> sets that worker's parameters.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();
use Time::HiRes ();

use Relay::Test;

plan tests => 19;

sub fetch {
    my ($port, $target) = @_;
    my ($raw) = raw_request($port, "GET $target HTTP/1.1\r\n"
        . "Host: 127.0.0.1:$port\r\nConnection: close\r\n\r\n", 15);
    return parse_response($raw) // { status => 0, headers => [], body => '' };
}

sub proxied { return scalar header_values($_[0], 'X-Origin-Conn') }

sub target_of {
    my ($res) = @_;
    return $res->{body} =~ /^target: ([^\n]*)$/m ? $1 : undef;
}

# $target on $port was refused with 403 before reaching the origin.
sub denied {
    my ($port, $target, $name) = @_;
    my $res = fetch($port, $target);
    ok($res->{status} == 403 && !proxied($res), $name)
        or diag("status $res->{status}");
}

# $target on $port reached the origin as $want.
sub allowed {
    my ($port, $target, $want, $name) = @_;
    my $res = fetch($port, $target);
    is($res->{status} . ' ' . (target_of($res) // '(none)'), "200 $want",
        $name);
}

my $mark = error_log_mark();

# <Proxy *> with Order deny,allow covers reverse-proxied requests.
my $deny = vhost_port('proxy_access_deny');
denied($deny, '/echo', '<Proxy *> Deny from all: 403 for a reverse-proxied request');
denied($deny, '/echo?x=1', '<Proxy *> Deny from all: with a query too');
{
    my $res = fetch($deny, '/relay-env.txt');
    is($res->{status}, 200, '<Proxy *> leaves requests that are not proxied alone');
}
my $allow = vhost_port('proxy_access_allow');
allowed($allow, '/echo?y=2', '/echo?y=2',
    '<Proxy *> Allow from 127.0.0.1: the loopback client is let through');

# A URL prefix section denies only that origin path, whatever local path
# was mapped onto it.
my $port = vhost_port('proxy_access');
denied($port, '/private/x', '<Proxy url-prefix> Require all denied: 403');
denied($port, '/other-name/x',
    '<Proxy url-prefix>: matched on the origin URL, not the local path');
allowed($port, '/public/x', '/echo/public/x', '<Proxy url-prefix>: other URLs pass');

# <ProxyMatch> regular expression.
denied($port, '/m/secret-42', '<ProxyMatch>: a matching origin URL is denied');
allowed($port, '/m/secret-42x', '/echo/m/secret-42x',
    '<ProxyMatch>: anchored, a longer URL passes');
allowed($port, '/m/secret-x', '/echo/m/secret-x',
    '<ProxyMatch>: a URL it does not match passes');

# Wildcard <Proxy>.
denied($port, '/w/x/y', '<Proxy wildcard>: a matching origin URL is denied');
allowed($port, '/w2/x', '/echo/wildly/x', '<Proxy wildcard>: others pass');

# ProxySet timeout=1 inside <Proxy url>: a 3 s origin delay times out.
{
    my $t0 = Time::HiRes::time();
    my $res = fetch($port, '/slow?ms=3000');
    my $took = Time::HiRes::time() - $t0;
    is($res->{status}, 504, 'ProxySet timeout=1 in <Proxy url>: 504');
    ok($took >= 0.8 && $took < 2.8,
        sprintf('ProxySet timeout=1: answered after about a second (%.2f s)',
            $took));
    ok(error_log_wait($mark, qr/RL02011:.*\/delay/, 5),
        'ProxySet timeout=1: the timeout is logged (RL02011) naming the worker');
    my $ok = fetch($port, '/slow?ms=100');
    is($ok->{status}, 200, 'ProxySet timeout=1: a faster answer still passes');
}

my @errors = grep { !/AH01797|AH01630/ } error_log_errors($mark, 'RL02011');
is_deeply(\@errors, [], 'error log: nothing unexpected');
ok(scalar(grep { /AH01797/ } error_log_since($mark)),
    'error log: mod_access_compat denied the client (AH01797)');
ok(scalar(grep { /AH01630/ } error_log_since($mark)),
    'error log: mod_authz_core denied the client (AH01630)');
