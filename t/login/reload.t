# A reload (or any graceful stop) while a password is being hashed in the
# thread pool: the old worker must answer the login before it exits. The
# hash task is not a timer, and nginx's worker leaves as soon as no timer
# but cancelable ones is left, so a login in flight lost its connection
# ("open socket #N left in connection N" at alert, no answer). Found by
# scripts/soak.sh (reloads every 45 s under logins). Private nginx
# instances (t/lib/NginxInstance) with a master process, and an expensive
# Argon2id so that the hash is still running when SIGHUP comes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

use LoginTest;

my $users = LoginTest::write_users('reload-users',
    'alice:' . LoginTest::argon2id($LoginTest::PW{alice}, 12, 16, 1) . "\n");

my $ngx = NginxInstance->new(
    master => 1,
    http => "    secauth_password_hash argon2id t=12 m=64m p=1;\n",
    server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login { secauth_login; }
CONF

sub start_login {
    my ($user, $pw) = @_;
    return $ngx->start_request('POST', '/login',
        LoginTest::form(username => $user, password => $pw),
        'Content-Type' => 'application/x-www-form-urlencoded');
}

# how long one hash takes here: the reload must come while it runs
my $t0 = time;
my ($s) = $ngx->collect(start_login('alice', $LoginTest::PW{alice}));
my $hash = time - $t0;
is($s, 303, 'a login answers 303');
diag sprintf 'one hash: %.0f ms', $hash * 1000;

for my $case (['alice', $LoginTest::PW{alice}, 303, 'the right password'],
              ['alice', 'not the password', 401, 'a wrong password'],
              ['nobody', 'not the password', 401, 'an unknown user'])
{
    my ($user, $pw, $want, $what) = @$case;
    my $mark = $ngx->log_mark;
    my $req = start_login($user, $pw);
    sleep $hash / 4;
    $ngx->reload;
    my ($status) = $ngx->collect($req);
    is($status, $want, "$what: the login in flight during a reload is "
                       . "answered ($want)");
    unlike($ngx->error_log_since($mark), qr/open socket #\d+ left/,
           "$what: the old worker leaves no connection behind");
}

done_testing;
