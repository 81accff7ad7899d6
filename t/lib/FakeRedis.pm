package FakeRedis;

# A scripted fake Redis for the fault suites: a forked process on a free
# port that parses RESP commands (arrays of bulk strings, as hiredis sends
# them; inline commands too) and answers each one from a table keyed by
# the command name (upper case):
#
#   my $fake = FakeRedis->new(GET => "-ERR boom\r\n");
#   $fake->port;
#   $fake->set(GET => 'hang');           # change the table at run time
#   $fake->commands;                     # what was received, in order
#   $fake->connections;                  # connections accepted so far
#   $fake->stop;
#
# An answer is either a raw reply (anything starting with a RESP type
# byte: "+OK\r\n", "\$-1\r\n", ":1\r\n", "-ERR x\r\n", ...) or an action:
#
#   reset     close the connection at once, with a TCP reset
#   close     close the connection at once (FIN)
#   partial   write "\$100\r\nabc" (a bulk cut short) and close
#   hang      never answer this command nor any later one on this
#             connection (the connection stays open)
#   sha1      a bulk string holding the SHA-1 of the last argument, as
#             SCRIPT LOAD answers
#
# or an array of those, used one per command in order, the last one
# repeating. Defaults: PING +PONG, AUTH/SELECT/SET +OK, SCRIPT sha1, GET
# nil; anything else gets "-ERR unknown command". New connections are
# accepted for as long as the fake runs (the module reconnects).
#
# The answers to the commands of one read go out in one write, so that a
# pipeline's replies arrive together. set(-read_delay => SECONDS) makes the
# fake wait that long before each read of a connection: commands sent
# meanwhile (requests in flight at once) then form one pipeline.

use strict;
use warnings;

use Digest::SHA qw(sha1_hex);
use Errno qw(EINTR);
use IO::Handle;
use IO::Select;
use IO::Socket::INET;
use POSIX ();
use Scalar::Util ();
use Socket qw(SOL_SOCKET SO_LINGER);
use Storable qw(nfreeze thaw);
use Time::HiRes qw(time sleep);

my %DEFAULT = (
    PING   => "+PONG\r\n",
    AUTH   => "+OK\r\n",
    SELECT => "+OK\r\n",
    SET    => "+OK\r\n",
    SCRIPT => 'sha1',
    GET    => "\$-1\r\n",
);

my %live;

sub bulk {
    my $s = pop;
    return '$' . length($s) . "\r\n$s\r\n";
}

sub new {
    my ($class, %table) = @_;

    my $listen = IO::Socket::INET->new(Listen => 128,
                                       LocalAddr => '127.0.0.1',
                                       LocalPort => 0, ReuseAddr => 1)
        or die "FakeRedis: listen: $!";

    pipe my $ctl_r, my $ctl_w or die "pipe: $!";
    pipe my $ack_r, my $ack_w or die "pipe: $!";

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        close $ctl_w;
        close $ack_r;
        my $rc = eval {
            serve($listen, $ctl_r, $ack_w, { %DEFAULT, %table });
            1;
        };
        print STDERR "FakeRedis: $@" unless $rc;
        POSIX::_exit(0);
    }

    close $ctl_r;
    close $ack_w;
    my $port = $listen->sockport;
    close $listen;
    $ctl_w->autoflush(1);

    my $self = bless { pid => $pid, port => $port, ctl => $ctl_w,
                       ack => $ack_r, owner => $$ }, $class;
    $live{"$self"} = $self;
    Scalar::Util::weaken($live{"$self"});
    return $self;
}

sub port { $_[0]{port} }
sub pid  { $_[0]{pid} }

sub _call {
    my ($self, @msg) = @_;
    my $frozen = nfreeze(\@msg);
    print { $self->{ctl} } length($frozen), "\n", $frozen
        or die "FakeRedis: control: $!";
    my $len = readline $self->{ack};
    die "FakeRedis: no answer from the fake\n" unless defined $len;
    chomp $len;
    my $buf = '';
    while (length $buf < $len) {
        my $n = read $self->{ack}, $buf, $len - length $buf, length $buf;
        die "FakeRedis: short answer\n" unless $n;
    }
    return @{ thaw($buf) };
}

# set(NAME => ANSWER, ...): changes answers for commands received from now
sub set {
    my ($self, %table) = @_;
    $self->_call(set => \%table);
    return $self;
}

# commands(): list of [connection number, NAME, args...] (args cut at 200
# bytes); commands(NAME): only those
sub commands {
    my ($self, $name) = @_;
    my ($log) = $self->_call('log');
    return grep { !defined $name || $_->[1] eq uc $name } @$log;
}

sub connections {
    my $self = shift;
    my ($n) = $self->_call('connections');
    return $n;
}

