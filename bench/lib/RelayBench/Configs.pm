# Licensed under the Apache License, Version 2.0.
#
# RelayBench::Configs - the configurations bench/relay-bench measures,
# one row each, and the groups --configs accepts.
#
# server: 'httpd' (conf/httpd.conf.in with load_modules and body filled
# in), 'nginx' (conf/nginx-proxy.conf.in with body inside `location /`
# and http_body at the http level) or 'origin' (wrk straight at the
# origin). path: the URL prefix the load goes to (/files/ plain, /cached/
# with Cache-Control: public, max-age=3600). vs: the configuration this
# one is compared with round by round (default stock). callgrind: also
# measured with --callgrind. summary: its ratios get a table of their own
# at the end. cache: every measured run must be served without a request
# to the origin (the origin's log of /cached/ is counted around it).
# max_body: larger files are not stored by this configuration, so they
# are not measured. requires: files that must exist, else the row is
# skipped with a note (a store not built yet). dirs: directories made
# for the server before it starts, owned by the user it runs as.
# stream: measured by the streaming check (--stream). backend: 'php-fpm'
# for a row whose load goes to the run's php-fpm pool (RelayBench::
# Servers, start_fpm) instead of the nginx origin: it measures the PHP
# sizes (php-hello, php-256k) and only those, and its "orig us/r" is
# php-fpm's CPU time; 'tomcat' likewise for the run's Tomcat
# (start_tomcat), the JSP sizes (jsp-hello, jsp-256k) and Tomcat's CPU
# time.
#
# In load_modules a relative file is taken from Debian's module directory,
# an absolute one as it is; @RELAY@ is Relay's module directory. @RUN@ is
# the run directory, @NAME@ the row's name, @FPM_SOCKET@ the unix socket
# of the php-fpm pool, @AJP_PORT@ and @AJP_SECRET@ Tomcat's AJP connector
# and its secret.
package RelayBench::Configs;

use strict;
use warnings;
use Exporter qw(import);

our @EXPORT_OK = qw(@CONFIGS %GROUPS);

my $PROXY_BODY = "ProxyPass / http://127.0.0.1:\@ORIGIN_PORT\@/\n";
my @STOCK_PROXY = ('proxy_module mod_proxy.so',
                   'proxy_http_module mod_proxy_http.so');
my @RELAY_PROXY = ('proxy_module @RELAY@/mod_proxy.so',
                   'proxy_http_module @RELAY@/mod_proxy_http.so');

# PHP as Debian's /etc/apache2/conf-available/php8.2-fpm.conf runs it:
# every .php file under the document root handed to php-fpm's unix
# socket by SetHandler (no ProxyPass, so no worker of its own and no
# connection reuse, stock's default). Both rows share one pool.
my $FCGI_BODY = "<FilesMatch \"\\.php\$\">\n"
    . "    SetHandler \"proxy:unix:\@FPM_SOCKET\@|fcgi://localhost\"\n"
    . "</FilesMatch>\n";

# Tomcat through AJP as its documentation puts it in front of httpd: a
# ProxyPass to the AJP connector with the connector's secret, a worker
# of its own that keeps its connections (both modules' default). Both
# rows share one Tomcat.
my $AJP_BODY = "ProxyPass /tc/ ajp://127.0.0.1:\@AJP_PORT\@/ "
    . "secret=\@AJP_SECRET\@\n";

# The disk stores keep bodies up to 2 MiB (stock's CacheMaxFileSize
# default, 1,000,000 bytes, would leave the 1 MiB file out).
my $DISK_BODY = "CacheEnable disk /cached/\n"
    . "CacheRoot \"\@RUN\@/\@NAME\@.cache\"\n"
    . "CacheMaxFileSize 2097152\n" . $PROXY_BODY;

