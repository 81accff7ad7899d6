# secauth_login and secauth_logout (docs/security.md "Passwords", "Sessions",
# "Web"): the form, redirects, enumeration, input limits, login CSRF,
# cookie attributes, hash kinds and their upgrade, the Redis user store,
# session fixation, logout, and what the error log must never hold.
#
# Users and their hashes are made at load time by t/lib/LoginTest.pm with
# the argon2 CLI and mkpasswd; Redis users and sessions are written by the
# blocks' "--- init" (which runs once nginx is up) under a prefix of this
# run ($TEST_NGINX_LOGIN_PREFIX). Hashing uses cheap Argon2id parameters
# (t=1 m=8m p=1) unless a block says otherwise.

use FindBin;
use lib "$FindBin::Bin/lib";
use LoginTest;
use SecauthTest;
use Test::Nginx::Socket 'no_plan';

add_block_preprocessor(sub {
    my $block = shift;

    my $http = $block->http_config // '';
    $block->set_value('http_config',
        "    secauth_password_hash $LoginTest::CHEAP;\n" . $http)
        unless $http =~ /secauth_password_hash/;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the form: CSP, no-store, nothing from elsewhere, next carried
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request
GET /login?next=/x?y=1
--- error_code: 200
--- response_headers
Content-Type: text/html; charset=utf-8
Cache-Control: no-store
X-Content-Type-Options: nosniff
X-Frame-Options: DENY
!Set-Cookie
--- raw_response_headers_like eval
my $csp = CORE::join '; ', "default-src 'none'", "style-src 'unsafe-inline'",
                     "form-action 'self'", "frame-ancestors 'none'",
                     "base-uri 'none'";
qr{\r\nContent-Security-Policy: \Q$csp\E\r\n}
--- response_body_like eval
qr{\A(?!.*(?i:https?:|//[a-z0-9]|\bsrc=|\baction=|<script|<link|<img
             |<iframe|<object|<embed|\@import|url\(|Invalid\ user))
   .*<form\ method="post">
   .*<input[^>]*\bname="username"[^>]*\bautocomplete="username"
   .*<input[^>]*\bname="password"[^>]*\btype="password"
   .*<input\ type="hidden"\ name="next"\ value="/x\?y=1">
   .*</form>}sx



=== TEST 2: HEAD gives the headers of the form, without a body
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request
HEAD /login
--- error_code: 200
--- response_headers
Content-Type: text/html; charset=utf-8
Cache-Control: no-store
--- response_body



=== TEST 3: next in the form is HTML-escaped, markup in it is not reflected
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
["GET /login?next=/a'b",
 "GET /login?next=/%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
 "GET /login?next=/\"><script>alert(1)</script>",
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => 'wrong password',
                                   next => '/a&b=1'),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => 'wrong password',
                                   next => '/"><script>alert(1)</script>')]
--- more_headers eval
["", "", "",
 "Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[200, 200, 200, 401, 401]
--- response_body_like eval
# without markup: "/", or the argument still percent-encoded
[qr{\A(?!.*<script).*name="next" value="/a'b">}s,
 qr{\A(?!.*<script).*name="next"
    \ value="/(?:|%22%3E%3Cscript%3Ealert\(1\)%3C/script%3E)">}sx,
 qr{\A(?!.*<script).*name="next" value="/">}s,
 qr{\A(?!.*value="/a&b).*name="next" value="/a&amp;b=1">}s,
 qr{\A(?!.*<script).*name="next" value="/">}s]



=== TEST 4: the next of the gate's redirect (percent-encoded) reaches the form
The gate sends browsers to /login?next=%2Fx%3Fy%3D1 (docs/directives.md:
"percent-encoded"); the form must carry /x?y=1, not fall back to /.
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_login_url /login;
    location = /login { secauth_login; }
    location /x { secauth session; return 204; }
--- request eval
["GET /login?next=%2Fx%3Fy%3D1",
 "GET /login?next=%2Fa%26b%3D1",
 "GET /login?next=%2F%2Fevil.example"]
--- error_code eval
[200, 200, 200]
--- response_body_like eval
[qr{name="next" value="/x\?y=1">},
 qr{name="next" value="/a&amp;b=1">},
 qr{name="next" value="/">}]



=== TEST 5: ASVS 3.7.2 open redirects after login all land on / (Location exact)
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
[map { "POST /login\n" . LoginTest::form(username => 'alice',
                                         password => $LoginTest::PW{alice},
                                         next => $_) }
     @LoginTest::REDIRECT_BAD, @LoginTest::REDIRECT_GOOD]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded")
     x (@LoginTest::REDIRECT_BAD + @LoginTest::REDIRECT_GOOD)]
--- error_code eval
[(303) x (@LoginTest::REDIRECT_BAD + @LoginTest::REDIRECT_GOOD)]
--- response_headers eval
[(map { "Location: /" } @LoginTest::REDIRECT_BAD),
 (map { "Location: $_" } @LoginTest::REDIRECT_GOOD)]



=== TEST 6: open redirects in the form's hidden next (raw query) become /
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
[map { "GET /login?next=$_" } @LoginTest::REDIRECT_BAD_RAW, '/x?y=1']
--- error_code eval
[(200) x (@LoginTest::REDIRECT_BAD_RAW + 1)]
--- response_body_like eval
[(map { qr{name="next" value="/">} } @LoginTest::REDIRECT_BAD_RAW),
 qr{name="next" value="/x\?y=1">}]



=== TEST 7: with absolute_redirect on (the default) the target is still ours
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
["POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice},
                                   next => '//evil.example/x'),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice},
                                   next => '/x?y=1')]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 2]
