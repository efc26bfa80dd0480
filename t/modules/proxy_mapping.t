# Licensed under the Apache License, Version 2.0.
#
# URL mapping (t/conf/proxy_mapping.conf.in): ProxyPass prefixes with the
# query carried over, trailing slashes and segment boundaries, first match
# in configuration order, "!" exclusions, ProxyPass in <Location> (most
# specific wins, and wins over server-level rules), ProxyPassMatch with and
# without backreferences, default canonicalisation against nocanon,
# AllowEncodedSlashes NoDecode, percent-encoded CR/LF/NUL that must never
# reach the origin's request line decoded, the no-proxy variable, noquery,
# and ProxyPassInherit between the main server and virtual hosts.
#
# Each rule maps onto the origin's /echo/... endpoint, whose "target:" line
# is the request target the origin received.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;

plan tests => 82;

my $port = vhost_port('proxy_mapping');
my $main_port = Apache::Test::vars('port');

# One GET on its own connection, the target sent byte for byte.
sub fetch {
    my ($target, $p) = @_;
    $p //= $port;
    my ($raw) = raw_request($p, "GET $target HTTP/1.1\r\n"
        . "Host: 127.0.0.1:$p\r\nConnection: close\r\n\r\n", 10);
    my $res = parse_response($raw)
        // { status => 0, headers => [], body => '' };
    if (grep { lc $_ eq 'chunked' } header_values($res, 'Transfer-Encoding')) {
        ($res->{body}) = dechunk($res->{body});
        $res->{body} //= '';
    }
    return $res;
}

sub proxied { return scalar header_values($_[0], 'X-Origin-Conn') }

sub target_of {
    my ($res) = @_;
    return $res->{body} =~ /^target: ([^\n]*)$/m ? $1 : undef;
}

