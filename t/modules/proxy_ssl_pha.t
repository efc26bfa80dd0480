# Licensed under the Apache License, Version 2.0.
#
# TLS 1.3 post-handshake client authentication: a real httpd origin (stock
# mod_ssl, TLS 1.3 only) asks for the client certificate only under
# /private/ (SSLVerifyClient require in a <Location>), after the
# handshake. Relay, with SSLProxyMachineCertificateFile, answers that
# request: /private/ is served (stock mod_ssl as a proxy does the same);
# /public/ needs no certificate; without a machine certificate /private/
# is refused by the origin (403 passed on).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use File::Spec ();

use Relay::Test;
use Relay::Client;
use Relay::ConfigTest qw(start_case stop_case relay_load_line case_dir);
use Relay::DiskCache ();

plan tests => 5, need {
    'the stock mod_ssl' => -f '/usr/lib/apache2/modules/mod_ssl.so',
    'the test PKI (scripts/relay-test makes it)' => ($ENV{RELAY_TLS_DIR} // '') ne '',
};

my $dir = case_dir('proxy_ssl_pha');
my $tls = $ENV{RELAY_TLS_DIR};
my @user = $> == 0 ? ('User nobody', 'Group nogroup') : ();
my $docs = File::Spec->catdir($dir, 'docs');
for my $sub (qw(private public)) {
    make_path("$docs/$sub");
    open my $fh, '>', "$docs/$sub/x.txt" or die "$docs/$sub/x.txt: $!";
    print $fh "$sub page\n";
    close $fh;
}
chmod 0755, $dir;
my @servers;
END { stop_case($_) for @servers }

my $origin = Relay::DiskCache::free_port();
push @servers, start_case(
    ['LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so'], [$origin],
    @user, "Listen 127.0.0.1:$origin", "DocumentRoot \"$docs\"",
    "<Directory \"$docs\">", 'Require all granted', '</Directory>',
    'SSLEngine on', 'SSLProtocol -all +TLSv1.3',
    "SSLCertificateFile \"$tls/good.pem\"",
    "SSLCertificateKeyFile \"$tls/good.key\"",
    "SSLCACertificateFile \"$tls/ca.pem\"",
    '<Location /private/>', 'SSLVerifyClient require', '</Location>');

my ($with, $without) = map { Relay::DiskCache::free_port() } 1 .. 2;
push @servers, start_case(
    [relay_load_line('proxy_module', 'mod_proxy.so'),
     relay_load_line('proxy_http_module', 'mod_proxy_http.so'),
     relay_load_line('proxy_ssl_module', 'mod_proxy_ssl.so')],
    [$with, $without], @user,
    "Listen 127.0.0.1:$with", "Listen 127.0.0.1:$without",
    'SSLProxyEngine On', "SSLProxyCACertificateFile \"$tls/ca.pem\"",
    "<VirtualHost 127.0.0.1:$with>",
    "    SSLProxyMachineCertificateFile \"$tls/client.pem\"",
    "    ProxyPass / https://localhost:$origin/",
    '</VirtualHost>',
    "<VirtualHost 127.0.0.1:$without>",
    "    ProxyPass / https://localhost:$origin/",
    '</VirtualHost>');

sub get {
    my ($port, $path) = @_;
    my $c = Relay::Client->new($port, timeout => 10);
    my $res = $c->get($path, Connection => 'close');
    $c->disconnect;
    return $res // { status => 0, body => '' };
}

my $res = get($with, '/public/x.txt');
ok($res->{status} == 200 && $res->{body} eq "public page\n",
   'TLS 1.3 origin, no certificate asked: served');
$res = get($with, '/private/x.txt');
is($res->{status}, 200,
   'a certificate asked for after the handshake: Relay presents its own');
is($res->{body}, "private page\n", '... and the page comes back');
$res = get($with, '/private/x.txt');
is($res->{status}, 200, '... again on a pooled connection');
$res = get($without, '/private/x.txt');
is($res->{status}, 403, 'without a machine certificate: the origin refuses (403)');
