package NginxInstance;

# A private nginx for the fault suites: its own prefix under a temporary
# directory, its own free port, one process (`daemon off; master_process
# off;`: the nginx pid is the worker that runs our module), the module
# loaded with load_module, the error log at info level.
#
#   my $ngx = NginxInstance->new(
#       http   => "secauth_redis redis://127.0.0.1:6379;",
#       server => "location /p { secauth session; alias html/p.txt; }",
#       files  => { 'p.txt' => "secret\n" },    # under <prefix>/html
#       log_level => 'debug',                   # default: info
#   );
#   my ($status, $headers, $body, $elapsed) = $ngx->get('/p',
#       Cookie => "__Host-secauth=$sid");
#   my $req = $ngx->start_get('/p');   # ... $ngx->collect($req)
#   $ngx->error_log;  $ngx->pid;  $ngx->stop;
#   $ngx->reload(http => "secauth_zone s:2m;");   # SIGHUP, new http part
#   $ngx->restart;        # stop (QUIT), start again in the same prefix
#   $ngx->crash;          # kill -9 of the master and its workers
#   $ngx->start;          # after crash: start again
#   $ngx->upgrade;        # binary upgrade: USR2, WINCH, QUIT of the old
#
# master => 1 runs a master process (the pid is then the master's, and
# one worker serves): nginx reloads only with a master. upgradable => 1
# runs that master as a daemon (`daemon on`), as in production: nginx
# takes USR2 and WINCH only then. The daemon is still our child
# (PR_SET_CHILD_SUBREAPER), so stop and crash wait for it as for any.
#
# The module comes from $TEST_NGINX_LOAD_MODULES (scripts/test.sh), else
# build/ngx_http_secauth_module.so of this repository. Every instance is
# stopped when it goes out of scope and, at the latest, in an END block.

use strict;
use warnings;

use Cwd qw(abs_path);
use Errno qw(EINTR);
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Temp ();
use IO::Select;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Scalar::Util qw(weaken);
use Time::HiRes qw(time sleep);

my $repo = abs_path(dirname(__FILE__) . '/../..');
my %live;                               # refaddr => weak ref, for END

sub modules {
    my $list = $ENV{TEST_NGINX_LOAD_MODULES};
    my @mods = grep { length } split /\s+/, $list // '';
    @mods = ("$repo/build/ngx_http_secauth_module.so") unless @mods;
    return @mods;
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, ReuseAddr => 1)
        or die "free_port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub new {
    my ($class, %opt) = @_;

    my $self = bless {
        http   => $opt{http} // '',
        server => $opt{server} // '',
        main   => $opt{main} // '',
        files  => $opt{files} // {},
        level  => $opt{log_level} // 'info',
        master => $opt{master} ? 'on' : 'off',
        upgradable => $opt{upgradable} // 0,
        owner  => $$,
        tmp    => File::Temp->newdir('secauth-ngx-XXXXXX', TMPDIR => 1),
    }, $class;

    $self->{dir} = $self->{tmp}->dirname;
    $live{"$self"} = $self;
    weaken $live{"$self"};

    # a port found free may be taken before nginx binds it: try again
    for my $try (1 .. 5) {
        $self->{port} = $opt{port} // free_port();
        my $err = $self->_start;
        return $self unless defined $err;
        die "nginx did not start: $err\n"
            if $err !~ /Address already in use/ || defined $opt{port};
    }
    die "nginx did not start: no free port\n";
}

sub port { $_[0]{port} }
sub pid  { $_[0]{pid} }
sub dir  { $_[0]{dir} }

sub _write {
    my ($path, $text) = @_;
    make_path(dirname($path));
    open my $fh, '>', $path or die "$path: $!";
    print {$fh} $text;
    close $fh or die "$path: $!";
}

sub _config {
    my $self = shift;
    my $d = $self->{dir};
    my $load = join '', map { "load_module $_;\n" } modules();

    # a master started by root would run its worker as nobody, which
    # cannot read the private directory
    my $user = $self->{master} eq 'on' && $> == 0
               ? 'user ' . getpwuid($>) . ';' : '';

    # after a reload: which configuration runs (see reload)
    my $generation = !defined $self->{generation} ? '' : <<"GEN";
        location = /.config-generation {
            return 200 "$self->{generation}\\n";
        }
GEN

    # nginx clears its environment for the binary a USR2 starts: the
    # sanitizers' options must be passed on (scripts/test.sh --asan)
    my $env = join '', map { "env $_;\n" }
              grep { defined $ENV{$_} }
              qw(ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS);

    return <<"CONF";
$load
$env
daemon @{[ $self->{upgradable} ? 'on' : 'off' ]};
master_process $self->{master};
$user
worker_processes 1;
error_log $d/logs/error.log $self->{level};
pid $d/logs/nginx.pid;
$self->{main}

events {
    worker_connections 256;
}

http {
    access_log $d/logs/access.log;
    default_type text/plain;
    client_body_temp_path $d/tmp/body;
    proxy_temp_path $d/tmp/proxy;
    fastcgi_temp_path $d/tmp/fastcgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    scgi_temp_path $d/tmp/scgi;

$self->{http}

    server {
        listen 127.0.0.1:$self->{port};
        server_name localhost;
$generation
$self->{server}
    }
}
CONF
}