--- error_code eval
[303, 303]
--- response_headers_like eval
["Location: http://localhost(?::\\d+)?/",
 "Location: http://localhost(?::\\d+)?/x\\?y=1"]



=== TEST 8: ASVS 6.3.8 unknown user, wrong password: byte-identical answers
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- init
my $port = $Test::Nginx::Util::ServerPort;
my $form = 'application/x-www-form-urlencoded';
for my $case (
    ['form, argon2id user', $form, 'alice', 'nobody'],
    ['form, bcrypt user', $form, 'bob', 'nobody2'],
    ['json, argon2id user', 'application/json', 'alice', 'nobody'],
) {
    my ($what, $type, $known, $unknown) = @$case;
    my @resp;
    for my $user ($known, $unknown) {
        my %f = (username => $user, password => 'not the password',
                 next => '/x?y=1');
        my $body = $type eq $form ? LoginTest::form(%f)
                                  : LoginTest::json_body(%f);
        push @resp, LoginTest::strip_date(
            LoginTest::post($port, '/login', $type, $body));
    }
    Test::More::like($resp[0], qr{^HTTP/1\.1 401 },
                     "$what: wrong password is a 401");
    Test::More::is($resp[1], $resp[0],
                   "$what: unknown user answer == wrong password answer");
}
--- request
POST /login
username=nobody&password=whatever&next=/x
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="secauth"
Cache-Control: no-store
!Set-Cookie
--- response_body_like eval
qr{<p\ class="error"\ role="alert">Invalid\ user\ name\ or\ password\.</p>
   .*name="next"\ value="/x">}sx



=== TEST 9: JSON: 200 {"ok":true} and a cookie; 401 invalid_credentials
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
["POST /login\n" . LoginTest::json_body(username => 'alice',
                                        password => $LoginTest::PW{alice},
                                        next => '//evil.example'),
 "POST /login\n" . LoginTest::json_body(username => 'alice',
                                        password => 'wrong'),
 "POST /login\n" . LoginTest::json_body(username => 'nobody',
                                        password => 'wrong')]
--- more_headers eval
["Content-Type: application/json",
 "Content-Type: application/json; charset=utf-8",
 "Content-Type: application/json"]
--- error_code eval
[200, 401, 401]
--- response_headers_like eval
my $fail = CORE::join "\n", 'Content-Type: application/json',
                     'WWW-Authenticate: Bearer realm="secauth"',
                     'Set-Cookie: ';
[CORE::join("\n", 'Content-Type: application/json',
            'Set-Cookie: sid=[A-Za-z0-9_-]{43}; Path=/; Max-Age=86400; '
            . 'HttpOnly; SameSite=Lax',
            'Location: '),
 $fail, $fail]
