# Rate limits over time and across nodes, with private nginx instances
# (t/lib/NginxInstance.pm) and the private redis-server of scripts/test.sh:
#
#   - a refused client gets in again once Retry-After has passed, not
#     before; the refusal and the delays are in the error log;
#   - without nodelay the excess is spread out at the rate;
#   - two nodes on one Redis draw from one budget, also when hammered in
#     parallel; on their own shm zones each node has its own budget.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    plan skip_all => 'TEST_NGINX_REDIS_PORT is not set (scripts/test.sh)'
        unless $ENV{TEST_NGINX_REDIS_PORT};
}

use SecauthTest ();

my ($module) = NginxInstance::modules();
plan skip_all => "no module at $module (run scripts/test.sh)"
    unless -f $module;

my $port = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "limitflow$$:";
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

sub node {
    my ($zone, $limit, $redis) = @_;
    my $http = "secauth_limit_zone \$binary_remote_addr zone=$zone;\n";
    $http = "secauth_redis redis://127.0.0.1:$port prefix=$prefix;\n$http"
        if $redis;
    return NginxInstance->new(
        http => $http,
        server => <<"CONF",
        location /p {
            secauth_limit $limit;
            add_header X-Limit \$secauth_limit_status always;
            alias html/p.txt;
        }
CONF
        files => { 'p.txt' => "ok\n" },
    );
}

for my $store (qw(shm redis)) {
    my $redis = $store eq 'redis';

    subtest "$store: refused until Retry-After has passed" => sub {
        my $ngx = node("again$store:1m rate=1r/s", 'zone=again' . $store
                       . ' burst=1 nodelay', $redis);
        my $t0 = time;
        my @s = map { ($ngx->get('/p'))[0] } 1 .. 2;
        is("@s", '200 200', 'rate=1r/s burst=1: two pass at once');

        my $mark = $ngx->log_mark;
        my ($s, $h) = $ngx->get('/p');
        is($s, 429, 'the third is refused');
        is($h->{'retry-after'}, 1, '... Retry-After: 1 (up to 1 s, rounded up)');
        is($h->{'x-limit'}, 'REJECTED', '... $secauth_limit_status');
        like($ngx->error_log_since($mark),
             qr/\[error\] .*secauth: limiting requests by zone "again$store", retry in \d{1,4} ms, client: 127\.0\.0\.1/,
             '... and the error log says by which zone, and for how long');

        sleep 0.4 - (time - $t0) if time - $t0 < 0.4;
        is(($ngx->get('/p'))[0], 429, 'still refused 0.4 s in');
        sleep 1.2 - (time - $t0) if time - $t0 < 1.2;
        ($s, $h) = $ngx->get('/p');
        is($s, 200, 'admitted once the interval (1 s) has passed');
        is($h->{'x-limit'}, 'PASSED', '... PASSED');
        is(($ngx->get('/p'))[0], 429, 'and only that one');
    };

    subtest "$store: without nodelay the excess waits its turn" => sub {
        my $ngx = node("spread$store:1m rate=10r/s",
                       "zone=spread$store burst=5", $redis);
        my $mark = $ngx->log_mark;
        my @reqs = map { $ngx->start_get('/p') } 1 .. 7;
        my @got = map { [ $ngx->collect($_) ] } @reqs;
        my @ok = sort { $a <=> $b }
                 map { $_->[3] } grep { $_->[0] == 200 } @got;
        my @no = grep { $_->[0] == 429 } @got;

        is(scalar @ok, 6, 'burst=5: six admitted');
        is(scalar @no, 1, 'the seventh refused');
        diag sprintf 'admitted after %s ms',
             join ', ', map { sprintf '%.0f', $_ * 1000 } @ok;
        cmp_ok($ok[0], '<', 0.08, 'the first at once');
        cmp_ok($ok[5], '>', 0.45, 'the sixth after about 500 ms');
        cmp_ok($ok[5], '<', 0.8, '... not much later');
        like($ngx->error_log_since($mark),
             qr/\[warn\] .*secauth: delaying request \d+ ms by zone "spread$store"/,
             'delays are logged at warn');
    };
}

subtest 'two nodes on one Redis share one budget' => sub {
    my @nodes = map { node('shared:1m rate=10r/m', 'zone=shared burst=9 nodelay',
                           1) } 1 .. 2;
    my %got;
    for my $i (1 .. 20) {
        $got{ ($nodes[$i % 2]->get('/p'))[0] }++;
    }
    is($got{200}, 10, 'alternating between the nodes: 10 admitted in all');
    is($got{429}, 10, '... 10 refused');
};

subtest 'two nodes on one Redis, in parallel: never over the budget' => sub {
    my @nodes = map { node('race:1m rate=10r/m', 'zone=race burst=19 nodelay',
                           1) } 1 .. 2;
    for my $round (1 .. 3) {
        SecauthTest::redis('DEL', "${prefix}limit:race:7f000001");
        my @reqs = map { $nodes[$_ % 2]->start_get('/p') } 1 .. 50;
        my %got;
        $got{ ($nodes[0]->collect($_))[0] }++ for @reqs;
        is($got{200}, 20, "round $round: exactly the budget of 20 admitted");
        is($got{429}, 30, "... the other 30 refused");
    }
};

subtest 'without Redis each node has its own budget' => sub {
    my @nodes = map { node('own:1m rate=10r/m', 'zone=own burst=9 nodelay',
                           0) } 1 .. 2;
    my %got;
    for my $i (1 .. 20) {
        $got{ ($nodes[$i % 2]->get('/p'))[0] }++;
    }
    is($got{200}, 20, '10 on each node: all 20 admitted');
    is(($nodes[0]->get('/p'))[0], 429, 'the 21st is refused');
};

done_testing();