# reload(http => TEXT, server => TEXT, main => TEXT): rewrites the
# configuration with the parts given replaced, sends SIGHUP and returns
# once the new configuration answers and the old worker has exited, so
# that no later request reaches it (nginx keeps running the old one if
# the new one is refused: then it dies with the error log)
sub reload {
    my ($self, %opt) = @_;

    for my $part (qw(http server main)) {
        $self->{$part} = $opt{$part} if defined $opt{$part};
    }

    die "reload: needs master => 1\n" unless $self->{master} eq 'on';

    my $gen = ++$self->{generation};
    my $mark = $self->log_mark;
    _write("$self->{dir}/conf/nginx.conf", $self->_config);
    kill 'HUP', $self->{pid} or die "reload: nginx is not running\n";

    my $deadline = time + 10;
    while (time < $deadline) {
        my ($status, undef, $body) = $self->get('/.config-generation');
        return 1 if $status == 200 && $body eq "$gen\n"
                    && $self->wait_for_log(qr/worker process \d+ exited/,
                                           $deadline - time, $mark);
        sleep 0.05;
    }

    die "reload: configuration $gen not running after 10 s:\n"
        . $self->error_log;
}

# returns undef when nginx answers on its port, else why it did not
sub _start {
    my $self = shift;
    my $d = $self->{dir};

    make_path("$d/logs", "$d/tmp", "$d/html", "$d/conf");
    unlink "$d/logs/error.log", "$d/logs/stderr.log";
    _write("$d/conf/nginx.conf", $self->_config);
    _write("$d/html/$_", $self->{files}{$_}) for keys %{ $self->{files} };

    my $bin = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my @cmd = ($bin, '-p', "$d/", '-c', "$d/conf/nginx.conf",
               '-e', "$d/logs/error.log");
    my ($pid, $parent);

    if ($self->{upgradable}) {
        # a daemon: its parent exits, the daemon becomes ours
        _subreaper() or die "upgradable: no PR_SET_CHILD_SUBREAPER here\n";
        unlink "$d/logs/nginx.pid";
        my $launcher = fork // die "fork: $!";
        _exec_nginx($d, @cmd) if $launcher == 0;
        waitpid $launcher, 0;
        if ($? != 0) {
            return sprintf "exit status %d: %s%s", $? >> 8,
                $self->_slurp("$d/logs/stderr.log"), $self->error_log;
        }
        $pid = $self->_slurp("$d/logs/nginx.pid");
        chomp $pid;
        return "no pid file: " . $self->error_log unless $pid =~ /^\d+$/;
        $parent = 1;

    } else {
        $pid = fork // die "fork: $!";
        _exec_nginx($d, @cmd) if $pid == 0;
    }

    $self->{pid} = $pid;

    my $deadline = time + 10;
    while (time < $deadline) {
        if ($parent ? !kill(0, $pid) || _zombie($pid)
                    : waitpid($pid, WNOHANG) == $pid)
        {
            my $status = $?;
            if ($parent) {
                waitpid $pid, 0;
                $status = $?;
            }
            delete $self->{pid};
            return sprintf "exit status %d: %s%s", $status >> 8,
                $self->_slurp("$d/logs/stderr.log"), $self->error_log;
        }
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $self->{port},
                                      Timeout => 1);
        return undef if $s;
        sleep 0.01;
    }

    $self->stop;
    return "port $self->{port} not open after 10 s: " . $self->error_log;
}

# the worker processes of the master (master => 1)
sub workers {
    my $self = shift;
    return () unless $self->{pid};
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh> // '';
        close $fh;
        my ($pid, $ppid) = $line =~ /^(\d+) \(.*\) \S+ (\d+)/s or next;
        push @pids, $pid if $ppid == $self->{pid};
    }
    return @pids;
}

