# secauth_refresh, secauth_revoke and the JSON login's tokens (docs/tokens.md,
# docs/security.md "Tokens", RFC 6749, RFC 7009, RFC 8725, RFC 9700): what is
# refused and how. Refresh tokens that need no family in the store are
# minted here by PyJWT with the signing key ($TEST_NGINX_JWT_DIR/hs256);
# families are written into Redis by "--- init" in the documented format.
# The flows (rotation, reuse, races, two nodes) are in t/tokens/flow.t.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use LoginTest;
use Test::Nginx::Socket 'no_plan';

our $ISS = 'https://auth.test';

# tokens of the module's shape, by PyJWT: refresh(CLAIM => VALUE, ...)
sub refresh {
    return JwtTest::pyjwt('HS256', 'hs256',
                          [iss => $ISS, token_use => 'refresh',
                           fam => 'f' x 22, jti => 'j' x 22, @_]);
}

# a family of this run in Redis, and its refresh token
$ENV{TEST_NGINX_TOKENS_PID} = $$;
our $PREFIX = "secauth-tokens-test-$$:";
our $FAM = 'F' . substr(time . ('0' x 21), 0, 21);
our $JTI = 'J' x 22;

our ($REFRESH, $ACCESS, $EXPIRED, $OTHER_ISS, $NO_FAM, $OTHER_KEY,
     $TAMPERED, $OUTSIDE_FAM, $NONE, $FAMILY_REFRESH);

# the tokens, minted again as each block starts (their iat and exp are
# relative to that moment, not to when this file was read)
sub mint {
    $REFRESH = refresh();
    $ACCESS = refresh(token_use => 'access');
    $EXPIRED = refresh(iat => time - 7200, exp => time - 3600);
    $OTHER_ISS = refresh(iss => 'https://evil.example');
    $NO_FAM = refresh(fam => undef);
    $OTHER_KEY = JwtTest::pyjwt('HS256', 'hs256b',
                                [iss => $ISS, token_use => 'refresh',
                                 fam => 'f' x 22, jti => 'j' x 22]);
    ($TAMPERED = $REFRESH) =~ s/\.([^.]*)\./'.' . JwtTest::b64u(
        JwtTest::payload(iss => $ISS, token_use => 'refresh', sub => 'root',
                         fam => 'f' x 22, jti => 'j' x 22)) . '.'/e;
    $OUTSIDE_FAM = JwtTest::pyjwt('HS256', 'hs256b',
                                  [iss => $ISS, fam => 'f' x 22,
                                   jti => 'outside-jti']);
    $NONE = JwtTest::b64u('{"alg":"none","typ":"JWT"}') . '.'
            . (split /\./, $REFRESH)[1] . '.';
    $FAMILY_REFRESH = refresh(fam => $FAM, jti => $JTI);
}

sub form { "Content-Type: application/x-www-form-urlencoded" }

JwtTest::at_block_start(sub {
    my $block = shift;

    $block->set_value('http_config',
        "    secauth_password_hash $LoginTest::CHEAP;\n"
        . "    secauth_jwt_signing_key HS256 \$TEST_NGINX_JWT_DIR/hs256;\n"
        . "    secauth_jwt_issuer $ISS;\n")
        unless defined $block->http_config;
    $block->set_value('user_files', ">>> p.txt\nsecret\n")
        unless defined $block->user_files;
}, \&mint);

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a JSON login answers a token pair (RFC 6749 5.1), no cookie
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::json_body(username => 'alice',
                                       password => $LoginTest::PW{alice})
--- more_headers
Content-Type: application/json
--- error_code: 200
--- response_headers
Content-Type: application/json
Cache-Control: no-store
!Set-Cookie
--- response_body_like eval
qr/^\{"access_token":"[\w-]+\.[\w-]+\.[\w-]+","token_type":"Bearer",
   "expires_in":900,"refresh_token":"[\w-]+\.[\w-]+\.[\w-]+"\}$/x
--- error_log
"alice" logged in (tokens)



=== TEST 2: a form login still gets a session cookie when tokens are on
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'alice',
                                  password => $LoginTest::PW{alice})
--- more_headers eval
main::form()
--- error_code: 303
--- response_headers_like
Set-Cookie: sid=[\w-]{43}; .*



