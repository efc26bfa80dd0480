# Licensed under the Apache License, Version 2.0.
#
# Vary through Relay's mod_cache (t/conf/mod_cache_behaviour.conf.in, vhost
# cache_behaviour): each variant of a response with Vary is stored and
# served to the requests that select it, a request with other values is a
# miss, and Vary: * is never stored. An empty Vary is no Vary, and one
# that names something other than field names is not stored: neither may
# leave a marker that answers later requests with an empty 200.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);

use Relay::Test ();

plan tests => 20;

Apache::TestRequest::module('cache_behaviour');
my $run = "$$-" . time;
my $url = "/headers?Vary=X-Lang&Cache-Control=max-age%3D300&r=$run";

sub origin_id {
    my ($res) = @_;
    return join '/', map { $res->header($_) // '' } qw(X-Origin-Conn X-Origin-Seq);
}

my $en1 = GET $url, 'X-Lang' => 'en';
like($en1->header('X-Cache') // '', qr/^MISS/, 'en: miss');
my $fr1 = GET $url, 'X-Lang' => 'fr';
like($fr1->header('X-Cache') // '', qr/^MISS/, 'fr: a different variant, miss');
my $en2 = GET $url, 'X-Lang' => 'en';
like($en2->header('X-Cache') // '', qr/^HIT/, 'en: hit');
is(origin_id($en2), origin_id($en1), 'en gets the en variant');
my $fr2 = GET $url, 'X-Lang' => 'fr';
like($fr2->header('X-Cache') // '', qr/^HIT/, 'fr: hit');
is(origin_id($fr2), origin_id($fr1), 'fr gets the fr variant');
my $none = GET $url;
like($none->header('X-Cache') // '', qr/^MISS/, 'no X-Lang: its own variant, miss');
my $none2 = GET $url;
is(origin_id($none2), origin_id($none), 'absent field is a variant too');

my $star = "/headers?Vary=*&Cache-Control=max-age%3D300&r=$run";
GET $star;
my $s2 = GET $star;
like($s2->header('X-Cache') // '', qr/^MISS/, 'Vary: * never stored');
like($s2->header('X-Cache-Detail') // '', qr/Vary/i, 'detail names the reason');

# Vary with no member: stored as a plain entry, the hit is the response.
{
    my $url = "/headers?Vary=&Cache-Control=max-age%3D300&X-Body=1&r=$run";
    my $first = GET $url;
    my $hit = GET $url;
    like($hit->header('X-Cache') // '', qr/^HIT/, 'Vary empty: stored, hit');
    ok($hit->code == 200 && $hit->content eq "ok\n"
           && ($hit->content_type // '') eq 'text/plain'
           && origin_id($hit) eq origin_id($first),
       'Vary empty: the hit is the stored response, not an empty one')
        or diag $hit->as_string;
}
# Vary naming something that is not a field name: not stored.
for my $vary ('Accept%20Encoding', 'Accept-Encoding%3B', 'Accept,%20B%2FC') {
    my $url = "/headers?Vary=$vary&Cache-Control=max-age%3D300&r=$run";
    GET $url, 'Accept-Encoding' => 'gzip';
    my $again = GET $url, 'Accept-Encoding' => 'gzip';
    ok($again->code == 200 && $again->content eq "ok\n"
           && ($again->content_type // '') eq 'text/plain',
       "Vary '$vary': the second request gets the response")
        or diag $again->as_string;
    like($again->header('X-Cache-Detail') // '', qr/Vary header names/,
         "Vary '$vary': not stored, the detail says why");
}

# A field the client names in Connection never reaches the origin, so it
# cannot make a variant: the request is the one without it.
{
    my $port = Relay::Test::vhost_port('cache_behaviour');
    my $url = "/headers?Vary=X-Lang&Cache-Control=max-age%3D300&r=$run-conn";
    my $get = sub {
        my ($fields) = @_;
        my ($raw) = Relay::Test::raw_request($port, "GET $url HTTP/1.1\r\n"
            . "Host: x\r\n$fields\r\n", 10);
        my $res = Relay::Test::parse_response($raw) // { headers => [] };
        return join '', Relay::Test::header_values($res, 'X-Cache');
    };
    $get->("X-Lang: en\r\nConnection: X-Lang, close\r\n");
    like($get->("Connection: close\r\n"), qr/^HIT/,
         'a Vary field named in Connection: stored as absent, hit without it');
    like($get->("X-Lang: en\r\nConnection: close\r\n"), qr/^MISS/,
         'the same field sent end to end: another variant');
}
