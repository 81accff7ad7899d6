# secauth_limit at a secauth_login location (docs/limits.md "At the login
# location"): only credential submissions (POST) are counted unless the
# limit says methods=all, so that form loads, reloads and the gate's
# redirect leave the budget to the passwords; the README's example lets a
# user who mistypes twice log in. And secauth_limit_log_level: refusals
# at that level, delays one level lower (as limit_req_log_level).

use FindBin;
use lib "$FindBin::Bin/lib";
use LoginTest;
use Test::Nginx::Socket 'no_plan';

our $FORM = 'Content-Type: application/x-www-form-urlencoded';

sub login_post {
    my ($user, $pw) = @_;
    return "POST /login\n" . LoginTest::form(username => $user,
                                             password => $pw);
}

add_block_preprocessor(sub {
    my $block = shift;

    my $http = $block->http_config // '';
    $block->set_value('http_config',
        "    secauth_password_hash $LoginTest::CHEAP;\n"
        . "    secauth_users file=$LoginTest::DIR/users;\n" . $http)
        unless $http =~ /secauth_password_hash/;

    if (defined $block->must_die && !defined $block->no_error_log) {
        $block->set_value('no_error_log', "unknown directive\n");
    }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: five form loads, then the right password still logs in
--- http_config
    secauth_limit_zone $binary_remote_addr zone=login_ip:1m rate=5r/m;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    location = /login {
        secauth_limit zone=login_ip burst=4 nodelay;
        secauth_login;
        add_header X-Limit $secauth_limit_status always;
    }
--- request eval
[("GET /login") x 5, main::login_post('alice', $LoginTest::PW{alice})]
--- more_headers eval
[("") x 5, $main::FORM]
--- error_code eval
[(200) x 5, 303]
--- response_headers eval
[("!X-Limit") x 5, "X-Limit: PASSED"]
--- no_error_log
limiting requests



=== TEST 2: the README example: redirect, reloads, two typos, then in
The server's limits and the login location's are the README's; the
browser is sent to the form by the gate, reloads it twice, mistypes its
password twice and then gets it right: four page loads and three POSTs.
--- http_config
    secauth_limit_zone $binary_remote_addr zone=per_ip:10m rate=20r/s;
    secauth_limit_zone $binary_remote_addr zone=login_ip:10m rate=5r/m;
--- config
    absolute_redirect off;
    secauth any;
    secauth_login_url /login;
    secauth_cookie sid secure=off;
    secauth_limit zone=per_ip burst=40 nodelay;

    location /p { alias html/p.txt; }

    location = /login {
        secauth_limit zone=login_ip burst=4 nodelay;
        secauth_login;
    }
--- user_files
>>> p.txt
ok
--- request eval
["GET /p", ("GET /login?next=%2Fp") x 3,
 main::login_post('alice', 'correct horse battery stable'),
 main::login_post('alice', 'correct horse batery staple'),
 main::login_post('alice', $LoginTest::PW{alice})]
--- more_headers eval
["Accept: text/html", ("Accept: text/html") x 3, ($main::FORM) x 3]
--- error_code eval
[302, 200, 200, 200, 401, 401, 303]
--- no_error_log
limiting requests



=== TEST 3: guesses are still limited: the sixth POST is refused
Each with another user name, so that the per-account throttle plays no
part: the address runs out of budget. The first five are sent by init.
--- http_config
    secauth_limit_zone $binary_remote_addr zone=login_ip:1m rate=5r/m;
--- config
    secauth_cookie sid secure=off;
    location = /login {
        secauth_limit zone=login_ip burst=4 nodelay;
        secauth_login;
    }
--- init
my @s = map {
    (LoginTest::split_response(LoginTest::post(
        $Test::Nginx::Util::ServerPort, '/login',
        'application/x-www-form-urlencoded',
        LoginTest::form(username => "guess$_", password => 'some password'))))[0]
} 1 .. 5;
Test::More::is("@s", '401 401 401 401 401', 'five guesses: checked');
--- request eval
main::login_post('guess6', 'some password')
--- more_headers eval
$main::FORM
--- error_code: 429
--- error_log eval
qr/\[error\] .*secauth: limiting requests by zone "login_ip"/



=== TEST 4: HEAD and other methods at the login location are not counted either
--- http_config
    secauth_limit_zone $binary_remote_addr zone=login_ip:1m rate=1r/m;
--- config
    absolute_redirect off;
    secauth_cookie sid secure=off;
    location = /login {
        secauth_limit zone=login_ip nodelay;
        secauth_login;
    }
--- request eval
["HEAD /login", "PUT /login\nx", "GET /login",
 main::login_post('alice', $LoginTest::PW{alice}),
 main::login_post('alice', $LoginTest::PW{alice})]
--- more_headers eval
["", $main::FORM, "", $main::FORM, $main::FORM]
--- error_code eval
[200, 405, 200, 303, 429]



=== TEST 5: methods=all at the login location counts form loads too
--- http_config
    secauth_limit_zone $binary_remote_addr zone=login_ip:1m rate=5r/m;
--- config
    secauth_cookie sid secure=off;
    location = /login {
        secauth_limit zone=login_ip burst=4 nodelay methods=all;
        secauth_login;
    }
--- request eval
[("GET /login") x 6]
--- error_code eval
[(200) x 5, 429]



=== TEST 6: elsewhere every method counts, and methods=post counts POSTs only
--- http_config
    secauth_limit_zone $binary_remote_addr zone=a:1m rate=1r/m;
    secauth_limit_zone $binary_remote_addr zone=b:1m rate=1r/m;
--- config
    location /all { secauth_limit zone=a nodelay; try_files $uri =204; }
    location /post {
        secauth_limit zone=b nodelay methods=post;
        try_files $uri =204;
    }
--- request eval
["GET /all", "GET /all", "GET /post", "GET /post", "POST /post\nx",
 "POST /post\nx"]
--- error_code eval
[204, 429, 204, 204, 204, 429]



=== TEST 7: secauth_limit_log_level warn: refusals at warn
--- http_config
    secauth_limit_zone $binary_remote_addr zone=one:1m rate=1r/m;
--- config
    secauth_limit_log_level warn;
    location /p { secauth_limit zone=one nodelay; try_files $uri =204; }
--- init
LoginTest::raw_request($Test::Nginx::Util::ServerPort,
                       "GET /p HTTP/1.0\r\nHost: localhost\r\n\r\n");
--- request
GET /p
--- error_code: 429
--- error_log eval
qr/\[warn\] .*secauth: limiting requests by zone "one"/
--- no_error_log eval
qr/\[error\] .*secauth: limiting/



=== TEST 8: secauth_limit_log_level warn: delays one level lower, at notice
--- http_config
    secauth_limit_zone $binary_remote_addr zone=one:1m rate=10r/s;
--- config
    location /p {
        secauth_limit_log_level warn;
        secauth_limit zone=one burst=5;
        try_files $uri =204;
    }
--- init
LoginTest::raw_request($Test::Nginx::Util::ServerPort,
                       "GET /p HTTP/1.0\r\nHost: localhost\r\n\r\n");
--- request
GET /p
--- error_code: 204
--- error_log eval
qr/\[notice\] .*secauth: delaying request \d+ ms by zone "one"/
--- no_error_log eval
qr/\[(?:warn|error)\] .*secauth: delaying/



=== TEST 9: secauth_limit_log_level info: delays stay at info
--- http_config
    secauth_limit_zone $binary_remote_addr zone=one:1m rate=10r/s;
--- config
    secauth_limit_log_level info;
    location /p { secauth_limit zone=one burst=5; try_files $uri =204; }
--- init
LoginTest::raw_request($Test::Nginx::Util::ServerPort,
                       "GET /p HTTP/1.0\r\nHost: localhost\r\n\r\n");
--- request
GET /p
--- error_code: 204
--- error_log eval
qr/\[info\] .*secauth: delaying request \d+ ms by zone "one"/
--- no_error_log eval
qr/\[(?:notice|warn|error)\] .*secauth: delaying/



=== TEST 10: the default: delays at warn
--- http_config
    secauth_limit_zone $binary_remote_addr zone=one:1m rate=10r/s;
--- config
    location /p { secauth_limit zone=one burst=1; try_files $uri =204; }
--- init
LoginTest::raw_request($Test::Nginx::Util::ServerPort,
                       "GET /p HTTP/1.0\r\nHost: localhost\r\n\r\n");
--- request
GET /p
--- error_code: 204
--- error_log eval
qr/\[warn\] .*secauth: delaying request \d+ ms by zone "one"/



=== TEST 11: bad values fail nginx -t, naming the directive
--- http_config
    secauth_limit_zone $binary_remote_addr zone=one:1m rate=10r/s;
--- config
    secauth_limit_log_level debug;
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid value "debug" in "secauth_limit_log_level" \(info, notice, warn or error\)/



=== TEST 12: methods= takes all or post
--- http_config
    secauth_limit_zone $binary_remote_addr zone=one:1m rate=10r/s;
--- config
    location /p { secauth_limit zone=one methods=get; return 204; }
--- must_die
--- error_log eval
qr/\[emerg\] .*invalid parameter "methods=get" in "secauth_limit"/
