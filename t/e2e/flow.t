# End to end, as a browser-like client with a cookie jar (LWP::UserAgent +
# HTTP::Cookies) would see it, against a private nginx (t/lib/NginxInstance)
# with the shared-memory store and with Redis (a private redis-server):
#
#   - protected page -> 302 to the login form -> POST -> 303 -> the page,
#     and the backend (a proxied location) sees the user; logout; refused;
#   - session fixation (ASVS 7.2.4): a cookie planted before login, random
#     or a real earlier session, is replaced and dead afterwards;
#   - log out everywhere (docs/security.md "Sessions"): two jars of one user
#     end together;
#   - enumeration by timing (ASVS 6.3.8): unknown user vs wrong password
#     with Argon2id t=2 m=32m, 30 interleaved attempts each, medians within
#     10% (printed);
#   - a full thread pool queue (threads=1 max_queue=1, t=3 m=64m): of 10
#     parallel logins some get 503, each in under 5 ms (printed).
#
# Cookies are issued with secure=off: this is plain http on 127.0.0.1.
# Timing measurements are taken again (at most 3 rounds) when one misses,
# so that a loaded machine does not make the suite flaky; every round is
# printed.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use File::Temp ();
use HTTP::Cookies;
use HTTP::Request::Common qw(POST);
use IO::Select;
use IO::Socket::INET;
use LWP::UserAgent;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

# before LoginTest, which makes its hashes as it loads
BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
    plan skip_all => 'redis-server and redis-cli are needed'
        unless grep({ -x "$_/redis-server" } split /:/, $ENV{PATH})
               && grep({ -x "$_/redis-cli" } split /:/, $ENV{PATH});
}

use LoginTest;

my $tmp = File::Temp->newdir('secauth-e2e-XXXXXX', TMPDIR => 1);
my $owner = $$;
my $redis_pid;
my $redis_port = NginxInstance::free_port();

$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

END {
    local $?;
    if ($$ == $owner && $redis_pid) {
        kill 'KILL', $redis_pid;
        waitpid $redis_pid, 0;
    }
}

# --- helpers ---

sub redis_start {
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', '/dev/null';
        open STDERR, '>&', \*STDOUT;
        exec 'redis-server', '--bind', '127.0.0.1', '--port', $redis_port,
             '--save', '', '--appendonly', 'no', '--dir', "$tmp",
             '--logfile', "$tmp/redis.log"
            or POSIX::_exit(127);
    }
    $redis_pid = $pid;

    my $deadline = time + 10;
    while (time < $deadline) {
        die "redis-server exited\n" if waitpid($pid, WNOHANG) == $pid;
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $redis_port);
        if ($s) {
            print {$s} "PING\r\n";
            my $line = <$s>;
            return if defined $line && $line =~ /^\+PONG/;
        }
        sleep 0.02;
    }
    die "redis-server on port $redis_port does not answer\n";
}

