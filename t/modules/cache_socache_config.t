# Licensed under the Apache License, Version 2.0.
#
# Configuration checks of Relay's mod_cache_socache at `apache2 -t`: every
# directive with stock's syntax passes (CacheSocache with shmcb, memcache
# and redis arguments); CacheSocacheMinTime above CacheSocacheMaxTime is
# refused naming file and line (RL06500); an unknown socache type, a bad
# provider argument and bad numbers are refused by the directive (line
# and file); Relay's store next to the stock mod_cache stops with RL00001;
# the stock mod_cache_socache next to Relay's mod_cache does not load.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Relay::ConfigTest;

plan tests => 17;

my $build = relay_module_dir();
my $stock = '/usr/lib/apache2/modules';
my @relay = ("LoadModule cache_module $build/mod_cache.so",
    "LoadModule cache_socache_module $build/mod_cache_socache.so");
my @providers = (
    "LoadModule socache_memcache_module $stock/mod_socache_memcache.so",
    "LoadModule socache_redis_module $stock/mod_socache_redis.so");

sub refused {
    my ($name, $bad, $why) = @_;
    my ($rc, $out, $file, $line) = configtest($bad, \@relay, $bad);
    isnt($rc, 0, "$name: refused");
    like($out, qr/line \Q$line\E of \Q$file\E:\n.*$why/,
        "$name: message names the file, the line and the cause")
        or diag($out);
}

my ($rc, $out) = configtest(undef, [@relay, @providers],
    'CacheEnable socache /', 'CacheSocache shmcb',
    'CacheSocacheMaxTime 86400', 'CacheSocacheMinTime 600',
    'CacheSocacheMaxSize 102400', 'CacheSocacheReadSize 0',
    'CacheSocacheReadTime 0',
    '<VirtualHost 127.0.0.1:80>',
    '    CacheSocache memcache:127.0.0.1:11211,127.0.0.2:11211',
    '</VirtualHost>',
    '<VirtualHost 127.0.0.2:80>',
    '    CacheSocache redis:127.0.0.1:6379',
    '</VirtualHost>');
is($rc, 0, 'every directive passes, with each provider') or diag($out);

my ($file, $line);
($rc, $out, $file, $line) = configtest('CacheSocacheMinTime 100', \@relay,
    'CacheSocache shmcb', 'CacheSocacheMaxTime 50', 'CacheSocacheMinTime 100');
isnt($rc, 0, 'minimum time above maximum time: refused');
like($out, qr/RL06500: \Q$file\E:$line: CacheSocacheMinTime \(100\) is larger/,
     'RL06500 names file and line') or diag($out);

refused('unknown type', 'CacheSocache nosuch:x', qr/unknown socache type 'nosuch'/);
refused('bad shmcb argument', 'CacheSocache shmcb:/tmp/x(1)', qr/CacheSocache: /);
refused('CacheSocacheMaxSize 0', 'CacheSocacheMaxSize 0', qr/'0' is not a whole number from 1/);
refused('CacheSocacheMaxTime', 'CacheSocacheMaxTime -1', qr/'-1' is not a whole number/);
refused('CacheSocacheReadTime', 'CacheSocacheReadTime soon', qr/'soon' is not a whole number/);

($rc, $out) = configtest(undef,
    ["LoadModule cache_module $stock/mod_cache.so", $relay[1]],
    'CacheEnable socache /', 'CacheSocache shmcb');
isnt($rc, 0, 'Relay mod_cache_socache with the stock mod_cache: refused');
like($out, qr/RL00001: .*mod_cache\.c/, 'RL00001 names the stock module') or diag($out);

($rc, $out) = configtest(undef,
    [$relay[0], "LoadModule cache_socache_module $stock/mod_cache_socache.so"],
    'CacheEnable socache /', 'CacheSocache shmcb');
isnt($rc, 0, 'the stock mod_cache_socache with Relay mod_cache: refused');
# The stock store links against the stock mod_cache's functions, so httpd
# refuses it when loading; RL00001 would name it otherwise.
like($out, qr/undefined symbol|RL00001: .*mod_cache_socache\.c/,
     'the stock store cannot load next to Relay mod_cache') or diag($out);
