# Licensed under the Apache License, Version 2.0.
#
# Relay::Client - one persistent HTTP/1.1 client connection to the test
# server, for tests that care which requests share a connection (pooling,
# keep-alive, per-child state). Each response is read by its framing
# (Content-Length, chunked, or up to the close), so the next request can
# follow on the same socket.
#
#   my $c = Relay::Client->new($port);
#   my $res = $c->get('/echo', Host => 'example.test');
#   $res->{status}, $res->{body}, header_values($res, 'X-Origin-Conn')
#   $c->closed   # true once the server closed or said Connection: close
#   $c->disconnect
#
# Responses are the hashes of Relay::Test::parse_response, with {body}
# unframed and {elapsed} (seconds from the last send to the last byte). Every
# read has a deadline; a response cut short comes back with {incomplete}.

package Relay::Client;

use strict;
use warnings FATAL => 'all';

use Carp qw(croak);
use Time::HiRes ();

use Relay::Test qw(raw_connect read_until parse_response header_values);

sub new {
    my ($class, $port, %o) = @_;
    my $self = bless {
        port    => $port,
        timeout => $o{timeout} // 10,
        buf     => '',
        closed  => 0,
    }, $class;
    $self->{sock} = raw_connect($port, $self->{timeout});
    return $self;
}

sub closed { $_[0]{closed} }

sub disconnect {
    my ($self) = @_;
    CORE::close($self->{sock}) if $self->{sock};
    $self->{sock} = undef;
    $self->{closed} = 1;
}

# GET/HEAD $path with the given header fields (Host defaults to the
# server's address).
sub get  { my $self = shift; $self->request('GET', @_) }
sub head { my $self = shift; $self->request('HEAD', @_) }

sub request {
    my ($self, $method, $path, @fields) = @_;
    $self->send_request($method, $path, @fields);
    return $self->read_response($method);
}

# Writes a request without waiting for its response (for concurrent or
# pipelined requests); read_response($method) collects it later.
sub send_request {
    my ($self, $method, $path, @fields) = @_;
    my %have = map { lc($fields[$_]) => 1 } grep { $_ % 2 == 0 } 0 .. $#fields;
    my $req = "$method $path HTTP/1.1\r\n";
    $req .= "Host: 127.0.0.1:$self->{port}\r\n" unless $have{host};
    while (my ($k, $v) = splice @fields, 0, 2) {
        $req .= "$k: $v\r\n";
    }
    $self->send_bytes("$req\r\n");
}

# Sends $bytes as they are and reads one final response to $method.
sub send_raw {
    my ($self, $bytes, $method) = @_;
    $self->send_bytes($bytes);
    return $self->read_response($method // 'GET');
}

sub send_bytes {
    my ($self, $bytes) = @_;
    croak 'the connection is closed' if $self->{closed};
    $self->{sent_at} = Time::HiRes::time();
    local $SIG{PIPE} = 'IGNORE';
    my $off = 0;
    while ($off < length $bytes) {
        my $n = syswrite($self->{sock}, $bytes, length($bytes) - $off, $off);
        last unless $n;
        $off += $n;
    }
}

sub read_response {
    my ($self, $method) = @_;
    $method //= 'GET';
    my $res;
    while (1) {
        my $end = read_until($self->{sock}, \$self->{buf}, qr/\r\n\r\n/,
                             $self->{timeout});
        if ($end ne 'match') {
            $self->{closed} = 1;
            return undef;
        }
        $res = parse_response($self->{buf}) or croak 'unparsable response';
        $self->{buf} = $res->{status} < 200 ? $res->{rest} : $res->{body};
        last if $res->{status} >= 200 || $res->{status} == 101;
    }
    my $te = join ',', header_values($res, 'Transfer-Encoding');
    my ($cl) = header_values($res, 'Content-Length');
    my $conn = lc join ',', header_values($res, 'Connection');
    $res->{body} = '';
    if ($method eq 'HEAD' || $res->{status} == 204 || $res->{status} == 304
        || $res->{status} == 101) {
        # no body; after a 101 the bytes that follow are the new protocol's
    }
    elsif ($te =~ /chunked/i) {
        $self->read_chunked($res);
    }
    elsif (defined $cl) {
        read_until($self->{sock}, \$self->{buf}, sub { length $_[0] >= $cl },
                   $self->{timeout});
        $res->{body} = substr($self->{buf}, 0, $cl, '');
        $res->{incomplete} = 1 if length $res->{body} < $cl;
    }
    else {
        read_until($self->{sock}, \$self->{buf}, undef, $self->{timeout});
        $res->{body} = $self->{buf};
        $self->{buf} = '';
        $conn = 'close';
    }
    $self->{closed} = 1 if $conn =~ /\bclose\b/ || $res->{incomplete};
    $res->{elapsed} = Time::HiRes::time() - ($self->{sent_at} // 0);
    return $res;
}

sub read_chunked {
    my ($self, $res) = @_;
    my $t = $self->{timeout};
    while (1) {
        if (read_until($self->{sock}, \$self->{buf}, qr/\r\n/, $t) ne 'match'
            || $self->{buf} !~ s/^([0-9A-Fa-f]+)[^\r\n]*\r\n//) {
            $res->{incomplete} = 1;
            return;
        }
        my $size = hex $1;
        if ($size == 0) {
            # trailer fields, then the empty line
            while (read_until($self->{sock}, \$self->{buf}, qr/\r\n/, $t)
                   eq 'match') {
                last if $self->{buf} =~ s/^\r\n//;
                $self->{buf} =~ s/^[^\r\n]*\r\n//;
            }
            return;
        }
        if (read_until($self->{sock}, \$self->{buf},
                       sub { length $_[0] >= $size + 2 }, $t) ne 'match') {
            $res->{incomplete} = 1;
            return;
        }
        $res->{body} .= substr($self->{buf}, 0, $size, '');
        $self->{buf} =~ s/^\r\n// or do { $res->{incomplete} = 1; return };
    }
}

1;
