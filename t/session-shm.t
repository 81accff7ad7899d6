# The session-cookie gate on the shared-memory zone (no secauth_redis).
# Valid sessions there are created by the login location; here: what is
# refused, and that the zone is set up (default and named).

use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: default zone: an unknown session is refused
--- config
    location /p {
        secauth session;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- more_headers
Cookie: __Host-secauth=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--- error_code: 401
--- response_headers
X-Error: unknown_session
--- no_error_log
[error]



=== TEST 2: a named zone; malformed, duplicate and missing cookies
--- http_config
    secauth_zone sessions:1m;
--- config
    location /p {
        secauth session;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request eval
["GET /p", "GET /p", "GET /p"]
--- more_headers eval
["Cookie: __Host-secauth=short",
 "Cookie: __Host-secauth=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA; "
 . "__Host-secauth=BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
 "Cookie: other=1"]
--- error_code eval
[401, 401, 401]
--- response_headers eval
["X-Error: malformed", "X-Error: duplicate_cookie",
 "X-Error: no_credentials"]



=== TEST 3: a browser with a dead session is sent to the login page
--- config
    location /p {
        secauth session;
        secauth_login_url /login;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- more_headers
Accept: text/html
Cookie: __Host-secauth=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/login\?next=%2Fp$
