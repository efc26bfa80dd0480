# Licensed under the Apache License, Version 2.0.
#
# Relay::Balancer - helpers of the balancer tests (t/modules/balancer_*.t):
#
#   more_children($port, $want)  keeps the server's threads busy with slow
#                                requests (through /slow/ on $port) until
#                                httpd runs at least $want child processes;
#                                returns their number
#   balancer_auto($port, $path)  the `balancer-manager` page's ?auto lines
#                                as { "ProxyBalancer[0]Worker[1]Name" => .. }
#   member_field($auto, $name_re, $field)
#                                a field of the member whose Name matches
#   served_by($res)              the /echo/NAME member a response came from
#   pick_pids($mark, $balancer)  { pid => picks } of RL05010 lines since
#                                $mark for balancer://$balancer

package Relay::Balancer;

use strict;
use warnings FATAL => 'all';

use Exporter qw(import);
use Time::HiRes ();

use Relay::Test qw(raw_connect read_until parse_response raw_request
    error_log_since);
use Relay::Proc qw(httpd_children log_pid);

our @EXPORT = qw(more_children balancer_auto member_field served_by
    pick_pids);

sub more_children {
    my ($port, $want) = @_;
    my $deadline = Time::HiRes::time() + 10;
    my $n = () = httpd_children();
    while ($n < $want && Time::HiRes::time() < $deadline) {
        my @socks = map {
            my $s = raw_connect($port, 15);
            Relay::Test::write_all($s, "GET /slow/delay?ms=1500 HTTP/1.1\r\n"
                . "Host: 127.0.0.1\r\nConnection: close\r\n\r\n");
            $s;
        } 1 .. 14;
        my $until = Time::HiRes::time() + 1.4;
        while (Time::HiRes::time() < $until) {
            $n = () = httpd_children();
            last if $n >= $want;
            Time::HiRes::sleep(0.1);
        }
        for my $s (@socks) {
            my $buf = '';
            read_until($s, \$buf, undef, 15);
            close $s;
        }
        $n = () = httpd_children();
    }
    return $n;
}

sub balancer_auto {
    my ($port, $path) = @_;
    my $res = parse_response(raw_request($port,
        "GET $path?auto HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"));
    my %f;
    for (split /\n/, $res ? $res->{body} : '') {
        $f{$1} = $2 if /^(\S+?): ?(.*)$/;
    }
    return \%f;
}

sub member_field {
    my ($auto, $name_re, $field) = @_;
    for my $k (keys %$auto) {
        next unless $k =~ /^(ProxyBalancer\[\d+\]Worker\[\d+\])Name$/;
        my $pre = $1;
        return $auto->{"$pre$field"} if $auto->{$k} =~ $name_re;
    }
    return undef;
}

sub served_by {
    my ($res) = @_;
    return 'none' unless $res && $res->{status};
    return "status $res->{status}" if $res->{status} != 200;
    return $res->{body} =~ m{^target: /echo/([^/\s]+)}m ? $1 : 'no target';
}

sub pick_pids {
    my ($mark, $balancer) = @_;
    my %n;
    for (grep { /RL05010: balancer balancer:\/\/\Q$balancer\E:/ }
        error_log_since($mark)) {
        $n{ log_pid($_) // 0 }++;
    }
    return \%n;
}

1;
