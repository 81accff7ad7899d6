# Fault tests for the Redis reply stream (docs/directives.md, secauth_redis):
# replies that no command asked for, alone, in a pipeline and in the
# connection handshake, against a scripted fake (t/lib/FakeRedis).
#
# hiredis (0.14 and 1.x) asserts when a reply other than an error arrives
# with no command waiting: the worker used to abort with every request in
# flight. The module counts the replies of each read against the commands
# in flight before hiredis sees them; a surplus drops the connection (503
# under secauth_fail closed, an [error] line naming the reason) and the
# client reconnects. A pipeline answered right must pass that count.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use MIME::Base64 qw(encode_base64url);
use Test::More;
use Time::HiRes qw(time sleep);

use FakeRedis;
use NginxInstance;

my ($module) = NginxInstance::modules();
plan skip_all => "no module at $module (run scripts/test.sh)"
    unless -f $module;

$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

# --- helpers (as in t/faults/redis.t) ---

sub new_sid {
    open my $fh, '<:raw', '/dev/urandom' or die "urandom: $!";
    read($fh, my $bytes, 32) == 32 or die "urandom: short read";
    return encode_base64url($bytes);
}

sub record {
    my $now = time;
    return sprintf '{"user":"alice","created":%d,"last_seen":%d,"level":1,'
                   . '"pwv":0,"ip":"127.0.0.1"}', $now - 60, $now;
}

sub cookie { return (Cookie => "__Host-secauth=$_[0]") }

sub ms { sprintf '%.1f ms', 1000 * $_[0] }

sub case {
    my ($name, $code) = @_;
    subtest $name => sub {
        fail("died: $@") unless eval { $code->(); 1 };
    };
}

sub nginx_on {
    my ($port, $level) = @_;
    return NginxInstance->new(
        http => "    secauth_redis redis://127.0.0.1:$port timeout=1s;\n",
        server => <<'CONF',
        location /p {
            secauth session;
            add_header X-Error $secauth_error always;
            add_header X-User $secauth_user always;
            alias html/p.txt;
        }
        location /pub {
            alias html/p.txt;
        }
CONF
        files => { 'p.txt' => "secret\n" },
        log_level => $level);
}

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

sub unsolicited_re {
    my $port = shift;
    my $re = '\[error\] .*secauth: redis 127\.0\.0\.1:' . $port
             . ' unavailable: unsolicited reply: more replies than commands'
             . ' sent';
    return qr/$re/;
}

sub again_re {
    my $port = shift;
    my $re = '\[notice\] .*secauth: redis 127\.0\.0\.1:' . $port
             . ' is available again';
    return qr/$re/;
}

