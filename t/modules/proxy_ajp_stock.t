# Licensed under the Apache License, Version 2.0.
#
# A Tomcat site serves the same pages through Relay's mod_proxy_ajp as
# through the stock modules. Two servers of their own run one
# configuration (ProxyPass with secret=, ProxyPassMatch, a <Location>
# ProxyPass, a sticky balancer of the suite's two Tomcat connectors, a
# wrong secret, a dead port, and an https front end asking for a client
# certificate), one with httpd's own mod_proxy, mod_proxy_ajp and
# mod_proxy_balancer, one with Relay's. For a table of requests, the
# status, the response fields a site relies on, and what the servlet saw
# (t/tomcat/webapps/ROOT/info.jsp: less the client's port, the front
# end's port and the TLS session id) must be equal.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use IO::Socket::INET ();
use IO::Socket::SSL ();

use lib 't/lib';
use Relay::ConfigTest qw(start_case stop_case relay_load_line case_dir);
use Relay::DiskCache ();
use Relay::Test qw(read_until parse_response header_values dechunk);

my $stock_dir = '/usr/lib/apache2/modules';
plan tests => 18, need {
    'Tomcat running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_AJP_PORT} // 9) != 9,
    'the stock mod_proxy_ajp' => -f "$stock_dir/mod_proxy_ajp.so",
};

my $ajp = "127.0.0.1:$ENV{RELAY_AJP_PORT}";
my $ajp2 = "127.0.0.1:$ENV{RELAY_AJP2_PORT}";
my $tls = $ENV{RELAY_TLS_DIR};
case_dir('proxy_ajp_stock');

sub start {
    my ($modules) = @_;
    my $port = Relay::DiskCache::free_port();
    my $tls_port = Relay::DiskCache::free_port();
    my @user = $> == 0 ? ('User nobody', 'Group nogroup') : ();
    my $s = start_case($modules, [$port, $tls_port], @user,
        "Listen 127.0.0.1:$port", "Listen 127.0.0.1:$tls_port",
        'LogLevel warn',
        "ProxyPass /app/ ajp://$ajp/ secret=relay-secret",
        "ProxyPassMatch ^/match/(.*\\.jsp)\$ ajp://$ajp/\$1 secret=relay-secret",
        "ProxyPass /wrong/ ajp://localhost:$ENV{RELAY_AJP_PORT}/ secret=not-it",
        "ProxyPass /down/ ajp://127.0.0.1:$ENV{RELAY_DEAD_PORT}/",
        '<Location /loc/>', "ProxyPass ajp://$ajp/ secret=relay-secret", '</Location>',
        "ProxyPass /lb/ balancer://tomcats/",
        '<Proxy balancer://tomcats>',
        "BalancerMember ajp://$ajp route=tc1 secret=relay-secret",
        "BalancerMember ajp://$ajp2 route=tc2 secret=relay-secret",
        'ProxySet stickysession=JSESSIONID|jsessionid',
        '</Proxy>',
        "<VirtualHost 127.0.0.1:$tls_port>",
        'SSLEngine on',
        "SSLCertificateFile $tls/good.pem",
        "SSLCertificateKeyFile $tls/good.key",
        "SSLCACertificateFile $tls/ca.pem",
        'SSLVerifyClient optional',
        "ProxyPass / ajp://$ajp/ secret=relay-secret",
        '</VirtualHost>');
    @$s{qw(port tls_port)} = ($port, $tls_port);
    return $s;
}

my $ssl = ['LoadModule ssl_module /usr/lib/apache2/modules/mod_ssl.so'];
my $stock = start([
    "LoadModule proxy_module $stock_dir/mod_proxy.so",
    "LoadModule proxy_ajp_module $stock_dir/mod_proxy_ajp.so",
    "LoadModule proxy_balancer_module $stock_dir/mod_proxy_balancer.so",
    "LoadModule lbmethod_byrequests_module $stock_dir/mod_lbmethod_byrequests.so",
    "LoadModule slotmem_shm_module $stock_dir/mod_slotmem_shm.so", @$ssl]);
my $relay = start([relay_load_line('proxy_module', 'mod_proxy.so'),
    relay_load_line('proxy_ajp_module', 'mod_proxy_ajp.so'),
    relay_load_line('proxy_balancer_module', 'mod_proxy_balancer.so'),
    @$ssl]);

