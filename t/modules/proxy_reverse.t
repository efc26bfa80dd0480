# Licensed under the Apache License, Version 2.0.
#
# ProxyPassReverse (t/conf/proxy_reverse.conf.in): origin URLs in the
# Location, Content-Location and URI response headers are mapped back onto
# the front end's scheme://host:port and public path, as the client
# addressed it (also with ProxyPreserveHost On, and with the one-argument
# form inside <Location>); URLs of other origins and relative ones are left
# alone. ProxyPassReverseCookiePath and ProxyPassReverseCookieDomain
# rewrite the Path and Domain attributes of Set-Cookie.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;

plan tests => 19;

my $mark   = error_log_mark();
my $origin = 'http://127.0.0.1:' . origin_port();

my %port = map { $_ => vhost_port($_) }
    qw(proxy_reverse proxy_reverse_preserve proxy_reverse_location);

sub escape {
    my ($s) = @_;
    $s =~ s/([^A-Za-z0-9_.~-])/sprintf('%%%02X', ord $1)/ge;
    return $s;
}

# GET $target on $vhost with the given Host; the parsed response.
sub get {
    my ($vhost, $target, $host) = @_;
    my $raw = raw_request($port{$vhost}, "GET $target HTTP/1.1\r\n"
        . "Host: $host\r\nConnection: close\r\n\r\n", 15);
    return parse_response($raw) // { status => 0, headers => [] };
}

sub location_for {
    my ($vhost, $prefix, $to, $host) = @_;
    my $res = get($vhost, "${prefix}redirect?to=" . escape($to),
        $host // 'front.test:8080');
    return ($res->{status}, (header_values($res, 'Location'))[0]);
}

# Location, Content-Location and URI.
{
    my ($status, $loc) = location_for('proxy_reverse', '/app/',
        "$origin/target?q=1");
    is($status, 302, 'Location: redirect relayed');
    is($loc, 'http://front.test:8080/app/target?q=1',
        'Location: mapped onto the front end and the public path');

    my $res = get('proxy_reverse', '/app/headers?Content-Location='
        . escape("$origin/doc/1") . '&URI=' . escape("$origin/doc/2"),
        'front.test:8080');
    is($res->{status}, 200, 'Content-Location/URI: 200');
    is((header_values($res, 'Content-Location'))[0],
        'http://front.test:8080/app/doc/1', 'Content-Location: mapped');
    is((header_values($res, 'URI'))[0], 'http://front.test:8080/app/doc/2',
        'URI: mapped');
}

# The front end as the client addressed it: a Host without a port gives
# the port of the virtual host's ServerName.
{
    my (undef, $loc) = location_for('proxy_reverse', '/app/', "$origin/t",
        'front.test');
    is($loc, "http://front.test:$port{proxy_reverse}/app/t",
        'Location: Host without a port, the ServerName\'s port');
    (undef, $loc) = location_for('proxy_reverse', '/app/', "$origin/t",
        'www.front.test:9999');
    is($loc, 'http://www.front.test:9999/app/t',
        'Location: follows the Host of each request');
}

# URLs the rule does not cover are left alone.
{
    my $other_port = 'http://127.0.0.1:' . (origin_port() == 1 ? 2 : 1);
    for my $to ('http://other.example/x', "$other_port/x", '/relative/x',
                'https://127.0.0.1:' . origin_port() . '/x') {
        my (undef, $loc) = location_for('proxy_reverse', '/app/', $to);
        is($loc, $to, "not matching: $to left alone");
    }
}

# ProxyPreserveHost On.
{
    my ($status, $loc) = location_for('proxy_reverse_preserve', '/',
        "$origin/p/q", 'front.test:8080');
    is($status, 302, 'preserve: redirect relayed');
    is($loc, 'http://front.test:8080/p/q',
        'preserve: Location mapped onto the client\'s Host');
}

# ProxyPassReverse inside <Location>.
{
    my ($status, $loc) = location_for('proxy_reverse_location', '/loc/',
        "$origin/z");
    is($status, 302, '<Location>: redirect relayed');
    is($loc, 'http://front.test:8080/loc/z',
        '<Location>: mapped onto the section\'s path');
}

# ProxyPassReverseCookiePath and ProxyPassReverseCookieDomain.
{
    my @sent = ('sid=1; Path=/; Domain=origin.internal; HttpOnly',
                'pref=a; path=/sub/dir; domain=.origin.internal',
                'other=2; Domain=other.example; Path=/');
    my $res = get('proxy_reverse',
        '/app/set-cookie?' . join('&', map { 'c=' . escape($_) } @sent),
        'front.test:8080');
    is($res->{status}, 200, 'cookies: 200');
    is_deeply([header_values($res, 'Set-Cookie')],
        ['sid=1; Path=/app/; Domain=public.example; HttpOnly',
         'pref=a; path=/app/sub/dir; domain=.public.example',
         'other=2; Domain=other.example; Path=/app/'],
        'cookies: Path and Domain rewritten, each line on its own');

    $res = get('proxy_reverse_preserve',
        '/set-cookie?c=' . escape('sid=1; Path=/; Domain=origin.internal'),
        'front.test:8080');
    is_deeply([header_values($res, 'Set-Cookie')],
        ['sid=1; Path=/; Domain=origin.internal'],
        'cookies: untouched where no cookie rule applies');
}

is_deeply([error_log_errors($mark)], [], 'no error-level line in the error log');
