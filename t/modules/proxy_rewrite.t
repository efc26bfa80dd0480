# Licensed under the Apache License, Version 2.0.
#
# Relay under the stock module names (t/conf/proxy_rewrite.conf.in):
# mod_rewrite's [P] hands requests over to Relay (its query and [QSA]
# kept, the decoded path encoded again, [NE] sent as written), and the
# worker of the ProxyPass URL the rewritten URL falls under serves it,
# pooled or not as that worker says (seen through X-Origin-Conn on one
# client connection); <IfModule mod_proxy.c>, <IfModule proxy_module> and
# <IfModule mod_proxy_http.c> hold; LogLevel proxy:debug turns Relay's
# debug lines on and proxy:info leaves them off.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use Apache::TestRequest ();

use Relay::Test;

plan tests => 24;

# GETs @targets one after another on one keep-alive connection; returns
# the responses, fewer if the server closed the connection.
sub session {
    my ($port, @targets) = @_;
    my $sock = raw_connect($port);
    my ($buf, @out) = ('');
    for my $target (@targets) {
        print $sock "GET $target HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n\r\n";
        $sock->flush;
        last unless read_until($sock, \$buf, qr/\r\n\r\n/, 10) eq 'match';
        my $head_len = index($buf, "\r\n\r\n") + 4;
        my $res = parse_response(substr($buf, 0, $head_len));
        my ($cl) = header_values($res, 'Content-Length');
        if (grep { /chunked/i } header_values($res, 'Transfer-Encoding')) {
            read_until($sock, \$buf,
                sub { my @d = dechunk(substr($_[0], $head_len)); @d > 0 }, 10);
            ($res->{body}) = dechunk(substr($buf, $head_len));
            $buf = '';
        }
        else {
            $cl //= 0;
            read_until($sock, \$buf,
                sub { length $_[0] >= $head_len + $cl }, 10);
            $res->{body} = substr($buf, $head_len, $cl);
            $buf = substr($buf, $head_len + $cl);
        }
        push @out, $res;
    }
    close $sock;
    return @out;
}

sub target_of {
    my ($res) = @_;
    return $res->{body} =~ /^target: ([^\n]*)$/m ? $1 : undef;
}

sub conn_of { return (header_values($_[0], 'X-Origin-Conn'))[0] // '' }

my $port = vhost_port('proxy_rewrite');
my $mark = error_log_mark();

# [P] hands over to Relay; the query, [QSA] and [NE] as stock.
{
    my ($res) = session($port, '/rw/a/b?x=1');
    is($res->{status}, 200, '[P]: proxied');
    is(target_of($res), '/echo/pooled/a/b?x=1',
        '[P]: the rewritten URL with the client\'s query');
    ($res) = session($port, '/rwq?a=2');
    is(target_of($res), '/echo/q?fixed=1&a=2',
        '[P,QSA]: the substitution\'s query and the client\'s merged');
    ($res) = session($port, '/rw/a%25b%2541%23c%20d');
    is(target_of($res), '/echo/pooled/a%25b%2541%23c%20d',
        '[P]: the decoded path is encoded again (no double decoding)');
    ($res) = session($port, '/rw/x%0d%0aX-Injected:%20yes');
    is(target_of($res), '/echo/pooled/x%0D%0AX-Injected:%20yes',
        '[P]: a decoded CR LF is sent encoded');
    unlike($res->{body}, qr/^header: X-Injected/mi,
        '[P]: no header injected at the origin');
    ($res) = session($port, '/rwne/a%25b?c=1');
    is(target_of($res), '/echo/ne/a%b?c=1',
        '[P,NE]: the URL as mod_rewrite wrote it');
}

# The worker of the ProxyPass URL the rewritten URL falls under.
{
    my @res = session($port, '/rw/one', '/rw/two', '/rw/three');
    is(scalar @res, 3, '[P] pooled: three responses on one connection');
    my @conn = map { conn_of($_) } @res;
    my @seq = map { (header_values($_, 'X-Origin-Seq'))[0] // '' } @res;
    ok($conn[0] ne '' && $conn[0] eq $conn[1] && $conn[1] eq $conn[2],
        '[P] pooled: one origin connection reused (X-Origin-Conn)')
        or diag("X-Origin-Conn: @conn");
    ok(3 == grep({ /^\d+\z/ } @seq)
        && $seq[1] == $seq[0] + 1 && $seq[2] == $seq[0] + 2,
        '[P] pooled: X-Origin-Seq counts up on it')
        or diag("X-Origin-Seq: @seq");
    is(join(' ', map { target_of($_) // '' } @res),
        '/echo/pooled/one /echo/pooled/two /echo/pooled/three',
        '[P] pooled: each request mapped');

    @res = session($port, '/rw-fresh/one', '/rw-fresh/two');
    is(scalar @res, 2, '[P] disablereuse: two responses on one connection');
    @conn = map { conn_of($_) } @res;
    ok($conn[0] ne '' && $conn[1] ne '' && $conn[0] ne $conn[1],
        '[P] disablereuse: a new origin connection each time')
        or diag("X-Origin-Conn: @conn");
}

# IfModule by the stock module's name and identifier.
{
    my ($res) = session($port, '/rw/ifmodule');
    is((header_values($res, 'X-IfModule-Name'))[0], 'mod_proxy.c',
        '<IfModule mod_proxy.c> is true');
    is((header_values($res, 'X-IfModule-Id'))[0], 'proxy_module',
        '<IfModule proxy_module> is true');
    is((header_values($res, 'X-IfModule-Http'))[0], 'mod_proxy_http.c',
        '<IfModule mod_proxy_http.c> is true');
    is(scalar(header_values($res, 'X-IfModule-Missing')), 0,
        '<IfModule !mod_proxy.c> is false');
}

# LogLevel proxy:debug: a request for a dead origin whose worker is
# already in error state (retry=30) is noted at debug level. Worker state
# is per child process and a 503 closes the connection, so requests are
# repeated until one meets a child that saw the failure (with at most
# three children, the fourth request does).
{
    my $debug_re = qr/rewrite-debug\/ is in error state/;
    my ($line, @status);
    for (1 .. 8) {
        my ($res) = session($port, '/dead/x');
        push @status, $res ? $res->{status} : 0;
        last if ($line) = grep { $_ =~ $debug_re } error_log_since($mark);
    }
    is(join(' ', grep { $_ != 503 } @status), '', 'dead origin: 503');
    ok($line, 'proxy:debug: the worker-in-error-state line is logged');
    like($line // '', qr/\[proxy:debug\].*RL01012:/,
        'proxy:debug: logged by module proxy at level debug (RL01012)');

    my $quiet = vhost_port('proxy_rewrite_quiet');
    @status = map { (session($quiet, '/dead/x'))[0]{status} } 1 .. 4;
    is("@status", '503 503 503 503', 'dead origin, proxy:info: 503');
    ok(error_log_wait($mark, qr/RL01014:.*rewrite-quiet/, 5),
        'proxy:info: the connect failure is logged (RL01014)');
    ok(!grep({ /rewrite-quiet\/ is in error state/ } error_log_since($mark)),
        'proxy:info: no debug line');
}

is_deeply([error_log_errors($mark, qw(RL01002 RL01014))], [],
    'error log: nothing unexpected');
