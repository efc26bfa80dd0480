# Licensed under the Apache License, Version 2.0.
#
# A corrupt stored entry is a miss, never a wrong answer
# (t/conf/mod_cache_behaviour.conf.in, vhost cache_behaviour). The memory
# store lives in shared memory that nothing outside httpd writes, so the
# test plays the stray write itself: it finds the stored head of one
# response in the server's shared mappings (through /proc/PID/mem of the
# parent httpd, which maps the segment its children share) and changes
# one byte of a header value. The next request must drop the entry with
# one RL04000 line (its checksum no longer matches), answer from the
# origin with the right value, and store it anew.

use strict;
use warnings FATAL => 'all';
no warnings 'portable';    # hex() of 64-bit addresses

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Spec ();

use lib 't/lib';
use Relay::Test qw(error_log_mark error_log_wait error_log_errors);

my $pidfile = File::Spec->catfile(Apache::Test::vars('t_logs'), 'httpd.pid');
open my $pf, '<', $pidfile or die "$pidfile: $!";
my ($pid) = <$pf> =~ /(\d+)/;
close $pf;
my $mem;
unless (open $mem, '+<:raw', "/proc/$pid/mem") {
    plan skip_all => "cannot write /proc/$pid/mem: $!";
}

plan tests => 9;

my $mark = 'mk' . join('', map { ('a' .. 'z')[rand 26] } 1 .. 16);
my $url = "/headers?X-Relay-Mark=$mark&Cache-Control=max-age%3D300";

Apache::TestRequest::module('cache_behaviour');
GET $url;
my $hit = GET $url;
like($hit->header('X-Cache') // '', qr/^HIT/, 'stored');

# The head block holds each value after its u32 length.
my $needle = pack('N', length $mark) . $mark;
my @at;
open my $maps, '<', "/proc/$pid/maps" or die "maps: $!";
while (my $line = <$maps>) {
    my ($from, $to, $perms) = $line =~ /^([0-9a-f]+)-([0-9a-f]+) (\S+)/ or next;
    next unless $perms =~ /^rw.s/;
    my ($start, $len) = (hex $from, hex($to) - hex($from));
    my $bytes = '';
    sysseek($mem, $start, 0) or next;
    sysread($mem, $bytes, $len) // next;
    my $i = -1;
    push @at, $start + $i + 4 while ($i = index($bytes, $needle, $i + 1)) >= 0;
}
close $maps;
is(scalar @at, 1, 'the stored head found once in shared memory');

my $log = error_log_mark();
my $bad = 'nk' . substr($mark, 2);
sysseek($mem, $at[0], 0);
is(syswrite($mem, 'n', 1), 1, 'one byte of its header value changed');
close $mem;

my $after = GET $url;
is($after->code, 200, 'the next request is answered');
is($after->header('X-Relay-Mark'), $mark, 'with the right value, not the corrupt one');
like($after->header('X-Cache') // '', qr/^MISS/, 'from the origin: a miss');
ok(error_log_wait($log, qr/RL04000: .*checksum/, 5),
   'the entry was dropped with RL04000');
like((GET $url)->header('X-Cache') // '', qr/^HIT/, 'and stored anew');
is_deeply([error_log_errors($log)], [], 'no error-level lines');
