# Licensed under the Apache License, Version 2.0.
#
# Balancer directives and parameters at `apache2 -t` (standalone cases,
# Relay::ConfigTest): each bad value is refused with the file, the line
# and the cause; a configuration using every parameter passes;
# BalancerInherit Off hides the main server's balancers from a virtual
# host (a ProxyPass to one is then refused, RL01300); health checks over
# HTTP on an https:// member are refused (RL01303). The lb method
# modules' names (Relay's mod_lbmethod_*.so) make <IfModule> blocks that
# test for them apply, and refuse to start without Relay's balancer
# (RL05025).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Relay::ConfigTest;

plan tests => 52 + 6 * 2 + 3;

my $build = relay_module_dir();
my @modules = ("LoadModule proxy_module $build/mod_proxy.so",
    "LoadModule proxy_http_module $build/mod_proxy_http.so",
    "LoadModule proxy_balancer_module $build/mod_proxy_balancer.so");

# $bad inside <Proxy balancer://c> (with a good member before it) is
# refused with file, line and $why. Two tests.
sub refused {
    my ($name, $bad, $why, %o) = @_;
    my @body = $o{bare} ? ($bad)
        : ('<Proxy balancer://c>',
           '    BalancerMember http://127.0.0.1:8080/a', $bad, '</Proxy>');
    my ($rc, $out, $file, $line) = configtest($bad, \@modules, @body);
    isnt($rc, 0, "$name: refused");
    like($out, qr/line \Q$line\E of \Q$file\E:\n.*$why/,
        "$name: message names the file, the line and the cause")
        or diag($out);
}

refused('failonstatus not a code', '    ProxySet failonstatus=5xx',
    qr/failonstatus must be status codes.*'5xx'/);
refused('failonstatus out of range', '    ProxySet failonstatus=503,700',
    qr/failonstatus.*'503,700'/);
refused('failontimeout not a flag', '    ProxySet failontimeout=yes',
    qr/failontimeout must be On or Off, not 'yes'/);
refused('forcerecovery not a flag', '    ProxySet forcerecovery=2',
    qr/forcerecovery must be On or Off, not '2'/);
refused('balancer timeout not a time', '    ProxySet timeout=soon',
    qr/timeout must be a time.*'soon'/);
refused('growth out of range', '    ProxySet growth=5000',
    qr/growth must be a number from 0 to 1000, not '5000'/);
refused('unknown hcmethod',
    '    BalancerMember http://127.0.0.1:8080/b hcmethod=PING',
    qr/hcmethod must be TCP, OPTIONS, HEAD, GET, OPTIONS11, HEAD11, GET11 or None, not 'PING'/);
refused('hcinterval of zero',
    '    BalancerMember http://127.0.0.1:8080/b hcinterval=0',
    qr/hcinterval must be a time of at least 10 ms, not '0'/);
refused('hcuri not a path', '    ProxySet hcuri=health',
    qr/hcuri must be a path from \/, not 'health'/);
refused('hcfails of zero',
    '    BalancerMember http://127.0.0.1:8080/b hcfails=0',
    qr/hcfails must be a number from 1 to 1000, not '0'/);
refused('bad status letter',
    '    BalancerMember http://127.0.0.1:8080/b status=+X',
    qr/status must be made of \+H, \+D, \+S, \+I, \+E, \+N, \+R and \+C, not '\+X'/);
refused('loadfactor below 1', '    BalancerMember http://127.0.0.1:8080/b loadfactor=0.5',
    qr/loadfactor must be a number from 1 to 100 \(two decimals at most\), not '0\.5'/);
refused('loadfactor with three decimals',
    '    BalancerMember http://127.0.0.1:8080/b loadfactor=2.125',
    qr/loadfactor must be .*not '2\.125'/);
refused('loadfactor over 100', '    BalancerMember http://127.0.0.1:8080/b loadfactor=100.5',
    qr/loadfactor must be .*not '100\.5'/);
refused('stickysessionsep of two characters', '    ProxySet stickysessionsep=ab',
    qr/stickysessionsep must be one character or Off, not 'ab'/);
