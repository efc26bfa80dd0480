# Licensed under the Apache License, Version 2.0.
#
# The configuration lines of the stock family's manual, written out here
# one example per directive, parameter or form (mod_proxy,
# mod_proxy_http, mod_proxy_balancer, mod_proxy_hcheck, the lb methods,
# mod_ssl's SSLProxy*, mod_cache, mod_cache_disk, mod_cache_socache,
# mod_proxy_fcgi, mod_proxy_ajp): each must pass `apache2 -t` with Relay's
# modules in place of the stock ones. The lines Relay refuses on purpose
# are exactly the table of docs/migration.md ("Lines Relay refuses on
# purpose"): each is refused, with the reason the table gives. Lines not
# done yet are listed as TODO tests: they show in the output until they
# start.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Spec ();

use Relay::ConfigTest;

my $m = relay_module_dir();
my @modules = (
    "LoadModule proxy_module $m/mod_proxy.so",
    "LoadModule proxy_http_module $m/mod_proxy_http.so",
    "LoadModule proxy_ssl_module $m/mod_proxy_ssl.so",
    "LoadModule proxy_balancer_module $m/mod_proxy_balancer.so",
    "LoadModule proxy_hcheck_module $m/mod_proxy_hcheck.so",
    "LoadModule lbmethod_byrequests_module $m/mod_lbmethod_byrequests.so",
    "LoadModule lbmethod_bybusyness_module $m/mod_lbmethod_bybusyness.so",
    "LoadModule lbmethod_bytraffic_module $m/mod_lbmethod_bytraffic.so",
    "LoadModule proxy_fcgi_module $m/mod_proxy_fcgi.so",
    "LoadModule proxy_ajp_module $m/mod_proxy_ajp.so",
    "LoadModule cache_module $m/mod_cache.so",
    "LoadModule cache_disk_module $m/mod_cache_disk.so",
    "LoadModule cache_socache_module $m/mod_cache_socache.so",
    "LoadModule mem_cache_module $m/mod_mem_cache.so",
);
my $dir = case_dir('stock_lines');
my $tls = $ENV{RELAY_TLS_DIR} // '/etc/ssl/certs';
my $ca = $ENV{RELAY_TLS_CA} // '/etc/ssl/certs/ca-certificates.crt';

