# Licensed under the Apache License, Version 2.0.
#
# Relay::TestRun - the Apache::TestRun that t/TEST drives.
#
# Three differences from the stock runner:
#  - root may run the suite (CI does): httpd starts as root and its
#    children switch to the configured User, which must not be root;
#  - every Listen the framework generates binds 127.0.0.1, never 0.0.0.0,
#    both for the main server (t/conf/httpd.conf.in) and for the port-based
#    virtual hosts a *.conf.in asks for with <VirtualHost name>;
#  - before the configuration is generated, t/conf/proxy_routing.conf.in
#    (thousands of ProxyPass lines) is written by Relay::Routing.

package Relay::TestRun;

use strict;
use warnings FATAL => 'all';

use parent 'Apache::TestRun';

use Apache::TestConfig ();
use Apache::TestTrace ();

use Relay::Routing ();

sub pre_configure {
    my ($self) = @_;
    Relay::Routing::write_conf();
    return $self->SUPER::pre_configure();
}

sub check_runtime_user {
    my ($self) = @_;
    return 1 if $> != 0;
    my $user = $self->{test_config}{vars}{user} // '';
    if ($user eq '' || $user eq 'root' || $user eq '#0') {
        Apache::TestTrace::error(
            'running as root needs -user naming an unprivileged account');
        Apache::TestRun::exit_perl(0);
    }
    return 1;
}

# Apache::TestConfig::parse_vhost builds "Listen 0.0.0.0:PORT" lines for
# each allocated virtual host, both as text (*.conf.in) and as postamble
# entries (test modules). Rewrite both to the loopback address.
{
    no warnings 'redefine';
    my $parse_vhost = \&Apache::TestConfig::parse_vhost;
    my $postamble   = \&Apache::TestConfig::postamble;

    *Apache::TestConfig::parse_vhost = sub {
        my $vhost = $parse_vhost->(@_);
        return $vhost unless ref $vhost;
        $vhost->{out_string} =~ s/\bListen(\s+)0\.0\.0\.0:/Listen${1}127.0.0.1:/g;
        my $out = $vhost->{out_postamble};
        $vhost->{out_postamble} = sub {
            no warnings 'redefine';
            local *Apache::TestConfig::postamble = sub {
                my ($self, @args) = @_;
                s/\bListen(\s+)0\.0\.0\.0:/Listen${1}127.0.0.1:/ for @args;
                $postamble->($self, @args);
            };
            $out->(@_);
        };
        return $vhost;
    };
}

1;