sub median {
    my @v = sort { $a <=> $b } @_;
    return @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
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

my $BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,'
              . '*/*;q=0.8';

# a client with its own cookie jar, following no redirect by itself
sub new_ua {
    return LWP::UserAgent->new(max_redirect => 0, timeout => 20,
                               agent => 'secauth-e2e/1',
                               cookie_jar => HTTP::Cookies->new);
}

sub sid_of {
    my ($ua) = @_;
    my $sid;
    $ua->cookie_jar->scan(sub { $sid = $_[2] if $_[1] eq 'sid' });
    return $sid;
}

sub plant_sid {
    my ($ua, $sid) = @_;
    $ua->cookie_jar->clear;
    $ua->cookie_jar->set_cookie(0, 'sid', $sid, '/', '127.0.0.1', undef,
                                0, 0, 3600, 0);
}

# a client that presents exactly this session id, and asks as an API
# client would (401 + X-Error rather than a redirect)
sub probe {
    my ($base, $sid) = @_;
    my $ua = new_ua();
    plant_sid($ua, $sid) if defined $sid;
    return $ua->get("$base/app/page", Accept => 'application/json');
}

sub login {
    my ($ua, $base, $user, $pw, $next) = @_;
    return $ua->request(POST "$base/login",
        [username => $user, password => $pw,
         defined $next ? (next => $next) : ()]);
}

# --- the server ---

my $users = LoginTest::write_users('flow-users', join '',
    "alice:$LoginTest::HASH{alice}\n", "bob:$LoginTest::HASH{bob}\n");

my $backend = "$tmp/backend.sock";

sub protected_server {
    my ($store) = @_;

    my $http = "    secauth_password_hash $LoginTest::CHEAP;\n";
    $http .= "    secauth_redis redis://127.0.0.1:$redis_port "
             . "prefix=$LoginTest::PREFIX;\n" if $store eq 'redis';

    # the backend: echoes what the proxy tells it
    $http .= <<"CONF";
    server {
        listen unix:$backend;
        location / {
            default_type text/plain;
            return 200 "backend: user=\$http_x_user uri=\$request_uri\\n";
        }
    }
CONF

    unlink $backend;

    return NginxInstance->new(http => $http, server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        secauth_login_url /login;
        location = /login { secauth_login; }
        location = /logout { secauth_logout; }
        location /app/ {
            secauth session;
            add_header X-Error \$secauth_error always;
            add_header X-User \$secauth_user always;
            proxy_set_header X-User \$secauth_user;
            proxy_pass http://unix:$backend:/;
        }
CONF
}

sub flow_cases {
    my ($store, $ngx) = @_;
    my $base = 'http://127.0.0.1:' . $ngx->port;

    case "$store: protected page -> form -> login -> page -> logout" => sub {
        my $ua = new_ua();
        my $r = $ua->get("$base/app/page?a=1&b=%2F", Accept => $BROWSER,
                         'X-User' => 'admin');
        is($r->code, 302, 'a browser without a session is redirected');
        my $loc = $r->header('Location') // '';
        like($loc, qr{^(?:http://127\.0\.0\.1:\d+)?/login\?next=},
             "... to the login form ($loc)");

        $r = $ua->get(URI->new_abs($loc, "$base/")->as_string,
                      Accept => $BROWSER);
        is($r->code, 200, 'the form');
        my ($next) = $r->decoded_content
                     =~ /<input type="hidden" name="next" value="([^"]*)">/;
        ok(defined $next, 'the form carries next');
        $next //= '';
        $next =~ s/&amp;/&/g;
        is($next, '/app/page?a=1&b=%2F',
           'next in the form is the page the browser asked for');

        $r = login($ua, $base, 'alice', $LoginTest::PW{alice}, $next);
        is($r->code, 303, 'login: 303');
        my $sid = sid_of($ua);
        like($sid // '', qr/^[A-Za-z0-9_-]{43}$/, 'the jar holds the cookie');
        my $to = URI->new_abs($r->header('Location') // '', "$base/");
        is($to->path_query, '/app/page?a=1&b=%2F',
           'login sends the browser back to the page it asked for');

        $r = $ua->get("$base/app/page?a=1&b=%2F", Accept => $BROWSER,
                      'X-User' => 'admin');
        is($r->code, 200, 'the page, with the session');
        is($r->header('X-User'), 'alice', '$secauth_user');
        is($r->decoded_content, "backend: user=alice uri=/page?a=1&b=%2F\n",
           'the backend sees the user (not the client-sent X-User)');

        $r = $ua->request(POST "$base/logout", [next => '/bye']);
        is($r->code, 303, 'logout: 303');
        is(URI->new_abs($r->header('Location') // '', "$base/")->path,
           '/bye', 'logout goes to next');
        is($r->header('Set-Cookie'),
           'sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT;'
           . ' HttpOnly; SameSite=Lax',
           'logout expires the cookie');
        # HTTP::Cookies ignores Max-Age on Set-Cookie: it keeps "sid="
        ok(!sid_of($ua), 'the jar no longer holds the session id');

        $r = $ua->get("$base/app/page", Accept => $BROWSER);
        is($r->code, 302, 'after logout the browser is sent to the form');

        $r = probe($base, $sid);
        is($r->code, 401, 'the logged-out session id is refused');
        is($r->header('X-Error'), 'unknown_session', '... unknown_session');
    };

    case "$store: ASVS 7.2.4 a random planted id is not the session" => sub {
        my $ua = new_ua();
        my $planted = LoginTest::new_sid();
        plant_sid($ua, $planted);
        is(sid_of($ua), $planted, 'planted');

        my $r = login($ua, $base, 'alice', $LoginTest::PW{alice});
        is($r->code, 303, 'login with a planted cookie: 303');
        my $sid = sid_of($ua) // '';
        like($sid, qr/^[A-Za-z0-9_-]{43}$/, 'a new cookie');
        isnt($sid, $planted, 'the session id is not the planted one');
        is(probe($base, $planted)->code, 401, 'the planted id is refused');
        is(probe($base, $sid)->code, 200, 'the new id works');
    };

    case "$store: ASVS 7.2.4 an earlier real session dies at login" => sub {
        my $ua = new_ua();
        my $r = login($ua, $base, 'alice', $LoginTest::PW{alice});
        my $old = sid_of($ua) // '';
        is(probe($base, $old)->code, 200, 'the first session works');

        # the attacker's own valid session, fixed in the victim's browser
        $r = login($ua, $base, 'bob', $LoginTest::PW{bob});
        is($r->code, 303, 'a second login with that cookie: 303');
        my $new = sid_of($ua) // '';
        isnt($new, $old, 'a new session id');

        $r = probe($base, $old);
        is($r->code, 401, 'the earlier session is dead');
        is($r->header('X-Error'), 'unknown_session', '... unknown_session');
        $r = probe($base, $new);
        is($r->code, 200, 'the new session works');
        is($r->header('X-User'), 'bob', '... for the user who logged in');
    };

    case "$store: log out everywhere" => sub {
        my @jars = map { new_ua() } 1 .. 3;
        login($jars[0], $base, 'alice', $LoginTest::PW{alice});
        login($jars[1], $base, 'alice', $LoginTest::PW{alice});
        login($jars[2], $base, 'bob', $LoginTest::PW{bob});
        my @sids = map { sid_of($_) // '' } @jars;
        isnt($sids[0], $sids[1], 'two sessions of alice');
        is(probe($base, $_)->code, 200, 'live before') for @sids;

        my $r = $jars[0]->request(POST "$base/logout", [everywhere => 1]);
        is($r->code, 303, 'log out everywhere: 303');
        for my $i (0, 1) {
            $r = probe($base, $sids[$i]);
            is($r->code, 401, "alice's session $i is refused");
            is($r->header('X-Error'), 'unknown_session', '... unknown');
        }
        $r = $jars[1]->get("$base/app/page", Accept => $BROWSER);
        is($r->code, 302, "alice's other browser goes back to the form");
        $r = probe($base, $sids[2]);
        is($r->code, 200, "bob's session is untouched");
        is($r->header('X-User'), 'bob', '... still bob');
    };
}

# --- shm, then Redis ---

for my $store (qw(shm redis)) {
    redis_start() if $store eq 'redis';
    my $ngx = protected_server($store);
    flow_cases($store, $ngx);
    unlike($ngx->error_log, qr/\[(?:alert|crit|emerg)\]/,
           "$store: no alert in the error log");
    $ngx->stop;
}

# --- enumeration by timing ---

case 'ASVS 6.3.8 unknown user and wrong password take the same time' => sub {
    my $cost = 'argon2id t=2 m=32m p=1';
    my $file = LoginTest::write_users('timing-users',
        'alice:' . LoginTest::argon2id($LoginTest::PW{alice}, 2, 15, 1)
        . "\n");
    # the hashing is what is measured: the failed-login throttle, which
    # would refuse most of these attempts at once, is off
    my $ngx = NginxInstance->new(
        http => "    secauth_password_hash $cost;\n",
        server => "        secauth_cookie sid secure=off;\n"
                  . "        secauth_users file=$file;\n"
                  . "        secauth_login_throttle off;\n"
                  . "        location = /login { secauth_login; }\n");
    my $port = $ngx->port;
    my $ct = 'application/x-www-form-urlencoded';

    my $attempt = sub {
        my ($user) = @_;
        my ($raw, $t) = LoginTest::post($port, '/login', $ct,
            LoginTest::form(username => $user, password => 'not it'));
        my ($status) = LoginTest::split_response($raw);
        return ($status, $t);
    };

    $attempt->($_) for qw(alice nobody alice nobody);     # warm up

    my $ok = 0;
    for my $round (1 .. 3) {
        my (@known, @unknown, %status);
        for (1 .. 30) {
            my @pair = ([\@known, 'alice'], [\@unknown, 'nobody']);
            @pair = reverse @pair if rand() < 0.5;
            for my $case (@pair) {
                my ($status, $t) = $attempt->($case->[1]);
                $status{$status}++;
                push @{ $case->[0] }, $t;
            }
        }
        my ($mk, $mu) = (median(@known), median(@unknown));
        my $diff = abs($mk - $mu) / ($mk < $mu ? $mk : $mu);
        diag(sprintf 'timing round %d: wrong password median %s, '
             . 'unknown user median %s, difference %.1f%% (statuses: %s)',
             $round, ms($mk), ms($mu), 100 * $diff,
             join ', ', map { "$_ x$status{$_}" } sort keys %status);
        is_deeply([keys %status], [401], 'all 60 attempts are 401')
            or last;
        cmp_ok($mk, '>', 0.005, 'wrong password costs the hash')
            or last;
        if ($diff < 0.10) {
            $ok = 1;
            last;
        }
    }
    ok($ok, 'medians differ by less than 10%');
};

# --- a full thread pool queue ---

# burst(PORT, N): N logins sent at once; returns [status, seconds] each,
# the time from that request's send to the moment its answer was readable
sub burst {
    my ($port, $n) = @_;

    # an unknown user: the dummy hash, at the configured (costly) cost
    my $body = LoginTest::form(username => 'nobody', password => 'not it');
    my $text = LoginTest::post_text('/login',
        'application/x-www-form-urlencoded', $body);

    my (@req, %by_fh);
    my $sel = IO::Select->new;
    my $poll = sub {
        my ($wait) = @_;
        for my $fh ($sel->can_read($wait)) {
            my $r = $by_fh{fileno $fh};
            $r->{seen} //= time;
            my $got = sysread $fh, $r->{data}, 65536, length $r->{data};
            if (!$got) {
                $sel->remove($fh);
                close $fh;
            }
        }
    };

    # connected first, so that the requests then leave back to back
    my @socks = map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                              Timeout => 5)
            or die "connect: $!";
    } 1 .. $n;

    for my $s (@socks) {
        my $r = { data => '', start => time };
        syswrite $s, $text;
        $by_fh{fileno $s} = $r;
        $sel->add($s);
        push @req, $r;
        $poll->(0);
    }

    my $deadline = time + 30;
    $poll->(0.05) while $sel->count && time < $deadline;

    return [map {
        my ($status) = LoginTest::split_response($_->{data});
        [$status, defined $_->{seen} ? $_->{seen} - $_->{start} : 99]
    } @req];
}

case 'a full thread pool queue: immediate 503s' => sub {
    my $ngx = NginxInstance->new(
        main => 'thread_pool tiny threads=1 max_queue=1;',
        http => "    secauth_thread_pool tiny;\n"
                . "    secauth_password_hash argon2id t=3 m=64m p=1;\n",
        server => "        secauth_cookie sid secure=off;\n"
                  . "        secauth_users file=$users;\n"
                  . "        secauth_login_throttle off;\n"
                  . "        location = /login { secauth_login; }\n");

    my $ok = 0;
    for my $round (1 .. 3) {
        my $mark = $ngx->log_mark;
        my $res = burst($ngx->port, 10);
        my @busy = grep { $_->[0] == 503 } @$res;
        my @served = grep { $_->[0] == 401 } @$res;
        my $slowest = 0;
        $_->[1] > $slowest and $slowest = $_->[1] for @busy;

        diag(sprintf 'queue round %d: %s', $round,
             join ', ', map { "$_->[0] in " . ms($_->[1]) } @$res);
        diag(sprintf 'queue round %d: %d x 503 (slowest %s), %d x 401',
             $round, scalar @busy, ms($slowest), scalar @served);

        is(@busy + @served, 10, 'every login was answered, 401 or 503')
            or last;
        cmp_ok(scalar @busy, '>=', 1, 'some logins get 503') or last;
        cmp_ok(scalar @served, '>=', 1, 'some logins are served') or last;
        like($ngx->error_log_since($mark),
             qr/password thread pool "tiny" queue is full .*logins refused/,
             'the full queue is logged');
        if ($slowest < 0.005) {
            $ok = 1;
            last;
        }
        sleep 1;        # let the pool drain
    }
    ok($ok, 'each 503 arrives in less than 5 ms');
};

done_testing();