--- response_body eval
["{\"ok\":true}\n",
 "{\"error\":\"invalid_credentials\"}\n",
 "{\"error\":\"invalid_credentials\"}\n"]



=== TEST 10: Passwords: bad input is refused before any hashing (400)
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- log_level: debug
--- request eval
my $pw = $LoginTest::PW{alice};
my @bodies = (
    LoginTest::form(username => '', password => $pw),
    LoginTest::form(username => 'alice', password => ''),
    LoginTest::form(password => $pw),
    LoginTest::form(username => 'alice'),
    'next=/',
    'username&password',
    LoginTest::form(username => "al\0ice", password => $pw),
    LoginTest::form(username => "al\rice", password => $pw),
    LoginTest::form(username => "al\nice", password => $pw),
    LoginTest::form(username => "alice\r\nX-A: b", password => $pw),
    LoginTest::form(username => 'al ice', password => $pw),
    LoginTest::form(username => 'al:ice', password => $pw),
    LoginTest::form(username => 'a' x 65, password => $pw),
    LoginTest::form(username => 'alice', password => 'x' x 129),
    LoginTest::form(username => 'alice', password => "\x{e9}" x 129),
    LoginTest::form(username => 'alice', password => "\x{1F600}" x 129),
    LoginTest::form(username => 'alice', password => "pass\0word"),
    LoginTest::form(username => 'alice', username => 'bob',
                    password => $pw),
    LoginTest::form(username => 'alice', password => $pw,
                    password => 'other'),
    'username=alice&password=%zz' . $pw,
    'username=alice%2&password=' . $pw,
);
[map { "POST /login\n$_" } @bodies]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 21]
--- error_code eval
[(400) x 21]
--- response_headers eval
[("!Set-Cookie") x 21]
--- no_error_log
added to thread pool
logged in
login failed



=== TEST 11: bad JSON is a 400, before any hashing
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- log_level: debug
--- request eval
my $pw = $LoginTest::PW{alice};
my @bodies = (
    '{"username":"alice","password":',
    '{"username":"alice","password":"' . $pw . '"',
    '["alice","' . $pw . '"]',
    '"alice"',
    '{}',
    '{"username":"alice"}',
    '{"password":"' . $pw . '"}',
    '{"username":1,"password":"' . $pw . '"}',
    '{"username":"alice","password":null}',
    '{"username":["alice"],"password":"' . $pw . '"}',
    '{"username":"alice","username":"bob","password":"' . $pw . '"}',
    '{"username":"alice","password":"x","password":"' . $pw . '"}',
    '{"username":"al\u0000ice","password":"' . $pw . '"}',
    '{"username":"al\nice","password":"' . $pw . '"}',
    '{"username":"alice","password":"pa\u0000ss"}',
    '{"username":"alice","password":""}',
    '{"username":"alice","password":"' . ('y' x 129) . '"}',
    '',
);
[map { "POST /login\n$_" } @bodies]
--- more_headers eval
[("Content-Type: application/json") x 18]
--- error_code eval
[(400) x 18]
--- no_error_log
added to thread pool
logged in
login failed



=== TEST 12: 128 code points is the longest password: hashed, then 401
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
[map { "POST /login\n" . LoginTest::form(username => 'alice',
                                         password => $_) }
     'x' x 128, "\x{e9}" x 128, "\x{1F600}" x 128]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 3]
--- error_code eval
[401, 401, 401]
--- error_log
login failed for "alice"



=== TEST 13: a 64-byte user name is valid (401), 65 bytes is not (400)
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
[map { "POST /login\n" . LoginTest::form(username => $_, password => 'pw') }
     'a' x 64, 'a' x 65]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 2]
--- error_code eval
[401, 400]



=== TEST 14: other content types: 415
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- log_level: debug
--- request eval
[("POST /login\n" . LoginTest::form(username => 'alice',
                                    password => $LoginTest::PW{alice}))
     x 5]
--- more_headers eval
["Content-Type: text/plain",
 "Content-Type: multipart/form-data; boundary=x",
 "Content-Type: application/xml",
 "Content-Type: application/x-www-form",
 "X-No-Content-Type: 1"]
--- error_code eval
[415, 415, 415, 415, 415]
--- no_error_log
added to thread pool



