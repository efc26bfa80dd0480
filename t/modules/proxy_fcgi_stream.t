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
use Digest::MD5 ();
use IO::Select ();
use Time::HiRes ();

use lib 't/lib';
use Relay::Proc qw(children_rss_kb);
use Relay::Test ();

plan tests => 5, need {
    'php-fpm running (scripts/relay-test starts it)' =>
        ($ENV{RELAY_FPM_SOCK} // '') ne '' && -S $ENV{RELAY_FPM_SOCK},
};

use constant MiB => 1024 * 1024;
use constant SIZE => 128 * MiB;
use constant FLAT_KB => 16 * 1024;

my $port = Relay::Test::vhost_port('proxy_fcgi_debian');

# The largest growth of any child's RSS over the samples taken.
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

# Reads a whole response from $s (sampling RSS); returns (head, body).
sub read_response {
    my ($s) = @_;
    my ($buf, $last) = ('', 0);
    my $sel = IO::Select->new($s);
    while ($sel->can_read(30)) {
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

# Upload: written in 1 MiB pieces, hashed on the way.
{
    my $s = Relay::Test::raw_connect($port, 30);
    Relay::Test::write_all($s, "POST /fcgi/body.php HTTP/1.1\r\nHost: x\r\n"
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
    like($body, qr/length=${\ SIZE}\nmd5=${\ $md5->hexdigest}\n/,
         'a 128 MiB upload reaches the script whole');
}
cmp_ok($growth, '<', FLAT_KB, "no child grew by 16 MiB during the upload "
       . "($growth KiB)");

# Download.
$growth = 0;
{
    my $s = Relay::Test::raw_connect($port, 30);
    Relay::Test::write_all($s, "GET /fcgi/big.php?n=" . SIZE
        . " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    my ($head, $body) = read_response($s);
    ($body) = Relay::Test::dechunk($body) if $head =~ /chunked/i;
    ok(defined $body && length($body) == SIZE
           && Digest::MD5::md5_hex($body) eq Relay::Test::bytes_md5(SIZE),
       'a 128 MiB download arrives whole');
}
cmp_ok($growth, '<', FLAT_KB, "no child grew by 16 MiB during the download "
       . "($growth KiB)");

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
