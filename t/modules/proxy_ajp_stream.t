# Licensed under the Apache License, Version 2.0.
#
# Streaming through mod_proxy_ajp to a real Tomcat (t/conf/proxy_ajp.conf.in):
# a 128 MiB upload (GET_BODY_CHUNK by GET_BODY_CHUNK) and a 128 MiB
# download pass whole while no server child grows by more than 16 MiB.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Digest::MD5 ();
use IO::Select ();

use lib 't/lib';
use Relay::Proc qw(children_rss_kb);
use Relay::Test ();

plan tests => 4, need {
    'Tomcat running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_AJP_PORT} // 9) != 9,
};

use constant MiB => 1024 * 1024;
use constant SIZE => 128 * MiB;
use constant FLAT_KB => 16 * 1024;

my $port = Relay::Test::vhost_port('proxy_ajp');

my %base = %{ children_rss_kb() };
my $growth = 0;
sub sample {
    my $now = children_rss_kb();
    for my $pid (keys %$now) {
        $base{$pid} //= $now->{$pid};
        my $g = $now->{$pid} - $base{$pid};
        $growth = $g if $g > $growth;
    }
}

sub read_response {
    my ($s) = @_;
    my ($buf, $last) = ('', 0);
    my $sel = IO::Select->new($s);
    while ($sel->can_read(60)) {
        my $n = sysread($s, $buf, 1 << 20, length $buf);
        last unless $n;
        if (length($buf) - $last > 16 * MiB) {
            sample();
            $last = length $buf;
        }
    }
    my $end = index($buf, "\r\n\r\n");
    return (substr($buf, 0, $end), substr($buf, $end + 4));
}

{
    my $s = Relay::Test::raw_connect($port, 60);
    Relay::Test::write_all($s, "POST /app/info.jsp HTTP/1.1\r\nHost: x\r\n"
        . "Content-Type: application/octet-stream\r\n"
        . "Content-Length: " . SIZE . "\r\nConnection: close\r\n\r\n");
    my $md5 = Digest::MD5->new;
    for my $i (1 .. SIZE / MiB) {
        my $piece = chr($i % 251) x MiB;
        $md5->add($piece);
        Relay::Test::write_all($s, $piece);
        sample() if $i % 16 == 0;
    }
    my ($head, $body) = read_response($s);
    ($body) = Relay::Test::dechunk($body) if $head =~ /chunked/i;
    like($body // '', qr/^body-length: ${\ SIZE}\r?\nbody-md5: ${\ $md5->hexdigest}/m,
         'a 128 MiB upload reaches the servlet whole');
}
cmp_ok($growth, '<', FLAT_KB, "no child grew by 16 MiB during the upload "
       . "($growth KiB)");

$growth = 0;
{
    my $s = Relay::Test::raw_connect($port, 60);
    Relay::Test::write_all($s, "GET /app/big.jsp?n=" . SIZE
        . " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my ($head, $body) = read_response($s);
    ($body) = Relay::Test::dechunk($body) if $head =~ /chunked/i;
    ok(defined $body && length($body) == SIZE
           && Digest::MD5::md5_hex($body) eq Relay::Test::bytes_md5(SIZE),
       'a 128 MiB download arrives whole');
}
cmp_ok($growth, '<', FLAT_KB, "no child grew by 16 MiB during the download "
       . "($growth KiB)");
