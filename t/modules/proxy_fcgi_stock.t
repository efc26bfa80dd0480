# Licensed under the Apache License, Version 2.0.
#
# The CGI environment a PHP script sees through Relay's mod_proxy_fcgi is
# the one it sees through the stock modules. Two servers of their own run
# one configuration (Debian's php8.2-fpm.conf on the unix socket, and
# ProxyPass, ProxyPassMatch, a unix: ProxyPass, a <Location> ProxyPass,
# an Alias, proxy-fcgi-pathinfo, a front controller, RewriteRule [P],
# mod_actions' Action to a location with SetHandler), one with httpd's own mod_proxy and
# mod_proxy_fcgi, one with Relay's, both to the same PHP-FPM pools. For
# a table of request shapes, $_SERVER (less what differs between any two
# servers or requests: ports, times) must be equal.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use LWP::UserAgent ();

use lib 't/lib';
use Relay::ConfigTest qw(start_case stop_case relay_load_line case_dir);
use Relay::DiskCache ();

my @rows = (
    ['SetHandler, a query', '/fcgi/env.php?a=1&b=%20c'],
    ['SetHandler, path info', '/fcgi/env.php/extra/path'],
    ['SetHandler, an encoded path', '/fcgi/%65nv.php?x'],
    ['SetHandler under an Alias', '/aliased/env.php?y=2'],
    ['ProxyPass', '/app/env.php?q=1'],
    ['ProxyPass, path info', '/app/env.php/pi'],
    ['ProxyPass, proxy-fcgi-pathinfo first-dot', '/pathinfo/env.php/x/y'],
    ['ProxyPassMatch', '/match/env.php/pi?z'],
    ['unix: ProxyPass', '/uds/env.php'],
    ['<Location> ProxyPass', '/loc/env.php?l'],
    ['POST with a body', '/fcgi/env.php', 'POST'],
    ['a front controller (RewriteRule to index.php/$0)',
     '/fcgi-app/some/route?x=1'],
    ['RewriteRule [P] to fcgi:// inside <Directory>', '/fcgi-rw/env.php?r'],
    ['mod_actions: Action to a SetHandler location', '/fcgi-act/env.act?a'],
);

plan tests => scalar(@rows) + 2, need {
    'php-fpm running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_FPM_SOCK} // '') ne '' && -S $ENV{RELAY_FPM_SOCK},
    'the stock mod_proxy_fcgi' =>
        -f '/usr/lib/apache2/modules/mod_proxy_fcgi.so',
};

my $docroot = Apache::Test::vars('documentroot');
my $fpm = "127.0.0.1:$ENV{RELAY_FPM_PORT}";
my $sock = $ENV{RELAY_FPM_SOCK};
case_dir('proxy_fcgi_stock');

sub start {
    my ($modules) = @_;
    my $port = Relay::DiskCache::free_port();
    my @user = $> == 0 ? ('User nobody', 'Group nogroup') : ();
    my $s = start_case($modules, [$port], @user,
        "Listen 127.0.0.1:$port", 'LogLevel warn', "DocumentRoot $docroot",
        "<Directory $docroot>", 'Require all granted', '</Directory>',
        "Include $ENV{RELAY_FPM_CONF}",
        "Alias /aliased/ $docroot/fcgi/",
        "ProxyPass /pathinfo/ fcgi://$fpm$docroot/fcgi/",
        # SetEnvIf, early enough for stock too (a Location's SetEnv comes
        # after stock's mod_proxy has mapped the request).
        'SetEnvIf Request_URI ^/pathinfo/ proxy-fcgi-pathinfo=first-dot',
        "ProxyPass /app/ fcgi://$fpm$docroot/fcgi/",
        "ProxyPassMatch ^/match/(.*\\.php(/.*)?)\$ fcgi://$fpm$docroot/fcgi/\$1",
        "ProxyPass /uds/ \"unix:$sock|fcgi://localhost$docroot/fcgi/\"",
        "<Directory $docroot/fcgi-app>", 'RewriteEngine On',
        'RewriteCond %{REQUEST_FILENAME} !-f',
        'RewriteRule ^.*$ index.php/$0 [L]', '</Directory>',
        'LoadModule actions_module /usr/lib/apache2/modules/mod_actions.so',
        'AddHandler relay-php .act',
        'Action relay-php /fpm-action virtual',
        '<Location /fpm-action>',
        "SetHandler \"proxy:fcgi://$fpm\"", '</Location>',
        "<Directory $docroot/fcgi-rw>", 'RewriteEngine On',
        "RewriteRule ^(.*\\.php)\$ fcgi://$fpm$docroot/fcgi/\$1 [P]",
        '</Directory>',
        '<Location /loc/>', "ProxyPass fcgi://$fpm$docroot/fcgi/",
        '</Location>');
    $s->{port} = $port;
    return $s;
}

# What differs between two servers or two requests of the same shape, and
# proxy-nokeepalive: a control variable of stock's mod_proxy (set when it
# falls back on its default worker) that leaks into the environment.
my %volatile = map { $_ => 1 } qw(REMOTE_PORT SERVER_PORT HTTP_HOST
    REQUEST_TIME REQUEST_TIME_FLOAT SERVER_SIGNATURE proxy-nokeepalive);

sub env_of {
    my ($s, $method, $path) = @_;
    my $ua = LWP::UserAgent->new(timeout => 15);
    my $url = "http://127.0.0.1:$s->{port}$path";
    my $res = $method eq 'POST'
        ? $ua->post($url, Content_Type => 'text/plain', Content => 'body')
        : $ua->get($url, 'X-Relay-Test' => 'same');
    my %env = map { /^([^=]+)=(.*)$/ ? ($1 => $2) : () }
        split /\n/, $res->content;
    delete @env{keys %volatile};
    return ($res->code, \%env);
}

my $stock = start([
    'LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so',
    'LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so']);
my $relay = start([relay_load_line('proxy_module', 'mod_proxy.so'),
                   relay_load_line('proxy_fcgi_module', 'mod_proxy_fcgi.so')]);

my ($code) = env_of($stock, 'GET', '/fcgi/env.php');
is($code, 200, 'the stock server runs PHP');
($code) = env_of($relay, 'GET', '/fcgi/env.php');
is($code, 200, "Relay's server runs PHP");

for my $row (@rows) {
    my ($what, $path, $method) = @$row;
    my ($sc, $senv) = env_of($stock, $method // 'GET', $path);
    my ($rc, $renv) = env_of($relay, $method // 'GET', $path);
    note("$what: status $sc, SCRIPT_NAME " . ($senv->{SCRIPT_NAME} // '-'));
    my @diff = grep { ($senv->{$_} // '<unset>') ne ($renv->{$_} // '<unset>') }
        sort keys %{ { %$senv, %$renv } };
    ok($sc == $rc && !@diff, "$what: the same status and \$_SERVER as stock")
        or diag "status $sc vs $rc\n", map {
            "  $_: stock '" . ($senv->{$_} // '<unset>') . "', Relay '"
                . ($renv->{$_} // '<unset>') . "'\n" } @diff;
}

stop_case($relay);
stop_case($stock);