=== TEST 15: bodies over 4096 bytes: 413, before any hashing (1 MB password too)
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
    location = /big/login {
        client_max_body_size 10m;
        secauth_login;
    }
--- log_level: debug
--- request eval
my $big = LoginTest::form(username => 'alice', password => 'p' x 1048576);
my $over = LoginTest::form(username => 'alice', password => 'p' x 4100);
["POST /login\n$over",
 "POST /big/login\n$big",
 "POST /login\n$big",
 "POST /big/login\n"
 . sprintf("%x\r\n%s\r\n0\r\n\r\n", length $over, $over)]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 3,
 "Content-Type: application/x-www-form-urlencoded\n"
 . "Transfer-Encoding: chunked"]
--- error_code eval
[413, 413, 413, 413]
--- error_log
http finalize request: 413
--- no_error_log
added to thread pool
logged in
login failed



=== TEST 16: the module's own cap: 1 MB where nginx would take it, 413 at once
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login {
        client_max_body_size 10m;
        secauth_login;
    }
--- log_level: debug
--- request eval
"POST /login\n"
. LoginTest::form(username => 'alice', password => 'p' x 1048576)
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 413
--- error_log eval
qr/request body of 104\d{4} bytes refused/
--- no_error_log
added to thread pool



=== TEST 17: login: other methods 405 with Allow; logout: POST only
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
    location = /logout { secauth_logout; }
--- request eval
["PUT /login\nusername=alice&password=x",
 "OPTIONS /login",
 "DELETE /login",
 "PATCH /login\nusername=alice&password=x",
 "GET /logout",
 "HEAD /logout",
 "PUT /logout",
 "OPTIONS /logout"]
--- error_code eval
[(405) x 8]
--- response_headers eval
[("Allow: GET, HEAD, POST") x 4, ("Allow: POST") x 4]



=== TEST 18: ASVS 3.5 login CSRF: cross-site Origin or Sec-Fetch-Site is refused
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- log_level: debug
--- request eval
[("POST /login\n" . LoginTest::form(username => 'alice',
                                    password => $LoginTest::PW{alice}))
     x 10,
 "POST /login\n" . LoginTest::json_body(username => 'alice',
                                        password => $LoginTest::PW{alice})]
--- more_headers eval
my $ct = "Content-Type: application/x-www-form-urlencoded\n";
[$ct . "Origin: http://evil.example",
 $ct . "Origin: null",
 $ct . "Origin: http://localhost.evil.example",
 $ct . "Origin: http://localhost:1",
 $ct . "Origin: http://evil.example/http://localhost",
 $ct . "Sec-Fetch-Site: cross-site",
 $ct . "Sec-Fetch-Site: same-site",
 $ct . "Sec-Fetch-Site: same-origin\nOrigin: http://evil.example",
 $ct . "Sec-Fetch-Site: cross-site\nOrigin: http://localhost",
 $ct . "Sec-Fetch-Site: whatever",
 "Content-Type: application/json\nOrigin: https://evil.example\n"
 . "Sec-Fetch-Site: cross-site"]
--- error_code eval
[(403) x 11]
--- response_headers eval
[("!Set-Cookie") x 11]
--- error_log
cross-site POST refused (CSRF)
--- no_error_log
added to thread pool
logged in



=== TEST 19: same-origin and navigations typed by the user are accepted
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
[("POST /login\n" . LoginTest::form(username => 'alice',
                                    password => $LoginTest::PW{alice},
                                    next => '/home'))
     x 5]
--- more_headers eval
my $ct = "Content-Type: application/x-www-form-urlencoded\n";
[$ct . "Origin: http://localhost\nSec-Fetch-Site: same-origin",
 $ct . "Sec-Fetch-Site: same-origin",
 $ct . "Sec-Fetch-Site: none",
 $ct . "Origin: HTTP://LOCALHOST",
 $ct]
--- error_code eval
[(303) x 5]
--- response_headers eval
[("Location: /home") x 5]



=== TEST 20: Sessions: default cookie: __Host-, Secure, HttpOnly, Lax, Path=/
--- config
    absolute_redirect off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'alice',
                                  password => $LoginTest::PW{alice})
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- raw_response_headers_like eval
qr{\r\nSet-Cookie:\ __Host-secauth=[A-Za-z0-9_-]{43};\ Path=/;\ Max-Age=86400;
   \ Secure;\ HttpOnly;\ SameSite=Lax\r\n}x