# the process that ran the module is the one we started, still serving
sub no_crash {
    my ($ngx, $pid, $what) = @_;
    ok($ngx->alive && ($ngx->pid // 0) == $pid,
       "$what: the nginx worker (pid $pid) is still alive");
    unlike($ngx->error_log, qr/exited on signal|Assertion|\[alert\]|\[emerg\]/,
           "$what: no abort, [alert] or [emerg] in the error log");
    my ($status) = $ngx->get('/pub');
    is($status, 200, "$what: the worker still serves requests");
}

# the largest "N replies for M commands" debug line: (N, M)
sub largest_batch {
    my $log = shift;
    my ($n, $m) = (0, 0);
    while ($log =~ /secauth redis: (\d+) replies for (\d+) commands/g) {
        ($n, $m) = ($1, $2) if $1 > $n;
    }
    return ($n, $m);
}

my $VALID = FakeRedis::bulk(record());

# --- one reply too many ---

case 'GET answered $-1 and then +OK: one reply too many' => sub {
    my $fake = FakeRedis->new(GET => "\$-1\r\n+OK\r\n");
    my $port = $fake->port;
    my $ngx = nginx_on($port);
    my $pid = $ngx->pid;
    my $sid = new_sid();

    my ($s, $h, undef, $e) = $ngx->get('/p', cookie($sid));
    diag "surplus reply: $s " . ($h->{'x-error'} // '') . ' in ' . ms($e);
    is($s, 503, 'the protected request gets 503, not the nil reply (401)');
    is($h->{'x-error'} // '', 'store_unavailable', '... store_unavailable');
    like($ngx->error_log, unsolicited_re($port),
         'the [error] line names the reason');
    no_crash($ngx, $pid, 'surplus reply');

    $fake->set(GET => $VALID);
    my ($ok, $took, $hd) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    diag 'recovery once Redis behaves: ' . ms($took);
    ok($ok, 'admitted again once the replies match the commands');
    is($hd->{'x-user'}, 'alice', '... as alice');
    cmp_ok($fake->connections, '>=', 2, '... on a new connection');
    ok($ngx->wait_for_log(again_re($port), 2), 'the recovery is logged');
};

# --- pipelines: many requests in flight on one connection ---

case 'a pipeline of 20 requests answered right passes the count' => sub {
    my $fake = FakeRedis->new(GET => $VALID);
    my $port = $fake->port;
    my $ngx = nginx_on($port, 'debug');
    my $pid = $ngx->pid;
    my $sid = new_sid();

    my ($ok) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    ok($ok, 'baseline: the session is admitted');

    $fake->set(-read_delay => 0.3);
    my $mark = $ngx->log_mark;
    my $start = time;
    my @reqs = map { $ngx->start_get('/p', cookie($sid)) } 1 .. 20;
    my @res = map { [ ($ngx->collect($_))[0, 1] ] } @reqs;
    diag sprintf '20 pipelined requests answered in %s', ms(time - $start);

    is_deeply([ map { $_->[0] } @res ], [(200) x 20], 'all 20 get 200');
    is_deeply([ map { $_->[1]{'x-user'} // '' } @res ], [('alice') x 20],
              '... as alice');
    my $log = $ngx->error_log_since($mark);
    my ($n, $m) = largest_batch($log);
    diag "largest read: $n replies for $m commands in flight";
    cmp_ok($n, '>=', 10, "the replies came pipelined ($n in one read)");
    cmp_ok($n, '<=', $m, '... and no more than the commands in flight');
    unlike($log, qr/unavailable/, 'no outage');
    is($fake->connections, 1, 'one connection throughout');
    no_crash($ngx, $pid, 'pipeline');
};

case 'a pipeline of 10 requests answered with 20 replies' => sub {
    my $fake = FakeRedis->new(GET => $VALID);
    my $port = $fake->port;
    my $ngx = nginx_on($port, 'debug');
    my $pid = $ngx->pid;
    my $sid = new_sid();

    my ($ok) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    ok($ok, 'baseline: the session is admitted');

    $fake->set(-read_delay => 0.3, GET => "\$-1\r\n+OK\r\n");
    my $mark = $ngx->log_mark;
    my @reqs = map { $ngx->start_get('/p', cookie($sid)) } 1 .. 10;
    my @res = map { [ ($ngx->collect($_))[0, 3] ] } @reqs;
    diag 'surplus in a pipeline: ' . join ', ',
        map { "$_->[0] in " . ms($_->[1]) } @res;

    is_deeply([ map { $_->[0] } @res ], [(503) x 10],
              'all 10 get 503: no reply of a stream out of step is used');
    my $log = $ngx->error_log_since($mark);
    my ($n, $m) = largest_batch($log);
    diag "largest read: $n replies for $m commands in flight";
    cmp_ok($n, '>', $m, "the surplus was seen ($n replies for $m)");
    is(count_lines($log, unsolicited_re($port)), 1,
       'one [error] line names the reason');
    no_crash($ngx, $pid, 'surplus in a pipeline');

    $fake->set(-read_delay => 0, GET => $VALID);
    my ($back, $took) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    ok($back, 'admitted again once Redis behaves (' . ms($took) . ')');
};

# --- the handshake (SCRIPT LOAD, PING) ---

case 'PING answered twice in the connection handshake' => sub {
    my $fake = FakeRedis->new(PING => "+PONG\r\n+PONG\r\n", GET => $VALID);
    my $port = $fake->port;
    my $ngx = nginx_on($port);
    my $pid = $ngx->pid;
    my $sid = new_sid();

    sleep 0.2;                      # the handshake has been answered
    my ($s, $h) = $ngx->get('/p', cookie($sid));
    is($s, 503, 'the protected request gets 503');
    is($h->{'x-error'} // '', 'store_unavailable', '... store_unavailable');
    like($ngx->error_log, unsolicited_re($port),
         'the [error] line names the reason');
    sleep 0.5;
    cmp_ok($fake->connections, '>=', 2, 'the client retries');
    is(count_lines($ngx->error_log, unsolicited_re($port)), 1,
       '... and the same cause is logged once');
    no_crash($ngx, $pid, 'surplus PONG');

    $fake->set(PING => "+PONG\r\n");
    my ($ok, $took, $hd) = wait_status($ngx, 200, 3, '/p', cookie($sid));
    diag 'recovery once PING is answered once: ' . ms($took);
    ok($ok, 'admitted once the handshake is answered right');
    is($hd->{'x-user'}, 'alice', '... as alice');
    ok($ngx->wait_for_log(again_re($port), 2), 'the recovery is logged');
};

done_testing();
