# Licensed under the Apache License, Version 2.0.
#
# Routing with thousands of rules (t/conf/proxy_routing.conf.in, written
# by t/lib/Relay/Routing.pm): one virtual host with about 2,700 ProxyPass
# and ProxyPassMatch lines. Every request must reach the rule a walk over
# the rules in configuration order picks (Relay::Routing::expect): first
# match rather than longest, "!" exclusions, segment boundaries, slash
# runs in prefixes and paths, nocanon rules (matched on the normalised
# path, the raw rest sent),
# regexes before and after prefixes, and the catch-all at the very end.
#
# Each rule maps onto the origin's /echo/... endpoint, whose "target:" line
# is the request target the origin received.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);

use Relay::Test;
use Relay::Routing ();

plan tests => 21;

my $port = vhost_port('proxy_routing');
my $mark = error_log_mark();

sub fetch {
    my ($path) = @_;
    my ($raw) = raw_request($port, "GET $path HTTP/1.1\r\n"
        . "Host: 127.0.0.1:$port\r\nConnection: close\r\n\r\n", 10);
    my $res = parse_response($raw)
        // { status => 0, headers => [], body => '' };
    if (grep { lc $_ eq 'chunked' } header_values($res, 'Transfer-Encoding')) {
        ($res->{body}) = dechunk($res->{body});
        $res->{body} //= '';
    }
    return $res;
}

# What happened to $path: "target T" when proxied, else "local NNN".
sub outcome {
    my ($path) = @_;
    my $res = fetch($path);
    if (header_values($res, 'X-Origin-Conn')) {
        return $res->{body} =~ /^target: ([^\n]*)$/m
            ? "target $1" : "proxied, no target";
    }
    return "local $res->{status}";
}

sub want {
    my ($path) = @_;
    my $t = Relay::Routing::expect($path);
    return defined $t ? "target $t" : 'local 404';
}

# Named cases: each kind of rule once, with the reference's own answer
# checked against the answer written here, so the reference is tested too.
my @named = (
    ['/t00/x',         'target /echo/r00/x',         'plain prefix'],
    ['/t00/local/y',   'local 404',                  '"!" before its rule'],
    ['/t01',           'target /echo/r01',           'prefix without slash, exact'],
    ['/t01x',          'target /echo/catchall/t01x', 'segment boundary'],
    ['/t111/x',        'target /echo/r111/x',        'boundary: /t11 does not take /t111'],
    ['/t02/sub/z',     'target /echo/r02/sub/z',     'first match, not longest'],
    ['/t03/sub/z',     'target /echo/s03/z',         'longer prefix first wins'],
    ['/t03/z',         'target /echo/r03/z',         'shorter prefix after it'],
    ['/t04/a/b',       'target /echo/r04/a/b',       'slash runs in the prefix'],
    ['/t04/b',         'target /echo/catchall/t04/b', 'slash-run prefix: other path'],
    ['/t05//x',        'target /echo/r05/x',         'nocanon: raw path, slash run'],
    ['/t06/re/abc',    'target /echo/m06/abc',       'regex before the prefix wins'],
    ['/t06/re/ABC',    'target /echo/r06/re/ABC',    'regex not matching: prefix'],
    ['/t07/re/abc',    'target /echo/r07/re/abc',    'regex after the prefix: hidden'],
    ['/early/abc',     'target /echo/early/abc',     'first rule, a regex'],
    ['/early/x/',      'target /echo/early-prefix/x/', 'second rule'],
    ['/t1999/q',       'target /echo/r1999/q',       'last group'],
    ['/nothing/there', 'target /echo/catchall/nothing/there', 'catch-all, last rule'],
);

for my $case (@named) {
    my ($path, $expect, $name) = @$case;
    my $ref = want($path);
    my $got = outcome($path);
    ok($ref eq $expect && $got eq $expect, $name)
        or diag("$path: got '$got', reference '$ref', want '$expect'");
}

# Sampled paths from the rules themselves: each sampled prefix with more
# path after it, with its slashes doubled, with its trailing slash gone
# (alone and before one more segment), and with letters glued to it
# (segment boundary); regexes with a match and with more after it.
my @rules = Relay::Routing::rules();
my @paths;
for my $i (0 .. $#rules) {
    next unless $i % 11 == 0 || $i < 20 || $i > $#rules - 20;
    my ($kind, $pat) = @{ $rules[$i] };
    if ($kind eq 'regex') {
        (my $p = $pat) =~ s/^\^//;
        $p =~ s/\(\[a-z\]\+\)\$$/abc/;
        push @paths, $p, "${p}xyz";
        next;
    }
    (my $base = $pat) =~ s{/+}{/}g;
    (my $trim = $base) =~ s{/$}{};
    (my $doubled = $base) =~ s{/}{//}g;
    push @paths, "${base}x/y", "${doubled}z";
    push @paths, $trim, "$trim/w", "${trim}le/q" if $trim ne '';
}
my (%want, @wrong);
for my $path (@paths) {
    my ($want, $got) = ($want{$path} //= want($path), outcome($path));
    push @wrong, "$path: got '$got', want '$want'" if $want ne $got;
}
ok(@paths > 900 && !@wrong,
    scalar(@paths) . ' sampled paths reach the rule the reference picks')
    or diag(join "\n", grep { defined } @wrong[0 .. 19]);

# Not all of them end in the catch-all or stay local: they exercise the
# rules they were made from.
my $specific = grep { $want{$_} !~ m{^target /echo/catchall/|^local} } @paths;
ok($specific > @paths / 2, "$specific of them mapped by a rule of their own");

is_deeply([error_log_errors($mark)], [], 'error log: no unexpected errors');