sub stop {
    my $self = shift;
    my $pid = delete $self->{pid};
    return unless $pid && $self->{owner} == $$;
    close $self->{ctl};
    close $self->{ack};
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub DESTROY {
    my $self = shift;
    local ($?, $!, $@);
    $self->stop;
    delete $live{"$self"};
}

END {
    local $?;
    $_->stop for grep { defined } values %live;
}


# --- the child ---

sub serve {
    my ($listen, $ctl, $ack, $table) = @_;

    local $SIG{PIPE} = 'IGNORE';
    $ack->autoflush(1);

    my $sel = IO::Select->new($listen, $ctl);
    my (%conn, @log);
    my ($nconn, $ctlbuf) = (0, '');

    while (1) {
        my @ready = $sel->can_read;
        if (!@ready) {
            next if $! == EINTR;
            die "select: $!";
        }

        for my $fh (@ready) {
            if ($fh == $listen) {
                my $c = $listen->accept or next;
                $conn{fileno $c} = { sock => $c, buf => '', id => ++$nconn };
                $sel->add($c);
                next;
            }

            if ($fh == $ctl) {
                my $n = sysread $ctl, $ctlbuf, 65536, length $ctlbuf;
                return unless $n;           # the test has gone: exit
                while ($ctlbuf =~ /^(\d+)\n/
                       && length $ctlbuf >= length($1) + 1 + $1)
                {
                    my $len = $1;
                    substr $ctlbuf, 0, length($len) + 1, '';
                    my ($op, @args) = @{ thaw(substr $ctlbuf, 0, $len, '') };
                    my @answer;
                    if ($op eq 'set') {
                        %$table = (%$table, %{ $args[0] });
                    } elsif ($op eq 'log') {
                        @answer = ([@log]);
                    } elsif ($op eq 'connections') {
                        @answer = ($nconn);
                    }
                    my $frozen = nfreeze(\@answer);
                    print {$ack} length($frozen), "\n", $frozen;
                }
                next;
            }

            my $c = $conn{fileno $fh};
            sleep $table->{-read_delay} if $table->{-read_delay};
            my $n = sysread $fh, $c->{buf}, 65536, length $c->{buf};
            if (!$n) {
                $sel->remove($fh);
                delete $conn{fileno $fh};
                close $fh;
                next;
            }

            while (defined(my $cmd = parse(\$c->{buf}))) {
                next unless @$cmd;
                my $name = uc $cmd->[0];
                push @log, [$c->{id}, $name,
                            map { substr $_, 0, 200 } @$cmd[1 .. $#$cmd]];
                next if $c->{hung};

                my $answer = $table->{$name}
                    // "-ERR unknown command '$cmd->[0]'\r\n";
                if (ref $answer eq 'ARRAY') {
                    $answer = @$answer > 1 ? shift @$answer : $answer->[0];
                }

                last unless answer($c, $answer, $cmd);
            }
            flush($c);

            if ($c->{closed}) {
                $sel->remove($fh);
                delete $conn{fileno $fh};
                close $fh;
            }
        }
    }
}

# answers one command (queued for flush); false when the connection is to
# be closed
sub answer {
    my ($c, $answer, $cmd) = @_;
    my $sock = $c->{sock};

    if ($answer eq 'hang') {
        $c->{hung} = 1;
        return 1;
    }

    if ($answer eq 'reset') {
        flush($c);
        setsockopt $sock, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0);
        $c->{closed} = 1;
        return 0;
    }

    if ($answer eq 'close') {
        flush($c);
        $c->{closed} = 1;
        return 0;
    }

    if ($answer eq 'partial') {
        $c->{out} .= "\$100\r\nabc";
        flush($c);
        $c->{closed} = 1;
        return 0;
    }

    $answer = bulk(sha1_hex($cmd->[-1])) if $answer eq 'sha1';
    $c->{out} .= $answer;

    return 1;
}

# writes what answer() queued
sub flush {
    my $c = shift;
    my $out = delete $c->{out} // '';

    while (length $out) {
        my $n = syswrite $c->{sock}, $out;
        if (!defined $n) {
            next if $! == EINTR;
            $c->{closed} = 1;
            return;
        }
        substr $out, 0, $n, '';
    }
}

# one command off the front of the buffer: an array ref, or undef when
# the buffer does not hold a whole command yet
sub parse {
    my $buf = shift;

    if ($$buf =~ /^\*/) {
        return undef unless $$buf =~ /^\*(-?\d+)\r\n/;
        my $count = $1;
        my $pos = length("*$count\r\n");
        my @args;
        for (1 .. $count) {
            my $rest = substr $$buf, $pos;
            return undef unless $rest =~ /^\$(\d+)\r\n/;
            my $len = $1;
            my $start = $pos + length("\$$len\r\n");
            return undef if length($$buf) < $start + $len + 2;
            push @args, substr $$buf, $start, $len;
            $pos = $start + $len + 2;
        }
        substr $$buf, 0, $pos, '';
        return \@args;
    }

    return undef unless $$buf =~ s/^([^\n]*)\n//;
    my $line = $1;
    $line =~ s/\r$//;
    return [split ' ', $line];
}

1;
