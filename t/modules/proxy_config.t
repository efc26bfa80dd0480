# Licensed under the Apache License, Version 2.0.
#
# Configuration checks at `apache2 -t`: each bad configuration is refused
# with a non-zero exit and a message naming the file, the line and the
# bad value (bad ProxyPass URL, a unix: URL with a relative path, https://
# without TLS, a scheme with no module loaded (naming the module), unknown or bad worker parameters, bad ProxyTimeout,
# ProxyVia, ProxyErrorOverride and ProxyBadHeader values, ProxyPass inside
# <Directory> or <Files>); a valid configuration using the directives
# passes; ProxyRequests On without any <Proxy> section warns (RL01030);
# ProxyPass lines sharing a worker warn (RL01001) only when they give it
# parameters again;
# Relay's mod_proxy_http with the stock mod_proxy stops with RL00001; and
# <IfModule mod_proxy.c> / <IfModule proxy_module> select Relay.
#
# Each case is a small standalone httpd configuration written to a
# temporary directory under t/logs: the stock modules of t/conf/modules.conf
# plus Relay's modules from $RELAY_MODULE_DIR (t/TEST: build/modules).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Relay::ConfigTest;

plan tests => 65;

my $dir = case_dir('proxy_config');
my $build = relay_module_dir();

my $relay_proxy = "LoadModule proxy_module $build/mod_proxy.so";
my $relay_http = "LoadModule proxy_http_module $build/mod_proxy_http.so";

