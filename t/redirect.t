# Redirects follow nginx's rules for Location (docs/login.md, "Behind a
# proxy"): the gate's 302 to the login page, the 303 after a login and
# after a logout are relative URLs that nginx's header filter makes
# absolute only with absolute_redirect on, with the port unless
# port_in_redirect off, with the server_name when server_name_in_redirect
# on; behind a TLS balancer, absolute_redirect off keeps the client's
# scheme and port.

use FindBin;
use lib "$FindBin::Bin/lib";
use LoginTest;
use Test::Nginx::Socket 'no_plan';

our $LOGIN = "POST /login\n" . LoginTest::form(username => 'alice',
                                               password => $LoginTest::PW{alice},
                                               next => '/app/x?y=1');

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

=== TEST 1: absolute_redirect on (default): http, Host and the listener's port
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_login_url /login;
    location /app/ { secauth session; }
    location = /login { secauth_login; }
    location = /logout { secauth_logout; }
--- request eval
["GET /app/x?y=1", $::LOGIN, "POST /logout"]
--- more_headers eval
["Accept: text/html\nHost: app.example",
 "Content-Type: application/x-www-form-urlencoded\nHost: app.example",
 "Host: app.example"]
--- error_code eval
[302, 303, 303]
--- response_headers_like eval
["Location: http://app.example:$ENV{TEST_NGINX_SERVER_PORT}/login\\?next=%2Fapp%2Fx%3Fy%3D1",
 "Location: http://app.example:$ENV{TEST_NGINX_SERVER_PORT}/app/x\\?y=1",
 "Location: http://app.example:$ENV{TEST_NGINX_SERVER_PORT}/"]



=== TEST 2: absolute_redirect off: relative Locations, the scheme and port the browser used
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_login_url /login;
    location /app/ { secauth session; }
    location = /login { secauth_login; }
    location = /logout { secauth_logout; }
--- request eval
["GET /app/x?y=1", $::LOGIN, "POST /logout"]
--- more_headers eval
["Accept: text/html",
 "Content-Type: application/x-www-form-urlencoded",
 ""]
--- error_code eval
[302, 303, 303]
--- response_headers eval
["Location: /login?next=%2Fapp%2Fx%3Fy%3D1",
 "Location: /app/x?y=1",
 "Location: /"]



=== TEST 3: port_in_redirect off: no port (a balancer on 443 in front of nginx on another)
--- config
    port_in_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_login_url /login;
    location /app/ { secauth session; }
    location = /login { secauth_login; }
    location = /logout { secauth_logout; }
--- request eval
["GET /app/x?y=1", $::LOGIN, "POST /logout"]
--- more_headers eval
["Accept: text/html\nHost: app.example",
 "Content-Type: application/x-www-form-urlencoded\nHost: app.example",
 "Host: app.example"]
--- error_code eval
[302, 303, 303]
--- response_headers eval
["Location: http://app.example/login?next=%2Fapp%2Fx%3Fy%3D1",
 "Location: http://app.example/app/x?y=1",
 "Location: http://app.example/"]



=== TEST 4: server_name_in_redirect on: the server's name, not the Host header
--- config
    server_name_in_redirect on;
    port_in_redirect off;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_login_url /login;
    location /app/ { secauth session; }
    location = /login { secauth_login; }
--- request eval
["GET /app/x", $::LOGIN]
--- more_headers eval
["Accept: text/html\nHost: evil.example",
 "Content-Type: application/x-www-form-urlencoded\nHost: evil.example"]
--- error_code eval
[302, 303]
--- response_headers eval
["Location: http://localhost/login?next=%2Fapp%2Fx",
 "Location: http://localhost/app/x?y=1"]



=== TEST 5: an absolute login URL (another host, with variables) is used as it is
--- config
    secauth_login_url https://auth.example/login?app=$host;
    location /app/ { secauth session; }
--- request
GET /app/x
--- more_headers
Accept: text/html
Host: app.example
--- error_code: 302
--- response_headers
Location: https://auth.example/login?app=app.example&next=%2Fapp%2Fx



=== TEST 6: absolute_redirect off in the gated location only: that redirect is relative
--- config
    secauth_login_url /login;
    location /app/ {
        absolute_redirect off;
        secauth session;
    }
    location /other/ { secauth session; }
--- request eval
["GET /app/x", "GET /other/x"]
--- more_headers eval
["Accept: text/html\nHost: app.example", "Accept: text/html\nHost: app.example"]
--- error_code eval
[302, 302]
--- response_headers_like eval
["Location: /login\\?next=%2Fapp%2Fx\$",
 "Location: http://app.example:\\d+/login\\?next=%2Fother%2Fx"]