# restart(%opt): a graceful stop, then a start in the same prefix with
# the parts given replaced (http, server, main)
sub restart {
    my ($self, %opt) = @_;
    $self->stop(10);
    return $self->start(%opt);
}

# start(%opt): after stop or crash; dies when nginx does not start
sub start {
    my ($self, %opt) = @_;
    for my $part (qw(http server main)) {
        $self->{$part} = $opt{$part} if defined $opt{$part};
    }
    my $err = $self->_start;
    die "nginx did not start: $err\n" if defined $err;
    return 1;
}

# crash: SIGKILL to the master and its workers at once, as a power cut
# would leave them (nothing written at exit)
sub crash {
    my $self = shift;
    my $pid = delete $self->{pid} or return;
    my @workers = do { local $self->{pid} = $pid; $self->workers };
    kill 'KILL', $pid, @workers;
    waitpid $pid, 0;
    sleep 0.02 while grep { kill(0, $_) && !_zombie($_) } @workers;

    # the port closed too (a process still tearing down, e.g. an ASan
    # one, may hold it), so that start() sees the new nginx answer
    my $deadline = time + 10;
    while (time < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $self->{port},
                                      Timeout => 1) or last;
        close $s;
        sleep 0.02;
    }
}

# upgrade: a binary upgrade as the documentation describes it (USR2: a
# new master with new workers; WINCH: the old workers stop; QUIT: the old
# master exits). Returns once only the new master and its workers run;
# the instance then follows the new master. Needs upgradable => 1.
sub upgrade {
    my ($self, %opt) = @_;
    my $d = $self->{dir};
    my $old = $self->{pid} or die "upgrade: nginx is not running\n";
    die "upgrade: needs master => 1\n" unless $self->{master} eq 'on';

    die "upgrade: needs upgradable => 1\n" unless $self->{upgradable};

    # the new master is the old one's child: once the old one exits, it
    # is ours (see upgradable), so that waitpid works for it

    my $mark = $self->log_mark;
    kill 'USR2', $old;

    my $new;
    my $deadline = time + 10;
    while (time < $deadline) {
        if (-f "$d/logs/nginx.pid.oldbin" && open my $fh, '<',
            "$d/logs/nginx.pid")
        {
            my $pid = <$fh> // '';
            chomp $pid;
            if ($pid =~ /^\d+$/ && $pid != $old) {
                $new = $pid;
                last;
            }
        }
        sleep 0.02;
    }
    die "upgrade: no new master after 10 s:\n" . $self->error_log
        unless $new;

    # the new workers up before the old ones go
    $deadline = time + 10;
    while (time < $deadline) {
        last if do { local $self->{pid} = $new; $self->workers };
        sleep 0.02;
    }

    $opt{between}->() if $opt{between};

    # the new master is a child of the old one too
    kill 'WINCH', $old;
    $deadline = time + 10;
    while (time < $deadline) {
        last unless grep { $_ != $new }
                    do { local $self->{pid} = $old; $self->workers };
        sleep 0.02;
    }

    kill 'QUIT', $old;
    waitpid $old, 0;

    $self->{pid} = $new;
    return $mark;
}

sub _exec_nginx {
    my ($d, @cmd) = @_;
    open STDIN, '<', '/dev/null';
    open STDOUT, '>>', "$d/logs/stderr.log";
    open STDERR, '>&', \*STDOUT;
    exec @cmd or POSIX::_exit(127);
}

# orphans of our children become ours (x86_64 Linux prctl)
sub _subreaper {
    require Config;
    return $Config::Config{archname} =~ /^x86_64-linux/
           && syscall(157, 36, 1, 0, 0, 0) == 0;
}

sub _zombie {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    my $line = <$fh> // '';
    return $line =~ /^\d+ \(.*\) Z/s;
}

sub alive {
    my $self = shift;
    return 0 unless $self->{pid};
    if (waitpid($self->{pid}, WNOHANG) == $self->{pid}) {
        $self->{exit_status} = $?;
        delete $self->{pid};
        return 0;
    }
    return kill 0, $self->{pid};
}

