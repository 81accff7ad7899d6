# nginx -t refuses bad configurations with a clear [emerg], and warns
# about those that start but will not work as meant.

use File::Temp qw(tempdir);
use Test::Nginx::Socket 'no_plan';

# a certificate for the servers with "listen ... ssl"
my $tls = tempdir('secauth-tls-XXXXXX', TMPDIR => 1, CLEANUP => 1);
system('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt',
       'ec_paramgen_curve:P-256', '-nodes', '-days', '2',
       '-subj', '/CN=tls.test', '-keyout', "$tls/key.pem",
       '-out', "$tls/cert.pem") == 0
    or die "openssl req failed\n";
$ENV{TEST_NGINX_TLS_DIR} = $tls;

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
"secauth jwt" needs "secauth_jwt_key", "secauth_jwt_key_file", "secauth_jwt_key_request" or "secauth_jwt_signing_key"



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



=== TEST 25: a Secure session cookie on a server without TLS: one [warn] naming it
Browsers drop a Secure cookie that comes over plain http (but from
localhost): the logins of such a server loop unless a TLS-terminating
balancer is in front. Two locations of one server: one warning.
--- config
    location /a {
        secauth session;
    }
    location = /logout {
        secauth_logout;
    }
--- request
GET /a
--- error_code: 401
--- error_log eval
qr/\[warn\] .*secauth: server "localhost" in \S+nginx\.conf:\d+ has no "listen \.\.\. ssl" but a Secure session cookie, .*TLS-terminating balancer.*secure=off/
--- grep_error_log eval
qr/has no "listen \.\.\. ssl"/
--- grep_error_log_out
has no "listen ... ssl"



=== TEST 26: no warning for a TLS listener, secure=off or a server without sessions
--- http_config
    server {
        listen 127.0.0.2:$TEST_NGINX_SERVER_PORT ssl;
        server_name tls.test;
        ssl_certificate $TEST_NGINX_TLS_DIR/cert.pem;
        ssl_certificate_key $TEST_NGINX_TLS_DIR/key.pem;
        secauth session;
    }
    server {
        listen 127.0.0.3:$TEST_NGINX_SERVER_PORT;
        server_name dev.test;
        secauth session;
        secauth_cookie sid secure=off;
    }
    server {
        listen 127.0.0.4:$TEST_NGINX_SERVER_PORT;
        server_name plain.test;
        location = /logout {
            secauth_logout;
        }
    }
--- config
    location /x {
        return 200 "ok\n";
    }
--- request
GET /x
--- response_body
ok
--- error_log
secauth: server "plain.test"
--- no_error_log
secauth: server "tls.test"
secauth: server "dev.test"
secauth: server "localhost"
