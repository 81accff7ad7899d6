# Two nginx nodes on one Redis (the private redis-server of
# scripts/test.sh, TEST_NGINX_REDIS_PORT): a session is one record that
# every node reads, deletes are seen everywhere on the next request, and
# a touch by one node is what keeps the session alive on the other.
# Keys live under a prefix of our own so that other suites do not see
# them; they are removed at the end.

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

# SecauthTest::redis keeps redis-cli's final newline (its chomp runs with
# $/ undefined): drop it here
sub redis {
    my $out = SecauthTest::redis(@_);
    $out =~ s/\n\z//;
    return $out;
}

sub new_sid { SecauthTest::new_sid() }
sub sid_key { SecauthTest::sid_key(@_) }
sub redis_put_session { SecauthTest::redis_put_session(@_) =~ s/\n\z//r }

my ($module) = NginxInstance::modules();
plan skip_all => "no module at $module (run scripts/test.sh)"
    unless -f $module;

my $port = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "twonodes$$:";
my $owner = $$;

# interrupted (Ctrl-C, prove killed): exit through the END blocks, which
# remove our keys and stop both nginx
$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

END {
    local $?;
    if ($$ == $owner) {
        my @keys = grep { length } split /\n/,
                   redis('--scan', '--pattern', "$prefix*");
        redis('DEL', @keys) if @keys;
    }
}

my $config = <<'CONF';
        location /p {
            secauth session;
            secauth_session_timeout 40s 1h;
            add_header X-Error $secauth_error always;
            add_header X-User $secauth_user always;
            alias html/p.txt;
        }
        location /short {
            secauth session;
            secauth_session_timeout 6s 1h;
            add_header X-Error $secauth_error always;
            add_header X-User $secauth_user always;
            alias html/p.txt;
        }
CONF

my %nodes;
for my $name ('A', 'B') {
    $nodes{$name} = NginxInstance->new(
        http => "    secauth_redis redis://127.0.0.1:$port prefix=$prefix;\n",
        server => $config,
        files => { 'p.txt' => "secret\n" });
}
my ($na, $nb) = @nodes{qw(A B)};
isnt($na->port, $nb->port, 'two nginx instances on their own ports');

sub cookie { return (Cookie => "__Host-secauth=$_[0]") }

sub field {
    my ($sid, $name) = @_;
    my ($v) = redis('GET', sid_key($sid, $prefix)) =~ /"$name":(\d+)/;
    return $v;
}

# answer(NODE, PATH, SID): "status user error"
sub answer {
    my ($node, $path, $sid) = @_;
    my ($s, $h) = $node->get($path, cookie($sid));
    return join ' ', $s, $h->{'x-user'} // '-', $h->{'x-error'} // '-';
}

# the first requests may come while the nodes still connect
for my $node ($na, $nb) {
    my $deadline = time + 3;
    sleep 0.05 while time < $deadline
                     && answer($node, '/p', new_sid()) !~ /^401 /;
}

# --- one session, two nodes ---

my $sid = new_sid();
is(redis_put_session($sid, 'alice', 60, 5, 600, $prefix), 'OK',
   'session written into Redis under our prefix');
is(answer($na, '/p', $sid), '200 alice -', 'node A admits the session');
is(answer($nb, '/p', $sid), '200 alice -', 'node B admits the same session');

# --- deleted: refused everywhere on the next request ---

is(redis('DEL', sid_key($sid, $prefix)), '1', 'session deleted in Redis');
is(answer($na, '/p', $sid), '401 - unknown_session',
   'node A refuses it on the next request (no local cache)');
is(answer($nb, '/p', $sid), '401 - unknown_session',
   'node B refuses it on the next request');

# --- a touch through A is seen by B ---

my $touched = new_sid();
redis_put_session($touched, 'bob', 60, 20, 600, $prefix);
my $seen_before = field($touched, 'last_seen');
is(answer($na, '/p', $touched), '200 bob -',
   'node A admits a session last seen 20 s ago (idle window 40 s)');

my $seen_after = $seen_before;
my $deadline = time + 3;
while (time < $deadline) {
    $seen_after = field($touched, 'last_seen') // 0;
    last if $seen_after > $seen_before;
    sleep 0.02;
}
cmp_ok($seen_after, '>=', time - 5,
       'node A moved last_seen forward in Redis (older than a quarter of '
       . 'the idle window)');
my $ttl = redis('TTL', sid_key($touched, $prefix));
ok($ttl > 30 && $ttl <= 40, "the touched record's TTL is the idle window "
   . "(40 s, got $ttl)");
is(field($touched, 'created'), $seen_before - 40,
   'created is left as it was');
is(answer($nb, '/p', $touched), '200 bob -',
   'node B admits the touched session');

# --- B admits only because A touched ---

# idle window 6 s: both sessions last seen 3 s ago; A touches one; once
# 7 s have passed since, B still admits the touched one and refuses the
# other: B read what A wrote
my $kept = new_sid();
my $idle = new_sid();
redis_put_session($kept, 'carol', 60, 3, 600, $prefix);
redis_put_session($idle, 'dave', 60, 3, 600, $prefix);
my $seen = field($kept, 'last_seen');

is(answer($na, '/short', $kept), '200 carol -',
   'node A admits a session idle for 3 s of 6 s and touches it');
my $wait = $seen + 7 - time;
sleep $wait if $wait > 0;
cmp_ok(field($kept, 'last_seen'), '>', $seen,
       'the touch reached Redis');
is(answer($nb, '/short', $idle), '401 - session_expired',
   'node B refuses the untouched session, idle for 7 s of 6 s');
is(answer($nb, '/short', $kept), '200 carol -',
   'node B admits the session node A touched, idle for 7 s without it');

for my $node ($na, $nb) {
    ok($node->alive, 'node still running');
    unlike($node->error_log, qr/\[alert\]|exited on signal|\[emerg\]/,
           'no crash or alert in the error log');
}

done_testing();
