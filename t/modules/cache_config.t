# Licensed under the Apache License, Version 2.0.
#
# Configuration checks of Relay's mod_cache and mod_mem_cache at
# `apache2 -t`: the seed configuration's cache lines pass; MCacheSize not
# above MCacheMaxObjectSize (RL04500) and MCacheMinObjectSize above
# MCacheMaxObjectSize (RL04501) are refused naming file and line; bad
# numbers, an unknown MCacheRemovalAlgorithm, a bad CacheDefaultExpire or
# CacheKeyBaseURL, CacheLockMaxAge 0, a CacheStatusHeader that is neither
# on nor off, CacheEnable without a URL and CacheDisable on outside a
# <Location> are refused by the directive (line and file); Relay's
# mod_mem_cache next to the stock mod_cache stops with RL00001.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Relay::ConfigTest;

plan tests => 27;

my $dir = case_dir('cache_config');
my $build = relay_module_dir();

my @relay = ("LoadModule cache_module $build/mod_cache.so",
    "LoadModule mem_cache_module $build/mod_mem_cache.so");

# Refused by a directive handler: httpd names line and file. Two tests.
sub refused {
    my ($name, $bad, $why, @after) = @_;
    my ($rc, $out, $file, $line) = configtest($bad, \@relay, $bad, @after);
    isnt($rc, 0, "$name: refused");
    like($out, qr/line \Q$line\E of \Q$file\E:\n.*$why/,
        "$name: message names the file, the line and the cause")
        or diag($out);
}

# Refused at the startup check: the tag, file:line of the directive. Two.
sub refused_check {
    my ($name, $tag, $mark, $why, @body) = @_;
    my ($rc, $out, $file, $line) = configtest($mark, \@relay, @body);
    isnt($rc, 0, "$name: refused");
    like($out, qr/$tag: \Q$file\E:$line: .*$why/, "$name: $tag names file and line")
        or diag($out);
}

my ($rc, $out) = configtest(undef, \@relay,
    'CacheEnable mem /', 'MCacheSize 4096', 'MCacheMaxObjectCount 100',
    'MCacheMinObjectSize 1', 'MCacheMaxObjectSize 2048',
    'CacheDisable http://security.update.server/update-list/',
    'CacheHeader on', 'CacheDetailHeader on', 'CacheStatusHeader on',
    'CacheQuickHandler on',
    'CacheDefaultExpire 3600', 'CacheMaxExpire 86400', 'CacheMinExpire 0',
    'CacheLastModifiedFactor 0.1', 'CacheIgnoreNoLastMod Off',
    'CacheIgnoreCacheControl Off', 'CacheIgnoreQueryString Off',
    'CacheIgnoreHeaders Set-Cookie', 'CacheIgnoreURLSessionIdentifiers jsessionid',
    'CacheStoreExpired Off', 'CacheStorePrivate Off', 'CacheStoreNoStore Off',
    'CacheStaleOnError on', 'CacheKeyBaseURL http://www.example.com',
    'CacheLock on', 'CacheLockPath /tmp/relay-cache-lock', 'CacheLockMaxAge 5',
    'MCacheRemovalAlgorithm LRU', 'MCacheMaxStreamingBuffer 2048',
    '<Location /private/>', '    CacheDisable on', '</Location>',
    '<Location /cached/>', '    CacheEnable mem', '</Location>');
is($rc, 0, 'seed cache lines and every directive pass') or diag($out);

refused_check('MCacheSize too small', 'RL04500', 'MCacheSize 1',
    qr/MCacheSize \(1 KiB\) must exceed MCacheMaxObjectSize \(2048/,
    'MCacheMaxObjectSize 2048', 'MCacheSize 1');
refused_check('default MCacheSize under a large object size', 'RL04500',
    'MCacheMaxObjectSize 200000', qr/MCacheSize \(100 KiB\)/,
    'MCacheMaxObjectSize 200000');
refused_check('min above max', 'RL04501', 'MCacheMinObjectSize 20000',
    qr/MCacheMinObjectSize \(20000\)/, 'MCacheMinObjectSize 20000');
refused('MCacheSize not a number', 'MCacheSize lots', qr/'lots' is not a whole number/);
refused('MCacheMaxObjectCount 0', 'MCacheMaxObjectCount 0', qr/'0' is not a whole number/);
refused('MCacheRemovalAlgorithm', 'MCacheRemovalAlgorithm FIFO', qr/MCacheRemovalAlgorithm must be one of LRU, GDSF, not 'FIFO'/);
refused('CacheDefaultExpire', 'CacheDefaultExpire -5', qr/'-5' is not a number of seconds/);
refused('CacheKeyBaseURL', 'CacheKeyBaseURL not-a-url', qr/'not-a-url' is not an absolute/);
refused('CacheLockMaxAge 0', 'CacheLockMaxAge 0', qr/'0' is not a number of seconds above 0/);
refused('CacheStatusHeader', 'CacheStatusHeader maybe', qr/CacheStatusHeader must be On or Off/);
refused('CacheEnable without URL', 'CacheEnable mem', qr/give the cache type and a URL/);
refused('CacheDisable on outside Location', 'CacheDisable on', qr/only inside a <Location>/);

($rc, $out) = configtest(undef,
    ['LoadModule cache_module /usr/lib/apache2/modules/mod_cache.so',
     $relay[1]], 'CacheEnable mem /');
isnt($rc, 0, 'Relay mod_mem_cache with the stock mod_cache: refused');
like($out, qr/RL00001: .*mod_cache\.c/, 'RL00001 names the stock module') or diag($out);
