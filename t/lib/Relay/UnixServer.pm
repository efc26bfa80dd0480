# Licensed under the Apache License, Version 2.0.
#
# Relay::UnixServer - a forking server on a unix socket for the tests'
# scripted backends (Relay::FcgiBackend, Relay::AjpBackend): each
# connection is handed to a callback in a child process of its own. The
# server and its children form one process group, stopped together.
#
#   my $s = Relay::UnixServer->start($path, sub { my ($sock) = @_; ... });
#   $s->stop;    # also when the object goes away
#   Relay::UnixServer::read_exact($sock, $n)   # for the callbacks

package Relay::UnixServer;

use strict;
use warnings FATAL => 'all';

use IO::Socket::UNIX ();
use POSIX ();
use Socket qw(SOCK_STREAM);

sub start {
    my ($class, $path, $serve) = @_;
    unlink $path;
    my $listen = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path,
                                       Listen => 16)
        or die "listen on $path: $!";
    chmod 0777, $path;    # httpd's children connect as another user
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        POSIX::setsid();
        $SIG{CHLD} = 'IGNORE';
        while (my $sock = $listen->accept) {
            my $kid = fork;
            if (defined $kid && !$kid) {
                $sock->autoflush(1);
                $serve->($sock);
                close $sock;
                POSIX::_exit(0);
            }
            close $sock;
        }
        POSIX::_exit(0);
    }
    close $listen;
    return bless { pid => $pid, path => $path }, $class;
}

# Exactly $n bytes from $sock, or undef when it ends first.
sub read_exact {
    my ($sock, $n) = @_;
    my $buf = '';
    while (length $buf < $n) {
        my $got = sysread($sock, $buf, $n - length $buf, length $buf);
        return undef unless $got;
    }
    return $buf;
}

sub stop {
    my ($self) = @_;
    return unless $self->{pid};
    kill 'TERM', -$self->{pid};
    waitpid $self->{pid}, 0;
    $self->{pid} = undef;
    unlink $self->{path};
}

sub DESTROY { $_[0]->stop }

1;
