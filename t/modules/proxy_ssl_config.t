# Licensed under the Apache License, Version 2.0.
#
# mod_proxy_ssl's configuration at startup, in small standalone httpd
# configurations (written under t/logs): an https:// ProxyPass where
# SSLProxyEngine is off stops startup (RL03190, naming the worker and the
# line that defined it; stock fails each request with 500 instead), and
# SSLProxyEngine On in a <Proxy> section for the URL is enough; bad
# SSLProxy* values and missing files are refused with file and line; a
# client certificate file without its key is refused at startup; and Relay
# runs with stock mod_ssl in both LoadModule orders: `-t` passes, and a
# server started with mod_ssl loaded first serves a request that arrives
# over TLS (SSLEngine on) and goes on to an https origin.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Relay::ConfigTest;
use IO::Socket::INET ();
use IO::Socket::SSL ();
use Time::HiRes ();
use Relay::Test;

plan tests => 33;

my $dir = case_dir('proxy_ssl_config');
my $build = relay_module_dir();
my $tls = $ENV{RELAY_TLS_DIR} // die "RELAY_TLS_DIR is not set\n";
my $origin = 'https://localhost:' . ($ENV{RELAY_TLS_PORT} // 0) . '/';

my @relay = ("LoadModule proxy_module $build/mod_proxy.so",
    "LoadModule proxy_http_module $build/mod_proxy_http.so",
    "LoadModule proxy_ssl_module $build/mod_proxy_ssl.so");
my $mod_ssl = 'LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so';

# A directive line refused at -t with file, line and $why. Two tests.
sub refused {
    my ($name, $bad, $why, %o) = @_;
    my ($rc, $out, $file, $line) = configtest($bad, \@relay,
        @{ $o{before} // [] }, $bad, @{ $o{after} // [] });
    isnt($rc, 0, "$name: refused");
    like($out, qr/line \Q$line\E of \Q$file\E:\n.*$why/,
        "$name: message names the file, the line and the cause") or diag($out);
}

# ----------------------------------------------------- SSLProxyEngine
{
    my $pass = "ProxyPass /x/ $origin";
    my ($rc, $out, $file, $line) = configtest($pass, \@relay, $pass);
    isnt($rc, 0, 'https:// ProxyPass without SSLProxyEngine: startup refused');
    like($out, qr/RL03190: worker \Q$origin\E \(defined at \Q$file\E:$line\): TLS to origins is off here: add SSLProxyEngine On/,
        'RL03190 names the worker, where it is defined and the fix');
    ($rc, $out) = configtest(undef, \@relay, 'SSLProxyEngine On',
        '<VirtualHost 127.0.0.1:8081>', '    SSLProxyEngine Off',
        "    ProxyPass /x/ $origin", '</VirtualHost>');
    like($out, qr/RL03190:/, 'SSLProxyEngine Off in the virtual host of the ProxyPass: refused');
    ($rc, $out) = configtest(undef, \@relay, $pass, "<Proxy $origin>",
        '    SSLProxyEngine On', '</Proxy>');
    is($rc, 0, 'SSLProxyEngine On in a <Proxy> section for the URL: passes')
        or diag($out);
    ($rc, $out) = configtest(undef, \@relay, 'SSLProxyEngine On',
        "ProxyPass /x/ $origin", "ProxyPass /w/ wss://localhost:1/",
        "SSLProxyCACertificateFile \"$tls/ca.pem\"",
        'SSLProxyVerify require', 'SSLProxyVerifyDepth 3',
        "SSLProxyCACertificatePath \"$tls/capath\"",
        "SSLProxyCARevocationFile \"$tls/crl.pem\"",
        "SSLProxyCARevocationPath \"$tls/crlpath\"",
        'SSLProxyCARevocationCheck chain', 'SSLProxyCheckPeerName on',
        'SSLProxyCheckPeerCN on', 'SSLProxyCheckPeerExpire on',
        "SSLProxyMachineCertificateFile \"$tls/client.pem\"",
        "SSLProxyMachineCertificatePath \"$tls/clientpath\"",
        "SSLProxyMachineCertificateChainFile \"$tls/ca.pem\"",
        'SSLProxyProtocol all -SSLv3 -TLSv1', 'SSLProxyCipherSuite HIGH:!aNULL',
        'SSLProxyCipherSuite TLSv1.3 TLS_AES_128_GCM_SHA256');
    is($rc, 0, 'every directive at server level: passes') or diag($out);
}

# ------------------------------------------------------- bad values
refused('SSLProxyVerify', 'SSLProxyVerify sometimes',
    qr/SSLProxyVerify must be .*'sometimes'/);
refused('SSLProxyVerifyDepth', 'SSLProxyVerifyDepth deep',
    qr/SSLProxyVerifyDepth .*'deep'/);
refused('SSLProxyProtocol word', 'SSLProxyProtocol +TLSv9',
    qr/SSLProxyProtocol: '\+TLSv9'/);
refused('SSLProxyProtocol empty set', 'SSLProxyProtocol -all',
    qr/SSLProxyProtocol leaves no protocol/);
refused('SSLProxyCipherSuite', 'SSLProxyCipherSuite NO-SUCH-CIPHER',
    qr/SSLProxyCipherSuite: OpenSSL accepts no cipher in 'NO-SUCH-CIPHER'/);
refused('SSLProxyCipherSuite protocol', 'SSLProxyCipherSuite TLSv1.2 HIGH',
    qr/SSLProxyCipherSuite: 'TLSv1\.2' is not a protocol/);
refused('missing CA file', 'SSLProxyCACertificateFile /nonexistent/ca.pem',
    qr/SSLProxyCACertificateFile: '\/nonexistent\/ca\.pem' does not exist or is not a file/);
refused('SSLProxyEngine in <Location>', 'SSLProxyEngine On',
    qr/SSLProxyEngine not allowed in <Location> context/,
    before => ['<Location /x/>'], after => ['</Location>']);
{
    my ($rc, $out) = configtest(undef, \@relay, 'SSLProxyEngine On',
        "SSLProxyMachineCertificateFile \"$tls/ca.pem\"",
        "ProxyPass /x/ $origin");
    isnt($rc, 0, 'client certificate file without a key: refused');
    like($out, qr/RL03190: .*ca\.pem' holds no client certificate with its matching private key/,
        'client certificate file without a key: the reason');
}

# ------------------------------------------- with stock mod_ssl, both orders
my @ssl_vhost = (
    'SSLProxyEngine On',
    "SSLProxyCACertificateFile \"$tls/ca.pem\"",
    "SSLCertificateFile \"$tls/good.pem\"",
    "SSLCertificateKeyFile \"$tls/good.key\"",
    'SSLEngine on',
    'ProxyPreserveHost On',
    "ProxyPass / $origin",
    "ProxyPassReverse / $origin",
);
for my $order (['mod_ssl first', [$mod_ssl, @relay]],
               ['Relay first', [@relay, $mod_ssl]]) {
    my ($name, $modules) = @$order;
    my ($rc, $out) = configtest(undef, $modules, 'Listen 127.0.0.1:8443',
        '<VirtualHost 127.0.0.1:8443>', @ssl_vhost, '</VirtualHost>');
    is($rc, 0, "$name: SSL virtual host with SSLProxyEngine passes -t")
        or diag($out);
    unlike($out, qr/RL\d{5}/, "$name: no Relay message");
}

# A server of its own, mod_ssl loaded first, one request end to end.
{
    my $port = do {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
            Listen => 1) or die "bind: $@";
        $s->sockport;
    };
    my @user = $> == 0 ? ('User nobody', 'Group nogroup') : ();
    my ($file, undef, $pidfile) = write_conf(undef, [$mod_ssl, @relay], @user,
        "Listen 127.0.0.1:$port", "<VirtualHost 127.0.0.1:$port>",
        @ssl_vhost, '</VirtualHost>');
    my ($rc, $out) = run_httpd('-f', $file, '-k', 'start');
    is($rc, 0, 'mod_ssl first: server started') or diag($out);
    my $deadline = Time::HiRes::time() + 10;
    my $client;
    while (!$client && Time::HiRes::time() < $deadline) {
        $client = IO::Socket::SSL->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, SSL_hostname => 'origin.relay.test',
            SSL_ca_file => "$tls/ca.pem", SSL_verifycn_name => 'localhost',
            Timeout => 5);
        Time::HiRes::sleep(0.1) unless $client;
    }
    ok($client, 'client TLS to the SSLEngine virtual host')
        or diag(IO::Socket::SSL::errstr());
    my $raw = '';
    if ($client) {
        print $client "GET /echo HTTP/1.1\r\nHost: origin.relay.test\r\n"
            . "Connection: close\r\n\r\n";
        read_until($client, \$raw, undef, 15);
        close $client;
    }
    my $res = parse_response($raw) // { status => 0, body => '' };
    is($res->{status}, 200, 'TLS in, TLS out: 200');
    like($res->{body}, qr/^tls-sni: origin\.relay\.test$/m,
        'ProxyPreserveHost: the client Host is the origin SNI');
    like($res->{body}, qr/^header: Host: origin\.relay\.test$/m,
        'the origin got the request');
    my $pid = do { open my $fh, '<', $pidfile; <$fh> } // '';
    chomp $pid;
    ok($pid =~ /^\d+\z/ && kill('TERM', $pid), 'server stopped by its pid');
    $deadline = Time::HiRes::time() + 10;
    Time::HiRes::sleep(0.1) while kill(0, $pid) && Time::HiRes::time() < $deadline;
}
