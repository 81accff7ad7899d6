# Request bodies of the module's own locations (login, refresh, revoke;
# docs/login.md, docs/tokens.md): an empty body is a request like any
# other that lacks its fields (400, never a 500), and a chunked
# body meets the same 4096-byte limit as one with a Content-Length, as
# soon as it passes it rather than once it has all been read.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use LoginTest;
use Test::Nginx::Socket 'no_plan';

our $ISS = 'https://auth.test';

# a raw HTTP/1.1 POST: chunked(PATH, TYPE, CHUNKS...) ends the body with
# the last chunk; chunked_open(...) leaves it open, the client still
# sending
sub head {
    my ($path, $type, @extra) = @_;
    return "POST $path HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
           . "Content-Type: $type\r\n" . join('', map { "$_\r\n" } @extra)
           . "\r\n";
}

sub chunks { join '', map { sprintf("%x\r\n", length) . "$_\r\n" } @_ }

sub chunked {
    my ($path, $type, @chunks) = @_;
    return head($path, $type, 'Transfer-Encoding: chunked')
           . chunks(@chunks) . "0\r\n\r\n";
}

sub chunked_open {
    my ($path, $type, @chunks) = @_;
    return head($path, $type, 'Transfer-Encoding: chunked') . chunks(@chunks);
}

sub empty {
    my ($path, $type) = @_;
    return head($path, $type, 'Content-Length: 0');
}

our $FORM = 'application/x-www-form-urlencoded';
our $JSON = 'application/json';

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        "    secauth_password_hash $LoginTest::CHEAP;\n"
        . "    secauth_jwt_signing_key HS256 \$TEST_NGINX_JWT_DIR/hs256;\n"
        . "    secauth_jwt_issuer $ISS;\n")
        unless defined $block->http_config;
    $block->set_value('config', <<'CONF') unless defined $block->config;
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
    location = /refresh { secauth_refresh; }
    location = /revoke { secauth_revoke; }
CONF
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: Content-Length: 0 to login, a form: 400, not 500
--- raw_request eval
main::empty('/login', $main::FORM)
--- error_code: 400
--- no_error_log
[alert]
[crit]



=== TEST 2: Content-Length: 0 to login, JSON: 400, not 500
--- raw_request eval
main::empty('/login', $main::JSON)
--- error_code: 400
--- no_error_log
[alert]
[crit]



=== TEST 3: Content-Length: 0 to refresh, a form: 400, not 500
--- raw_request eval
main::empty('/refresh', $main::FORM)
--- error_code: 400
--- response_body
{"error":"invalid_request"}
--- no_error_log
[alert]
[crit]



=== TEST 4: Content-Length: 0 to refresh, JSON: 400, not 500
--- raw_request eval
main::empty('/refresh', $main::JSON)
--- error_code: 400
--- response_body
{"error":"invalid_request"}
--- no_error_log
[alert]
[crit]



=== TEST 5: Content-Length: 0 to revoke, a form: 400, not 500
--- raw_request eval
main::empty('/revoke', $main::FORM)
--- error_code: 400
--- response_body
{"error":"invalid_request"}
--- no_error_log
[alert]
[crit]



=== TEST 6: Content-Length: 0 to revoke, JSON: 400, not 500
--- raw_request eval
main::empty('/revoke', $main::JSON)
--- error_code: 400
--- response_body
{"error":"invalid_request"}
--- no_error_log
[alert]
[crit]



=== TEST 7: an empty chunked body (the last chunk only) to login: 400
--- raw_request eval
main::chunked('/login', $main::FORM)
--- error_code: 400



=== TEST 8: an empty chunked body to refresh: 400 invalid_request
--- raw_request eval
main::chunked('/refresh', $main::JSON)
--- error_code: 400
--- response_body
{"error":"invalid_request"}



=== TEST 9: a chunked login within the limit, in two chunks, works
--- raw_request eval
my $body = LoginTest::form(username => 'alice',
                           password => $LoginTest::PW{alice});
main::chunked('/login', $main::FORM, substr($body, 0, 5), substr($body, 5))
--- error_code: 303
--- response_headers_like
Set-Cookie: sid=[\w-]{43}; .*



=== TEST 10: a chunked login with a wrong password: 401
--- raw_request eval
main::chunked('/login', $main::FORM,
              LoginTest::form(username => 'alice',
                              password => 'wrong password'))
--- error_code: 401
--- response_headers
!Set-Cookie



=== TEST 11: a chunked revoke of exactly 4096 bytes is read
--- raw_request eval
my $body = 'token=' . ('a' x (4096 - 6));
main::chunked('/revoke', $main::FORM, substr($body, 0, 4000),
              substr($body, 4000))
--- error_code: 200
--- response_body
{}



=== TEST 12: a chunked login past 4096 bytes: 413 at once, the client still
sending (the old code waited for the rest: timeout)
--- raw_request eval
main::chunked_open('/login', $main::FORM, 'a' x 3000, 'b' x 2000)
--- timeout: 3
--- error_code: 413
--- error_log
secauth: chunked request body of more than 4096 bytes refused



=== TEST 13: a chunked refresh of one 4097-byte chunk: 413 at once
--- raw_request eval
main::chunked_open('/refresh', $main::JSON, 'a' x 4097)
--- timeout: 3
--- error_code: 413



=== TEST 14: a chunked revoke past client_body_buffer_size: 413 at once
--- raw_request eval
main::chunked_open('/revoke', $main::FORM, ('a' x 16384) x 4)
--- timeout: 3
--- error_code: 413



=== TEST 15: a large chunked body elsewhere is not limited by the module
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
    location = /other { return 204; }
--- raw_request eval
main::chunked('/other', 'text/plain', 'a' x 8000)
--- error_code: 204
