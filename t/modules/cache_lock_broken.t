# Licensed under the Apache License, Version 2.0.
#
# A CacheLock broken while its first holder still runs
# (t/conf/mod_cache_lock.conf.in, vhost cache_lock_short: CacheLockMaxAge
# 1, the query left out of the key). A slow fetch A holds the key's lock;
# once the lock file is older than CacheLockMaxAge, a second request B
# breaks it (RL04100) and takes the lock for its own slow fetch. When A
# ends, its cleanup must leave B's lock in place (RL04102) rather than
# remove it: the lock file still holds B's token. A's fetch is a 500, so
# nothing is stored that would answer B.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Digest::MD5 qw(md5_hex);
use Time::HiRes ();

use lib 't/lib';
use Relay::Test qw(raw_connect read_until parse_response vhost_port
                   error_log_mark error_log_wait error_log_errors
                   origin_count);

plan tests => 7;

my $run = "$$-" . time;
my $name = "broken-$run";
my $port = vhost_port('cache_lock_short');
my $file = '/tmp/mod_cache-lock/' . md5_hex("http://127.0.0.1:$port/count/$name");

sub token {
    open my $fh, '<', $file or return undef;
    local $/;
    my $t = <$fh>;
    close $fh;
    return $t;
}

sub wait_for {
    my ($cond, $secs) = @_;
    my $deadline = Time::HiRes::time() + $secs;
    until ($cond->()) {
        return 0 if Time::HiRes::time() > $deadline;
        Time::HiRes::sleep(0.05);
    }
    return 1;
}

sub send_get {
    my ($query) = @_;
    my $s = raw_connect($port, 15);
    syswrite($s, "GET /count/$name?$query HTTP/1.1\r\n"
        . "Host: 127.0.0.1:$port\r\nConnection: close\r\n\r\n");
    return $s;
}

my $mark = error_log_mark();
my $a = send_get('ms=2500&status=500');
ok(wait_for(sub { origin_count($name) == 1 && defined token() }, 5),
   'the first fetch holds the lock');
my $token_a = token();
wait_for(sub { -e $file && Time::HiRes::time() - (Time::HiRes::stat($file))[9] > 1.3 }, 5);

my $b = send_get('ms=4000&cc=max-age%3D300');
ok(wait_for(sub { origin_count($name) == 2 }, 5),
   'a second request went to the origin past the old lock');
my $token_b = token() // '';
isnt($token_b, $token_a, 'it broke the lock and took it anew');
ok(error_log_wait($mark, qr/RL04100: .*\Q$name\E/, 5), 'RL04100 logged');

my $buf = '';
read_until($a, \$buf, undef, 15);
close $a;
is((parse_response($buf) // {})->{status}, 500, 'the first fetch ended');
ok(error_log_wait($mark, qr/RL04102: .*\Q$name\E/, 5),
   "its cleanup left the other's lock in place (RL04102)");
is(token() // 'missing', $token_b, "the lock file still holds the second request's token");
close $b;