# A configuration whose $bad line is refused at `-t`, with a message
# naming file and line and matching $why. Two tests.
sub refused {
    my ($name, $bad, $why, %o) = @_;
    my $modules = $o{modules} // [$relay_proxy, $relay_http];
    my @body = @{ $o{before} // [] };
    push @body, $bad, @{ $o{after} // [] };
    my ($rc, $out, $file, $line) = configtest($bad, $modules, @body);
    isnt($rc, 0, "$name: refused");
    like($out, qr/line \Q$line\E of \Q$file\E:\n.*$why/,
        "$name: message names the file, the line and the cause")
        or diag($out);
}

# ProxyPass URLs.
refused('bad ProxyPass URL', 'ProxyPass /x/ not-a-url',
    qr/'not-a-url' is not an absolute URL/);
refused('unix: URL with a relative path',
    'ProxyPass /x/ unix:run/app.sock|http://localhost/',
    qr/'unix:run\/app\.sock\|http:\/\/localhost\/': a unix: URL is unix:\/absolute/);
refused('fcgi:// without mod_proxy_fcgi', 'ProxyPass /x/ fcgi://127.0.0.1:9000/',
    qr/no loaded module serves fcgi:\/\/ URLs.*load Relay's mod_proxy_fcgi/);
refused('https:// without TLS', 'ProxyPass /x/ https://127.0.0.1:8443/',
    qr/'https:\/\/127\.0\.0\.1:8443\/'.*mod_proxy_ssl/);
refused('http:// without mod_proxy_http', 'ProxyPass /x/ http://127.0.0.1:8080/',
    qr/http:\/\/.*'http:\/\/127\.0\.0\.1:8080\/'.*mod_proxy_http/,
    modules => [$relay_proxy]);
refused('ProxyPassMatch to an unknown scheme',
    'ProxyPassMatch ^/x/(.*)$ gopher://127.0.0.1/$1', qr/gopher:\/\//);

# Worker parameters.
refused('unknown worker parameter',
    'ProxyPass /x/ http://127.0.0.1:8080/ frobnicate=1',
    qr/unknown worker parameter 'frobnicate'/);
refused('bad timeout', 'ProxyPass /x/ http://127.0.0.1:8080/ timeout=abc',
    qr/timeout.*'abc'/);
refused('negative timeout', 'ProxyPass /x/ http://127.0.0.1:8080/ timeout=-5',
    qr/timeout.*'-5'/);
refused('bad connectiontimeout',
    'ProxyPass /x/ http://127.0.0.1:8080/ connectiontimeout=10q',
    qr/connectiontimeout.*'10q'/);
refused('bad ProxySet parameter', 'ProxySet http://127.0.0.1:8080/ ttl=forever',
    qr/ttl.*'forever'/);
refused('bad ProxyTimeout', 'ProxyTimeout soon', qr/ProxyTimeout.*'soon'/);
refused('ProxySourceAddress that is no address',
    'ProxySourceAddress no-such-host.invalid',
    qr/ProxySourceAddress: 'no-such-host\.invalid'/);

# Directive values.
refused('receivebuffersize below 512',
    'ProxyPass /x/ http://127.0.0.1:8080/ receivebuffersize=100',
    qr/receivebuffersize must be 0 \(the system's size\) or a number of bytes from 512, not '100'/);
refused('ProxyReceiveBufferSize not a number', 'ProxyReceiveBufferSize big',
    qr/ProxyReceiveBufferSize must be 0 .*not 'big'/);
refused('flusher other than flush',
    'ProxyPass /x/ http://127.0.0.1:8080/ flusher=myflusher',
    qr/flusher must be flush .*not 'myflusher'/);
# Health checks of a worker outside balancers run in mod_proxy_balancer.
{
    my ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        'ProxyPass /x/ http://127.0.0.1:8080/ hcmethod=GET');
    isnt($rc, 0, 'hcmethod outside a balancer without mod_proxy_balancer: refused');
    like($out, qr/RL01037: worker http:\/\/127\.0\.0\.1:8080\/ .*health checks run in Relay's mod_proxy_balancer: load it/,
        '... naming the module to load') or diag($out);
}
refused('bad status outside a balancer',
    'ProxyPass /x/ http://127.0.0.1:8080/ status=+Q',
    qr/status must be made of .*not '\+Q'/);
refused('ProxyVia bad value', 'ProxyVia Sometimes', qr/ProxyVia.*'Sometimes'/);
refused('ProxyErrorOverride bad code', 'ProxyErrorOverride On 200',
    qr/ProxyErrorOverride.*'200'/);
refused('ProxyErrorOverride bad flag', 'ProxyErrorOverride Maybe',
    qr/ProxyErrorOverride.*'Maybe'/);
refused('ProxyBadHeader bad value', 'ProxyBadHeader Explode',
    qr/ProxyBadHeader.*'Explode'/);

# Contexts.
refused('ProxyPass inside <Directory>', 'ProxyPass http://127.0.0.1:8080/',
    qr/ProxyPass cannot occur within <Directory> section/,
    before => ["<Directory \"$dir\">"], after => ['</Directory>']);
refused('ProxyPassMatch inside <Files>', 'ProxyPassMatch http://127.0.0.1:8080/',
    qr/ProxyPassMatch cannot occur within <Files> section/,
    before => ['<Files "x.html">'], after => ['</Files>']);

# A valid configuration with the directives in their contexts.
{
    my ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        'ProxyRequests Off',
        'ProxyVia Full',
        'ProxyTimeout 30',
        'ProxyBadHeader Ignore',
        'ProxyIOBufferSize 16384',
        'ProxyMaxForwards 10',
        'ProxyPass /skip !',
        'ProxyPass /app/ http://127.0.0.1:8080/app/ timeout=5 '
            . 'connectiontimeout=500ms retry=0 keepalive=On max=20 ttl=30 '
            . 'flushpackets=auto upgrade=websocket',
        'ProxyPass /raw/ http://127.0.0.1:8080/raw/ nocanon noquery '
            . 'disablereuse=On',
        'ProxyPassMatch ^/m/(.*)$ http://127.0.0.1:8080/m/$1',
        'ProxyPassReverse /app/ http://127.0.0.1:8080/app/',
        'ProxyPassReverseCookieDomain origin.internal example.org',
        'ProxyPassReverseCookiePath /app/ /',
        'ProxyPreserveHost On',
        'ProxyAddHeaders Off',
        'ProxyErrorOverride On 502 503',
        'Proxy100Continue Off',
        '<Proxy http://127.0.0.1:8080/app/>',
        '    ProxySet timeout=10',
        '    Require all granted',
        '</Proxy>',
        '<ProxyMatch "^http://127\.0\.0\.1:8080/m/">',
        '    Require ip 127.0.0.1',
        '</ProxyMatch>',
        '<Location /loc/>',
        '    ProxyPass http://127.0.0.1:8080/loc/',
        '    ProxyPassReverse http://127.0.0.1:8080/loc/',
        '</Location>',
        '<VirtualHost 127.0.0.1:8081>',
        '    ProxyPassInherit Off',
        '    ProxyPass / ws://127.0.0.1:8080/',
        '</VirtualHost>');
    is($rc, 0, 'valid configuration: passes -t');
    like($out, qr/Syntax OK/, 'valid configuration: Syntax OK');
    unlike($out, qr/RL\d{5}/, 'valid configuration: no Relay warning')
        or diag($out);
}

# ProxyRequests On without any <Proxy> section: a warning, not an error.
{
    my ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        'ProxyRequests On');
    is($rc, 0, 'open forward proxy: still passes -t');
    like($out, qr/\[proxy:warn\].*RL01030:.*ProxyRequests On.*<Proxy>/,
        'open forward proxy: warned (RL01030)');
    ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        'ProxyRequests On', '<Proxy *>', '    Require ip 127.0.0.1',
        '</Proxy>');
    ok($rc == 0 && $out !~ /RL01030/,
        'forward proxy with a <Proxy> section: no warning')
        or diag($out);
    ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        '<VirtualHost 127.0.0.1:8081>', '    ProxyRequests On',
        '</VirtualHost>');
    like($out, qr/RL01030:.*server \S+:8081 /,
        'open forward proxy in a virtual host: warned, naming it');
}

# ProxyPass lines to one URL share its worker; only parameters given
# again are ignored, with RL01001. Without any, sharing is silent.
{
    my ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        'ProxyPass /a/ http://127.0.0.1:1/', 'ProxyPass /b/ http://127.0.0.1:1/',
        '<VirtualHost 127.0.0.1:8081>',
        '    ProxyPass /c/ http://127.0.0.1:1/x/',
        '    ProxyPass /d/ http://127.0.0.1:1/x/ nocanon', '</VirtualHost>');
    ok($rc == 0 && $out !~ /RL01001/,
        'shared worker without parameters: no warning')
        or diag($out);
    ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        'ProxyPass /a/ http://127.0.0.1:1/',
        'ProxyPass /b/ http://127.0.0.1:1/ timeout=5');
    like($out, qr/RL01001:.*worker http:\/\/127\.0\.0\.1:1\/ was already/,
        'shared worker given parameters again: warned (RL01001)');
}

