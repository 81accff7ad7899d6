# The per-account throttle of failed logins (secauth_login_throttle),
# against the shm zone and against Redis (the private redis-server of
# scripts/test.sh), with private nginx instances (t/lib/NginxInstance):
#
#   - failures from many client addresses (realip from a trusted proxy)
#     lock the account; during the lock the right password is refused
#     exactly like a wrong one, at once (no hashing: no timing oracle);
#   - the lock doubles with each further failure, up to max_lock; the
#     victim gets in once it has passed, and a success forgets the count;
#   - unknown user names are counted the same way (no enumeration);
#   - attempts are counted when they start: parallel guesses cannot get
#     more hashes than free allows;
#   - Redis: the count and the lock are keys with TTLs; a lock set
#     through one node holds on another; Redis down: 503.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    plan skip_all => 'TEST_NGINX_REDIS_PORT is not set (scripts/test.sh)'
        unless $ENV{TEST_NGINX_REDIS_PORT};
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

use LoginTest;
use SecauthTest ();

my $port = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "throttle$$:";
my $owner = $$;

$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

END {
    local $?;
    if ($$ == $owner) {
        my @keys = grep { length } split /\n/,
                   SecauthTest::redis('--scan', '--pattern', "$prefix*");
        SecauthTest::redis('DEL', @keys) if @keys;
    }
}

sub redis {
    my $out = SecauthTest::redis(@_);
    $out =~ s/\n\z//;
    return $out;
}

# an expensive hash, so that a refusal without hashing shows in the time
my $users = LoginTest::write_users('throttle-users',
    'alice:' . LoginTest::argon2id($LoginTest::PW{alice}, 3, 15, 1) . "\n");

sub node {
    my ($redis, $throttle) = @_;
    my $http = "    secauth_password_hash argon2id t=3 m=32m p=1;\n";
    $http .= "    secauth_redis redis://127.0.0.1:$port prefix=$prefix;\n"
        if $redis;
    return NginxInstance->new(
        http => $http,
        server => <<"CONF");
        set_real_ip_from 127.0.0.1;
        real_ip_header X-Forwarded-For;
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login {
            secauth_login;
            secauth_login_throttle $throttle;
        }
CONF
}

my $n = 0;

# login(NODE, USER, PASSWORD): (status, raw head, body, seconds), from a
# client address of its own each time
sub login {
    my ($ngx, $user, $pw) = @_;
    $n++;
    my ($raw, $took) = LoginTest::post($ngx->port, '/login',
        'application/x-www-form-urlencoded',
        LoginTest::form(username => $user, password => $pw),
        'X-Forwarded-For: 192.0.2.' . (1 + $n % 250));
    return (LoginTest::split_response($raw), $took, $raw);
}

