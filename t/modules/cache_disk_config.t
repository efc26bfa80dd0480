# Licensed under the Apache License, Version 2.0.
#
# Configuration checks of Relay's mod_cache_disk at `apache2 -t`: the seed
# configuration's disk cache lines and every directive pass; a bad number,
# CacheDirLevels × CacheDirLength over 20, and a bad CacheDiskLimit are
# refused by the directive (file and line); a virtual host whose merged
# layout goes over 20 is refused at the startup check (RL06000, file and
# line of the directive).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Relay::ConfigTest;

plan tests => 15;

case_dir('cache_disk_config');
my @relay = (relay_load_line('cache_module', 'mod_cache.so'),
    relay_load_line('cache_disk_module', 'mod_cache_disk.so'));

sub refused {
    my ($name, $bad, $why, @before) = @_;
    my ($rc, $out, $file, $line) = configtest($bad, \@relay, @before, $bad);
    isnt($rc, 0, "$name: refused");
    like($out, qr/line \Q$line\E of \Q$file\E:\n.*$why/,
        "$name: message names the file, the line and the cause")
        or diag($out);
}

my ($rc, $out) = configtest(undef, \@relay,
    'CacheEnable disk /', 'CacheRoot /var/cache/relay-test',
    'CacheDirLevels 5', 'CacheDirLength 3',
    'CacheDisable http://security.update.server/update-list/',
    'CacheMinFileSize 1', 'CacheMaxFileSize 1000000', 'CacheReadSize 0',
    'CacheReadTime 0', 'CacheDiskLimit 2G 100000',
    '<Location /big/>', '    CacheMaxFileSize 50000000', '</Location>');
is($rc, 0, 'seed disk cache lines and every directive pass') or diag($out);

refused('CacheDirLevels not a number', 'CacheDirLevels deep',
    qr/'deep' is not a whole number from 1 to 20/);
refused('CacheDirLength 0', 'CacheDirLength 0',
    qr/'0' is not a whole number from 1 to 20/);
refused('layout over 20', 'CacheDirLength 3',
    qr/CacheDirLevels \(7\) times CacheDirLength \(3\) must not exceed 20/,
    'CacheDirLevels 7');
refused('CacheMaxFileSize negative', 'CacheMaxFileSize -1',
    qr/'-1' is not a whole number >= 0/);
refused('CacheDiskLimit size', 'CacheDiskLimit 2T',
    qr/'2T' is not a size above 0/);
refused('CacheDiskLimit entries', 'CacheDiskLimit 2G none',
    qr/'none' is not a whole number of entries/);

my $mark = '    CacheDirLength 5';
($rc, $out, my $file, my $line) = configtest($mark, \@relay,
    'CacheRoot /var/cache/relay-test', 'CacheDirLevels 5',
    'Listen 127.0.0.1:1', '<VirtualHost 127.0.0.1:1>', $mark,
    '</VirtualHost>');
isnt($rc, 0, 'merged layout over 20: refused');
like($out, qr/RL06000: \Q$file\E:$line: CacheDirLevels \(5\) times CacheDirLength \(5\)/,
    'RL06000 names file and line') or diag($out);
