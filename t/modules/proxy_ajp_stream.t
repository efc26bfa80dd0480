# Licensed under the Apache License, Version 2.0.
#
# Streaming through mod_proxy_ajp to a real Tomcat (t/conf/proxy_ajp.conf.in):
# a 1 GiB upload (GET_BODY_CHUNK by GET_BODY_CHUNK) and a 1 GiB download
# pass whole while no server child grows by more than 16 MiB. Neither body
# is held by this program either (Relay::Stream checks them as they flow).
# RELAY_AJP_STREAM_MIB=N runs the same with N MiB each way.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use lib 't/lib';
use Relay::Proc qw(rss_watch);
use Relay::Stream qw(upload download);
use Relay::Test ();

plan tests => 4, need {
    'Tomcat running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_AJP_PORT} // 9) != 9,
};

use constant SIZE => ($ENV{RELAY_AJP_STREAM_MIB} || 1024) * 1024 * 1024;
use constant FLAT_KB => 16 * 1024;

my $port = Relay::Test::vhost_port('proxy_ajp');

my ($sample, $growth) = rss_watch();
my ($body, $md5) = upload($port, '/app/info.jsp', SIZE, $sample);
like($body // '', qr/^body-length: ${\ SIZE}\r?\nbody-md5: $md5/m,
     'a ' . SIZE / 1048576 . ' MiB upload reaches the servlet whole');
cmp_ok($growth->(), '<', FLAT_KB, 'no child grew by 16 MiB during the upload ('
       . $growth->() . ' KiB)');

($sample, $growth) = rss_watch();
my ($length, $got_md5) = download($port, '/app/big.jsp?n=' . SIZE, $sample);
ok(defined $length && $length == SIZE
       && $got_md5 eq Relay::Test::bytes_md5(SIZE),
   'a ' . SIZE / 1048576 . ' MiB download arrives whole');
cmp_ok($growth->(), '<', FLAT_KB, 'no child grew by 16 MiB during the '
       . 'download (' . $growth->() . ' KiB)');