our @CONFIGS = (
    { name => 'stock', server => 'httpd', path => '/files/',
      about => "httpd + Debian's mod_proxy, mod_proxy_http",
      load_modules => [@STOCK_PROXY], body => $PROXY_BODY, callgrind => 1,
      stream => 1 },
    { name => 'relay', server => 'httpd', path => '/files/',
      about => "httpd + Relay's mod_proxy, mod_proxy_http",
      load_modules => [@RELAY_PROXY], body => $PROXY_BODY, callgrind => 1,
      summary => 1, stream => 1 },
    { name => 'static', server => 'httpd', path => '/files/',
      about => 'httpd serving the files from disk (ceiling inside httpd)',
      load_modules => [], body => '', callgrind => 1 },
    { name => 'nginx', server => 'nginx', path => '/files/',
      about => 'nginx proxy_pass, keep-alive upstream (the peer)',
      body => '' },
    { name => 'direct', server => 'origin', path => '/files/',
      about => 'straight to the nginx origin (absolute limit)' },

    # Stock socache at its default CacheSocacheMaxSize (102400 bytes:
    # larger values make stock allocate that much per lookup), so the
    # 256 KiB and 1 MiB files are never stored. The shmcb segment is made
    # large enough that each of its subcaches holds such an object.
    { name => 'stock-socache', server => 'httpd', path => '/cached/',
      about => "stock mod_cache + mod_cache_socache (shmcb), stock proxy",
      load_modules => [@STOCK_PROXY, 'cache_module mod_cache.so',
                       'cache_socache_module mod_cache_socache.so',
                       'socache_shmcb_module mod_socache_shmcb.so'],
      body => "CacheEnable socache /cached/\n"
          . "CacheSocache shmcb:\@RUN\@/\@NAME\@.shmcb(33554432)\n"
          . $PROXY_BODY,
      cache => 1, max_body => 102400, vs => 'static', callgrind => 1 },
    { name => 'relay-mem', server => 'httpd', path => '/cached/',
      about => "Relay's mod_cache + mod_mem_cache, Relay's proxy",
      load_modules => [@RELAY_PROXY, 'cache_module @RELAY@/mod_cache.so',
                       'mem_cache_module @RELAY@/mod_mem_cache.so'],
      body => "CacheEnable mem /cached/\nMCacheSize 16384\n"
          . "MCacheMaxObjectSize 2097152\n" . $PROXY_BODY,
      requires => ['@RELAY@/mod_cache.so', '@RELAY@/mod_mem_cache.so'],
      cache => 1, vs => 'stock-socache', callgrind => 1, summary => 1 },
    { name => 'stock-disk', server => 'httpd', path => '/cached/',
      about => "stock mod_cache + mod_cache_disk, stock proxy",
      load_modules => [@STOCK_PROXY, 'cache_module mod_cache.so',
                       'cache_disk_module mod_cache_disk.so'],
      body => $DISK_BODY, dirs => ['@RUN@/@NAME@.cache'],
      cache => 1, vs => 'static', callgrind => 1 },
    { name => 'relay-disk', server => 'httpd', path => '/cached/',
      about => "Relay's mod_cache + mod_cache_disk, Relay's proxy",
      load_modules => [@RELAY_PROXY, 'cache_module @RELAY@/mod_cache.so',
                       'cache_disk_module @RELAY@/mod_cache_disk.so'],
      body => $DISK_BODY, dirs => ['@RUN@/@NAME@.cache'],
      requires => ['@RELAY@/mod_cache.so', '@RELAY@/mod_cache_disk.so'],
      cache => 1, vs => 'stock-disk', callgrind => 1, summary => 1 },
    { name => 'nginx-cache', server => 'nginx', path => '/cached/',
      about => 'nginx proxy_cache on disk (the peer)',
      http_body => "proxy_cache_path \"\@RUN\@/\@NAME\@.cache\" levels=1:2"
          . " keys_zone=bench:16m max_size=1g inactive=60m;",
      body => "proxy_cache bench;", cache => 1, vs => 'stock-disk' },

    # PHP through FastCGI: the hello-world and 256 KiB scripts under
    # /php/, run by the benchmark's php-fpm pool.
    { name => 'stock-fcgi', server => 'httpd', path => '/php/',
      backend => 'php-fpm',
      about => "httpd + Debian's mod_proxy, mod_proxy_fcgi to php-fpm",
      load_modules => ['proxy_module mod_proxy.so',
                       'proxy_fcgi_module mod_proxy_fcgi.so'],
      body => $FCGI_BODY, vs => 'stock-fcgi', callgrind => 1 },
    { name => 'relay-fcgi', server => 'httpd', path => '/php/',
      backend => 'php-fpm',
      about => "httpd + Relay's mod_proxy, mod_proxy_fcgi to php-fpm",
      load_modules => ['proxy_module @RELAY@/mod_proxy.so',
                       'proxy_fcgi_module @RELAY@/mod_proxy_fcgi.so'],
      body => $FCGI_BODY, requires => ['@RELAY@/mod_proxy_fcgi.so'],
      vs => 'stock-fcgi', callgrind => 1, summary => 1 },

    # Tomcat through AJP: the hello-world and 256 KiB JSPs under /tc/,
    # run by the benchmark's Tomcat.
    { name => 'stock-ajp', server => 'httpd', path => '/tc/',
      backend => 'tomcat',
      about => "httpd + Debian's mod_proxy, mod_proxy_ajp to Tomcat",
      load_modules => ['proxy_module mod_proxy.so',
                       'proxy_ajp_module mod_proxy_ajp.so'],
      body => $AJP_BODY, vs => 'stock-ajp', callgrind => 1 },
    { name => 'relay-ajp', server => 'httpd', path => '/tc/',
      backend => 'tomcat',
      about => "httpd + Relay's mod_proxy, mod_proxy_ajp to Tomcat",
      load_modules => ['proxy_module @RELAY@/mod_proxy.so',
                       'proxy_ajp_module @RELAY@/mod_proxy_ajp.so'],
      body => $AJP_BODY, requires => ['@RELAY@/mod_proxy_ajp.so'],
      vs => 'stock-ajp', callgrind => 1, summary => 1 },
);

our %GROUPS = (
    proxy => [qw(stock relay static nginx direct)],
    cache => [qw(stock-socache relay-mem stock-disk relay-disk nginx-cache
                 static)],
    fcgi  => [qw(stock-fcgi relay-fcgi)],
    ajp   => [qw(stock-ajp relay-ajp)],
    all   => [map { $_->{name} } @CONFIGS],
);

1;