--- raw_response_headers_unlike eval
qr{Set-Cookie:.*Set-Cookie:}s



=== TEST 21: secauth_cookie attributes are issued exactly as configured
--- config
    absolute_redirect off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_session_timeout 10m 2h;
    location = /login {
        secauth_cookie sid domain=example.test path=/app samesite=strict
                       secure=off;
        secauth_login;
    }
    location = /json/login {
        secauth_cookie __Secure-sid samesite=none;
        secauth_login;
    }
    location = /logout {
        secauth_cookie sid domain=example.test path=/app samesite=strict
                       secure=off;
        secauth_logout;
    }
--- request eval
["POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice}),
 "POST /json/login\n" . LoginTest::json_body(username => 'alice',
                                   password => $LoginTest::PW{alice}),
 "POST /logout\n"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded",
 "Content-Type: application/json",
 "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[303, 200, 303]
--- raw_response_headers_like eval
[qr{\r\nSet-Cookie:\ sid=[A-Za-z0-9_-]{43};\ Path=/app;\ Domain=example\.test;
   \ Max-Age=7200;\ HttpOnly;\ SameSite=Strict\r\n}x,
 qr{\r\nSet-Cookie:\ __Secure-sid=[A-Za-z0-9_-]{43};\ Path=/;\ Max-Age=7200;
   \ Secure;\ HttpOnly;\ SameSite=None\r\n}x,
 qr{\r\nSet-Cookie:\ sid=;\ Path=/app;\ Domain=example\.test;\ Max-Age=0;
   \ Expires=Thu,\ 01\ Jan\ 1970\ 00:00:00\ GMT;
   \ HttpOnly;\ SameSite=Strict\r\n}x]



=== TEST 22: every accepted hash kind verifies; file users are not upgraded
argon2id, argon2i, bcrypt $2b$ and $2y$ (cost 10), yescrypt, SHA-512 crypt.
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
my @users = qw(alice bob carol dave erin frank grace);
[map({ "POST /login\n" . LoginTest::form(username => $_,
                                         password => $LoginTest::PW{$_}) }
     @users),
 map({ "POST /login\n" . LoginTest::form(username => $_,
                                         password => "$LoginTest::PW{$_}x") }
     @users)]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 14]
--- error_code eval
[(303) x 7, (401) x 7]
--- response_headers_like eval
[("Set-Cookie: sid=[A-Za-z0-9_-]{43}; .*") x 7, ("Set-Cookie: ") x 7]
--- no_error_log
upgraded
[error]



=== TEST 23: ... nginx never writes the user file: a notice names a weaker hash
bcrypt (bob) is named; argon2id at the configured cost (grace) is not.
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'bob',
                                  password => $LoginTest::PW{bob})
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- error_log eval
qr{\[notice\] .*: the password hash of "bob" in "[^"]+/users" is weaker than secauth_password_hash: set it again with scripts/secauth-user,}
--- no_error_log
upgraded



=== TEST 24: ... and no notice for a hash as strong as configured
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'grace',
                                  password => $LoginTest::PW{grace})
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- no_error_log
weaker than



=== TEST 25: user names are ASCII-case-folded (file: "Grace"; login: "ALICE")
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
["POST /login\n" . LoginTest::form(username => 'ALICE',
                                   password => $LoginTest::PW{alice}),
 "POST /login\n" . LoginTest::form(username => 'gRaCe',
                                   password => $LoginTest::PW{grace}),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => uc $LoginTest::PW{alice})]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 3]
--- error_code eval
[303, 303, 401]



=== TEST 26: ... and the session is the folded name's
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'GRACE',
                                  password => $LoginTest::PW{grace})
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- error_log
"grace" logged in



=== TEST 27: the login location is never gated
--- config
    secauth session;
    secauth_login_url /login;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request eval
["GET /login",
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice})]
--- more_headers eval
["Accept: text/html", "Content-Type: application/x-www-form-urlencoded"]
--- error_code eval
[200, 303]