=== TEST 3: a failed JSON login gets no tokens
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::json_body(username => 'alice',
                                       password => 'wrong password')
--- more_headers
Content-Type: application/json
--- error_code: 401
--- response_body
{"error":"invalid_credentials"}



=== TEST 4: refresh: unusable refresh tokens are 400 invalid_grant (RFC 6749 5.2), no Bearer challenge
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256b;
    location = /refresh { secauth_refresh; }
--- request eval
[map { "POST /refresh\nrefresh_token=$_" }
     $main::ACCESS, $main::EXPIRED, $main::OTHER_ISS, $main::NO_FAM,
     $main::OTHER_KEY, $main::TAMPERED, $main::NONE, 'abc', 'a.b.c',
     $main::REFRESH . 'x']
--- more_headers eval
[(main::form()) x 10]
--- error_code eval
[(400) x 10]
--- response_headers eval
[("Cache-Control: no-store\nContent-Type: application/json\n!WWW-Authenticate") x 10]
--- response_body eval
[("{\"error\":\"invalid_grant\"}\n") x 10]



=== TEST 5: refresh: an access token is refused as the wrong kind
--- config
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::ACCESS"
--- more_headers eval
main::form()
--- error_code: 400
--- response_headers
!WWW-Authenticate
Content-Type: application/json
--- error_log
refresh token refused: wrong_token_type



=== TEST 6: refresh: an expired refresh token
--- config
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::EXPIRED"
--- more_headers eval
main::form()
--- error_code: 400
--- response_headers
!WWW-Authenticate
Content-Type: application/json
--- error_log
refresh token refused: expired



=== TEST 7: refresh: another issuer
--- config
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::OTHER_ISS"
--- more_headers eval
main::form()
--- error_code: 400
--- response_headers
!WWW-Authenticate
Content-Type: application/json
--- error_log
refresh token refused: bad_issuer



=== TEST 8: refresh: a token of a verification-only key is not ours
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256b;
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::OTHER_KEY"
--- more_headers eval
main::form()
--- error_code: 400
--- response_headers
!WWW-Authenticate
Content-Type: application/json
--- error_log
refresh token refused: bad_signature



=== TEST 9: refresh: a tampered payload
--- config
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::TAMPERED"
--- more_headers eval
main::form()
--- error_code: 400
--- response_headers
!WWW-Authenticate
Content-Type: application/json
--- error_log
refresh token refused: bad_signature
--- no_error_log
"root"



=== TEST 10: refresh: a signed refresh token without a family
--- config
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::NO_FAM"
--- more_headers eval
main::form()
--- error_code: 400
--- response_headers
!WWW-Authenticate
Content-Type: application/json
--- error_log
refresh token refused: bad_claims



=== TEST 11: refresh: a valid token of a family the store does not know
--- config
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::REFRESH"
--- more_headers eval
main::form()
--- error_code: 400
--- response_body
{"error":"invalid_grant"}
--- error_log
refresh token of "alice" refused: revoked or expired



=== TEST 12: refresh: bodies without a usable refresh_token are 400
--- config
    location = /refresh { secauth_refresh; }
--- request eval
["POST /refresh\n", "POST /refresh\nrefresh_token=",
 "POST /refresh\ntoken=$main::REFRESH",
 "POST /refresh\nrefresh_token=a&refresh_token=b",
 "POST /refresh\nrefresh_token=%zz",
 "POST /refresh\n[\"$main::REFRESH\"]",
 "POST /refresh\n{\"refresh_token\":1}",
 "POST /refresh\n{\"refresh_token\":\"a\",\"refresh_token\":\"b\"}",
 "POST /refresh\n{\"refresh_token\":"]
--- more_headers eval
[(main::form()) x 5, ("Content-Type: application/json") x 4]
--- error_code eval
[(400) x 9]
--- response_body eval
[("{\"error\":\"invalid_request\"}\n") x 9]



=== TEST 13: refresh: POST with a form or JSON only; nothing too large
--- config
    location = /refresh { secauth_refresh; }
--- request eval
["GET /refresh", "POST /refresh\nrefresh_token=x",
 "POST /refresh\nrefresh_token=x",
 "POST /refresh\nrefresh_token=" . ('A' x 5000)]
