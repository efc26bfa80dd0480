# Licensed under the Apache License, Version 2.0.
#
# A graceful restart (SIGUSR1 to the parent) with Relay's mem cache in use
# (t/conf/mod_cache_status.conf.in, vhost cache_status): the server keeps
# answering, no child crashes, the new generation starts with an empty
# cache (as docs/mod_cache.md says) and new entries are stored and hit.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Spec ();
use Time::HiRes ();

use lib 't/lib';
use Relay::Test qw(error_log_mark error_log_since error_log_wait);

plan tests => 6;

my $run = "$$-" . time;
Apache::TestRequest::module('cache_status');

my $before = "/count/g1-$run?cc=max-age%3D300";
GET $before;
like((GET $before)->header('X-Cache') // '', qr/^HIT/, 'stored before');

my $pidfile = File::Spec->catfile(Apache::Test::vars('t_logs'), 'httpd.pid');
open my $fh, '<', $pidfile or die "$pidfile: $!";
chomp(my $pid = <$fh>);
close $fh;
my $mark = error_log_mark();
ok(kill('USR1', $pid), 'graceful restart signalled');
ok(error_log_wait($mark, qr/AH00493: SIGUSR1 received/, 10)
   && error_log_wait($mark, qr/AH00489: .*resuming normal operations/, 15),
   'httpd restarted gracefully and resumed');

# Poll until the new generation answers.
my $r;
my $deadline = Time::HiRes::time() + 15;
while (Time::HiRes::time() < $deadline) {
    $r = GET $before;
    last if $r->code == 200;
    Time::HiRes::sleep(0.1);
}
is($r->content, "count g1-$run 2\n",
   'the new generation starts with an empty cache: fetched again');

my $after = "/count/g2-$run?cc=max-age%3D300";
GET $after;
like((GET $after)->header('X-Cache') // '', qr/^HIT/, 'new entries are stored');

my @bad = grep { /exit signal|Segmentation|AH00052|double free|corrupt/i }
    error_log_since($mark);
is(scalar @bad, 0, 'no child crashed') or diag join "\n", @bad;