=== TEST 28: Redis user store: HSET <prefix>user:<name> password <hash>
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
SecauthTest::redis('HSET', "${LoginTest::PREFIX}user:rita", 'password',
                   LoginTest::argon2id('rita pass phrase'));
--- request eval
["POST /login\n" . LoginTest::form(username => 'Rita',
                                   password => 'rita pass phrase',
                                   next => '/r'),
 "POST /login\n" . LoginTest::form(username => 'rita',
                                   password => 'rita pass phrase!'),
 "POST /login\n" . LoginTest::form(username => 'nobody',
                                   password => 'rita pass phrase'),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice})]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 4]
--- error_code eval
[303, 401, 401, 401]
--- response_headers eval
["Location: /r", "!Set-Cookie", "!Set-Cookie", "!Set-Cookie"]
--- no_error_log
upgraded



=== TEST 29: Redis store: unknown user and wrong password, the same answer
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
SecauthTest::redis('HSET', "${LoginTest::PREFIX}user:rita", 'password',
                   LoginTest::argon2id('rita pass phrase'));
my $port = $Test::Nginx::Util::ServerPort;
my @resp = map {
    LoginTest::strip_date(LoginTest::post($port, '/login',
        'application/x-www-form-urlencoded',
        LoginTest::form(username => $_, password => 'not it',
                        next => '/n')))
} qw(rita nobody);
Test::More::like($resp[0], qr{^HTTP/1\.1 401 }, 'redis: wrong password');
Test::More::is($resp[1], $resp[0],
               'redis: unknown user answer == wrong password answer');
--- request
GET /login
--- error_code: 200



=== TEST 30: Redis: a bcrypt user logging in is upgraded to Argon2id
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
my $p = $LoginTest::PREFIX;
SecauthTest::redis('HSET', "${p}user:bella", 'password',
                   LoginTest::mkpasswd('bella pass phrase', 'bcrypt', 10));
SecauthTest::redis('HSET', "${p}user:yuri", 'password',
                   LoginTest::mkpasswd('yuri pass phrase', 'yescrypt'));
SecauthTest::redis('HSET', "${p}user:wanda", 'password',
                   LoginTest::argon2id('wanda pass phrase', 1, 12));
SecauthTest::redis('HSET', "${p}user:zoe", 'password',
                   LoginTest::argon2id('zoe pass phrase'));
--- request eval
"POST /login\n" . LoginTest::form(username => 'bella',
                                  password => 'bella pass phrase')
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- error_log eval
qr/\[notice\] .*password hash of "bella" upgraded/



=== TEST 31: ... a yescrypt user too
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'yuri',
                                  password => 'yuri pass phrase')
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- error_log eval
qr/\[notice\] .*password hash of "yuri" upgraded/



=== TEST 32: ... and an Argon2id user below the configured cost (m=4m < 8m)
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'wanda',
                                  password => 'wanda pass phrase')
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- error_log eval
qr/\[notice\] .*password hash of "wanda" upgraded/



=== TEST 33: ... but not one at the configured cost, nor after a failed login
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
SecauthTest::redis('HSET', "${LoginTest::PREFIX}user:bruno", 'password',
                   LoginTest::mkpasswd('bruno pass phrase', 'bcrypt', 10));
--- request eval
["POST /login\n" . LoginTest::form(username => 'zoe',
                                   password => 'zoe pass phrase'),
 "POST /login\n" . LoginTest::form(username => 'bruno',
                                   password => 'not bruno pass phrase')]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 2]
--- error_code eval
[303, 401]
--- no_error_log
upgraded



=== TEST 34: ... the stored hashes are now Argon2id at the configured cost
They verify without another upgrade; the failed login left its hash.
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
for my $u (qw(bella yuri wanda)) {
    my $h = SecauthTest::redis('HGET', "${LoginTest::PREFIX}user:$u",
                               'password');
    Test::More::like($h, qr/^\$argon2id\$v=19\$m=8192,t=1,p=1\$[^\$]+\$/,
                     "the hash of $u was replaced: $h");
}
Test::More::like(SecauthTest::redis('HGET',
                     "${LoginTest::PREFIX}user:bruno", 'password'),
                 qr/^\$2b\$10\$/, 'a failed login does not rehash');
