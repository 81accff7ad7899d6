# secauth_zone ... state=PATH keeps the token state across a restart and a
# crash (kill -9): a refresh-token family and where its rotation stands,
# a revoked family, and the index of the user's sessions and families
# (log out everywhere still ends what was issued before the restart).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use HTTP::Request::Common qw(POST);
use JSON::PP ();
use LWP::UserAgent;
use Test::More;
use Time::HiRes qw(sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
}

use LoginTest ();
use JwtTest ();

my $JSON = JSON::PP->new->canonical;
my $users = LoginTest::write_users('zone-tokens-users',
    "alice:$LoginTest::HASH{alice}\n");
my $pw = $LoginTest::PW{alice};

my $ngx = NginxInstance->new(
    master => 1,
    http => "    secauth_zone state:1m state=logs/s.zone sync=100ms;\n"
        . "    secauth_password_hash $LoginTest::CHEAP;\n"
        . "    secauth_jwt_signing_key HS256 " . JwtTest::key_path('hs256')
        . ";\n    secauth_jwt_issuer https://auth.test;\n"
        . "    secauth_jwt_audience api;\n",
    files => { 'p.txt' => "secret\n" },
    server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login { secauth_login; }
        location = /token/refresh { secauth_refresh; }
        location = /token/revoke { secauth_revoke; }
        location = /logout { secauth_logout; }
        location /api/ {
            secauth jwt;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
CONF

my $ua = LWP::UserAgent->new(timeout => 10, max_redirect => 0);

sub login {
    my $res = $ua->request(POST('http://127.0.0.1:' . $ngx->port . '/login',
        'Content-Type' => 'application/json',
        Content => LoginTest::json_body(username => 'alice',
                                        password => $pw)));
    return eval { $JSON->decode($res->decoded_content) } // {};
}

sub refresh {
    my ($token) = @_;
    my ($s, undef, $b) = $ngx->post('/token/refresh',
        'application/x-www-form-urlencoded',
        LoginTest::form(refresh_token => $token));
    return ($s, eval { $JSON->decode($b) } // {});
}

sub api {
    my ($token) = @_;
    my ($s, $h) = $ngx->get('/api/p.txt', Authorization => "Bearer $token");
    return "$s" . ($h->{'x-error'} ? " $h->{'x-error'}" : '');
}

my $a = login();
ok($a->{access_token}, 'a JSON login: a pair');
my ($s, $a2) = refresh($a->{refresh_token});
is($s, 200, 'refreshed once');

my $b = login();
($s) = $ngx->post('/token/revoke', 'application/x-www-form-urlencoded',
                  LoginTest::form(token => $b->{refresh_token}));
is($s, 200, 'a second family, revoked');
is(api($b->{access_token}), '401 revoked', "its access token is refused");

my $c = login();
is(api($c->{access_token}), '200', 'a third family');
my $d = login();
is(api($d->{access_token}), '200', 'a fourth one');

# --- restart

$ngx->restart;
is(api($a2->{access_token}), '200', 'restart: the newest access token '
   . 'of the first family works');
is(api($b->{access_token}), '401 revoked',
   'restart: the revoked family stays revoked');
($s) = refresh($b->{refresh_token});
is($s, 400, 'restart: so does its refresh token');
($s, my $a3) = refresh($a2->{refresh_token});
is($s, 200, 'restart: the first family rotates on');

# --- crash

sleep 0.4;
$ngx->crash;
$ngx->start;
($s) = refresh($a2->{refresh_token});
is($s, 400, 'kill -9: the refresh token spent before it stays spent')
    or diag($ngx->error_log);
is(api($a3->{access_token}), '401 revoked',
   'kill -9: and its reuse revoked the family, as without a restart');
is(api($c->{access_token}), '200', 'kill -9: the third family is there');

# log out everywhere with it: the user index survived both
($s) = $ngx->post('/logout', 'application/x-www-form-urlencoded',
                  'everywhere=1', Authorization => "Bearer $c->{access_token}");
ok($s == 204 || $s == 303, "logout everywhere: $s");
is(api($d->{access_token}), '401 revoked',
   'logout everywhere: another family issued before the restarts ends too');

unlike($ngx->error_log, qr/\[(alert|crit|emerg)\]/, 'no alert');

done_testing();