--- more_headers eval
["", "", "Content-Type: text/plain", main::form()]
--- error_code eval
[405, 415, 415, 413]
--- response_headers eval
["Allow: POST", "", "", ""]



=== TEST 14: refresh: a cross-site POST is refused
--- config
    location = /refresh { secauth_refresh; }
--- request eval
"POST /refresh\nrefresh_token=$main::REFRESH"
--- more_headers eval
main::form() . "\nOrigin: https://evil.example"
--- error_code: 403
--- error_log
cross-site POST refused (CSRF)



=== TEST 15: the gate: a refresh token is not a bearer token (RFC 8725 3.11)
--- config
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
"Authorization: Bearer $main::REFRESH"
--- error_code: 401
--- response_headers
X-Error: wrong_token_type



=== TEST 16: the gate refuses a token of ours whose family is gone
--- config
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
"Authorization: Bearer $main::ACCESS"
--- error_code: 401
--- response_headers
X-Error: revoked



=== TEST 17: revocation is on by default where the signing key is, at any level
--- http_config
    secauth_jwt_issuer https://auth.test;
--- config
    location /p {
        secauth jwt;
        secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs256;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
"Authorization: Bearer $main::ACCESS"
--- error_code: 401
--- response_headers
X-Error: revoked



=== TEST 18: an outside issuer's "fam" claim is not a family of ours
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256b;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
"Authorization: Bearer $main::OUTSIDE_FAM"
--- error_code: 200
--- response_headers
X-User: alice



=== TEST 19: secauth_jwt_revocation off: the family is not looked up
--- config
    location /p {
        secauth jwt;
        secauth_jwt_revocation off;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
"Authorization: Bearer $main::ACCESS"
--- error_code: 200
--- response_headers
X-User: alice



=== TEST 20: revoke answers 200 whatever the token (RFC 7009 2.2)
--- config
    location = /revoke { secauth_revoke; }
--- request eval
[map { "POST /revoke\ntoken=$_" }
     'abc', $main::OTHER_KEY, $main::TAMPERED, $main::EXPIRED,
     $main::REFRESH, $main::ACCESS]
--- more_headers eval
[(main::form()) x 6]
--- error_code eval
[(200) x 6]
--- response_body eval
[("{}\n") x 6]



=== TEST 21: revoke: without a token 400, GET 405
--- config
    location = /revoke { secauth_revoke; }
--- request eval
["POST /revoke\nfoo=bar", "GET /revoke"]
--- more_headers eval
[main::form(), ""]
--- error_code eval
[400, 405]
--- response_body eval
["{\"error\":\"invalid_request\"}\n", qr/405 Not Allowed/]



=== TEST 22: a family written into Redis (docs/tokens.md) is refreshed once
--- http_config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_issuer https://auth.test;
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT prefix=secauth-tokens-test-$TEST_NGINX_TOKENS_PID:;
--- config
    location = /refresh { secauth_refresh; }
--- init
JwtTest::redis('HSET', "${main::PREFIX}family:$main::FAM", user => 'alice',
               cur => $main::JTI, pwv => 0, exp => time + 600);
JwtTest::redis('EXPIRE', "${main::PREFIX}family:$main::FAM", 600);
--- request eval
[("POST /refresh\nrefresh_token=$main::FAMILY_REFRESH") x 2]
--- more_headers eval
[(main::form()) x 2]
--- error_code eval
[200, 400]
--- response_body_like eval
[qr/^\{"access_token":"[\w.-]+","token_type":"Bearer","expires_in":\d+,/,
 qr/^\{"error":"invalid_grant"\}$/]



=== TEST 23: secauth_refresh and secauth_revoke need a signing key
--- http_config
--- config
    location = /refresh { secauth_refresh; }
--- must_die
--- error_log
"secauth_refresh" needs "secauth_jwt_signing_key"



=== TEST 24: secauth_revoke needs a signing key
--- http_config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
--- config
    location = /revoke { secauth_revoke; }
--- must_die
--- error_log
"secauth_revoke" needs "secauth_jwt_signing_key"



=== TEST 25: token lifetimes must be positive times
--- http_config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_access_ttl 0;
--- config
    location = /refresh { secauth_refresh; }
--- must_die
--- error_log
"secauth_jwt_access_ttl" and "secauth_jwt_refresh_ttl" must be positive