--- request eval
[map { "POST /login\n" . LoginTest::form(username => $_,
                                         password => "$_ pass phrase") }
     qw(bella yuri wanda)]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 3]
--- error_code eval
[303, 303, 303]
--- no_error_log
upgraded



=== TEST 35: Redis users with a refused hash kind cannot log in
MD5 crypt (openssl passwd -1), SHA-256 crypt, the
unsalted NT hash ($3$), plain text.
The file loader refuses these at nginx -t; Redis records get no such
check at load time, so login must not accept them either.
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
my $p = $LoginTest::PREFIX;
SecauthTest::redis('HSET', "${p}user:md5user", 'password',
                   LoginTest::openssl_passwd('md5 pass phrase', '-1'));
SecauthTest::redis('HSET', "${p}user:sha256user", 'password',
                   LoginTest::mkpasswd('sha256 pass phrase', 'sha256crypt'));
SecauthTest::redis('HSET', "${p}user:ntuser", 'password',
                   LoginTest::mkpasswd('nt pass phrase', 'nt'));
SecauthTest::redis('HSET', "${p}user:plainuser", 'password',
                   'plain pass phrase');
--- request eval
[map { "POST /login\n" . LoginTest::form(username => "${_}user",
                                         password => "$_ pass phrase") }
     qw(md5 sha256 nt plain)]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 4]
--- error_code eval
[(401) x 4]
--- response_headers eval
[("!Set-Cookie") x 4]



=== TEST 36: store errors: Redis down is a 503, without a cookie
--- http_config
    secauth_redis redis://127.0.0.1:1;
--- config
    secauth_cookie sid secure=off;
    location = /login {
        secauth_users redis;
        secauth_login;
    }
    location = /file/login {
        secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
        secauth_login;
    }
--- request eval
["POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice}),
 "POST /file/login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice})]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 2]
--- error_code eval
[503, 503]
--- response_headers eval
[("!Set-Cookie") x 2]
--- no_error_log
logged in



=== TEST 37: ASVS 7.2.4 a session presented at login is destroyed (fixation)
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
    location = /p {
        secauth session;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- init
SecauthTest::redis_put_session($LoginTest::FIX, 'alice', 60, 10, 600,
                               $LoginTest::PREFIX);
--- request eval
["GET /p",
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice}),
 "GET /p"]
--- more_headers eval
["Cookie: sid=$LoginTest::FIX",
 "Content-Type: application/x-www-form-urlencoded\n"
 . "Cookie: sid=$LoginTest::FIX",
 "Cookie: sid=$LoginTest::FIX"]
--- error_code eval
[200, 303, 401]
--- response_headers_like eval
["X-User: alice",
 "Set-Cookie: sid=(?!\Q$LoginTest::FIX\E)[A-Za-z0-9_-]{43}; .*",
 "X-Error: unknown_session"]



