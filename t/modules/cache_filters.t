# Licensed under the Apache License, Version 2.0.
#
# Cache hits through the output filters a site may have
# (t/conf/mod_cache_filters.conf.in), for the memory, disk and socache
# stores. A hit from the quick handler enters the output chain where the
# response was stored, after the content-set filters, as stock does: the
# work of DEFLATE (by content type, through mod_filter), INCLUDES,
# SUBSTITUTE in FilterProvider chains and Header is in the stored
# response, and none of them runs a second time. Bodies are checked whole,
# decompressed where gzip; a gzip and an identity client get variants of
# their own; HEAD is answered from the stored GET. No child process may
# crash (a hit through mod_filter's harness once did).

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET HEAD);

use lib 't/lib';
use Relay::DiskCache ();
use Relay::Test qw(error_log_mark error_log_since);

my @stores = qw(mem disk socache);

plan tests => 18 * @stores + 1;

my $run = "$$-" . time;
my $mark = error_log_mark();
my $cc = 'cc=max-age%3D300';

sub xc { return $_[0]->header('X-Cache') // '' }

sub values_of {
    my ($res, $name) = @_;
    return join '|', $res->header($name);
}

for my $store (@stores) {
    my $type = $store;
    Relay::DiskCache::cache_root('filters') if $type eq 'disk';
    Apache::TestRequest::module("cache_filters_$type");

    # DEFLATE by content type: one variant per Accept-Encoding.
    my $text = "relay cache filters\n" x 200;
    my $page = "/text?text=relay%20cache%20filters%0A&n=200&$cc&r=$type-$run";
    my @gz = ('Accept-Encoding' => 'gzip');
    my $miss = GET $page, @gz;
    like(xc($miss), qr/^MISS/, "$type: gzip client, first request a miss");
    is($miss->header('Content-Encoding') // '', 'gzip',
       "$type: the miss is compressed");
    my $hit = GET $page, @gz;
    like(xc($hit), qr/^HIT/, "$type: gzip client, then a hit");
    is($hit->header('Content-Encoding') // '', 'gzip',
       "$type: the hit is the compressed variant");
    ok($hit->decoded_content(charset => 'none') eq $text,
       "$type: the hit decompresses to the whole body");
    is(values_of($hit, 'X-Relay-Set'), 'once', "$type: Header set once");
    is(values_of($hit, 'X-Relay-Added'), 'one',
       "$type: Header add not applied again on the hit");
    my $head = HEAD $page, @gz;
    ok(xc($head) =~ /^HIT/ && $head->code == 200 && $head->content eq '',
       "$type: HEAD answered from the stored GET, no body");

    my $plain_miss = GET $page;
    like(xc($plain_miss), qr/^MISS/,
         "$type: an identity client has a variant of its own");
    my $plain = GET $page;
    ok(xc($plain) =~ /^HIT/ && !$plain->header('Content-Encoding'),
       "$type: identity client, a hit without Content-Encoding");
    ok($plain->content eq $text, "$type: identity hit body whole");

    # INCLUDES on a proxied text/html page: processed once, stored so.
    my $ssi = "/ssi/text?text=%3C!--%23set%20var%3D%22v%22%20value%3D%22in"
        . "%22%20--%3E%3C!--%23echo%20var%3D%22v%22%20--%3Ecluded%0A&n=3"
        . "&$cc&r=$type-$run";
    my $s1 = GET $ssi;
    my $s2 = GET $ssi;
    is($s1->content, "included\n" x 3, "$type: INCLUDES processed the miss");
    like(xc($s2), qr/^HIT/, "$type: SSI page hit");
    is($s2->content, "included\n" x 3, "$type: the hit is the processed page");

    # SUBSTITUTE in FilterProvider chains, of resource and of content-set
    # type: the substitution is in the stored body, made once.
    for my $where (qw(sub late)) {
        my $url = "/$where/text?text=relay%0A&n=5&type=text/plain&$cc"
            . "&r=$type-$run";
        my $m = GET $url;
        my $h = GET $url;
        is($m->content, "relayrelay\n" x 5,
           "$type: /$where/ FilterProvider substitutes on the miss");
        ok(xc($h) =~ /^HIT/ && $h->content eq "relayrelay\n" x 5,
           "$type: /$where/ hit substituted once")
            or diag xc($h) . ': ' . $h->content;
    }
}

my @crashes = grep { /AH00052|exit signal|Segmentation fault/ }
    error_log_since($mark);
is(scalar @crashes, 0, 'no child process crashed') or diag "@crashes";
