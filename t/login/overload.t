# Overload is not a wrong password (docs/login.md "Passwords",
# docs/limits.md "The failed-login throttle"): when the password thread
# pool's queue is full a login answers 503 at once, and that attempt is
# taken back from the per-account throttle, so an account whose right
# password met a full pool is not locked; only a verified mismatch
# counts. A full queue is logged once a second, not once per login.
# Private nginx instances (t/lib/NginxInstance) with a pool of one thread
# and a queue of one, and an expensive Argon2id so that it stays full.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

# glibc fills freed memory with 0x5a: the Redis reply to an attempt taken
# back from the throttle must not be written into the pool of the request
# that has been answered 503 meanwhile (the use after free ASan found in
# ngx_http_secauth_store_redis_count_done)
BEGIN { $ENV{MALLOC_PERTURB_} = 165 }

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

use LoginTest;
use SecauthTest ();

my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "overload$$:";

# heavy for the fillers (unknown users: the dummy of these parameters)
my $HEAVY = "    secauth_password_hash argon2id t=3 m=64m p=1;\n"
          . "    secauth_thread_pool tiny;\n";
my $users = LoginTest::write_users('overload-users',
    'alice:' . LoginTest::argon2id($LoginTest::PW{alice}, 3, 16, 1) . "\n");

sub node {
    my ($redis) = @_;
    my $http = $HEAVY;
    $http .= "    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;\n"
        if $redis;
    return NginxInstance->new(
        main => 'thread_pool tiny threads=1 max_queue=1;',
        http => $http,
        server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login {
            secauth_login;
            secauth_login_throttle free=3 lock=5s max_lock=10s forget=1m;
        }
CONF
}

sub start_login {
    my ($ngx, $user, $pw) = @_;
    return $ngx->start_request('POST', '/login',
        LoginTest::form(username => $user, password => $pw),
        'Content-Type' => 'application/x-www-form-urlencoded');
}

sub login {
    my ($ngx, $user, $pw) = @_;
    return ($ngx->collect(start_login($ngx, $user, $pw)))[0];
}

for my $store ('shm', $rport ? ('redis') : ()) {
    subtest "$store: the right password meeting a full pool is not locked"
    => sub {
        SecauthTest::redis('DEL', "${prefix}login_attempts:alice",
                           "${prefix}login_lock:alice") if $store eq 'redis';
        my $ngx = node($store eq 'redis');
        my %seen;

        # rounds: two fillers take the thread and the queue, then alice
        # tries five times with her right password: free=3 would lock
        # her at the third attempt if refusals were counted
        for my $round (1 .. 3) {
            my @fill = map { start_login($ngx, "filler$round$_", 'x' x 12) }
                       1 .. 2;
            sleep 0.05;
            for (1 .. 5) {
                $seen{ login($ngx, 'alice', $LoginTest::PW{alice}) }++;
            }
            $ngx->collect($_) for @fill;
        }
        diag "$store: alice's answers with the pool full: "
             . join ', ', map { "$_ x $seen{$_}" } sort keys %seen;
        ok($seen{503}, 'the full pool answers 503') or return;
        ok(!$seen{429}, '... and never 429: no lock from refused attempts');

        is(login($ngx, 'alice', $LoginTest::PW{alice}), 303,
           'with the pool free again the right password logs in');

        if ($store eq 'redis') {
            (my $n = SecauthTest::redis('EXISTS',
                "${prefix}login_attempts:alice",
                "${prefix}login_lock:alice")) =~ s/\n\z//;
            is($n, 0, '... and Redis holds no count or lock for her');
        }

        # wrong passwords still count: free=3 locks at the third
        my @s = map { login($ngx, 'alice', "wrong $_") } 1 .. 4;
        is("@s", '401 401 401 429', 'verified mismatches still lock');
    };
}

subtest 'a full queue is logged once a second, not per refused login' => sub {
    my $ngx = node(0);
    my $mark = $ngx->log_mark;
    my ($refused, $t0) = (0, time);

    # about 2.5 s of a full pool, with refused logins all along
    while (time - $t0 < 2.5) {
        my @fill = map { start_login($ngx, "f$_" . int(rand 1e9), 'x' x 12) }
                   1 .. 2;
        sleep 0.02;
        for (1 .. 10) {
            $refused++ if login($ngx, "u$_", 'x' x 12) == 503;
        }
        $ngx->collect($_) for @fill;
    }
    my $log = $ngx->error_log_since($mark);
    my (%ours, %nginx);
    for (split /\n/, $log) {
        my ($sec) = m{^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d)} or next;
        $ours{$sec}++ if /secauth: password thread pool "tiny" queue is full/;
        $nginx{$sec}++ if /thread pool "tiny" queue overflow/;
    }
    my $max = (sort { $b <=> $a } values %ours)[0] // 0;
    my $nmax = (sort { $b <=> $a } values %nginx)[0] // 0;
    diag "$refused logins refused; queue-full lines per second: "
         . join(' ', map { $ours{$_} } sort keys %ours)
         . "; nginx's overflow lines per second: "
         . join(' ', map { $nginx{$_} } sort keys %nginx);
    cmp_ok($refused, '>=', 20, 'many logins were refused');
    cmp_ok(scalar keys %ours, '>=', 1, 'the full queue is logged');
    cmp_ok($max, '<=', 1, '... at most one line a second');
    cmp_ok($nmax, '<=', 1, "... and nginx's own overflow line too");
    like($log, qr/\[error\] .*secauth: password thread pool "tiny" queue is full \(\d+ verifications in it\): \d+ logins refused with 503 since the last such line/,
         '... saying how many logins it refused');
};

done_testing();
