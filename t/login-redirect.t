# Internal redirects from a gated location into the login handler: the
# gate's idle-time touch of a session is still in flight when the login
# starts its own store writes (deleting the presented session), and every
# one of them is cancelled with the request, whatever ends it (a client
# that went away included).

use FindBin;
use lib "$FindBin::Bin/lib";
use LoginTest;
use SecauthTest;
use Test::Nginx::Socket 'no_plan';

our $STALE = new_sid();
our $STALE2 = new_sid();

# last seen 10 minutes ago: more than a quarter of the idle timeout, so
# the gate moves it on (a touch) before the request goes on
redis_put_session($STALE, 'alice', 3600, 600);
redis_put_session($STALE2, 'alice', 3600, 600);

our $FORM = LoginTest::form(username => 'alice',
                            password => $LoginTest::PW{alice},
                            next => '/app/x');

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<"CONF" . ($block->http_config // ''));
    secauth_redis redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};
CONF
    $block->set_value('user_files', <<"FILES");
>>> app/index.html
backend
FILES
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: error_page into a named login location: the old session is deleted, a new one issued
--- http_config
    secauth_password_hash argon2id t=1 m=8m p=1;
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location /app/ {
        secauth session;
        error_page 405 = @login;
    }
    location @login { secauth_login; }
--- request eval
["POST /app/\n$::FORM", "GET /app/"]
--- more_headers eval
["Content-Type: application/x-www-form-urlencoded\nCookie: sid=$::STALE",
 "Cookie: sid=$::STALE"]
--- error_code eval
[303, 401]
--- response_headers_like eval
["Set-Cookie: sid=[A-Za-z0-9_-]{43}; .*", "WWW-Authenticate: Bearer .*"]



=== TEST 2: the same with a client that goes away while the password is checked: nothing breaks
--- http_config
    secauth_password_hash argon2id t=3 m=64m p=1;
--- config
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location /app/ {
        secauth session;
        error_page 405 = @login;
    }
    location @login { secauth_login; }
--- request eval
"POST /app/\n$::FORM"
--- more_headers eval
"Content-Type: application/x-www-form-urlencoded\nCookie: sid=$::STALE2"
--- timeout: 0.02
--- abort
--- ignore_response
--- wait: 1
--- error_log eval
[qr/secauth: "alice" logged in/,
 qr/secauth: \d+ store ops cancelled with the request/]
--- no_error_log
[alert]
exited on signal