# One request on a fresh connection; the response as a hash of status,
# fields and body (Relay::Test::parse_response).
sub fetch {
    my ($s, $method, $path, $fields, $body, $tls_opts) = @_;
    my $sock = $tls_opts
        ? IO::Socket::SSL->new(PeerAddr => '127.0.0.1',
              PeerPort => $s->{tls_port}, SSL_verify_mode => 0,
              Timeout => 15, @$tls_opts)
        : IO::Socket::INET->new(PeerAddr => "127.0.0.1:$s->{port}",
              Timeout => 15);
    return { status => 0, headers => [], body => '' } if !$sock;
    $body //= '';
    my $head = "$method $path HTTP/1.1\r\nHost: relay.test\r\n"
        . "Connection: close\r\n" . join('', map { "$_\r\n" } @{ $fields // [] });
    $head .= 'Content-Length: ' . length($body) . "\r\n" if length $body;
    print $sock "$head\r\n$body";
    my $raw = '';
    read_until($sock, \$raw, undef, 20);
    my $res = parse_response($raw)
        // { status => 0, headers => [], body => $raw };
    if (grep { lc eq 'chunked' } header_values($res, 'Transfer-Encoding')) {
        ($res->{body}) = dechunk($res->{body});
    }
    return $res;
}

# What a page shows of a response: the status, the fields a site relies
# on, and the servlet's view less what differs between any two servers.
my %volatile = map { $_ => 1 } qw(remote-port server-port local-port
    ssl-session);

sub view {
    my ($res) = @_;
    my @fields = map {
        my $name = $_;
        map { "$name: $_" } header_values($res, $name)
    } qw(Content-Type Location Set-Cookie Content-Language);
    my @body = grep { /^([\w-]+)/ && !$volatile{$1} }
        split /\n/, $res->{body} // '';
    return join("\n", "status: $res->{status}", @fields, @body);
}

sub same {
    my ($what, @request) = @_;
    my $s = view(fetch($stock, @request));
    my $r = view(fetch($relay, @request));
    is($r, $s, "$what: as stock") or diag "stock:\n$s\n\nRelay:\n$r";
}

is(fetch($stock, 'GET', '/app/info.jsp')->{status}, 200,
   'the stock server reaches Tomcat');

same('GET with a query', 'GET', '/app/info.jsp?a=1&b=%20c',
     ['X-Relay-Test: same', 'Accept-Language: de']);
same('an encoded path', 'GET', '/app/%69nfo.jsp?x');
same('HEAD', 'HEAD', '/app/info.jsp');
same('POST with a body', 'POST', '/app/info.jsp',
     ['Content-Type: application/octet-stream'], 'x' x 70_000);
same('PUT (the JSP refuses it)', 'PUT', '/app/info.jsp', [], 'put');
same('a status from the container', 'GET', '/app/status.jsp?code=418');
same('a redirect from the container', 'GET',
     '/app/status.jsp?location=/app/info.jsp');
same('ProxyPassMatch', 'GET', '/match/info.jsp');
same('<Location> ProxyPass', 'GET', '/loc/info.jsp?l');
same('a wrong secret', 'GET', '/wrong/info.jsp');
same('no container listening', 'GET', '/down/info.jsp');
same('a page Tomcat does not have', 'GET', '/app/none.jsp');

# Sticky sessions: a session of engine tc1 (made on the stock server; the
# two fronts share the Tomcats) is routed to that member by both.
my $sid = '';
for (1 .. 10) {
    my $res = fetch($stock, 'GET', '/lb/info.jsp?session=1');
    ($sid) = $res->{body} =~ /^session: (\S+\.tc1)$/m;
    last if $sid;
}
ok($sid, 'a session of the engine tc1') or $sid = 'none.tc1';
same('a JSESSIONID cookie to a balancer', 'GET', '/lb/info.jsp',
     ["Cookie: JSESSIONID=$sid"]);
same('a ;jsessionid= path parameter', 'GET', "/lb/info.jsp;jsessionid=$sid");

same('an https front end', 'GET', '/info.jsp', [], undef, []);
same('an https front end with a client certificate', 'GET', '/info.jsp', [],
     undef, [SSL_cert_file => "$tls/client.pem",
             SSL_key_file => "$tls/client.key"]);

stop_case($relay);
stop_case($stock);