# The request for $path reached the origin as $want.
sub maps {
    my ($path, $want, $name, $p) = @_;
    my $res = fetch($path, $p);
    is($res->{status} . ' ' . (target_of($res) // '(none)'), "200 $want",
        $name);
}

# The request for $path was answered by httpd itself, not the origin.
sub local_only {
    my ($path, $status, $name, $p) = @_;
    my $res = fetch($path, $p);
    ok($res->{status} == $status && !proxied($res), $name)
        or diag("status $res->{status}, proxied: " . (proxied($res) ? 1 : 0));
    return $res;
}

my $mark = error_log_mark();

# Prefix mapping: the rest of the path and the query carried over as sent.
maps('/pfx/a/b?x=1&y=%41', '/echo/pfx/a/b?x=1&y=%41',
    'prefix: rest of the path and the query string passed on');
maps('/pfx/a//b', '/echo/pfx/a/b', 'prefix: httpd merges slashes first');
local_only('/pfx', 404, 'prefix /pfx/ does not cover /pfx');

# Trailing slashes as stock: the rest is appended as text, and a prefix
# ends on a segment boundary.
maps('/seg/x', '/echo/seg/x', 'no trailing slash: /seg/x');
maps('/seg', '/echo/seg', 'no trailing slash: /seg itself');
local_only('/segment', 404, 'no trailing slash: /seg does not cover /segment');
local_only('/seg.html', 404, 'no trailing slash: /seg does not cover /seg.html');
maps('/bare/echo?a=1', '/echo?a=1', 'URL without path: /bare/echo');
{
    my $res = fetch('/bare');
    ok(proxied($res) && $res->{status} == 404 && $res->{body} eq "not found\n",
        'URL without path: /bare reaches the origin as /');
}

# First match in configuration order.
maps('/order/deeper/x', '/echo/first/deeper/x',
    'order: the first rule wins over a longer later prefix');
maps('/order/y', '/echo/first/y', 'order: first rule for the rest');
maps('/order2/deeper/x', '/echo/deeper/x', 'order: longer prefix first wins');
maps('/order2/y', '/echo/general/y', 'order: general rule after it');

# "!" exclusions.
{
    my $res = local_only('/ex/local/relay-env.txt', 200,
        'exclusion before the general rule: served locally');
    is($res->{body}, "relay environment check\n", 'exclusion: the local file\'s body');
}
maps('/ex/other', '/echo/ex/other', 'exclusion: other paths still proxied');
maps('/ex-late/local/relay-env.txt', '/echo/ex-late/local/relay-env.txt',
    'exclusion after the general rule is never reached');

# <Location>: path left out, most specific wins, over server-level too.
maps('/loc/x?q=1', '/echo/loc/x?q=1',
    'Location rule wins over a server-level rule for the same path');
maps('/loc/deeper/x', '/echo/loc-deeper/x', 'most specific Location wins');
maps('/loc/deeperx', '/echo/loc/deeperx',
    'the less specific Location for a sibling path');
local_only('/loc/skip/x', 404, 'ProxyPass ! in a Location excludes it');

# ProxyPassMatch.
maps('/match/ab/c/d?q=1', '/echo/m/c/d/ab?q=1',
    'ProxyPassMatch: $1 and $2 substituted, query passed on');
maps('/dir/pic.gif?v=2', '/echo/gif/dir/pic.gif?v=2',
    'ProxyPassMatch without backreferences: the path is appended');
maps('/match/ab/c%20d', '/echo/m/c%20d/ab',
    'ProxyPassMatch: a decoded space is encoded again');
maps('/match/ab/a%3Fb?q=1', '/echo/m/a%3Fb/ab?q=1',
    'ProxyPassMatch: a decoded ? stays in the path');
maps('/match/ab/a%23b', '/echo/m/a%23b/ab',
    'ProxyPassMatch: a decoded # stays in the path');
maps('/match/ab/a%2541', '/echo/m/a%2541/ab',
    'ProxyPassMatch: a decoded % is encoded again (no double decoding)');
maps('/x%3Fy.gif', '/echo/gif/x%3Fy.gif',
    'ProxyPassMatch appending: a decoded ? stays in the path');

# Canonicalised by default, raw with nocanon.
maps('/canon/a%3Bb%2Fc%20d%25e', '/echo/canon/a;b/c%20d%25e',
    'default: the decoded path is encoded again');
maps('/nocanon/a%3Bb%2Fc%20d%25e', '/echo/nocanon/a%3Bb%2Fc%20d%25e',
    'nocanon: the raw path is sent as the client wrote it');
maps('/canon/caf%C3%A9?q=%C3%A9', '/echo/canon/caf%C3%A9?q=%C3%A9',
    'default: non-ASCII bytes encoded, query untouched');
maps('/nocanon/a%2fb?x=%3b', '/echo/nocanon/a%2fb?x=%3b',
    'nocanon: raw path and raw query');

# nocanon does not widen a rule: it matches the normalised path, and the
# raw path is sent only when it is the same request.
for my $path ('/nocanon/../admin/x', '/nocanon/%2e%2e/admin/x',
              '/nocanon/%2E./admin/x', '/nocanon/..%2fadmin/x',
              '/rawmatch/../admin/x', '/rawmatch/%2e%2e/admin',
              '/rawloc/%2e%2e/x') {
    local_only($path, 404, "nocanon: $path is not under the rule's prefix");
}
maps('/nocanon/a/../b%3Bc', '/echo/nocanon/b;c',
    'nocanon, a dot-segment inside the prefix: the normalised path is sent');
maps('/x/../nocanon/a%3Bb', '/echo/nocanon/a;b',
    'nocanon reached through a dot-segment: the normalised path is sent');
maps('/rawmatch/a%3Bb', '/echo/rawmatch/a%3Bb', 'ProxyPassMatch nocanon: raw');
maps('/rawloc/a%3Bb', '/echo/rawloc/a%3Bb', '<Location> ProxyPass nocanon: raw');

# AllowEncodedSlashes NoDecode: %2F stays one encoded slash.
{
    my $nd = vhost_port('proxy_mapping_nodecode');
    maps('/canon/a%2Fb%20c', '/echo/canon/a%2Fb%20c',
        'NoDecode: %2F kept, not encoded twice', $nd);
    maps('/canon/a%2fb%2541', '/echo/canon/a%2fb%2541',
        'NoDecode: lower-case %2f kept, other escapes re-encoded', $nd);
    maps('/match/a%2Fb', '/echo/m/a%2Fb',
        'NoDecode: ProxyPassMatch keeps %2F', $nd);
}

# Percent-encoded CR, LF and NUL never reach the origin decoded.
for my $case (
    ['/canon/x%0d%0aX-Injected:%20yes', 'default'],
    ['/nocanon/x%0d%0aX-Injected:%20yes', 'nocanon'],
    ['/match/ab/x%0d%0aX-Injected:%20yes', 'ProxyPassMatch $n'],
    ['/x%0d%0aX-Injected:%20yes.gif', 'ProxyPassMatch appending'],
    ['/loc/x%0aX-Injected:%20yes%0d', 'Location'],
) {
    my ($path, $what) = @$case;
    my $res = fetch($path);
    my $target = target_of($res) // '';
    is($res->{status}, 200, "CR/LF ($what): proxied");
    like($target, qr/%0[dD]/, "CR/LF ($what): CR sent encoded");
    like($target, qr/%0[aA]/, "CR/LF ($what): LF sent encoded");
    ok($res->{body} !~ /\r|^header: X-Injected/mi,
        "CR/LF ($what): no raw CR, no injected header at the origin");
}
{
    my $res = fetch('/canon/x?a=%0d%0a&b=%00');
    is(target_of($res), '/echo/canon/x?a=%0d%0a&b=%00',
        'CR/LF/NUL in the query: passed on still encoded');
}
for my $path ('/canon/x%00y', '/nocanon/x%00y', '/match/ab/x%00y') {
    my $res = fetch($path);
    my $target = target_of($res);
    ok(($res->{status} =~ /^40[04]\z/ && !proxied($res))
        || (defined $target && $target =~ /%00/ && $target !~ /\0/),
        "NUL in $path: refused by httpd or sent encoded")
        or diag("status $res->{status}, target " . ($target // '(none)'));
}

# no-proxy, set by SetEnvIf before the mapping.
local_only('/np/local/x', 404, 'no-proxy: a server-level rule is skipped');
maps('/np/other', '/echo/np/other', 'no-proxy unset: proxied');
local_only('/np-loc/local', 404, 'no-proxy: a Location rule is skipped');
maps('/np-loc/x', '/echo/np-loc/x', 'no-proxy unset: Location proxied');

# noquery is accepted; an HTTP origin still gets the query, as stock.
maps('/noquery/x?a=1&b=2', '/echo/noquery/x?a=1&b=2',
    'noquery: accepted, the query still reaches an HTTP origin');

# ProxyPassInherit.
maps('/inherit-probe/x?i=1', '/echo/main/x?i=1',
    'main server: its own rule', $main_port);
maps('/inherit-probe/x', '/echo/main/x',
    'ProxyPassInherit On (default): a vhost inherits the main rule');
{
    my $ni = vhost_port('proxy_mapping_noinherit');
    local_only('/inherit-probe/x', 404,
        'ProxyPassInherit Off: the main server\'s rule does not apply', $ni);
    maps('/own/x', '/echo/own/x', 'ProxyPassInherit Off: own rules apply', $ni);
}

is_deeply([error_log_errors($mark)], [], 'error log: no unexpected errors');

# A <Proxy> section refuses its URL however the client spells it (last:
# the refusals are logged as errors).
local_only('/nocanon/secret', 403, '<Proxy> section under nocanon');
local_only('/nocanon/%73ecret', 403,
    '<Proxy> sections match the normalised URL under nocanon');
