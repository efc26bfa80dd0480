# Licensed under the Apache License, Version 2.0.
#
# The environment variables that change how a request goes to an HTTP
# origin (t/conf/proxy_body_env.conf.in), as the origin sees the request:
#  - proxy-sendcl: a chunked body is read whole first and sent with its
#    Content-Length (a small one, and 32 MiB while no child grows by
#    16 MiB: past 16 KiB it waits in a temporary file);
#  - force-proxy-request-1.0 with a chunked body: the same, under an
#    HTTP/1.0 request line (never Transfer-Encoding there);
#  - proxy-sendchunked: a body of known length is sent chunked;
#  - proxy-sendextracrlf: a CRLF follows the body, not without it;
#  - an input filter that changes the body (SetInputFilter DEFLATE):
#    sent chunked, not with the client's stale Content-Length, unless
#    proxy-sendunchangedcl says the length holds;
#  - proxy-chain-auth: Proxy-Authorization is passed on (else removed);
#  - proxy-initial-not-pooled: a client connection's first request gets a
#    new origin connection, its next ones may reuse;
#  - the request notes proxy-source-port (the port the origin saw) and
#    proxy-status (the origin's status), as %{...}n in a CustomLog.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Compress::Zlib ();
use Digest::MD5 qw(md5_hex);
use File::Spec ();
use Time::HiRes ();

use Relay::Test;
use Relay::Client;
use Relay::Proc qw(rss_watch);

plan tests => 26;

my $port = vhost_port('proxy_body_env');