refused('lbmethod=heartbeat', '    ProxySet lbmethod=heartbeat',
    qr/lbmethod=heartbeat .*mod_heartmonitor.*use lbmethod=bybusyness/);
refused('hcexpr without mod_proxy_hcheck',
    '    BalancerMember http://127.0.0.1:8080/b hcmethod=GET hcexpr=ok',
    qr/hcexpr needs Relay's mod_proxy_hcheck, loaded before this line/);
refused('hctemplate without mod_proxy_hcheck',
    '    BalancerMember http://127.0.0.1:8080/b hctemplate=t',
    qr/hctemplate needs Relay's mod_proxy_hcheck/);
{
    my @hc = (@modules,
        "LoadModule proxy_hcheck_module $build/mod_proxy_hcheck.so");
    my $bad = '    BalancerMember http://127.0.0.1:8080/b hcexpr=nosuch';
    my ($rc, $out, $file, $line) = configtest($bad, \@hc,
        '<Proxy balancer://c>', $bad, '</Proxy>');
    like($out, qr/line \Q$line\E of \Q$file\E:\n.*hcexpr=nosuch: no ProxyHCExpr of that name/,
        'hcexpr naming no ProxyHCExpr: refused with file and line');
    ($rc, $out) = configtest(undef, \@hc, 'ProxyHCExpr broken {%{REQUEST_STATUS} =~}');
    like($out, qr/ProxyHCExpr broken: /, 'a ProxyHCExpr that does not parse: refused');
    ($rc, $out) = configtest(undef, \@hc, 'ProxyHCTemplate t hcmethod=GET hcfoo=1',
        '<Proxy balancer://c>',
        '    BalancerMember http://127.0.0.1:8080/b hctemplate=t', '</Proxy>');
    like($out, qr/ProxyHCTemplate t: unknown key 'hcfoo'/,
        'a template with an unknown key: refused where it is used');
    ($rc, $out) = configtest(undef, \@hc, 'ProxyHCTPsize 8',
        'ProxyHCExpr ok {%{REQUEST_STATUS} =~ /^2/}',
        'ProxyHCTemplate t hcmethod=HEAD hcinterval=5',
        '<Proxy balancer://c>',
        '    BalancerMember http://127.0.0.1:8080/b hctemplate=t hcexpr=ok',
        '</Proxy>', 'ProxyPass /c/ balancer://c/');
    is($rc, 0, 'ProxyHCTPsize, ProxyHCExpr, ProxyHCTemplate, hctemplate=, '
        . 'hcexpr=: accepted') or diag($out);
}
refused('BalancerGrowth not a number', 'BalancerGrowth many',
    qr/BalancerGrowth must be a number from 0 to 1000, not 'many'/, bare => 1);
refused('BalancerInherit not a flag', 'BalancerInherit Sometimes',
    qr/BalancerInherit must be On or Off/, bare => 1);

# Every parameter, valid.
{
    my ($rc, $out) = configtest(undef, \@modules,
        'BalancerGrowth 4',
        'BalancerInherit On',
        '<Proxy balancer://all>',
        '    BalancerMember http://127.0.0.1:8080/a route=a redirect=b '
            . 'status=+N hcmethod=GET hcuri=/health hcinterval=5 hcpasses=2 '
            . 'hcfails=3 hctimeout=500ms loadfactor=2.5',
        '    BalancerMember http://127.0.0.1:8080/c status=+R',
        '    BalancerMember http://127.0.0.1:8080/d status=+C loadfactor=100',
        '    BalancerMember http://127.0.0.1:8080/b route=b hcmethod=TCP',
        '    ProxySet failonstatus=500,503 failontimeout=On forcerecovery=Off '
            . 'timeout=5 growth=2 nofailover=Off maxattempts=1 nonce=None '
            . 'hcmethod=HEAD stickysessionsep=_',
        '</Proxy>',
        'ProxyPass /all/ balancer://all/');
    is($rc, 0, 'every parameter: passes -t') or diag($out);
    unlike($out, qr/RL\d{5}/, 'every parameter: no Relay warning')
        or diag($out);
}

# BalancerInherit.
{
    my @body = ('BalancerMember balancer://main http://127.0.0.1:8080/m',
        '<VirtualHost 127.0.0.1:8081>', 'INHERIT',
        '    ProxyPass /m/ balancer://main/', '</VirtualHost>');
    my ($rc, $out) = configtest(undef, \@modules,
        map { $_ eq 'INHERIT' ? '    BalancerInherit On' : $_ } @body);
    is($rc, 0, 'BalancerInherit On: the vhost uses the main balancer')
        or diag($out);
    ($rc, $out) = configtest(undef, \@modules,
        map { $_ eq 'INHERIT' ? '    BalancerInherit Off' : $_ } @body);
    isnt($rc, 0, 'BalancerInherit Off: the vhost has no such balancer');
    like($out, qr/RL01300: ProxyPass at .*: balancer:\/\/main\/ has no BalancerMember/,
        'BalancerInherit Off: refused with RL01300') or diag($out);
}

# HTTP health checks need an http:// member.
{
    my ($rc, $out) = configtest(undef, [@modules,
        "LoadModule proxy_ssl_module $build/mod_proxy_ssl.so"],
        'SSLProxyEngine On',
        '<Proxy balancer://tls>',
        '    BalancerMember https://127.0.0.1:8443/ hcmethod=GET',
        '</Proxy>');
    isnt($rc, 0, 'hcmethod=GET on an https:// member: refused');
    like($out, qr/RL01303: balancer balancer:\/\/tls .*hcmethod=GET needs an http:\/\/ member; use hcmethod=TCP/,
        'hcmethod=GET on https://: says to use TCP (RL01303)') or diag($out);
    ($rc, $out) = configtest(undef, [@modules,
        "LoadModule proxy_ssl_module $build/mod_proxy_ssl.so"],
        'SSLProxyEngine On',
        '<Proxy balancer://tls>',
        '    BalancerMember https://127.0.0.1:8443/ hcmethod=TCP',
        '</Proxy>');
    is($rc, 0, 'hcmethod=TCP on an https:// member: accepted') or diag($out);
}

# <IfModule> on an lb method module: with Relay's names loaded, a balancer
# defined inside the block exists (the ProxyPass outside it starts);
# without them the block is skipped and the ProxyPass has no balancer.
{
    my @identities = map {
        "LoadModule lbmethod_${_}_module $build/mod_lbmethod_$_.so"
    } qw(byrequests bybusyness bytraffic);
    for my $method (qw(byrequests bybusyness bytraffic)) {
        for my $name ("mod_lbmethod_$method.c", "lbmethod_${method}_module") {
            my @body = ("<IfModule $name>", '    <Proxy balancer://in>',
                '        BalancerMember http://127.0.0.1:8080/a',
                "        ProxySet lbmethod=$method", '    </Proxy>',
                '</IfModule>', 'ProxyPass /in/ balancer://in/');
            my ($rc, $out) = configtest(undef, [@modules, @identities], @body);
            is($rc, 0, "<IfModule $name>: applies with Relay's names loaded")
                or diag($out);
            ($rc, $out) = configtest(undef, \@modules, @body);
            like($out, qr/RL01300: ProxyPass at .*balancer:\/\/in\/ has no BalancerMember/,
                "<IfModule $name>: skipped without them (RL01300)");
        }
    }
    my ($rc, $out) = configtest(undef,
        [(grep { !/proxy_balancer/ } @modules), $identities[0]], 'ServerName x');
    isnt($rc, 0, "an lb method module without Relay's balancer: refused");
    like($out, qr/RL05025: Relay's mod_lbmethod_byrequests\.c stands for .*load Relay's mod_proxy_balancer\.so/,
        'the message names the module to load (RL05025)') or diag($out);
    ($rc, $out) = configtest(undef, [@modules, @identities], 'ServerName x');
    unlike($out, qr/RL\d{5}|warn/i, 'with the balancer: no warning') or diag($out);
}
