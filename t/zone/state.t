# secauth_zone NAME:SIZE state=PATH: the zone's contents survive a
# restart, a crash (kill -9 of the master and its workers) and a binary
# upgrade (USR2, WINCH, QUIT), with a private nginx and its master
# process (t/lib/NginxInstance.pm). Kept: sessions, the user index (log
# out everywhere), rate-limit buckets... all records of the zone, as the
# engine keeps them without knowing their kinds.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use POSIX ();
use Time::HiRes qw(sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

use LoginTest;

my $users = LoginTest::write_users('zone-state-users',
    "alice:$LoginTest::HASH{alice}\nbob:$LoginTest::HASH{alice}\n");

sub http {
    my ($zone) = @_;
    return "    secauth_zone $zone;\n"
           . "    secauth_password_hash $LoginTest::CHEAP;\n"
           . "    secauth_limit_zone \$binary_remote_addr zone=per_ip:1m "
           . "rate=1r/m state=logs/limits.zone sync=100ms;\n"
           . "    secauth_login_throttle free=2 lock=1h max_lock=1h "
           . "forget=2h zone=attempts:1m state=logs/attempts.zone "
           . "sync=100ms;\n";
}

my $ngx = NginxInstance->new(
    master => 1,
    upgradable => 1,
    http => http('state:1m state=logs/state.zone sync=100ms'),
    files => { 'p.txt' => "secret\n" },
    server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login {
            secauth_login;
        }
        location = /logout {
            secauth_logout;
        }
        location /p {
            secauth session;
            alias html/p.txt;
        }
        location = /limited {
            secauth_limit zone=per_ip;
            alias html/p.txt;
        }
CONF

my $file = $ngx->dir . '/logs/state.zone';

sub login {
    my ($user) = @_;
    my ($status, $headers) = $ngx->post('/login',
        'application/x-www-form-urlencoded',
        "username=$user&password=$LoginTest::PW{alice}");
    my ($sid) = ($headers->{'set-cookie'} // '') =~ /^sid=([^;]+)/;
    return ($status, $sid);
}

sub admits {
    my ($sid) = @_;
    my ($status) = $ngx->get('/p', Cookie => "sid=$sid");
    return $status;
}

like($ngx->error_log, qr/\[notice\].*zone "state": no state file "\Q$file\E" yet, the zone starts empty/,
     'first start: no file yet, said at notice');

my ($status, $sid) = login('alice');
is($status, 303, 'login: 303');
ok(defined $sid, 'login: a session cookie');
is(admits($sid), 200, 'the session admits');

my (undef, $sid2) = login('bob');
is(admits($sid2), 200, "bob's session admits");

# a logout is a change too: it must not come back after a restart
my (undef, $gone) = login('bob');
($status) = $ngx->post('/logout', 'application/x-www-form-urlencoded',
                       '', Cookie => "sid=$gone");
is($status, 303, 'logout: 303');
is(admits($gone), 401, 'a session logged out is refused');

# --- restart: the zone written whole at exit, loaded at start

$ngx->stop(10);
# at exit: the whole zone, or what the file lacks, or nothing when the
# last flush wrote it all
like($ngx->error_log, qr/\[notice\].*zone "state": (\d+ records saved to "\Q$file\E"|the last changes saved to "\Q$file\E"|state file "\Q$file\E" is up to date at exit)/,
     'restart: the zone saved at exit');
{
    open my $fh, '<:raw', $file or die "$file: $!";
    my $data = do { local $/; <$fh> };
    ok(index($data, $sid) < 0 && index($data, $sid2) < 0,
       'the file holds no session id, only their hashes');
    like($data, qr/alice/, 'but the user names the zone holds');
}
$ngx->start;
like($ngx->error_log, qr/\[notice\].*zone "state": \d+ records loaded from "\Q$file\E"/,
     'restart: the zone loaded at start');
is(admits($sid), 200, 'restart: the session still admits');
is(admits($sid2), 200, "restart: bob's session still admits");
is(admits($gone), 401, 'restart: the session logged out stays out');

# a rate-limit bucket and a login throttle count, then a restart

($status) = $ngx->get('/limited');
is($status, 200, 'limit: the first request passes');
($status) = $ngx->get('/limited');
is($status, 429, 'limit: the second one within the minute is refused');

for my $try (1 .. 3) {
    ($status) = $ngx->post('/login', 'application/x-www-form-urlencoded',
                           'username=carol&password=wrong');
}
is($status, 429, 'throttle: carol is locked after 2 attempts (the 3rd: 429)');

$ngx->restart;
($status) = $ngx->get('/limited');
is($status, 429, 'restart: the bucket is still empty');
($status) = $ngx->post('/login', 'application/x-www-form-urlencoded',
                       'username=carol&password=wrong');
is($status, 429, 'restart: carol is still locked');
($status) = $ngx->post('/login', 'application/x-www-form-urlencoded',
                       "username=alice&password=$LoginTest::PW{alice}");
is($status, 303, 'restart: alice is not');

my $mode = (stat $file)[2] & 07777;
is(sprintf('%04o', $mode), '0600', 'the file is 0600');
is((stat $file)[4], $>, 'the file belongs to the user of the workers');

# --- crash: what was flushed (sync=100ms) before kill -9 is there

my (undef, $sid3) = login('alice');
is(admits($sid3), 200, 'a new session admits');
sleep 0.5;
$ngx->crash;
$ngx->start;
is(admits($sid3), 200, 'kill -9 then start: a session older than the '
   . 'flush interval admits');
is(admits($sid), 200, 'kill -9 then start: the older session too');
unlike($ngx->error_log, qr/\[(alert|crit|emerg)\]/, 'no alert');

# --- binary upgrade: USR2, WINCH, QUIT; the new master loads the file

my (undef, $sid4) = login('alice');
sleep 0.3;
# logins while both nginx run (between USR2 and WINCH): served by old and
# new workers alike; the new nginx catches up with what the old one
# appends to the file until the old master is gone
my @window;
my $mark = $ngx->upgrade(between => sub {
    for (1 .. 12) {
        my (undef, $s) = login('alice');
        push @window, $s if $s;
    }
    sleep 0.3;
});
my $log = $ngx->error_log_since($mark);
like($log, qr/records loaded from "\Q$file\E"/,
     'upgrade: the new master loaded the file');
is(admits($sid), 200, 'upgrade: the first session admits');
is(admits($sid4), 200, 'upgrade: a session made just before admits');
is(admits($gone), 401, 'upgrade: the session logged out stays out');
is(scalar @window, 12, 'upgrade: 12 logins while both nginx ran');
is(scalar(grep { admits($_) == 200 } @window), 12,
   'upgrade: all of them admit, whichever nginx made them');

# made after the upgrade: kept by the new master's workers
my (undef, $sid5) = login('bob');
sleep 0.3;
$ngx->crash;
$ngx->start;
is(admits($sid5), 200, 'after the upgrade: the new nginx writes the file');
is(admits($sid4), 200, 'after the upgrade: the older session too');
is(scalar(grep { admits($_) == 200 } @window), 12,
   'after the upgrade, kill -9: the logins of the window are in the file');

# --- under load (wrk): a restart and a binary upgrade refuse no valid
# session; what wrk counts is printed

SKIP: {
    my $wrk = `sh -c 'command -v wrk'`;
    chomp $wrk;
    skip 'no wrk', 6 unless $wrk;

    my (undef, $live) = login('alice');
    is(admits($live), 200, 'load: a session to send');

    # wrk for $secs seconds while $action runs; its counts
    my $load = sub {
        my ($secs, $action) = @_;
        my $out = $ngx->dir . '/logs/wrk.out';
        my $pid = fork // die "fork: $!";
        if ($pid == 0) {
            open STDOUT, '>', $out or POSIX::_exit(1);
            open STDERR, '>&', \*STDOUT;
            exec $wrk, '-t1', '-c4', "-d${secs}s", '-H', "Cookie: sid=$live",
                 'http://127.0.0.1:' . $ngx->port . '/p'
                or POSIX::_exit(127);
        }
        sleep 0.5;
        $action->();
        waitpid $pid, 0;
        open my $fh, '<', $out or die "$out: $!";
        my $text = do { local $/; <$fh> };
        my ($total) = $text =~ /(\d+) requests in/;
        my ($bad) = $text =~ /Non-2xx or 3xx responses: (\d+)/;
        my ($errors) = $text =~ /Socket errors: (.*)/;
        return ($total // 0, $bad // 0, $errors // 'none', $text);
    };

    my ($total, $bad, $errors, $text) = $load->(3, sub { $ngx->upgrade });
    diag("binary upgrade under wrk: $total requests, $bad not 2xx, "
         . "socket errors: $errors");
    ok($total > 0, 'upgrade under load: requests were made')
        or diag($text);
    is($bad, 0, 'upgrade under load: no request refused');

    ($total, $bad, $errors, $text) = $load->(4, sub {
        $ngx->stop(10);
        $ngx->start;
    });
    diag("restart under wrk: $total requests, $bad not 2xx (connections "
         . "refused while nginx is down are socket errors: $errors)");
    ok($total > 0, 'restart under load: requests were made')
        or diag($text);
    is($bad, 0, 'restart under load: no answer but 200');
    is(admits($live), 200, 'after both: the session admits');
}

unlike($ngx->error_log, qr/\[(alert|crit|emerg)\]/, 'no alert at all');

# --- a reload to another size: the new zone gets the old one's records,
# and takes the file over

my $zone2 = 'state:2m state=logs/state.zone sync=100ms';
$mark = $ngx->log_mark;
$ngx->reload(http => http($zone2));
like($ngx->error_log_since($mark),
     qr/\[notice\].*zone "state": \d+ records copied from the zone it replaces, 0 did not fit/,
     'resize: the records copied');
is(admits($sid), 200, 'resize: the session admits');
my (undef, $sid6) = login('alice');
sleep 0.4;
$ngx->crash;
$ngx->start;
like($ngx->error_log, qr/records loaded from "\Q$file\E"/,
     'resize, then kill -9: the file loads');
is(admits($sid6), 200, 'resize, then kill -9: the new zone wrote the file');
is(admits($sid), 200, 'resize, then kill -9: with the copied records');

# --- one process (master_process off): the same, without a master

my $single = NginxInstance->new(
    http => "    secauth_zone one:1m state=logs/one.zone;\n"
            . "    secauth_password_hash $LoginTest::CHEAP;\n",
    files => { 'p.txt' => "secret\n" },
    server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login {
            secauth_login;
        }
        location /p {
            secauth session;
            alias html/p.txt;
        }
CONF

(undef, my $h) = $single->post('/login', 'application/x-www-form-urlencoded',
                               "username=alice&password=$LoginTest::PW{alice}");
my ($one) = ($h->{'set-cookie'} // '') =~ /^sid=([^;]+)/;
($status) = $single->get('/p', Cookie => "sid=$one");
is($status, 200, 'one process: a session');
$single->stop(10);
like($single->error_log, qr/zone "one": (\d+ records saved|the last changes saved|state file .* is up to date at exit)/,
     'one process: saved at exit');
$single->start;
($status) = $single->get('/p', Cookie => "sid=$one");
is($status, 200, 'one process: the session survives a restart');
sleep 1.3;
$single->crash;
$single->start;
($status) = $single->get('/p', Cookie => "sid=$one");
is($status, 200, 'one process: and a kill -9 after the default 1s sync');

done_testing();
