# nginx -t refuses bad configurations with a clear [emerg].

use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: unknown mode of secauth: the message names the valid ones
--- config
    location / {
        secauth basic;
    }
--- must_die
--- error_log
secauth: invalid value "basic", expected off, session, jwt or any



=== TEST 2: secauth takes exactly one argument
--- config
    location / {
        secauth session jwt;
    }
--- must_die
--- error_log
invalid number of arguments in "secauth" directive



=== TEST 3: secauth is refused outside http/server/location
--- post_main_config
    secauth any;
--- config
--- must_die
--- error_log
"secauth" directive is not allowed here



=== TEST 4: a realm that would need escaping is refused
--- config
    location / {
        secauth any;
        secauth_realm 'a"b';
    }
--- must_die
--- error_log
invalid character in "secauth_realm"



=== TEST 5: duplicate secauth_realm
--- config
    location / {
        secauth_realm a;
        secauth_realm b;
    }
--- must_die
--- error_log
"secauth_realm" directive is duplicate



=== TEST 6: empty login URL
--- config
    location / {
        secauth_login_url "";
    }
--- must_die
--- error_log
"secauth_login_url" directive must not be empty



=== TEST 7: duplicate secauth
--- config
    location / {
        secauth any;
        secauth off;
    }
--- must_die
--- error_log
"secauth" directive is duplicate



=== TEST 8: secauth_zone needs NAME:SIZE
--- http_config
    secauth_zone sessions;
--- config
--- must_die
--- error_log
invalid zone "sessions" in "secauth_zone", expected NAME:SIZE



=== TEST 9: secauth_zone too small
--- http_config
    secauth_zone sessions:16k;
--- config
--- must_die
--- error_log
is too small



=== TEST 10: secauth_redis refuses host names (hiredis resolves them synchronously)
--- http_config
    secauth_redis redis://localhost:6379;
--- config
--- must_die
--- error_log
invalid URL in "secauth_redis"



=== TEST 11: secauth_redis: a bad URL is refused without echoing a password
--- http_config
    secauth_redis redis://user:hunter2@127.0.0.1;
--- config
--- must_die
--- error_log
invalid URL in "secauth_redis"
--- no_error_log
hunter2



=== TEST 12: secauth_redis: unknown parameter, bad timeout
--- http_config
    secauth_redis redis://127.0.0.1:6379 timeout=fast;
--- config
--- must_die
--- error_log
invalid parameter "timeout=fast" in "secauth_redis"



=== TEST 13: secauth_redis: unreadable password_file
--- http_config
    secauth_redis redis://127.0.0.1:6379 password_file=/nonexistent/pw;
--- config
--- must_die
--- error_log
secauth_redis: cannot open password_file "/nonexistent/pw"



=== TEST 14: secauth_redis only in http
--- config
    secauth_redis redis://127.0.0.1:6379;
--- must_die
--- error_log
"secauth_redis" directive is not allowed here



=== TEST 15: a __Host- cookie must be Secure, Path=/ and host-only
--- config
    location / {
        secauth_cookie __Host-sid domain=example.com;
    }
--- must_die
--- error_log
with a "__Host-" name needs secure=on, path=/ and no domain



=== TEST 16: SameSite=None needs Secure
--- config
    location / {
        secauth_cookie sid samesite=none secure=off;
    }
--- must_die
--- error_log
needs secure=on



=== TEST 17: an invalid cookie name
--- config
    location / {
        secauth_cookie "a;b";
    }
--- must_die
--- error_log
invalid cookie name "a;b"



=== TEST 18: secauth_session_timeout: IDLE must not exceed ABSOLUTE
--- config
    location / {
        secauth_session_timeout 2h 1h;
    }
--- must_die
--- error_log
1s <= IDLE <= ABSOLUTE



=== TEST 19: secauth_fail takes closed or open
--- config
    location / {
        secauth_fail maybe;
    }
--- must_die
--- error_log
secauth_fail: invalid value "maybe", expected closed or open



=== TEST 20: a valid configuration with every directive starts
--- http_config
    secauth_zone sessions:1m;
--- config
    secauth_realm example;
    secauth_login_url https://auth.example.com/login;
    secauth_fail open;
    secauth_cookie __Host-app samesite=strict;
    secauth_session_timeout 15m 8h;
    location /x {
        secauth any;
    }
--- request
GET /x
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="example"



=== TEST 21: secauth jwt without any key cannot admit anybody: refused
--- config
    location /x {
        secauth jwt;
    }
--- must_die
--- error_log
"secauth jwt" needs "secauth_jwt_key" or "secauth_jwt_signing_key"



=== TEST 22: secauth_cookie samesite= names the values it takes
--- config
    location / {
        secauth_cookie sid samesite=relaxed;
    }
--- must_die
--- error_log
secauth_cookie: invalid value "relaxed" of "samesite=", expected lax, strict or none



=== TEST 23: secauth_cookie secure= names the values it takes
--- config
    location / {
        secauth_cookie sid secure=yes;
    }
--- must_die
--- error_log
secauth_cookie: invalid value "yes" of "secure=", expected on or off



=== TEST 24: duplicate secauth_fail
--- config
    location / {
        secauth_fail open;
        secauth_fail closed;
    }
--- must_die
--- error_log
"secauth_fail" directive is duplicate
