# Fault tests for the Redis client (docs/directives.md, secauth_redis):
# Redis absent at start, killed, paused, protected by a password, or
# answering garbage. Each case runs a private nginx (t/lib/NginxInstance)
# against its own redis-server (started here on a free port, without
# persistence, so that it can be killed and paused freely) or against a
# scripted fake (t/lib/FakeRedis).
#
# Timing requirements: a 503 while Redis is down is immediate (< 50 ms);
# a 503 while Redis does not answer comes at the command timeout (200 ms,
# + 50 ms); recovery takes less than the 2 s backoff cap (+ 0.5 s).
# Immediate 503s are judged on the median of many requests, and the
# timeout measurements (paused Redis, hung reply) are taken again, at
# most 3 times, when one misses, so that a loaded machine does not make
# the suite flaky; every measurement is printed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Digest::SHA qw(sha256_hex);
use File::Temp ();
use IO::Socket::INET;
use MIME::Base64 qw(encode_base64url);
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time sleep);

use FakeRedis;
use NginxInstance;

my ($module) = NginxInstance::modules();
plan skip_all => "no module at $module (run scripts/test.sh)"
    unless -f $module;
plan skip_all => 'redis-server and redis-cli are needed'
    unless grep({ -x "$_/redis-server" } split /:/, $ENV{PATH})
           && grep({ -x "$_/redis-cli" } split /:/, $ENV{PATH});

my $tmp = File::Temp->newdir('secauth-faults-XXXXXX', TMPDIR => 1);
my %redis;                      # port => pid of our redis-servers
my $owner = $$;

# interrupted (Ctrl-C, prove killed): exit through the END blocks, which
# stop every nginx, redis-server and fake started here
$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

END {
    local $?;
    if ($$ == $owner) {
        for my $pid (values %redis) {
            kill 'CONT', $pid;
            kill 'KILL', $pid;
            waitpid $pid, 0;
        }
    }
}

# --- helpers ---

sub redis_start {
    my ($port, @extra) = @_;

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>&', \*STDOUT;
        exec 'redis-server', '--bind', '127.0.0.1', '--port', $port,
             '--save', '', '--appendonly', 'no', '--dir', "$tmp",
             '--logfile', "$tmp/redis-$port.log", @extra
            or POSIX::_exit(127);
    }
    $redis{$port} = $pid;

    my $deadline = time + 10;
    while (time < $deadline) {
        die "redis-server on port $port exited\n"
            if waitpid($pid, WNOHANG) == $pid;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port);
        if ($s) {
            print {$s} "PING\r\n";
            my $line = <$s>;
            return $pid if defined $line && $line =~ /^[+-]/;
        }
        sleep 0.02;
    }
    die "redis-server on port $port does not answer\n";
}

sub redis_kill {
    my $port = shift;
    my $pid = delete $redis{$port} or return;
    kill 'KILL', $pid;
    kill 'CONT', $pid;
    waitpid $pid, 0;
}

sub redis_signal {
    my ($port, $sig) = @_;
    kill $sig, $redis{$port} or die "kill $sig: $!";
}

# rcli(PORT, [AUTH ARGS,] COMMAND...): redis-cli output, chomped
sub rcli {
    my ($port, @args) = @_;
    open my $fh, '-|', 'redis-cli', '-p', $port, @args
        or die "redis-cli: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    $out =~ s/\n\z//;
    return $out;
}

sub new_sid {
    open my $fh, '<:raw', '/dev/urandom' or die "urandom: $!";
    read($fh, my $bytes, 32) == 32 or die "urandom: short read";
    return encode_base64url($bytes);
}

sub record {
    my ($user, $created_ago, $seen_ago) = @_;
    my $now = time;
    return sprintf '{"user":"%s","created":%d,"last_seen":%d,"level":1,'
                   . '"pwv":0,"ip":"127.0.0.1"}',
                   $user, $now - $created_ago, $now - $seen_ago;
}

# put_session(PORT, SID [, redis-cli auth args]): alice, fresh
sub put_session {
    my ($port, $sid, @auth) = @_;
    my $out = rcli($port, @auth, 'SET', 'secauth:session:' . sha256_hex($sid),
                   record('alice', 60, 0), 'EX', 600);
    die "SET session: $out\n" unless $out eq 'OK';
}

