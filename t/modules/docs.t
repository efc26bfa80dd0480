# Licensed under the Apache License, Version 2.0.
#
# Every directive Relay's modules declare is named on the module's page in
# docs/ (docs/mod_<module>.md, as `Name` or `<Name`): httpd itself lists
# the directives (`httpd -L`) with Relay's modules loaded from
# RELAY_MODULE_DIR, so directives made through macros count too. A module
# that declares none (mod_proxy_http, mod_proxy_balancer: theirs belong to
# mod_proxy, as in stock) has nothing to name.

use strict;
use warnings FATAL => 'all';

use Apache::Test qw(-withtestmore);
use File::Basename qw(dirname);
use File::Spec;
use File::Temp qw(tempdir);

my $repo = File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..', '..'));
my $moddir = $ENV{RELAY_MODULE_DIR} // "$repo/build/modules";
my $httpd = Apache::Test::vars('httpd') // '/usr/sbin/apache2';
my $mpm = '/usr/lib/apache2/modules/mod_mpm_event.so';

my @modules = sort map { /mod_(\w+)\.so$/ ? $1 : () } glob "$moddir/mod_*.so";
plan tests => 1 + @modules;

# httpd -L: "Name (mod_x.c)" lines, then indented help lines.
my $dir = tempdir(CLEANUP => 1);
my @args = ('-d', $dir, '-f', '/dev/null', '-C', 'ServerName localhost',
            '-C', "ErrorLog $dir/error_log", '-C', "LoadModule mpm_event_module $mpm");
# mod_proxy first: the others need its hooks.
push @args, '-C', "LoadModule proxy_module $moddir/mod_proxy.so";
for my $m (grep { $_ ne 'proxy' } @modules) {
    push @args, '-C', "LoadModule ${m}_module $moddir/mod_$m.so";
}
open my $fh, '-|', $httpd, @args, '-L' or die "$httpd -L: $!";
my %declared;
while (<$fh>) {
    push @{ $declared{$2} }, $1 if /^(<?\w+) \(mod_(\w+)\.c\)/;
}
close $fh;
my $total = 0;
$total += @{ $declared{$_} || [] } for @modules;
ok(@modules >= 8 && $total >= 50, scalar(@modules) . " of Relay's modules "
   . "in $moddir declare $total directives");

for my $m (@modules) {
    my $page = "$repo/docs/mod_$m.md";
    my $text = -f $page ? do { local (@ARGV, $/) = $page; <> } : '';
    my @missing = grep { index($text, "`$_") < 0 } @{ $declared{$m} || [] };
    ok(!@missing,
       "docs/mod_$m.md names the " . scalar(@{ $declared{$m} || [] })
       . " directives of mod_$m") or diag "not named: @missing";
}