sub retry_after { ($_[0] =~ /\r\nRetry-After: (\d+)/i)[0] // '' }

for my $store (qw(shm redis)) {
    my $redis = $store eq 'redis';
    my $user = "alice";

    subtest "$store: many clients, one account: locked, then in again" => sub {
        redis('DEL', "${prefix}login_attempts:$user",
              "${prefix}login_lock:$user") if $redis;
        my $ngx = node($redis, 'free=3 lock=1s max_lock=2s forget=1m');
        my $pw = $LoginTest::PW{alice};

        for my $i (1 .. 3) {
            my ($s) = login($ngx, $user, "wrong $i");
            is($s, 401, "failure $i (each from another address): 401");
        }
        like($ngx->error_log,
             qr/\[warn\] .*secauth: "alice" locked for 1000 ms after 3 logins without success/,
             'the third attempt locks for lock=1s, logged at warn');

        my ($s1, $h1, $b1, $t1, $raw1) = login($ngx, $user, 'wrong again');
        my ($s2, $h2, $b2, $t2, $raw2) = login($ngx, $user, $pw);
        is($s1, 429, 'during the lock a wrong password: 429');
        is($s2, 429, '... and the right one: 429 too');
        is(LoginTest::strip_date($raw2), LoginTest::strip_date($raw1),
           '... the two answers are the same, byte for byte');
        like($h2, qr/\r\nRetry-After: 1\r\n/, '... with Retry-After: 1');
        like($b2, qr/Too many failed attempts/, '... the form says why');
        unlike($h2, qr/Set-Cookie/i, '... and no cookie');
        diag sprintf 'refused in %.1f ms and %.1f ms', $t1 * 1000,
                     $t2 * 1000;
        cmp_ok($t2, '<', 0.05, '... at once: no hashing during a lock');
        like($ngx->error_log,
             qr/\[warn\] .*secauth: login for "alice" refused: locked for \d+ ms after failed logins/,
             'refusals during the lock are logged');

        sleep 1.1;
        my ($s) = login($ngx, $user, 'wrong 4');
        is($s, 401, 'after the lock: the next failure is checked (401)');
        my ($s3, $h3) = login($ngx, $user, $pw);
        is($s3, 429, '... and locks again');
        is(retry_after($h3), 2, '... for twice as long: Retry-After: 2');

        sleep 2.1;
        ($s) = login($ngx, $user, 'wrong 5');
        ($s3, $h3) = login($ngx, $user, $pw);
        is(retry_after($h3), 2, 'the lock stays at max_lock=2s');

        sleep 2.1;
        ($s) = login($ngx, $user, $pw);
        is($s, 303, 'the victim gets in once max_lock has passed');
        ($s) = login($ngx, $user, 'wrong after success');
        is($s, 401, 'a success forgets the count: the next failure is the '
                    . 'first again');
        ($s) = login($ngx, $user, 'wrong after success 2');
        is($s, 401, '... and the second');
    };

    subtest "$store: unknown names are counted like known ones" => sub {
        redis('DEL', "${prefix}login_attempts:alice",
              "${prefix}login_lock:alice") if $redis;
        my $ngx = node($redis, 'free=2 lock=5s max_lock=5s forget=1m');
        my $ghost = "ghost$$" . $store;
        my @s = map { (login($ngx, $ghost, "pw $_"))[0] } 1 .. 3;
        is("@s", '401 401 429', 'an unknown user: 401, 401, then locked');
        @s = map { (login($ngx, 'alice', "pw $_"))[0] } 1 .. 3;
        is("@s", '401 401 429', 'alice: the same');
    };
}

# attempts are counted when they start: a burst of parallel guesses gets
# no more hashes than free=3 allows
for my $store (qw(shm redis)) {
    subtest "$store: parallel attempts cannot slip past the count" => sub {
        my $ngx = node($store eq 'redis', 'free=3 lock=10s max_lock=10s forget=1m');
        my $user = "burst$$" . $store;
        my @reqs = map {
            my $body = LoginTest::form(username => $user, password => "g$_");
            my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                             PeerPort => $ngx->port)
                or die "connect: $!";
            print {$sock} LoginTest::post_text('/login',
                'application/x-www-form-urlencoded', $body,
                "X-Forwarded-For: 198.51.100.$_");
            $sock;
        } 1 .. 12;
        my %got;
        for my $sock (@reqs) {
            local $/;
            my $raw = <$sock> // '';
            $got{ (LoginTest::split_response($raw))[0] }++;
        }
        is($got{401}, 3, '12 at once: 3 checked (401)');
        is($got{429}, 9, '... the other 9 refused at once (429)');
    };
}

subtest 'redis: the count and the lock are keys with TTLs' => sub {
    my $ngx = node(1, 'free=2 lock=10s max_lock=20s forget=1h');
    my $user = "keys$$";
    login($ngx, $user, 'x') for 1 .. 2;
    is(redis('GET', "${prefix}login_attempts:$user"), 2, 'two attempts');
    my $ttl = redis('TTL', "${prefix}login_attempts:$user");
    ok($ttl > 3590 && $ttl <= 3600, "the count lives forget=1h ($ttl s)");
    my $pttl = redis('PTTL', "${prefix}login_lock:$user");
    ok($pttl > 9000 && $pttl <= 10000, "the lock lives lock=10s ($pttl ms)");
};

subtest 'redis: a lock made through one node holds on the other' => sub {
    my @nodes = map { node(1, 'free=2 lock=5s max_lock=5s forget=1m') }
                1 .. 2;
    my $user = "cross$$";
    is((login($nodes[0], $user, 'x'))[0], 401, 'node 1: a failure');
    is((login($nodes[1], $user, 'y'))[0], 401, 'node 2: a failure');
    is((login($nodes[0], $user, 'z'))[0], 429, 'node 1: locked');
    is((login($nodes[1], $user, 'z'))[0], 429, 'node 2: locked');
};

subtest 'redis down: logins answer 503 (fail closed)' => sub {
    my $dead = NginxInstance::free_port();
    my $ngx = NginxInstance->new(
        http => "    secauth_redis redis://127.0.0.1:$dead timeout=100ms;\n",
        server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login { secauth_login; }
CONF
    my ($s) = login($ngx, 'alice', $LoginTest::PW{alice});
    is($s, 503, 'the throttle cannot be checked: 503');
};

subtest 'secauth_login_throttle off: no lock' => sub {
    my $ngx = node(0, 'off');
    my @s = map { (login($ngx, 'offuser', "pw $_"))[0] } 1 .. 7;
    is("@s", join(' ', (401) x 7), 'seven failures, seven 401');
};

done_testing();