# The stock mod_proxy with Relay's mod_proxy_http.
{
    my ($rc, $out) = configtest(undef,
        ['LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so',
            $relay_http]);
    isnt($rc, 0, 'stock mod_proxy + Relay mod_proxy_http: refused');
    like($out, qr/RL00001:.*mod_proxy_http\.c.*httpd's own mod_proxy\.c/,
        'stock mod_proxy + Relay mod_proxy_http: RL00001 names the stock module');
    my ($plain) = configtest(undef,
        ['LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so',
            'LoadModule proxy_http_module '
                . '/usr/lib/apache2/modules/mod_proxy_http.so']);
    is($plain, 0, 'the stock pair alone passes -t (the refusal is the mix)');
}

# <IfModule> by the stock module's name and identifier selects Relay.
{
    my ($rc, $out) = configtest(undef, [$relay_proxy, $relay_http],
        '<IfModule mod_proxy.c>',
        '    ProxyPass /a/ http://127.0.0.1:8080/a/',
        '</IfModule>',
        '<IfModule proxy_module>',
        '    ProxyPass /b/ http://127.0.0.1:8080/b/',
        '</IfModule>',
        '<IfModule mod_proxy_http.c>',
        '    ProxyPass /c/ http://127.0.0.1:8080/c/',
        '</IfModule>',
        '<IfModule !mod_proxy.c>',
        '    ThisIsNoDirective',
        '</IfModule>');
    is($rc, 0, '<IfModule mod_proxy.c>-guarded configuration passes -t')
        or diag($out);
}
refused('<IfModule mod_proxy.c> is entered', 'ProxyVia Perhaps',
    qr/ProxyVia.*'Perhaps'/,
    before => ['<IfModule mod_proxy.c>'], after => ['</IfModule>']);
refused('<IfModule proxy_module> is entered', 'ProxyBadHeader Perhaps',
    qr/ProxyBadHeader.*'Perhaps'/,
    before => ['<IfModule proxy_module>'], after => ['</IfModule>']);