# One case per example: its lines, `|` before a directive (capitalised)
# or a section separating the lines of a block. An https:// origin needs
# SSLProxyEngine On with Relay (refused without it, below).
my @lines = (
    # mod_proxy
    'ProxyRequests On|<Proxy "*">|Require ip 192.168.0|</Proxy>',
    'ProxyPass "/mirror/foo/" "http://backend.example.com/"',
    'ProxyPass "/mirror/foo/i" "!"|ProxyPass "/mirror/foo" "http://backend.example.com"',
    'ProxyPass "/example" "http://backend.example.com" max=20 ttl=120 retry=300',
    'ProxyPass "/x" "http://backend.example.com" connectiontimeout=5 timeout=30',
    'ProxyPass "/x" "http://backend.example.com" keepalive=On disablereuse=Off flushpackets=on flushwait=20',
    'ProxyPass "/x" "http://backend.example.com" enablereuse=on iobuffersize=16384 receivebuffersize=65536',
    'ProxyPass "/x" "http://backend.example.com" smax=5 min=2 acquire=300 responsefieldsize=16384',
    'ProxyPass "/x" "http://backend.example.com" ping=1 secret=s flusher=flush upgrade=websocket',
    'ProxyPass "/x" "http://backend.example.com" addressttl=60',
    'ProxyPass "/x" "http://backend.example.com" hcmethod=GET hcuri=/health hcinterval=10',
    'ProxyPass "/x" "http://backend.example.com" lbset=1 route=a redirect=b loadfactor=2.5 status=+H',
    'ProxyPass "/x" "http://backend.example.com" nocanon',
    'ProxyPass "/x" "http://backend.example.com" noquery',
    'SSLProxyEngine On|ProxyPass "/some/path" "https://servlet.example.com/some/path" mapping=servlet',
    'SSLProxyEngine On|ProxyPass "/special%3Fsegment" "https://example.com/special%3Fsegment" mapping=encoded',
    'ProxyPassInterpolateEnv On|ProxyPass "/mirror/foo/" "http://backend.example.com/${X}/" interpolate',
    '<Location "/mirror/foo/">|ProxyPass "http://backend.example.com/"|ProxyPassReverse "http://backend.example.com/"|</Location>',
    'ProxyPassMatch "^/(.*\.gif)$" "http://backend.example.com/$1"',
    'ProxyPassMatch "^(/.*\.gif)$" "http://backend.example.com:8000$1"',
    'ProxyPassReverse "/mirror/foo/" "http://backend.example.com/"',
    'ProxyPassReverseCookieDomain "backend.example.com" "public.example.com"',
    'ProxyPassReverseCookiePath "/" "/mirror/foo/"',
    'ProxyPassReverseCookiePath "/${X}/" "/mirror/" interpolate',
    'ProxyPassInherit Off',
    'ProxyPreserveHost On',
    'ProxyAddHeaders Off',
    'ProxyVia On', 'ProxyVia Full', 'ProxyVia Block',
    'ProxyTimeout 60',
    'ProxyIOBufferSize 16384',
    'ProxyReceiveBufferSize 2048',
    'ProxyMaxForwards 15',
    'ProxyBadHeader Ignore',
    'ProxyErrorOverride On', 'ProxyErrorOverride On 502 503',
    'ProxyStatus Full',
    'ProxySourceAddress 127.0.0.1',
    'ProxyBlock "news.example.com" "auctions.example.com" "friends.example.com"',
    'ProxyBlock "*"',
    'ProxyDomain ".example.com"',
    'ProxyRemote "http://goodguys.example.com/" "http://mirrorguys.example.com:8000"',
    'ProxyRemote "*" "http://cleverproxy.localdomain"',
    'ProxyRemote "*" "http://firewall.example.com:81" user:secret',
    'ProxyRemoteMatch "^http://[^/]*/private/" "http://internal-proxy.example.com:3128"',
    'NoProxy ".example.com" "192.168.112.0/21" "www.example.org"',
    'ProxySet "http://backend.example.com" timeout=15',
    '<Proxy "http://backend.example.com">|ProxySet connectiontimeout=5 timeout=30|</Proxy>',
    '<ProxyMatch "^http://(?<sitename>[^/]+)">|Require ip 192.168.0.10|</ProxyMatch>',
    'Proxy100Continue Off',
    'SetEnv proxy-sendchunked 1|SetEnv proxy-sendcl 1|SetEnv proxy-sendextracrlf 1',
    'SetEnv proxy-sendunchangedcl 1|SetEnv proxy-initial-not-pooled 1|SetEnv proxy-chain-auth 1',
    'SetEnv force-proxy-request-1.0 1|SetEnv proxy-nokeepalive 1|SetEnv proxy-interim-response RFC',
    # mod_proxy_balancer, mod_proxy_hcheck, lb methods
    '<Proxy balancer://mycluster>|BalancerMember http://192.168.1.50:80|BalancerMember http://192.168.1.51:80|</Proxy>|ProxyPass "/test" "balancer://mycluster"|ProxyPassReverse "/test" "balancer://mycluster"',
    '<Proxy balancer://hotcluster>|BalancerMember http://www2.example.com:8080 loadfactor=1|BalancerMember http://www3.example.com:8080 loadfactor=2|ProxySet lbmethod=bytraffic|</Proxy>',
    '<Proxy balancer://c>|BalancerMember http://a.example.com route=node1|BalancerMember http://b.example.com route=node2|ProxySet stickysession=ROUTEID|</Proxy>',
    '<Proxy balancer://c>|BalancerMember http://a.example.com status=+R|BalancerMember http://b.example.com status=+C|ProxySet lbmethod=bybusyness stickysessionsep=~|</Proxy>',
    '<Proxy balancer://c>|BalancerMember http://a.example.com|ProxySet nofailover=On maxattempts=2 failonstatus=500,503 failontimeout=On forcerecovery=Off timeout=5 scolonpathdelim=On nonce=None growth=4|</Proxy>',
    '<Proxy balancer://empty>|ProxySet growth=10|</Proxy>',
    'BalancerGrowth 5|BalancerInherit Off',
    '<IfModule mod_lbmethod_byrequests.c>|<Proxy balancer://b>|BalancerMember http://a.example.com|ProxySet lbmethod=byrequests|</Proxy>|</IfModule>',
    'ProxyHCExpr ok234 {%{REQUEST_STATUS} =~ /^[234]/}|ProxyHCExpr in_maint {hc(\'body\') !~ /Under maintenance/}|ProxyHCTemplate tcp5 hcmethod=tcp hcinterval=5|ProxyHCTPsize 32|<Proxy balancer://foo>|BalancerMember http://www.example.com/ hcmethod=GET hcexpr=in_maint hcuri=/status.php|BalancerMember http://www2.example.com/ hcmethod=HEAD hcexpr=ok234 hcinterval=10|BalancerMember http://www3.example.com/ hcmethod=TCP hcinterval=5 hcpasses=2 hcfails=3|BalancerMember http://www4.example.com/ hctemplate=tcp5|BalancerMember http://www5.example.com/ hcmethod=GET11|</Proxy>',
    '<Location "/balancer-manager">|SetHandler balancer-manager|Require host localhost|</Location>',
    # mod_proxy_fcgi, mod_proxy_ajp
    'ProxyPass "/myapp/" "fcgi://localhost:4000/"',
    'ProxyPass "/myapp/" "fcgi://localhost:4000/" enablereuse=on',
    'ProxyPassMatch "^/myapp/.*\.php(/.*)?$" "fcgi://localhost:9000/var/www/" enablereuse=on',
    '<FilesMatch "\.php$">|SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"|</FilesMatch>',
    'ProxyFCGIBackendType GENERIC|ProxyFCGISetEnvIf "reqenv(\'PATH_INFO\') =~ m#/foo(\d+)\.php#" PATH_INFO "/foo.php"',
    'ProxyPass "/app" "ajp://backend.example.com:8009/app" secret=s ping=2',
    # mod_ssl's SSLProxy*
    "SSLProxyEngine on|SSLProxyVerify require|SSLProxyVerifyDepth 10|SSLProxyCACertificateFile \"$ca\"",
    'SSLProxyVerify on', 'SSLProxyVerify off', 'SSLProxyVerify optional_no_ca',
    'SSLProxyCheckPeerName off|SSLProxyCheckPeerCN on|SSLProxyCheckPeerExpire on',
    "SSLProxyCARevocationFile \"$tls/crl.pem\"|SSLProxyCARevocationCheck chain no_crl_for_cert_ok",
    'SSLProxyProtocol all -SSLv3 -TLSv1 -TLSv1.1',
    'SSLProxyCipherSuite RSA:!EXP:!NULL:+HIGH:+MEDIUM:-LOW|SSLProxyCipherSuite TLSv1.3 TLS_AES_256_GCM_SHA384',
    "<Proxy \"https://backend.example.com/\">|SSLProxyVerify none|SSLProxyCheckPeerName off|SSLProxyMachineCertificateFile \"$tls/client.pem\"|</Proxy>",
    # mod_cache and its stores
    'CacheEnable disk "/"|CacheRoot "/var/cache/apache2/mod_cache_disk"|CacheDirLevels 2|CacheDirLength 1',
    'CacheEnable mem /|MCacheSize 4096|MCacheMaxObjectCount 100|MCacheMinObjectSize 1|MCacheMaxObjectSize 2048|MCacheRemovalAlgorithm LRU',
    'CacheEnable socache /|CacheSocache shmcb|CacheSocacheMaxSize 102400|CacheSocacheMaxTime 86400|CacheSocacheMinTime 600|CacheSocacheReadSize 0|CacheSocacheReadTime 0',
    '<Location "/foo">|CacheSocacheMaxTime 100|CacheSocacheMinTime 10|CacheSocacheMaxSize 1000|CacheSocacheReadSize 10|CacheSocacheReadTime 10|</Location>',
    'CacheDisable "/local_files"|CacheIgnoreCacheControl On|CacheIgnoreNoLastMod On|CacheIgnoreQueryString On',
    'CacheIgnoreHeaders Set-Cookie|CacheIgnoreURLSessionIdentifiers jsessionid|CacheKeyBaseURL "http://www.example.com/"',
    'CacheLastModifiedFactor 0.5|CacheMaxExpire 604800|CacheMinExpire 10|CacheDefaultExpire 86400',
    'CacheLock on|CacheLockPath "/tmp/mod_cache-lock"|CacheLockMaxAge 5',
    'CacheQuickHandler off|CacheStaleOnError on|CacheStoreExpired On|CacheStoreNoStore On|CacheStorePrivate On',
    'CacheHeader on|CacheDetailHeader on',
    'CacheReadSize 102400|CacheReadTime 1000|CacheMinFileSize 64|CacheMaxFileSize 64000',
);