=== TEST 38: logout: session deleted, cookie expired; next kept, or /
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    location = /logout { secauth_logout; }
    location = /p {
        secauth session;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- init
SecauthTest::redis_put_session($LoginTest::OUT1, 'ursula', 60, 10, 600,
                               $LoginTest::PREFIX);
--- request eval
["GET /p",
 "POST /logout\nnext=%2Fbye",
 "GET /p",
 "POST /logout\nnext=%2F%2Fevil.example",
 "POST /logout?next=/q",
 "POST /logout?next=%2Fq%3Fr%3D1"]
--- more_headers eval
["Cookie: sid=$LoginTest::OUT1",
 "Content-Type: application/x-www-form-urlencoded\n"
 . "Cookie: sid=$LoginTest::OUT1",
 "Cookie: sid=$LoginTest::OUT1",
 "Content-Type: application/x-www-form-urlencoded",
 "", ""]
--- error_code eval
[200, 303, 401, 303, 303, 303]
--- response_headers eval
["X-Error: ",
 "Location: /bye\nSet-Cookie: sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
 "X-Error: unknown_session",
 "Location: /\nSet-Cookie: sid=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax",
 "Location: /q",
 "Location: /q?r=1"]



=== TEST 39: Sessions: log out everywhere: all the user's sessions, only
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    location = /logout { secauth_logout; }
    location = /p {
        secauth session;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- init
my @users = qw(oscar oscar oscar olga);
LoginTest::redis_session(\&SecauthTest::redis, $LoginTest::EVERY[$_],
                         $users[$_])
    for 0 .. 3;
--- request eval
["GET /p", "POST /logout\neverywhere=1",
 "GET /p", "GET /p", "GET /p", "GET /p",
 "POST /logout?everywhere=1",
 "GET /p"]
--- more_headers eval
my @e = @LoginTest::EVERY;
["Cookie: sid=$e[1]",
 "Content-Type: application/x-www-form-urlencoded\nCookie: sid=$e[0]",
 "Cookie: sid=$e[0]", "Cookie: sid=$e[1]", "Cookie: sid=$e[2]",
 "Cookie: sid=$e[3]",
 "Cookie: sid=$e[3]",
 "Cookie: sid=$e[3]"]
--- error_code eval
[200, 303, 401, 401, 401, 200, 303, 401]
--- response_headers eval
["X-User: oscar", "Location: /", "X-Error: unknown_session",
 "X-Error: unknown_session", "X-Error: unknown_session", "X-User: olga",
 "Location: /", "X-Error: unknown_session"]



=== TEST 40: logout CSRF: a cross-site logout is refused and the session lives
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    secauth_cookie sid secure=off;
    location = /logout { secauth_logout; }
    location = /p { secauth session; alias html/p.txt; }
--- user_files
>>> p.txt
secret
--- init
SecauthTest::redis_put_session($LoginTest::OUT2, 'victor', 60, 10, 600,
                               $LoginTest::PREFIX);
--- request eval
["POST /logout\neverywhere=1", "POST /logout\n", "GET /p"]
--- more_headers eval
["Cookie: sid=$LoginTest::OUT2\nOrigin: http://evil.example",
 "Cookie: sid=$LoginTest::OUT2\nSec-Fetch-Site: cross-site",
 "Cookie: sid=$LoginTest::OUT2"]
--- error_code eval
[403, 403, 200]



=== TEST 41: the password never reaches the error log at debug (file)
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- log_level: debug
--- request eval
["POST /login\n" . LoginTest::form(username => 'alice',
                                   password => $LoginTest::PW{alice}),
 "POST /login\n" . LoginTest::form(username => 'bob',
                                   password => $LoginTest::PW{bob}),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => 'Pw-Marker-wrong-0451'),
 "POST /login\n" . LoginTest::form(username => 'nobody',
                                   password => 'Pw-Marker-unknown-0451'),
 "POST /login\n" . LoginTest::json_body(username => 'alice',
                                        password => $LoginTest::PW{alice}),
 "POST /login\n" . LoginTest::form(username => 'bad:name',
                                   password => 'Pw-Marker-badname-0451'),
 "POST /login\n" . LoginTest::form(username => 'alice',
                                   password => 'Pw-Marker-long-0451' x 8)]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 4,
 "Content-Type: application/json",
 ("Content-Type: application/x-www-form-urlencoded") x 2]
--- error_code eval
[303, 303, 401, 401, 200, 400, 400]
--- no_error_log eval
['Pw-Marker', 'horse battery', 'horse+battery', 'horse%20battery',
 'Tr0ub4dor', $LoginTest::PW{alice}, $LoginTest::PW{bob}]



=== TEST 42: the password never reaches the error log at debug (Redis)
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- log_level: debug
--- init
SecauthTest::redis('HSET', "${LoginTest::PREFIX}user:logan", 'password',
                   LoginTest::mkpasswd('Pw-Marker logan 0451', 'bcrypt', 10));
--- request eval
["POST /login\n" . LoginTest::form(username => 'logan',
                                   password => 'Pw-Marker logan 0451'),
 "POST /login\n" . LoginTest::form(username => 'logan',
                                   password => 'Pw-Marker wrong 0451'),
 "POST /login\n" . LoginTest::form(username => 'nobody',
                                   password => 'Pw-Marker unknown 0451')]
--- more_headers eval
[("Content-Type: application/x-www-form-urlencoded") x 3]
--- error_code eval
[303, 401, 401]
--- no_error_log eval
['Pw-Marker', 'Marker logan', 'Marker+logan', 'Marker%20logan']
