# Licensed under the Apache License, Version 2.0.
#
# Streaming through mod_proxy_fcgi to a real PHP-FPM
# (t/conf/proxy_fcgi.conf.in): a 128 MiB upload and a 128 MiB download
# pass whole while no server child grows by more than 16 MiB (nothing
# buffers a body), and a script's flush() reaches the client before the
# script goes on.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use lib 't/lib';
use Relay::Proc qw(rss_watch);
use Relay::Stream qw(upload download);
use Relay::Test ();

plan tests => 5, need {
    'php-fpm running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_FPM_SOCK} // '') ne '' && -S $ENV{RELAY_FPM_SOCK},
};

use constant SIZE => 128 * 1024 * 1024;
use constant FLAT_KB => 16 * 1024;

my $port = Relay::Test::vhost_port('proxy_fcgi_debian');

my ($sample, $growth) = rss_watch();
my ($body, $md5) = upload($port, '/fcgi/body.php', SIZE, $sample);
like($body // '', qr/length=${\ SIZE}\nmd5=$md5\n/,
     'a 128 MiB upload reaches the script whole');
cmp_ok($growth->(), '<', FLAT_KB, 'no child grew by 16 MiB during the upload ('
       . $growth->() . ' KiB)');

($sample, $growth) = rss_watch();
my ($length, $got_md5) = download($port, '/fcgi/big.php?n=' . SIZE, $sample);
ok(defined $length && $length == SIZE
       && $got_md5 eq Relay::Test::bytes_md5(SIZE),
   'a 128 MiB download arrives whole');
cmp_ok($growth->(), '<', FLAT_KB, 'no child grew by 16 MiB during the '
       . 'download (' . $growth->() . ' KiB)');

# flush(): the first piece arrives while the script still sleeps.
{
    my $s = Relay::Test::raw_connect($port, 10);
    Relay::Test::write_all($s, "GET /fcgi/flush.php?ms=2000 HTTP/1.1\r\n"
        . "Host: x\r\nConnection: close\r\n\r\n");
    my $buf = '';
    Relay::Test::read_until($s, \$buf, qr/first\n/, 10);
    ok($buf =~ /first\n/ && $buf !~ /second/,
       "a script's flush() reaches the client before the script goes on");
}