# SIGQUIT (graceful), SIGKILL after $timeout seconds
sub stop {
    my ($self, $timeout) = @_;
    my $pid = delete $self->{pid};
    return unless $pid && ($self->{owner} // 0) == $$;

    kill 'QUIT', $pid;
    my $deadline = time + ($timeout // 5);
    while (time < $deadline) {
        return if waitpid($pid, WNOHANG) != 0;
        sleep 0.01;
    }
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

sub DESTROY {
    my $self = shift;
    local ($?, $!, $@);
    $self->stop if ($self->{owner} // 0) == $$;
    delete $live{"$self"};
}

END {
    local $?;
    for my $ngx (grep { defined } values %live) {
        $ngx->stop if ($ngx->{owner} // 0) == $$;
    }
}

sub _slurp {
    my ($self, $path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    my $text = <$fh>;
    return $text // '';
}

sub error_log { $_[0]->_slurp("$_[0]{dir}/logs/error.log") }

# a mark in the error log; error_log_since(MARK) is what came after it
sub log_mark { -s "$_[0]{dir}/logs/error.log" // 0 }

sub error_log_since {
    my ($self, $mark) = @_;
    return substr $self->error_log, $mark // 0;
}

# wait_for_log(REGEX, TIMEOUT [, MARK]): true once the log matches
sub wait_for_log {
    my ($self, $re, $timeout, $mark) = @_;
    my $deadline = time + ($timeout // 5);
    while (1) {
        return 1 if $self->error_log_since($mark) =~ $re;
        return 0 if time >= $deadline;
        sleep 0.02;
    }
}

# start_get(PATH, NAME => VALUE, ...): sends the request, returns a handle
# for collect() without waiting for the answer; headers may repeat
sub start_get {
    my ($self, $path, @headers) = @_;
    return $self->start_request('GET', $path, undef, @headers);
}

# start_request(METHOD, PATH, BODY, NAME => VALUE, ...): the same for any
# method; a defined BODY goes with its Content-Length
sub start_request {
    my ($self, $method, $path, $body, @headers) = @_;

    my $start = time;
    my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => $self->{port},
                                     Timeout => 5)
        or die "connect to nginx on $self->{port}: $!\n";

    my $req = "$method $path HTTP/1.1\r\nHost: localhost\r\n"
              . "Connection: close\r\n";
    while (my ($name, $value) = splice @headers, 0, 2) {
        $req .= "$name: $value\r\n";
    }
    $req .= 'Content-Length: ' . length($body) . "\r\n" if defined $body;
    $req .= "\r\n" . ($body // '');

    $sock->autoflush(1);
    print {$sock} $req or die "send to nginx: $!\n";

    return { sock => $sock, start => $start, path => $path };
}

# post(PATH, CONTENT_TYPE, BODY, NAME => VALUE, ...): (status, headers,
# body, elapsed) as get()
sub post {
    my ($self, $path, $type, $body, @headers) = @_;
    return $self->collect($self->start_request('POST', $path, $body,
                                               'Content-Type' => $type,
                                               @headers));
}

# true when the answer to a started request can be read (or has arrived)
sub ready {
    my ($self, $req) = @_;
    return IO::Select->new($req->{sock})->can_read(0) ? 1 : 0;
}

# collect(HANDLE [, TIMEOUT]): reads the answer until nginx closes the
# connection; returns (status, {lowercase name => value}, body, elapsed
# seconds since the request was started). The elapsed time is exact if
# collect() is called before the answer arrives, else an upper bound.
# status is 0 when there was no complete answer within TIMEOUT (10 s).
sub collect {
    my ($self, $req, $timeout) = @_;

    my $sock = $req->{sock};
    my $sel = IO::Select->new($sock);
    my $deadline = time + ($timeout // 10);
    my $data = '';

    while (1) {
        my $left = $deadline - time;
        last if $left <= 0;
        my @r = $sel->can_read($left);
        next if !@r && $! == EINTR;
        last unless @r;
        my $n = sysread $sock, $data, 65536, length $data;
        last unless $n;
    }

    my $elapsed = time - $req->{start};
    close $sock;

    my ($head, $body) = split /\r\n\r\n/, $data, 2;
    my ($status) = ($head // '') =~ m{^HTTP/1\.[01] (\d{3})};
    return (0, {}, $data, $elapsed) unless $status && defined $body;

    my %headers;
    for my $line (split /\r\n/, $head) {
        next unless $line =~ /^([^:\s]+):\s*(.*)$/;
        my $name = lc $1;
        $headers{$name} = exists $headers{$name}
                          ? "$headers{$name}, $2" : $2;
    }

    if (($headers{'transfer-encoding'} // '') =~ /chunked/i) {
        my $plain = '';
        while ($body =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
            my $len = hex $1;
            last if $len == 0;
            $plain .= substr $body, 0, $len, '';
            $body =~ s/^\r\n//;
        }
        $body = $plain;
    }

    return ($status, \%headers, $body, $elapsed);
}

sub get {
    my ($self, $path, @headers) = @_;
    return $self->collect($self->start_get($path, @headers));
}

1;