# The origin's /echo report of one request sent as $head . $body.
sub echo {
    my ($head, $body) = @_;
    my $c = Relay::Client->new($port, timeout => 20);
    my $res = $c->send_raw($head . "Connection: close\r\n\r\n" . ($body // ''));
    $c->disconnect;
    return $res // { status => 0, body => '' };
}

sub saw {
    my ($res, $line) = @_;
    return $res->{body} =~ /^\Q$line\E$/m;
}

sub chunked_post {
    my ($path, $data) = @_;
    my $body = join '', map { sprintf("%x\r\n%s\r\n", length, $_) }
        grep { length } unpack('(a1000)*', $data);
    return echo("POST $path HTTP/1.1\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked\r\n", $body . "0\r\n\r\n");
}

my $data = join '', map { chr(65 + $_ % 26) x 100 } 1 .. 50;    # 5000 bytes
my $md5 = md5_hex($data);

# proxy-sendcl, and without it.
{
    my $res = chunked_post('/echo/sendcl', $data);
    ok($res->{status} == 200 && saw($res, 'header: Content-Length: 5000')
           && !saw($res, 'header: Transfer-Encoding: chunked'),
       'proxy-sendcl: a chunked body goes with its Content-Length')
        or diag($res->{body});
    ok(saw($res, 'body-length: 5000') && saw($res, "body-md5: $md5"),
       'proxy-sendcl: the body arrives whole');
    $res = chunked_post('/echo/plain', $data);
    ok(saw($res, 'header: Transfer-Encoding: chunked')
           && saw($res, "body-md5: $md5"),
       'without it: the chunked body is streamed in chunks');
}

# A large body under proxy-sendcl: spooled, memory flat.
{
    my ($sample, $growth) = rss_watch();
    my $sock = raw_connect($port, 60);
    Relay::Test::write_all($sock, "POST /echo/sendcl-big HTTP/1.1\r\nHost: x\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    my $piece = 'z' x (1024 * 1024);
    my $ctx = Digest::MD5->new;
    for my $i (1 .. 32) {
        Relay::Test::write_all($sock, sprintf("%x\r\n", length $piece) . $piece . "\r\n");
        $ctx->add($piece);
        $sample->() if $i % 4 == 0;
    }
    Relay::Test::write_all($sock, "0\r\n\r\n");
    my $buf = '';
    read_until($sock, \$buf, undef, 60);
    my $res = parse_response($buf) // { body => '' };
    ok(saw($res, 'header: Content-Length: ' . 32 * 1024 * 1024)
           && saw($res, 'body-md5: ' . $ctx->hexdigest),
       'proxy-sendcl: a 32 MiB chunked body arrives whole with its length');
    cmp_ok($growth->(), '<', 16 * 1024,
           'proxy-sendcl: no child grew by 16 MiB (' . $growth->() . ' KiB)');
}

# force-proxy-request-1.0 with a chunked body.
{
    my $res = chunked_post('/echo/force10', $data);
    is($res->{status}, 200, 'force-proxy-request-1.0, chunked body: 200');
    ok(saw($res, 'version: HTTP/1.0') && saw($res, 'header: Content-Length: 5000')
           && !saw($res, 'header: Transfer-Encoding: chunked'),
       'force-proxy-request-1.0: HTTP/1.0 with the Content-Length')
        or diag($res->{body});
    ok(saw($res, "body-md5: $md5"), 'force-proxy-request-1.0: the body whole');
    $res = chunked_post('/echo/force10-crlf?after=1', $data);
    ok(saw($res, 'after-body: %0D%0A') && saw($res, "body-md5: $md5"),
       'force-proxy-request-1.0 with proxy-sendextracrlf: CRLF after the body');
}

# proxy-sendchunked.
{
    my $res = echo("POST /echo/sendchunked HTTP/1.1\r\nHost: x\r\n"
        . "Content-Length: 5000\r\n", $data);
    ok(saw($res, 'header: Transfer-Encoding: chunked')
           && !saw($res, 'header: Content-Length: 5000'),
       'proxy-sendchunked: a body of known length goes chunked');
    ok(saw($res, "body-md5: $md5"), 'proxy-sendchunked: the body whole');
    $res = echo("POST /echo/plain HTTP/1.1\r\nHost: x\r\n"
        . "Content-Length: 5000\r\n", $data);
    ok(saw($res, 'header: Content-Length: 5000'),
       'without it: the Content-Length is kept');
}

# proxy-sendextracrlf.
{
    my $res = echo("POST /echo/extracrlf?after=1 HTTP/1.1\r\nHost: x\r\n"
        . "Content-Length: 5\r\n", 'hello');
    ok(saw($res, 'body-length: 5') && saw($res, 'after-body: %0D%0A'),
       'proxy-sendextracrlf: a CRLF follows the body') or diag($res->{body});
    $res = echo("POST /echo/plain?after=1 HTTP/1.1\r\nHost: x\r\n"
        . "Content-Length: 5\r\n", 'hello');
    ok(saw($res, 'after-body: none'), 'without it: nothing follows the body')
        or diag($res->{body});
}

# An input filter that changes the body: DEFLATE inflates a gzip upload.
{
    my $gz = Compress::Zlib::memGzip($data);
    my $head = "Host: x\r\nContent-Encoding: gzip\r\n"
        . 'Content-Length: ' . length($gz) . "\r\n";
    my $res = echo("POST /echo/inflate HTTP/1.1\r\n$head", $gz);
    ok($res->{status} == 200 && saw($res, 'header: Transfer-Encoding: chunked')
           && !saw($res, 'header: Content-Length: ' . length $gz),
       'an input filter: the body goes chunked, not with the stale length')
        or diag($res->{body});
    ok(saw($res, 'body-length: 5000') && saw($res, "body-md5: $md5"),
       'an input filter: the origin gets the inflated body whole');
    $res = echo("POST /echo/inflate-unchanged HTTP/1.1\r\n$head", $gz);
    ok(saw($res, 'header: Content-Length: ' . length $gz),
       'proxy-sendunchangedcl: the client\'s Content-Length is kept')
        or diag($res->{body});
}

# proxy-chain-auth.
{
    my $auth = "Proxy-Authorization: Basic dXNlcjpwYXNz\r\n";
    my $res = echo("GET /echo/chainauth HTTP/1.1\r\nHost: x\r\n$auth");
    ok(saw($res, 'header: Proxy-Authorization: Basic dXNlcjpwYXNz'),
       'proxy-chain-auth: Proxy-Authorization passed on');
    $res = echo("GET /echo/plain HTTP/1.1\r\nHost: x\r\n$auth");
    ok($res->{status} == 200 && !saw($res, 'header: Proxy-Authorization: Basic dXNlcjpwYXNz'),
       'without it: Proxy-Authorization removed');
}

# proxy-initial-not-pooled. Warm the pool, then: a first request on a
# client connection never reuses (the origin connection's request 1); the
# second on that client connection may.
{
    my @seqs;
    for (1 .. 6) {
        my $res = echo("GET /echo/warm HTTP/1.1\r\nHost: x\r\n");
        push @seqs, (header_values($res, 'X-Origin-Seq'))[0] // 0;
    }
    ok((grep { $_ > 1 } @seqs), 'without it: first requests reuse pooled '
       . "connections (origin requests @seqs)");
    my @first;
    for (1 .. 6) {
        my $res = echo("GET /echo/initial HTTP/1.1\r\nHost: x\r\n");
        push @first, (header_values($res, 'X-Origin-Seq'))[0] // 0;
    }
    is_deeply(\@first, [(1) x 6], 'proxy-initial-not-pooled: every first '
        . 'request on a new origin connection');
    my $c = Relay::Client->new($port, timeout => 20);
    my @res = map { $c->get('/echo/initial', Host => 'x') } 1 .. 2;
    $c->disconnect;
    is((header_values($res[0], 'X-Origin-Seq'))[0], 1,
       'proxy-initial-not-pooled: the first request: a new connection');
    is((header_values($res[1], 'X-Origin-Seq'))[0], 2,
       'proxy-initial-not-pooled: the second reuses it');
}

# The request notes, as the access log writes them.
{
    my $run = "$$-" . int(Time::HiRes::time() * 1000);
    my $res = echo("GET /peer?port=1&run=$run HTTP/1.1\r\nHost: x\r\n");
    my ($seen) = $res->{body} =~ /^peer-port: (\d+)$/m;
    echo("GET /status/404?run=$run HTTP/1.1\r\nHost: x\r\n");
    my $log = File::Spec->catfile(Apache::Test::vars('t_logs'), 'proxy_notes_log');
    my ($peer, $missing);
    my $deadline = Time::HiRes::time() + 5;
    until (($peer && $missing) || Time::HiRes::time() > $deadline) {
        Time::HiRes::sleep(0.05);
        open my $fh, '<', $log or next;
        for (<$fh>) {
            chomp;
            $peer = $_ if index($_, "/peer?port=1&run=$run|") == 0;
            $missing = $_ if index($_, "/status/404?run=$run|") == 0;
        }
    }
    ok(defined $seen && defined $peer && $peer =~ /\|\Q$seen\E\|200\z/,
       "proxy-source-port: the port the origin saw ($seen), proxy-status 200")
        or diag($peer // 'not logged');
    like($missing // '', qr/\|\d+\|404\z/, 'proxy-status: the origin\'s 404');
    unlike($peer // '', qr/\|-\|/, 'proxy-source-port: set');
}
