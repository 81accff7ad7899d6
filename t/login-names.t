# Who logs in (docs/login.md "User names"): user names must be valid
# UTF-8, in the user file (nginx -t fails, naming the line) and at login
# (the answer of an unknown user, for file and Redis users alike, never a
# 500 from a record that cannot be encoded); $secauth_user names the user
# of a successful login at the login location.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use LoginTest;
use SecauthTest;
use Test::Nginx::Socket 'no_plan';

my $good = $LoginTest::HASH{alice};

our $JOSE_PW = 'jose pass phrase, long enough';

LoginTest::write_users('names-bad-utf8',
    "alice:$good\nbad\xff\xfename:$good\n");
LoginTest::write_users('names-overlong',
    "alice:$good\n# a comment\nslash\xc0\xafname:$good\n");
LoginTest::write_users('names-surrogate',
    "alice:$good\nhalf\xed\xa0\x80:$good\n");
LoginTest::write_users('names-good',
    "alice:$good\n" . "jos\xc3\xa9:" . LoginTest::argon2id($JOSE_PW) . "\n");

# a form body with the user name given as raw bytes (percent-encoded)
sub raw_form {
    my ($raw_name, $pw) = @_;
    (my $name = $raw_name) =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge;
    return "username=$name&password=" . LoginTest::form_urlencode($pw);
}

add_block_preprocessor(sub {
    my $block = shift;

    my $http = $block->http_config // '';
    $block->set_value('http_config',
        "    secauth_password_hash $LoginTest::CHEAP;\n" . $http)
        unless $http =~ /secauth_password_hash/;

    if (defined $block->must_die && !defined $block->no_error_log) {
        $block->set_value('no_error_log', "unknown directive\n");
    }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a user file with a name that is not UTF-8 fails nginx -t, naming the line
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/names-bad-utf8;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"[^"]*/names-bad-utf8" line 2 has a user name that is not valid UTF-8}



=== TEST 2: an overlong form ("/" as C0 AF) is not UTF-8 either
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/names-overlong;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"[^"]*/names-overlong" line 3 has a user name that is not valid UTF-8}



=== TEST 3: nor is a UTF-16 surrogate (ED A0 80)
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/names-surrogate;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"[^"]*/names-surrogate" line 2 has a user name that is not valid UTF-8}



=== TEST 4: control: a UTF-8 name beyond ASCII loads and logs in
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/names-good;
    location = /login { secauth_login; }
--- request eval
["POST /login\n" . main::raw_form("jos\xc3\xa9", $main::JOSE_PW),
 "POST /login\n" . main::raw_form("jos\xc3\xa9", 'not the password')]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 2]
--- error_code eval
[303, 401]



=== TEST 5: login names that are not UTF-8: 401, the unknown user's answer
Truncated, overlong, surrogate, above U+10FFFF, stray continuation, and
bytes that are never UTF-8: none can name an account.
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/names-good;
    location = /login { secauth_login; }
--- request eval
[map { "POST /login\n" . main::raw_form($_, 'some password') }
     "jos\xc3", "a\xc0\xafb", "a\xed\xa0\x80", "a\xf4\x90\x80\x80",
     "a\x80b", "\xff\xfe", "jos\xe9"]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 7]
--- error_code eval
[(401) x 7]
--- response_body_like eval
[(qr/Invalid user name or password\./) x 7]
--- error_log
login failed: the user name is not valid UTF-8
--- no_error_log
[error]
[alert]



=== TEST 6: Redis: a record under a name that is not UTF-8 cannot log in (401, not 500)
Its password is right: the name is refused before any lookup, and the
answer is byte for byte the unknown user's.
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
SecauthTest::redis('HSET', "${LoginTest::PREFIX}user:bad\xff\xfename",
                   'password', LoginTest::argon2id('the right password'));
my $port = $Test::Nginx::Util::ServerPort;
my @resp = map {
    LoginTest::strip_date(LoginTest::post($port, '/login',
        'application/x-www-form-urlencoded',
        main::raw_form($_, 'the right password')))
} "bad\xff\xfename", 'nobody';
Test::More::like($resp[0], qr{^HTTP/1\.1 401 },
                 'redis: a name that is not UTF-8, right password: 401');
Test::More::is($resp[0], $resp[1],
               '... the same answer as an unknown user');
--- request
GET /login
--- error_code: 200
--- error_log
login failed: the user name is not valid UTF-8
--- no_error_log
[error]
[alert]



=== TEST 7: $secauth_user names the user of a successful login (the access log)
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login {
        secauth_login;
        add_header X-User $secauth_user always;
    }
--- request eval
["POST /login\n" . LoginTest::form(username => 'Alice',
                                   password => $LoginTest::PW{alice}),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => 'not the password'),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice}),
 "GET /login"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/json",
 ""]
--- error_code eval
[303, 401, 400, 200]
--- response_headers eval
["X-User: alice", "!X-User", "!X-User", "!X-User"]



=== TEST 8: $secauth_user at a JSON login that answers tokens
--- http_config
    secauth_jwt_issuer https://auth.test;
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location = /login {
        secauth_login;
        add_header X-User $secauth_user always;
    }
--- request eval
"POST /login\n" . LoginTest::json_body(username => 'alice',
                                       password => $LoginTest::PW{alice})
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
X-User: alice
