# secauth_zone across a reload (SIGHUP), with a private nginx and its
# master process (t/lib/NginxInstance.pm; Test::Nginx cannot reload
# between the requests of a block):
#
#   - the same size: nginx keeps the zone, a session made before the
#     reload still admits, and nothing is logged about the zone;
#   - another size: nginx makes a new, empty zone and says nothing; the
#     module logs at notice that the sessions of the old one are gone
#     (and they are: the session is refused).

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

my $resized = qr/\[notice\].*secauth: zone "state" resized from (\d+) to (\d+) bytes: a new, empty zone replaces it, the sessions and tokens kept in it until this reload are gone/;

my $mark = $ngx->log_mark;
$ngx->reload(http => http('1m'));
($status) = $ngx->get('/p', Cookie => "sid=$sid");
is($status, 200, 'reload, same size: the session still admits');
unlike($ngx->error_log_since($mark), qr/secauth: zone/,
       'reload, same size: nothing logged about the zone');

$mark = $ngx->log_mark;
$ngx->reload(http => http('2m'));
my $log = $ngx->error_log_since($mark);
like($log, $resized, 'reload, 2m: the notice says the sessions are gone');
my ($from, $to) = $log =~ $resized;
is("$from $to", 1024 * 1024 . ' ' . 2 * 1024 * 1024,
   'reload, 2m: with the old and new sizes');
($status) = $ngx->get('/p', Cookie => "sid=$sid");
is($status, 401, 'reload, 2m: the session is gone indeed');

done_testing();