sub cookie { return (Cookie => "__Host-secauth=$_[0]") }

sub median {
    my @v = sort { $a <=> $b } @_;
    return $v[$#v / 2];
}

sub ms { sprintf '%.1f ms', 1000 * $_[0] }

# case(NAME, CODE): a subtest that fails, rather than ending the script,
# when CODE dies; the cases after it still run
sub case {
    my ($name, $code) = @_;
    subtest $name => sub {
        fail("died: $@") unless eval { $code->(); 1 };
    };
}

my $LOCATIONS = <<'CONF';
        location /p {
            secauth session;
            add_header X-Error $secauth_error always;
            add_header X-User $secauth_user always;
            alias html/p.txt;
        }
        location /open {
            secauth session;
            secauth_fail open;
            add_header X-User $secauth_user always;
            alias html/p.txt;
        }
        location /pub {
            alias html/p.txt;
        }
CONF

# nginx_on(SECAUTH_REDIS ARGS [, log level])
sub nginx_on {
    my ($args, $level) = @_;
    return NginxInstance->new(http => "    secauth_redis $args;\n",
                              server => $LOCATIONS,
                              files => { 'p.txt' => "secret\n" },
                              log_level => $level);
}

# wait_status(NGX, STATUS, TIMEOUT, PATH, HEADERS...): polls every 10 ms;
# returns (reached, seconds, last headers)
sub wait_status {
    my ($ngx, $want, $timeout, @req) = @_;
    my $start = time;
    my ($status, $headers) = (0, {});
    while (1) {
        ($status, $headers) = $ngx->get(@req);
        return (1, time - $start, $headers) if $status == $want;
        return (0, time - $start, $headers) if time - $start > $timeout;
        sleep 0.01;
    }
}

sub count_lines {
    my ($text, $re) = @_;
    return scalar grep { $_ =~ $re } split /\n/, $text;
}

# the URL in log lines is IP:PORT[/DB], never the credentials
sub unavailable_re {
    my $port = shift;
    return qr{\[error\] .*secauth: redis 127\.0\.0\.1:$port(/\d+)? unavailable};
}

sub again_re {
    my $port = shift;
    my $re = '\[notice\] .*secauth: redis 127\.0\.0\.1:' . $port
             . '(/\d+)? is available again';
    return qr/$re/;
}

# the process that ran the module is the one we started, still serving
sub no_crash {
    my ($ngx, $pid, $what) = @_;
    ok($ngx->alive && ($ngx->pid // 0) == $pid,
       "$what: the nginx worker (pid $pid) is still alive");
    unlike($ngx->error_log, qr/exited on signal|\[alert\]|\[emerg\]/,
           "$what: no crash, [alert] or [emerg] in the error log");
    my ($status) = $ngx->get('/pub');
    is($status, 200, "$what: the worker still serves requests");
}

# --- Redis absent when nginx starts ---

case 'Redis not running when nginx starts' => sub {
    my $port = NginxInstance::free_port();
    my $ngx = nginx_on("redis://127.0.0.1:$port timeout=1s");
    my $started = time;
    my $pid = $ngx->pid;
    my $sid = new_sid();

    ok($ngx->alive, 'nginx starts although Redis is not running');

    my (@status, @error, @lat);
    for (1 .. 7) {
        my ($s, $h, undef, $e) = $ngx->get('/p', cookie($sid));
        push @status, $s;
        push @error, $h->{'x-error'} // '';
        push @lat, $e;
    }
    diag 'Redis down, protected 503 latencies: ' . join ', ',
        map { ms($_) } @lat;
    is_deeply(\@status, [(503) x 7],
              'fail closed: a protected location answers 503');
    is_deeply(\@error, [('store_unavailable') x 7],
              '$secauth_error is store_unavailable');
    cmp_ok(median(@lat), '<', 0.050,
           'the 503 is immediate while disconnected (median '
           . ms(median(@lat)) . ' < 50 ms, no 1 s command timeout)');

    my $mark = $ngx->log_mark;
    my ($s, $h, $body) = $ngx->get('/open', cookie($sid));
    is($s, 200, 'secauth_fail open: the request is admitted');
    is($body, "secret\n", 'secauth_fail open: the content is served');
    like($ngx->error_log_since($mark),
         qr/\[warn\] .*secauth: store unavailable, request admitted/,
         'secauth_fail open: the admission is logged at [warn]');

    ($s, undef, $body) = $ngx->get('/pub');
    is($s, 200, 'an unprotected location answers 200 without Redis');

    # let the backoff grow to its cap (0.1+0.2+0.4+0.8+1.6 s) before
    # Redis appears: recovery must still come within the cap
    my $down = 3.3 - (time - $started);
    sleep $down if $down > 0;

    is(count_lines($ngx->error_log, unavailable_re($port)), 1,
       'the outage is logged once at [error], despite ~6 failed connects '
       . 'and the requests');

    redis_start($port);
    put_session($port, $sid);
    my ($ok, $took, $headers) = wait_status($ngx, 200, 6, '/p', cookie($sid));
    diag sprintf 'recovery after Redis started: %s (nginx up %.1f s)',
        ms($took), time - $started;
    ok($ok, 'once Redis runs, the session is admitted, without a reload');
    cmp_ok($took, '<', 2.5,
           'recovered within the 2 s backoff cap (' . ms($took) . ')');
    is($headers->{'x-user'}, 'alice', '$secauth_user from the session');
    ok($ngx->wait_for_log(again_re($port), 2),
       'the recovery is logged at [notice] ("is available again")');
    is($ngx->pid, $pid, 'the same nginx process (no reload, no restart)');

    redis_kill($port);
};

# --- Redis killed while nginx runs ---

case 'Redis killed (SIGKILL) mid-run, restarted' => sub {
    my $port = NginxInstance::free_port();
    redis_start($port);
    my $sid = new_sid();
    put_session($port, $sid);

    my $ngx = nginx_on("redis://127.0.0.1:$port timeout=1s");
    my ($ok) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    ok($ok, 'baseline: the session is admitted');
    sleep 1.1;      # a connection up for >= 1 s is retried at once

    my $mark = $ngx->log_mark;
    redis_kill($port);

    my ($s, $h, undef, $e) = $ngx->get('/p', cookie($sid));
    diag 'first protected request after SIGKILL: ' . ms($e);
    is($s, 503, 'the next protected request after the kill gets 503');
    is($h->{'x-error'}, 'store_unavailable', '... as store_unavailable');
    cmp_ok($e, '<', 0.25,
           '... quickly (' . ms($e) . '; the command timeout is 1 s)');

    my (@status, @lat);
    for (1 .. 50) {
        my ($st, undef, undef, $el) = $ngx->get('/p', cookie($sid));
        push @status, $st;
        push @lat, $el;
        sleep 0.01;
    }
    is_deeply(\@status, [(503) x 50], '50 more requests: all 503');
    cmp_ok(median(@lat), '<', 0.050,
           '... immediately (median ' . ms(median(@lat)) . ' < 50 ms)');

    my $log = $ngx->error_log_since($mark);
    is(count_lines($log, unavailable_re($port)), 1,
       'exactly one "unavailable" [error] line for the outage, after 51 '
       . 'requests and several reconnects');
    like($log, qr/unavailable: connection lost/,
         'the line says the connection was lost');

    redis_start($port);
    put_session($port, $sid);       # a restarted Redis starts empty
    my ($back, $took) = wait_status($ngx, 200, 6, '/p', cookie($sid));
    diag 'recovery after the restart: ' . ms($took);
    ok($back, 'after the restart on the same port the session is admitted');
    cmp_ok($took, '<', 2.5, 'recovered within 2.5 s (' . ms($took) . ')');
    ok($ngx->wait_for_log(again_re($port), 2, $mark),
       '"is available again" logged at [notice]');

    $log = $ngx->error_log_since($mark);
    is(count_lines($log, again_re($port)), 1, '... once');
    is(count_lines($log, unavailable_re($port)), 1,
       'still a single "unavailable" line for the whole outage');

    redis_kill($port);
};

# --- Redis paused ---

case 'Redis paused (SIGSTOP), resumed' => sub {
    my $port = NginxInstance::free_port();
    redis_start($port);
    my $sid = new_sid();
    put_session($port, $sid);

    my $ngx = nginx_on("redis://127.0.0.1:$port timeout=200ms");
    my (%m, $tries);

    for my $try (1 .. 3) {
        $tries = $try;
        my ($ok) = wait_status($ngx, 200, 5, '/p', cookie($sid));
        die "Redis did not come back between tries\n" unless $ok;

        redis_signal($port, 'STOP');
        my $req = $ngx->start_get('/p', cookie($sid));
        sleep 0.02;
        my ($ps, undef, undef, $pe) = $ngx->get('/pub');
        my $pending = !$ngx->ready($req);
        my ($s, $h, undef, $e) = $ngx->collect($req);

        %m = (status => $s, error => $h->{'x-error'} // '', latency => $e,
              pub_status => $ps, pub_latency => $pe, pending => $pending);
        diag sprintf 'try %d: protected %d in %s, unprotected %d in %s '
                     . 'while the protected one %s', $try, $s, ms($e), $ps,
                     ms($pe), $pending ? 'waited' : 'had its answer';

        last if $e >= 0.19 && $e < 0.25 && $pe < 0.05 && $pending;
        last if $try == 3;

        redis_signal($port, 'CONT');
    }

    is($m{status}, 503, 'a protected request gets 503 while Redis hangs');
    is($m{error}, 'store_unavailable', '... as store_unavailable');
    cmp_ok($m{latency}, '>=', 0.19,
           '... after waiting for the 200 ms command timeout');
    cmp_ok($m{latency}, '<', 0.25,
           '... answered within timeout + 50 ms (' . ms($m{latency}) . ')');
    is($m{pub_status}, 200,
       'meanwhile an unprotected location on the same worker answers 200');
    cmp_ok($m{pub_latency}, '<', 0.05,
           '... within 50 ms (' . ms($m{pub_latency}) . ')');
    ok($m{pending},
       '... while the protected request was still waiting: the worker '
       . 'is not blocked by Redis');
    like($ngx->error_log, qr/unavailable: command timed out/,
         'the timeout is logged as an outage');
    sleep 1.5;      # the reconnect to the paused server times out too
    is(count_lines($ngx->error_log, unavailable_re($port)), $tries,
       "logged once per outage ($tries), not again when the reconnect to "
       . 'the paused server times out');

    redis_signal($port, 'CONT');
    my ($back, $took) = wait_status($ngx, 200, 6, '/p', cookie($sid));
    diag 'recovery after SIGCONT: ' . ms($took);
    ok($back, 'after SIGCONT the session is admitted again');
    cmp_ok($took, '<', 2.5, 'recovered within 2.5 s (' . ms($took) . ')');
    ok($ngx->wait_for_log(again_re($port), 2),
       '"is available again" logged at [notice]');

    redis_kill($port);
};

# --- passwords and ACL users ---

case 'AUTH: wrong password, password in URL or file, ACL user' => sub {
    my $pw = "Corr3ct-h0rse-$$";
    my $app_pw = "App-s3cret-$$";
    my $wrong = "Wr0ng-guess-$$";
    my @auth = ('-a', $pw, '--no-auth-warning');

    my $port = NginxInstance::free_port();
    redis_start($port, '--requirepass', $pw);
    is(rcli($port, @auth, 'ACL', 'SETUSER', 'app', 'on', ">$app_pw", '~*',
            '+@all'), 'OK', 'ACL user "app" created');
    my $sid = new_sid();
    put_session($port, $sid, @auth);

    my $pwfile = "$tmp/redis.pw";
    open my $fh, '>', $pwfile or die "$pwfile: $!";
    print {$fh} "$pw\n";
    close $fh;

    my @cases = (
        [ 'wrong password in the URL', ":$wrong\@", '', 503,
          qr/unavailable: AUTH .*WRONGPASS/ ],
        [ 'no password configured', '', '', 503,
          qr/unavailable: SCRIPT LOAD NOAUTH/ ],
        [ 'ACL user with a wrong password', "app:$wrong\@", '', 503,
          qr/unavailable: AUTH .*WRONGPASS/ ],
        [ 'correct password in the URL', ":$pw\@", '', 200 ],
        [ 'password from password_file=', '', " password_file=$pwfile",
          200 ],
        [ 'ACL user app:pw in the URL', "app:$app_pw\@", '', 200 ],
    );

    for my $case (@cases) {
        my ($what, $cred, $opts, $want, $log_re) = @$case;
        my $ngx = nginx_on("redis://${cred}127.0.0.1:$port$opts", 'debug');
        my ($ok, $took, $h) = wait_status($ngx, $want, 3, '/p',
                                          cookie($sid));
        ok($ok, "$what: the protected location answers $want");
        if ($want == 200) {
            is($h->{'x-user'}, 'alice', "$what: the session is read");
        } else {
            is($h->{'x-error'}, 'store_unavailable',
               "$what: refused as store_unavailable");
            like($ngx->error_log, $log_re,
                 "$what: the authentication failure is logged");
        }
        my $log = $ngx->error_log;
        unlike($log, qr/\Q$pw\E|\Q$app_pw\E|\Q$wrong\E/,
               "$what: no password in the error log (debug level)");
        unlike($log, qr/app:/, "$what: no credentials part of the URL");
    }

    redis_kill($port);
};

# --- error replies to GET ---

my $VALID = FakeRedis::bulk(record('alice', 60, 0));

for my $err ('ERR boom',
             'NOAUTH Authentication required.',
             "READONLY You can't write against a read only replica.",
             'LOADING Redis is loading the dataset in memory',
             'WRONGTYPE Operation against a key holding the wrong kind of '
             . 'value')
{
    my ($word) = $err =~ /^(\w+)/;

    case "GET answered -$word" => sub {
        my $fake = FakeRedis->new(GET => "-$err\r\n");
        my $port = $fake->port;
        my $ngx = nginx_on("redis://127.0.0.1:$port");
        my $pid = $ngx->pid;
        my $sid = new_sid();

        my ($s, $h) = $ngx->get('/p', cookie($sid));
        is($s, 503, "-$word: the protected request gets 503");
        is($h->{'x-error'}, 'store_unavailable', '... store_unavailable');
        my $line = "secauth: redis 127.0.0.1:$port: GET session failed: "
                   . $err;
        like($ngx->error_log, qr/\[error\] .*\Q$line\E/,
             "-$word: the error text is logged at [error]");
        my @gets = $fake->commands('GET');
        is_deeply([ map { $_->[2] } @gets ],
                  [ 'secauth:session:' . sha256_hex($sid) ],
                  'one GET secauth:session:<sha256 of the cookie> was sent');
        no_crash($ngx, $pid, "-$word");

        if ($word eq 'ERR') {
            # rate limit: at most one line a second per worker
            my $mark = $ngx->log_mark;
            my $start = time;
            my @st = map { ($ngx->get('/p', cookie($sid)))[0] } 1 .. 20;
            my $secs = int(time) - int($start) + 1;
            is_deeply(\@st, [(503) x 20], '20 more: all 503');
            cmp_ok(count_lines($ngx->error_log_since($mark),
                               qr/GET session failed/), '<=', $secs,
                   "error replies are logged at most once a second "
                   . "($secs distinct seconds)");
        }

        $fake->set(GET => $VALID);
        ($s, $h) = $ngx->get('/p', cookie($sid));
        is($s, 200, "after -$word: a valid record is admitted");
        is($h->{'x-user'}, 'alice', '... as alice');
        is($fake->connections, 1,
           'an error reply does not drop the connection');
    };
}

# --- replies cut short, never coming, or of the wrong shape ---

my @cut = (
    [ 'partial', 'a reply cut short (connection reset mid-reply)' ],
    [ 'reset', 'a TCP reset instead of a reply' ],
    [ 'close', 'the connection closed instead of a reply' ],
);

for my $case (@cut) {
    my ($action, $what) = @$case;

    case "GET answered with $what" => sub {
        my $fake = FakeRedis->new(GET => $action);
        my $port = $fake->port;
        my $ngx = nginx_on("redis://127.0.0.1:$port timeout=1s");
        my $pid = $ngx->pid;
        my $sid = new_sid();

        my @reqs = map { $ngx->start_get('/p', cookie($sid)) } 1 .. 3;
        my @res = map { [ ($ngx->collect($_))[0, 3] ] } @reqs;
        diag "$action: " . join ', ', map { "$_->[0] in " . ms($_->[1]) }
                                          @res;
        is_deeply([ map { $_->[0] } @res ], [503, 503, 503],
                  "$action: the request and those pipelined behind it "
                  . 'get 503');
        cmp_ok($res[0][1], '<', 0.25,
               '... at once, not at the 1 s timeout (' . ms($res[0][1])
               . ')');
        like($ngx->error_log, qr/unavailable: connection lost/,
             'the lost connection is logged');
        no_crash($ngx, $pid, $action);

        $fake->set(GET => $VALID);
        my ($ok, $took, $hd) = wait_status($ngx, 200, 3, '/p',
                                           cookie($sid));
        diag "recovery after $action: " . ms($took);
        ok($ok, 'the next request after the reconnect is admitted');
        is($hd->{'x-user'}, 'alice', '... as alice');
        cmp_ok($fake->connections, '>=', 2, '... on a new connection');
        ok($ngx->wait_for_log(again_re($port), 2), 'recovery logged');
    };
}

case 'GET never answered (hang)' => sub {
    my $fake = FakeRedis->new(GET => 'hang');
    my $port = $fake->port;
    my $ngx = nginx_on("redis://127.0.0.1:$port timeout=200ms");
    my $pid = $ngx->pid;
    my $sid = new_sid();

    my @m;
    for my $try (1 .. 3) {
        sleep 0.5;          # reconnected after the previous try
        my @reqs = map { $ngx->start_get('/p', cookie($sid)) } 1 .. 3;
        @m = map { [ ($ngx->collect($_))[0, 3] ] } @reqs;
        diag "try $try: " . join ', ',
            map { "$_->[0] in " . ms($_->[1]) } @m;
        last unless grep { $_->[1] < 0.19 || $_->[1] >= 0.25 } @m;
    }
    is_deeply([ map { $_->[0] } @m ], [503, 503, 503],
              'three parked requests all get 503 when the command times '
              . 'out');
    cmp_ok($m[0][1], '>=', 0.19, '... after the 200 ms timeout');
    cmp_ok($m[0][1], '<', 0.25,
           '... within timeout + 50 ms (' . ms($m[0][1]) . ')');
    like($ngx->error_log, qr/unavailable: command timed out/,
         'the timeout is logged');
    no_crash($ngx, $pid, 'hang');

    $fake->set(GET => $VALID);
    my ($ok, $took) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    ok($ok, 'admitted again once Redis answers (' . ms($took) . ')');
};

my @odd = (
    [ 'an integer (:1)', ":1\r\n", [503, 401] ],
    [ 'a status (+OK)', "+OK\r\n", [503, 401] ],
    [ 'an array of one bulk', "*1\r\n\$1\r\na\r\n", [503, 401] ],
    [ 'a RESP3 null (_), unknown to hiredis 0.14', "_\r\n", [503] ],
    [ 'a negative bulk length ($-5)', "\$-5\r\n", [503] ],
    [ 'a huge bulk length ($999999999999)', "\$999999999999\r\n", [503] ],
);

for my $case (@odd) {
    my ($what, $reply, $allowed) = @$case;

    case "GET answered with $what" => sub {
        my $fake = FakeRedis->new(GET => $reply);
        my $port = $fake->port;
        my $ngx = nginx_on("redis://127.0.0.1:$port");
        my $pid = $ngx->pid;
        my $sid = new_sid();

        my ($s, $h, undef, $e) = $ngx->get('/p', cookie($sid));
        diag "$what: $s " . ($h->{'x-error'} // '') . ' in ' . ms($e);
        ok((grep { $s == $_ } @$allowed),
           "$what: refused with $s (allowed: @$allowed)");
        isnt($h->{'x-user'} // '', 'alice', '... nobody is admitted');
        like($ngx->error_log, qr/\[error\] .*secauth: redis/,
             '... and an [error] line says why');
        no_crash($ngx, $pid, $what);

        $fake->set(GET => $VALID);
        my ($ok, $took) = wait_status($ngx, 200, 3, '/p', cookie($sid));
        ok($ok, "after $what: admitted again (" . ms($took) . ')');
    };
}

# hiredis 0.14 (Debian 12) has no maxelements (hiredis 1.x has): without
# the module's own cap, "*2147483647\r\n" made hiredis calloc 16 GiB of
# element pointers for a reply that never completes, and freeing them when
# the command timed out blocked the worker for ~6 s.
case 'GET answered with a huge array header (*2147483647)' => sub {
    my $fake = FakeRedis->new(GET => "*2147483647\r\n");
    my $port = $fake->port;
    my $ngx = nginx_on("redis://127.0.0.1:$port timeout=200ms");
    my $pid = $ngx->pid;
    my $sid = new_sid();

    my $req = $ngx->start_get('/p', cookie($sid));
    sleep 0.3;                      # past the command timeout
    my $pub = $ngx->start_get('/pub');
    my ($ps, undef, undef, $pe) = $ngx->collect($pub, 60);
    my ($s, undef, undef, $e) = $ngx->collect($req, 60);
    diag "huge array: protected $s in " . ms($e) . ', unprotected (sent '
         . "at 300 ms) $ps in " . ms($pe);

    is($s, 503, 'the protected request gets 503');
    is($ps, 200, 'the unprotected request gets 200');
    no_crash($ngx, $pid, 'huge array header');
    cmp_ok($e, '<', 0.5, 'the 503 comes at once, or at the 200 ms timeout');
    cmp_ok($pe, '<', 0.05,
           'the worker is not blocked: an unprotected request answers '
           . 'within 50 ms');
};

# --- handshake failures ---

case 'the connection handshake, in one pipeline' => sub {
    my $fake = FakeRedis->new(GET => $VALID);
    my $port = $fake->port;
    my $ngx = nginx_on("redis://app:fake-pw-$$\@127.0.0.1:$port/3");
    my $sid = new_sid();

    my ($ok) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    ok($ok, 'a session is admitted through the fake');
    my @first = grep { $_->[0] == 1 } $fake->commands;
    my @seen = map { join ' ', @$_[1 .. ($_->[1] eq 'SCRIPT' ? 2 : $#$_)] }
               @first;
    my $loads = grep { $_ eq 'SCRIPT LOAD' } @seen;
    cmp_ok($loads, '>=', 1, "the scripts are loaded ($loads)");
    is_deeply(\@seen,
              [ "AUTH app fake-pw-$$", 'SELECT 3', ('SCRIPT LOAD') x $loads,
                'PING', 'GET secauth:session:' . sha256_hex($sid) ],
              'AUTH user password, SELECT db, every SCRIPT LOAD, PING, '
              . 'then the GET, on one connection');
    is($fake->connections, 1, 'one connection');
};

my @handshake = (
    [ 'SCRIPT', '', 'SCRIPT LOAD', 'sha1' ],
    [ 'PING', '', 'PING', "+PONG\r\n" ],
    [ 'SELECT', '/3', 'SELECT', "+OK\r\n" ],
    [ 'AUTH', "fake-pw-$$", 'AUTH', "+OK\r\n" ],
);

for my $case (@handshake) {
    my ($cmd, $extra, $logged, $fixed) = @$case;

    case "-ERR to $cmd during the connection handshake" => sub {
        my $fake = FakeRedis->new($cmd => "-ERR $cmd refused by the fake\r\n");
        my $port = $fake->port;
        my $url = $cmd eq 'AUTH' ? "redis://:$extra\@127.0.0.1:$port"
                                 : "redis://127.0.0.1:$port$extra";
        my $ngx = nginx_on($url);
        my $pid = $ngx->pid;
        my $sid = new_sid();

        my ($s, $h) = $ngx->get('/p', cookie($sid));
        is($s, 503, "$cmd refused: the protected request gets 503");
        is($h->{'x-error'}, 'store_unavailable', '... store_unavailable');
        like($ngx->error_log,
             qr/\[error\] .*unavailable: \Q$logged\E ERR \Q$cmd\E refused/,
             "$cmd refused: logged at [error] as an outage");
        sleep 0.5;
        ($s) = $ngx->get('/p', cookie($sid));
        is($s, 503, '... still 503 while the handshake keeps failing');
        cmp_ok($fake->connections, '>=', 2, '... and the client retries');
        is(count_lines($ngx->error_log, unavailable_re($port)), 1,
           '... logged once');
        no_crash($ngx, $pid, "$cmd refused");

        $fake->set($cmd => $fixed, GET => $VALID);
        my ($ok, $took, $hd) = wait_status($ngx, 200, 3, '/p',
                                           cookie($sid));
        diag "recovery once $cmd is answered: " . ms($took);
        ok($ok, "$cmd fixed: the session is admitted");
        cmp_ok($took, '<', 2.5, '... within 2.5 s (' . ms($took) . ')');
        ok($ngx->wait_for_log(again_re($port), 2), 'recovery logged');
        unlike($ngx->error_log, qr/fake-pw/, 'no password in the log');
    };
}


# issue 12: the log names the latest cause, not only the first one, and a
# retry failing the same way is not logged again
case 'lost, then the reconnect refused with NOAUTH: the log follows' => sub {
    my $fake = FakeRedis->new(GET => $VALID);
    my $port = $fake->port;
    my $ngx = nginx_on("redis://127.0.0.1:$port");
    my $pid = $ngx->pid;
    my $sid = new_sid();

    my ($ok) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    ok($ok, 'baseline: the session is admitted');

    # Redis restarted with requirepass: the connection drops, and the
    # handshake on the new one is refused
    my $noauth = "-NOAUTH Authentication required.\r\n";
    my $conns = $fake->connections;
    $fake->set(GET => 'close', SCRIPT => $noauth, PING => $noauth);
    my $mark = $ngx->log_mark;
    my $start = time;
    my ($s, $h) = $ngx->get('/p', cookie($sid));
    is($s, 503, 'the request on the dropped connection gets 503');

    my $at = '\[error\] .*secauth: redis 127\.0\.0\.1:' . $port;
    my $lost = qr/$at unavailable: connection lost/;
    my $refused = qr/$at still unavailable: SCRIPT LOAD NOAUTH Authentication/;
    ok($ngx->wait_for_log($lost, 2, $mark),
       'the outage starts as "unavailable: connection lost"');
    ok($ngx->wait_for_log($refused, 4, $mark),
       'the refused reconnect is logged as "still unavailable: SCRIPT '
       . 'LOAD NOAUTH ..."');
    diag sprintf 'NOAUTH named in the log after %s', ms(time - $start);
    my $log = $ngx->error_log_since($mark);
    ok(index($log, 'connection lost') < index($log, 'NOAUTH'),
       '... after the "connection lost" line');

    ($s) = $ngx->get('/p', cookie($sid));
    is($s, 503, 'a request meanwhile gets 503');
    sleep 2;                        # more refused reconnects
    my $retries = $fake->connections - $conns;
    $log = $ngx->error_log_since($mark);
    cmp_ok($retries, '>=', 4, "the client kept retrying ($retries times)");
    is(count_lines($log, qr/NOAUTH/), 1,
       "the same cause is logged once, not on each of $retries retries");
    is(count_lines($log, qr/secauth: redis \S+ (still )?unavailable/), 2,
       'two lines for the outage: lost, then NOAUTH');
    no_crash($ngx, $pid, 'NOAUTH after a drop');

    $fake->set(GET => $VALID, SCRIPT => 'sha1', PING => "+PONG\r\n");
    my ($back, $took) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    diag 'recovery once AUTH is no longer needed: ' . ms($took);
    ok($back, 'admitted again');
    ok($ngx->wait_for_log(again_re($port), 2, $mark), 'recovery logged');
};

done_testing();
