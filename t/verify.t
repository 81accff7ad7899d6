# auth_request layouts (docs/verify.md): a gated location reached by a
# subrequest checks the main request's credentials (nginx skips the access
# phase of subrequests: before, such a location answered 200 to anybody),
# and secauth_verify answers 204 or 401 for them.

use FindBin;
use lib "$FindBin::Bin/lib";
use SecauthTest;
use Test::Nginx::Socket 'no_plan';
use Crypt::JWT qw(encode_jwt);

our $SID = new_sid();
our $GONE = new_sid();
our $KEY = 'verify-suite-hs256-secret-0123456789abcdef';

redis_put_session($SID, 'alice', 60, 10);

# the key file is the secret, its newline included; exp far enough ahead
# that no runner's pace matters
our $TOKEN = encode_jwt(payload => { sub => 'bob', exp => time + 3600 },
                        alg => 'HS256', key => "$KEY\n");
our $FORGED = encode_jwt(payload => { sub => 'bob', exp => time + 3600 },
                         alg => 'HS256', key => "${KEY}x\n");

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<"CONF" . ($block->http_config // ''))
    secauth_redis redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};
CONF
        unless defined $block->http_config
               && $block->http_config =~ /secauth_redis/;

    $block->set_value('user_files', <<"FILES" . ($block->user_files // ''));
>>> hs.key
$KEY
>>> app/index.html
backend
FILES
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: auth_request to a "secauth any" location without credentials: 401, not 200
--- config
    location = /auth {
        secauth any;
        secauth_jwt_key HS256 ../html/hs.key;
        alias html/app/index.html;
    }
    location /app/ {
        auth_request /auth;
    }
--- request
GET /app/
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="secauth"
--- response_body_unlike: backend
--- error_log
secauth: no credentials were provided



=== TEST 2: auth_request to a gated location: a session in Redis admits, the user reaches the backend
--- config
    location = /auth {
        secauth any;
        alias html/app/index.html;
    }
    location /app/ {
        auth_request /auth;
        auth_request_set $user $secauth_user;
        add_header X-User $user always;
    }
--- request
GET /app/
--- more_headers eval
"Cookie: __Host-secauth=$::SID"
--- error_code: 200
--- response_headers
X-User: alice
--- response_body
backend



=== TEST 3: auth_request to a gated location: an unknown session is refused
--- config
    location = /auth {
        secauth any;
        alias html/app/index.html;
    }
    location /app/ {
        auth_request /auth;
    }
--- request
GET /app/
--- more_headers eval
"Cookie: __Host-secauth=$::GONE"
--- error_code: 401
--- response_body_unlike: backend
--- error_log
secauth: session refused: unknown session



=== TEST 4: auth_request to a gated location: a forged token is refused
--- config
    location = /auth {
        secauth any;
        secauth_jwt_key HS256 ../html/hs.key;
        alias html/app/index.html;
    }
    location /app/ {
        auth_request /auth;
    }
--- request
GET /app/
--- more_headers eval
"Authorization: Bearer $::FORGED"
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="secauth", error="invalid_token"
--- response_body_unlike: backend
--- error_log
secauth: bearer token refused: bad_signature



=== TEST 5: secauth_verify: no credentials, a browser: 401 in the subrequest, never a 302 (auth_request would make it 500)
--- config
    secauth_login_url /login;
    location = /_verify {
        internal;
        secauth_verify;
    }
    location /app/ {
        auth_request /_verify;
    }
--- request
GET /app/
--- more_headers
Accept: text/html
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="secauth"
--- no_error_log
auth request unexpected status



=== TEST 6: secauth_verify with error_page: the browser goes to the login page, the original URI in next
--- config
    secauth_login_url /login;
    location = /_verify {
        internal;
        secauth_verify;
    }
    location /app/ {
        auth_request /_verify;
        error_page 401 = @login;
    }
    location @login {
        return 302 $secauth_login_location;
    }
--- request
GET /app/x?a=1&b=2
--- more_headers
Accept: text/html
--- error_code: 302
--- response_headers_like
Location: http://localhost(:\d+)?/login\?next=%2Fapp%2Fx%3Fa%3D1%26b%3D2$



=== TEST 7: secauth_verify: a session admits; auth_request_set carries the user and the method
--- config
    location = /_verify {
        internal;
        secauth_verify;
    }
    location /app/ {
        auth_request /_verify;
        auth_request_set $user $secauth_user;
        auth_request_set $how $secauth_method;
        add_header X-User $user always;
        add_header X-Method $how always;
    }
--- request
GET /app/
--- more_headers eval
"Cookie: __Host-secauth=$::SID"
--- error_code: 200
--- response_headers
X-User: alice
X-Method: session
--- response_body
backend



=== TEST 8: secauth_verify: a bearer token admits (secauth any by default)
--- config
    location = /_verify {
        internal;
        secauth_verify;
        secauth_jwt_key HS256 ../html/hs.key;
    }
    location /app/ {
        auth_request /_verify;
        auth_request_set $user $secauth_user;
        add_header X-User $user always;
    }
--- request
GET /app/
--- more_headers eval
"Authorization: Bearer $::TOKEN"
--- error_code: 200
--- response_headers
X-User: bob
--- response_body
backend



=== TEST 9: secauth_verify requested directly: 204 with X-Auth-Request-User, no-store
--- config
    location = /verify {
        secauth_verify;
        secauth_jwt_key HS256 ../html/hs.key;
    }
--- request
GET /verify
--- more_headers eval
"Authorization: Bearer $::TOKEN"
--- error_code: 204
--- response_headers
X-Auth-Request-User: bob
Cache-Control: no-store
--- response_body



=== TEST 10: secauth_verify requested directly without credentials: 401 for a browser too
--- config
    secauth_login_url /login;
    location = /verify {
        secauth_verify;
    }
--- request
GET /verify
--- more_headers
Accept: text/html
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="secauth"
! Location



=== TEST 11: secauth_verify with "secauth session" accepts no bearer token
--- config
    location = /_verify {
        internal;
        secauth session;
        secauth_verify;
        secauth_jwt_key HS256 ../html/hs.key;
    }
    location /app/ {
        auth_request /_verify;
    }
--- request eval
["GET /app/", "GET /app/"]
--- more_headers eval
["Authorization: Bearer $::TOKEN", "Cookie: __Host-secauth=$::SID"]
--- error_code eval
[401, 200]



=== TEST 12: secauth_verify never says 204 without the gate's decision (satisfy any, allow)
--- config
    location = /verify {
        satisfy any;
        allow 127.0.0.1;
        deny all;
        secauth_verify;
    }
--- request
GET /verify
--- error_code: 401
--- error_log
secauth_verify reached without a decision of the gate



=== TEST 13: fail closed: Redis unreachable, auth_request answers 500, never the backend
--- http_config
    secauth_redis redis://127.0.0.1:1 timeout=100ms connect_timeout=100ms;
--- config
    location = /_verify {
        internal;
        secauth_verify;
    }
    location /app/ {
        auth_request /_verify;
    }
--- request
GET /app/
--- more_headers eval
"Cookie: __Host-secauth=$::SID"
--- error_code: 500
--- response_body_unlike: backend
--- error_log
auth request unexpected status: 503



=== TEST 14: secauth_verify cannot go with "secauth off"
--- config
    location = /verify {
        secauth off;
        secauth_verify;
    }
--- must_die
--- error_log
"secauth_verify" cannot go with "secauth off"



=== TEST 15: secauth_verify is a location directive only, without arguments
--- config
    secauth_verify;
--- must_die
--- error_log
"secauth_verify" directive is not allowed here



=== TEST 16: nginx -t warns about secauth_fail open with secauth_verify
Startup warnings go to stderr: the block dies later (a second location is
refused) so that stderr is searched too.
--- config
    location = /verify {
        secauth_fail open;
        secauth_verify;
    }
    location = /later {
        secauth off;
        secauth_verify;
    }
--- must_die
--- error_log eval
[qr{\[warn\].*"secauth_fail open" with "secauth_verify" in location "/verify": while the store does not answer, its auth_request admits anybody},
 qr{\[emerg\].*"secauth_verify" cannot go with "secauth off"}]



=== TEST 17: secauth_fail open: Redis unreachable, the verify location admits without a user
--- http_config
    secauth_redis redis://127.0.0.1:1 timeout=100ms connect_timeout=100ms;
--- config
    location = /_verify {
        internal;
        secauth_fail open;
        secauth_verify;
    }
    location /app/ {
        auth_request /_verify;
        auth_request_set $user $secauth_user;
        add_header X-User "[$user]" always;
    }
--- request
GET /app/
--- more_headers eval
"Cookie: __Host-secauth=$::SID"
--- error_code: 200
--- response_headers
X-User: []
--- error_log
store unavailable, request admitted without authentication (secauth_fail open)



=== TEST 18: SSI: two includes of a gated location in one page wait for one answer of Redis
--- config
    location = /page.html {
        ssi on;
        root html;
    }
    location /inc/ {
        secauth session;
        add_header X-Never-Seen $secauth_user;
        root html;
    }
--- user_files
>>> page.html
[<!--# include virtual="/inc/a.txt" -->|<!--# include virtual="/inc/b.txt" -->]
>>> inc/a.txt
A
>>> inc/b.txt
B
--- request
GET /page.html
--- more_headers eval
"Cookie: __Host-secauth=$::SID"
--- error_code: 200
--- response_body
[A
|B
]



=== TEST 19: SSI: without a session the gated includes are refused, the page is served
--- config
    location = /page.html {
        ssi on;
        root html;
    }
    location /inc/ {
        secauth session;
        root html;
    }
--- user_files
>>> page.html
[<!--# include virtual="/inc/a.txt" -->|<!--# include virtual="/inc/b.txt" -->]
>>> inc/a.txt
A
>>> inc/b.txt
B
--- request
GET /page.html
--- error_code: 200
--- response_body_unlike: (?m)^[AB]$
--- error_log
secauth: no credentials were provided