# Refused on purpose (docs/migration.md): [line(s), the reason's words].
my @refused = (
    ['<Proxy balancer://hb>|BalancerMember http://a.example.com|ProxySet lbmethod=heartbeat|</Proxy>',
     qr/lbmethod=heartbeat .*mod_heartmonitor.*bybusyness/],
    ['ProxyPass "/x" "https://backend.example.com/"',
     qr/TLS to origins is off here: add SSLProxyEngine On/],
    ['ProxyPass "/x" "scgi://backend.example.com:4000/"',
     qr/no Relay module serves scgi:\/\/ URLs/],
);

# Not done yet: TODO until they start.
my @todo = (
    ['AllowCONNECT 443 563', 'mod_proxy_connect is not built yet'],
    ['BalancerPersist On', 'comes with the balancer-manager writes'],
);

plan tests => @lines + 2 * @refused + @todo + 1;

for my $case (@lines) {
    my @body = split /\|(?=[<A-Z])/, $case;
    my ($rc, $out) = configtest(undef, \@modules, 'ServerName stock-lines', @body);
    is($rc, 0, "starts: $body[0]" . (@body > 1 ? ' ...' : ''))
        or diag(join("\n", @body) . "\n$out");
}

for my $case (@refused) {
    my ($lines, $why) = @$case;
    my @body = split /\|(?=[<A-Z])/, $lines;
    my ($rc, $out) = configtest(undef, \@modules, 'ServerName stock-lines', @body);
    isnt($rc, 0, "refused on purpose: $lines");
    like($out, $why, '... with the reason');
}

TODO: {
    for my $case (@todo) {
        my ($lines, $what) = @$case;
        local $TODO = $what;
        my ($rc) = configtest(undef, \@modules, 'ServerName stock-lines',
            split /\|(?=[<A-Z])/, $lines);
        is($rc, 0, "starts: $lines");
    }
}

# The refusal table of docs/migration.md has exactly the lines above.
{
    my $doc = File::Spec->catfile(Apache::Test::vars('serverroot'), '..',
        'docs', 'migration.md');
    open my $fh, '<', $doc or die "$doc: $!";
    my $text = do { local $/; <$fh> };
    my ($table) = $text =~ /Lines Relay refuses on purpose.*?\n\n(\|.*?)\n\n/s;
    my @rows = grep { /^\| `/ } split /\n/, $table // '';
    is(scalar @rows, scalar @refused,
       'docs/migration.md lists as many refused lines as are refused here')
        or diag($table // 'no table');
}
