# secauth_zone across a reload (SIGHUP), with a private nginx and its
# master process (t/lib/NginxInstance.pm; Test::Nginx cannot reload
# between the requests of a block):
#
#   - the same size: nginx keeps the zone, a session made before the
#     reload still admits, and nothing is logged about the zone;
#   - another size: nginx makes a new, empty zone and says nothing; the
#     module fills it with the records of the old one that fit, most
#     recently used first, and says so at notice: the session still
#     admits. A zone too small for them keeps the most recent ones.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

use LoginTest;

my $users = LoginTest::write_users('zone-reload-users',
    "alice:$LoginTest::HASH{alice}\n");

sub http {
    my ($size) = @_;
    return "    secauth_zone state:$size;\n"
           . "    secauth_password_hash $LoginTest::CHEAP;\n";
}

my $ngx = NginxInstance->new(
    master => 1,
    http => http('1m'),
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

my ($status, $headers) = $ngx->post('/login',
    'application/x-www-form-urlencoded',
    "username=alice&password=$LoginTest::PW{alice}");
is($status, 303, 'login: 303');
my ($sid) = ($headers->{'set-cookie'} // '') =~ /^sid=([^;]+)/;
ok(defined $sid, 'login: a session cookie');

($status) = $ngx->get('/p', Cookie => "sid=$sid");
is($status, 200, 'the session admits');

my $resized = qr/\[notice\].*secauth: zone "state" resized from (\d+) to (\d+) bytes: a new zone replaces it, filled with the sessions and tokens of the old one that fit, most recently used first/;
my $copied = qr/\[notice\].*secauth: zone "state": (\d+) records copied from the zone it replaces, 0 did not fit/;

my $mark = $ngx->log_mark;
$ngx->reload(http => http('1m'));
($status) = $ngx->get('/p', Cookie => "sid=$sid");
is($status, 200, 'reload, same size: the session still admits');
unlike($ngx->error_log_since($mark), qr/secauth: zone/,
       'reload, same size: nothing logged about the zone');

$mark = $ngx->log_mark;
$ngx->reload(http => http('2m'));
my $log = $ngx->error_log_since($mark);
like($log, $resized, 'reload, 2m: the notice says the zone is refilled');
my ($from, $to) = $log =~ $resized;
is("$from $to", 1024 * 1024 . ' ' . 2 * 1024 * 1024,
   'reload, 2m: with the old and new sizes');
my ($copies) = $log =~ $copied;
ok($copies && $copies >= 2, 'reload, 2m: the session and its user copied, '
   . 'nothing lost (' . ($copies // 'none') . ')');
($status) = $ngx->get('/p', Cookie => "sid=$sid");
is($status, 200, 'reload, 2m: the session still admits');

# a zone too small for all: the most recently used records are kept

my @sids;
for my $i (1 .. 150) {
    my (undef, $h) = $ngx->post('/login',
        'application/x-www-form-urlencoded',
        "username=alice&password=$LoginTest::PW{alice}");
    my ($s) = ($h->{'set-cookie'} // '') =~ /^sid=([^;]+)/;
    push @sids, $s if $s;
}
is(scalar @sids, 150, '150 more sessions');
($status) = $ngx->get('/p', Cookie => "sid=$sids[-1]");
is($status, 200, 'the last one admits');
($status) = $ngx->get('/p', Cookie => "sid=$sids[1]");
is($status, 200, 'an old one admits');
# the most recent use of each: the last one stays the most recent
($status) = $ngx->get('/p', Cookie => "sid=$sids[-1]");

$mark = $ngx->log_mark;
$ngx->reload(http => http('32k'));
$log = $ngx->error_log_since($mark);
like($log, qr/\[warn\].*zone "state": \d+ records copied from the zone it replaces, [1-9]\d* did not fit/,
     'reload, 32k: a warning says how many did not fit');
($status) = $ngx->get('/p', Cookie => "sid=$sids[-1]");
is($status, 200, 'reload, 32k: the most recent session still admits');
($status) = $ngx->get('/p', Cookie => "sid=$sids[2]");
is($status, 401, 'reload, 32k: a session used long ago did not fit');
($status) = $ngx->get('/p', Cookie => "sid=$sids[1]");
is($status, 200, 'reload, 32k: an old session used recently did');

done_testing();
