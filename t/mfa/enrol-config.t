# secauth_totp, secauth_totp_issuer and secauth_mfa's enrol= at nginx -t
# and at the gate (docs/directives.md): what each needs, what is refused
# with an [emerg] naming the directive, and the answers without a
# session (the location is gated on it).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";
use LoginTest;
use MfaTest ();
use Test::Nginx::Socket 'no_plan';

LoginTest::write_users('enrol-config', "alice:$LoginTest::HASH{alice}\n");
$ENV{TEST_NGINX_MFA_KEY} = MfaTest::key_file('enrol-config.key');

add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->must_die && !defined $block->no_error_log) {
        $block->set_value('no_error_log', "unknown directive\n");
    }

    $block->set_value('http_config', <<"CONF" . ($block->http_config // ''))
    secauth_redis redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};
    secauth_password_hash $LoginTest::CHEAP;
CONF
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: control: secauth_totp with a key, users and an issuer loads
--- http_config
    secauth_secret_key $TEST_NGINX_MFA_KEY;
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/enrol-config;
    secauth_totp_issuer "Example Co";
    location = /totp { secauth_totp; }
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]



=== TEST 2: secauth_totp without secauth_secret_key is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/enrol-config;
    location = /totp { secauth_totp; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_totp" needs "secauth_secret_key"}



=== TEST 3: secauth_totp without secauth_users is refused
--- http_config
    secauth_secret_key $TEST_NGINX_MFA_KEY;
--- config
    location = /totp { secauth_totp; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_totp" needs "secauth_users"}



=== TEST 4: enrol= takes a local path
--- config
    secauth_mfa on enrol=https://evil.example/;
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "enrol=https://evil.example/" in "secauth_mfa"}



=== TEST 5: enrol= only with on
--- config
    secauth_mfa off enrol=/totp;
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "enrol=/totp" in "secauth_mfa"}



=== TEST 6: a value other than on or off is refused
--- config
    secauth_mfa yes;
--- must_die
--- error_log eval
qr{\[emerg\].*invalid value "yes" in "secauth_mfa" directive}



=== TEST 7: secauth_mfa twice in one context is refused
--- config
    location /x { secauth_mfa on; secauth_mfa off; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_mfa" directive is duplicate}



=== TEST 8: the enrolment without a session: 401 for an API client
--- http_config
    secauth_secret_key $TEST_NGINX_MFA_KEY;
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/enrol-config;
    secauth_cookie sid secure=off;
    secauth_login_url /login;
    location = /totp { secauth_totp; }
--- request
GET /totp
--- more_headers
Accept: application/json
--- error_code: 401
--- response_headers_like
WWW-Authenticate: Bearer realm=".*"



=== TEST 9: ... and a redirect to the login for a browser
--- http_config
    secauth_secret_key $TEST_NGINX_MFA_KEY;
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/enrol-config;
    secauth_cookie sid secure=off;
    secauth_login_url /login;
    location = /totp { secauth_totp; }
--- request
GET /totp
--- more_headers
Accept: text/html
--- error_code: 302
--- response_headers_like
Location: .*/login\?next=%2Ftotp



=== TEST 10: a POST without a session: 401, the body never read
--- http_config
    secauth_secret_key $TEST_NGINX_MFA_KEY;
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/enrol-config;
    secauth_cookie sid secure=off;
    location = /totp { secauth_totp; }
--- request
POST /totp
{"action":"begin","password":"correct horse battery staple"}
--- more_headers
Content-Type: application/json
--- error_code: 401
--- no_error_log
[error]

