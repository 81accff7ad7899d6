# The access-phase gate without valid credentials: who is refused, how,
# and that unprotected locations are untouched.

use Test::Nginx::Socket 'no_plan';

no_shuffle();
run_tests();

__DATA__

=== TEST 1: module loads; a server that never mentions secauth is untouched
--- config
    location /p {
        alias html/p.txt;
    }
--- user_files
>>> p.txt
public
--- request
GET /p
--- error_code: 200
--- response_body
public
--- no_error_log
secauth
[alert]



=== TEST 2: no credentials: 401 with an RFC 6750 challenge
--- config
    location /private {
        secauth any;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /private
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="secauth"
X-Error: no_credentials
--- response_body_unlike: secret
--- error_log
secauth: no credentials were provided



=== TEST 3: every mode refuses a request without credentials
--- config
    location /s { secauth session; alias html/p.txt; }
    location /j {
        secauth jwt;
        secauth_jwt_key HS256 ../html/hs.key;
        alias html/p.txt;
    }
    location /a { secauth any; alias html/p.txt; }
--- user_files
>>> hs.key
0123456789abcdef0123456789abcdef
>>> p.txt
secret
--- request eval
["GET /s", "GET /j", "GET /a"]
--- error_code eval
[401, 401, 401]
--- response_headers eval
["WWW-Authenticate: Bearer realm=\"secauth\"",
 "WWW-Authenticate: Bearer realm=\"secauth\"",
 "WWW-Authenticate: Bearer realm=\"secauth\""]



=== TEST 4: secauth off in a location cancels the server's gate
--- config
    secauth any;
    location /open {
        secauth off;
        alias html/p.txt;
    }
    location /closed {
        alias html/p.txt;
    }
--- user_files
>>> p.txt
hello
--- request eval
["GET /open", "GET /closed"]
--- error_code eval
[200, 401]
--- response_body eval
["hello\n", qr/401 Authorization Required/]



=== TEST 5: secauth_realm sets the realm of the challenge
--- config
    location /private {
        secauth jwt;
        secauth_jwt_key HS256 ../html/hs.key;
        secauth_realm "api example";
        alias html/p.txt;
    }
--- user_files
>>> hs.key
0123456789abcdef0123456789abcdef
>>> p.txt
secret
--- request
GET /private
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="api example"



=== TEST 6: browser GET is redirected to the login URL with next=
--- config
    location /private {
        secauth any;
        secauth_login_url /login;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /private/a%20b?x=1&y=/z#
--- more_headers
Accept: text/html,application/xhtml+xml,*/*;q=0.8
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/login\?next=%2Fprivate%2Fa%2520b%3Fx%3D1%26y%3D%2Fz$
--- response_headers
!WWW-Authenticate



=== TEST 7: HEAD from a browser is redirected too
--- config
    location /private {
        secauth any;
        secauth_login_url /login;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
HEAD /private
--- more_headers
Accept: TEXT/HTML
--- error_code: 302
--- response_headers_like
Location: ^http://localhost(:\d+)?/login\?next=%2Fprivate$



=== TEST 8: API clients and POSTs get 401, not a redirect
--- config
    location /private {
        secauth any;
        secauth_login_url /login;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request eval
["GET /private", "POST /private\nfoo=bar"]
--- more_headers eval
["Accept: application/json", "Accept: text/html
Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[401, 401]
--- response_headers eval
["!Location\nWWW-Authenticate: Bearer realm=\"secauth\"",
 "!Location\nWWW-Authenticate: Bearer realm=\"secauth\""]



=== TEST 9: curl-like clients (Accept: */*) get 401
--- config
    location /private {
        secauth any;
        secauth_login_url /login;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /private
--- more_headers
Accept: */*
--- error_code: 401



=== TEST 10: a login URL with a query gets &next=, variables expand
--- config
    location /private {
        secauth any;
        secauth_login_url https://auth.example.com/login?rd=$host;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /private
--- more_headers
Accept: text/html
--- error_code: 302
--- response_headers
Location: https://auth.example.com/login?rd=localhost&next=%2Fprivate



=== TEST 11: secauth_login_url off cancels the inherited URL
--- config
    secauth_login_url /login;
    location /private {
        secauth any;
        secauth_login_url off;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /private
--- more_headers
Accept: text/html
--- error_code: 401
--- response_headers
!Location



=== TEST 12: RFC 7235 scheme is case-insensitive; an empty bearer is invalid
--- config
    location /private {
        secauth jwt;
        secauth_jwt_key HS256 ../html/hs.key;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> hs.key
0123456789abcdef0123456789abcdef
>>> p.txt
secret
--- request eval
["GET /private", "GET /private", "GET /private", "GET /private"]
--- more_headers eval
["Authorization: bearer   ",
 "Authorization: Bearer",
 "Authorization: Basic dXNlcjpwYXNz",
 "Authorization: Bearerxyz"]
--- error_code eval
[401, 401, 401, 401]
--- response_headers eval
["X-Error: malformed
WWW-Authenticate: Bearer realm=\"secauth\", error=\"invalid_token\"",
 "X-Error: malformed",
 "X-Error: no_credentials
WWW-Authenticate: Bearer realm=\"secauth\"",
 "X-Error: no_credentials"]



=== TEST 13: two Authorization headers are refused by nginx itself
--- config
    location /private {
        secauth jwt;
        secauth_jwt_key HS256 ../html/hs.key;
        alias html/p.txt;
    }
--- user_files
>>> hs.key
0123456789abcdef0123456789abcdef
>>> p.txt
secret
--- request
GET /private
--- more_headers
Authorization: Bearer a.b.c
Authorization: Bearer d.e.f
--- error_code: 400
--- error_log
client sent duplicate header line



=== TEST 14: no bypass through try_files to an unprotected named location
--- config
    location /app/ {
        secauth any;
        try_files $uri @app;
    }
    location @app {
        return 200 "backend\n";
    }
--- request
GET /app/anything
--- error_code: 401
--- response_body_unlike: backend



=== TEST 15: error_page to a public page keeps the 401 and the challenge
--- config
    secauth any;
    error_page 401 /denied.html;
    location = /denied.html {
        secauth off;
        root html;
    }
    location /private {
        alias html/p.txt;
    }
--- user_files
>>> denied.html
please log in
>>> p.txt
secret
--- request
GET /private
--- error_code: 401
--- response_body
please log in
--- response_headers
WWW-Authenticate: Bearer realm="secauth"



=== TEST 16: error_page to a protected page: refused once, checked once
--- config
    secauth any;
    add_header X-Error $secauth_error always;
    error_page 401 /denied.html;
    location /private {
        alias html/p.txt;
    }
--- user_files
>>> denied.html
please log in
>>> p.txt
secret
--- request
GET /private
--- error_code: 401
--- response_body_unlike: (secret|please log in)
--- grep_error_log: secauth: no credentials were provided
--- grep_error_log_out
secauth: no credentials were provided



=== TEST 17: an internal redirect from a public location is still gated
--- config
    location /public {
        rewrite ^ /private last;
    }
    location /private {
        secauth any;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /public
--- error_code: 401



=== TEST 18: the protected main request runs no subrequests when refused
--- config
    location /page {
        secauth any;
        ssi on;
        alias html/page.html;
    }
    location /inc {
        return 200 "included";
    }
--- user_files
>>> page.html
page <!--# include virtual="/inc" -->
--- request
GET /page
--- error_code: 401
--- response_body_unlike: included
