# Rate limits (secauth_limit_zone, secauth_limit): limit_req's meaning of
# rate, burst and nodelay, with the buckets in a shared memory zone or in
# Redis (the private redis-server of scripts/test.sh); then what of the
# failed-login throttle (secauth_login_throttle) one request can show.
# Timing across requests and two nodes sharing Redis: t/limits/flow.t
# and t/limits/throttle.t.

use FindBin;
use lib "$FindBin::Bin/lib";
use SecauthTest;
use Test::Nginx::Socket 'no_plan';

# keys of this run only, so that a rerun starts with full buckets
$ENV{TEST_NGINX_LIMIT_PREFIX} = "limit$$:";

END {
    if ($ENV{TEST_NGINX_LIMIT_PREFIX}) {
        my @keys = grep { length } split /\n/,
            SecauthTest::redis('--scan', '--pattern',
                               "$ENV{TEST_NGINX_LIMIT_PREFIX}*");
        SecauthTest::redis('DEL', @keys) if @keys;
    }
}

no_shuffle();
run_tests();

__DATA__

=== TEST 1: shm: rate=5r/m burst=4 nodelay: five pass, the sixth waits 12 s
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=5r/m;
--- config
    location /p {
        secauth_limit zone=ip burst=4 nodelay;
        add_header X-Limit $secauth_limit_status always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 7]
--- error_code eval
[(200) x 5, 429, 429]
--- response_headers_like eval
[("X-Limit: PASSED") x 5,
 ("X-Limit: REJECTED\nRetry-After: 1[12]") x 2]



=== TEST 2: shm: an admitted request carries no Retry-After
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=5r/m;
--- config
    location /p {
        secauth_limit zone=ip burst=4 nodelay;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request
GET /p
--- response_headers
!Retry-After
--- error_code: 200
--- no_error_log
limiting requests



=== TEST 3: Redis: the same limits, the same answers
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LIMIT_PREFIX;
    secauth_limit_zone $binary_remote_addr zone=ip3:1m rate=5r/m;
--- config
    location /p {
        secauth_limit zone=ip3 burst=4 nodelay;
        add_header X-Limit $secauth_limit_status always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 7]
--- error_code eval
[(200) x 5, 429, 429]
--- response_headers_like eval
[("X-Limit: PASSED") x 5,
 ("X-Limit: REJECTED\nRetry-After: 1[12]") x 2]



=== TEST 4: ... the bucket is one Redis key: hex of the key, TAT in us, a TTL
The five admitted requests moved the TAT 60 s ahead of now (5 x 12 s);
the key expires when the bucket is full again.
--- init
my $key = "$ENV{TEST_NGINX_LIMIT_PREFIX}limit:ip3:7f000001";
my $tat = SecauthTest::redis('GET', $key);
my $ahead = $tat / 1e6 - Time::HiRes::time();
Test::More::ok($ahead > 50 && $ahead <= 60,
               "the TAT is 60 s ahead, less the time since ($ahead)");
my $pttl = SecauthTest::redis('PTTL', $key);
Test::More::ok($pttl > 50_000 && $pttl <= 60_000, "PTTL $pttl ms");
--- config
    location /p { return 204; }
--- request
GET /p
--- error_code: 204



=== TEST 5: Redis: a bucket written by another node refuses at once
The test writes a TAT 30 s ahead (no burst): the request is refused with
Retry-After 30, and the log says why.
--- init
SecauthTest::redis('SET', "$ENV{TEST_NGINX_LIMIT_PREFIX}limit:full:7f000001",
                   sprintf('%.0f', (Time::HiRes::time() + 30) * 1e6),
                   'PX', 30000);
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LIMIT_PREFIX;
    secauth_limit_zone $binary_remote_addr zone=full:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=full;
        add_header X-Limit $secauth_limit_status always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request
GET /p
--- error_code: 429
--- response_headers_like
X-Limit: REJECTED
Retry-After: (29|30)
--- error_log eval
qr/\[error\] .*secauth: limiting requests by zone "full", retry in (29\d\d\d|30000) ms, client: 127\.0\.0\.1/



=== TEST 6: an empty key is not limited, and sets no status (like limit_req)
--- http_config
    secauth_limit_zone $http_x_client zone=client:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=client;
        add_header X-Limit "[$secauth_limit_status]" always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 4]
--- error_code eval
[(200) x 4]
--- response_headers eval
[("X-Limit: []") x 4]



=== TEST 7: a key from any variable: one bucket per X-Client value
--- http_config
    secauth_limit_zone $http_x_client zone=client:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=client;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 4]
--- more_headers eval
["X-Client: a", "X-Client: b", "X-Client: a", "X-Client: " . ("c" x 500)]
--- error_code eval
[200, 200, 429, 200]



=== TEST 8: keyed by the address, a spoofed X-Forwarded-For changes nothing
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=ip;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 3]
--- more_headers eval
["X-Forwarded-For: 192.0.2.1", "X-Forwarded-For: 192.0.2.2",
 "X-Forwarded-For: 198.51.100.7, 192.0.2.3"]
--- error_code eval
[200, 429, 429]



=== TEST 9: ... behind a trusted proxy, realip makes the client the key
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/m;
--- config
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    location /p {
        secauth_limit zone=ip;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 3]
--- more_headers eval
["X-Forwarded-For: 192.0.2.1", "X-Forwarded-For: 192.0.2.2",
 "X-Forwarded-For: 192.0.2.1"]
--- error_code eval
[200, 200, 429]



=== TEST 10: secauth_limit_status sets the refusal's status
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=ip;
        secauth_limit_status 503;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 2]
--- error_code eval
[200, 503]
--- response_headers_like eval
["", "Retry-After: (59|60)"]



=== TEST 11: shm: two limits: a refused request costs the other none
"a" is per ?a= value (1r/m, no burst), "all" is one bucket (1r/m,
burst=2: three). The second request is refused by "a": had "all" been
charged for it, the fourth would be refused too.
--- http_config
    secauth_limit_zone $arg_a zone=a:1m rate=1r/m;
    secauth_limit_zone all zone=all:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=a;
        secauth_limit zone=all burst=2 nodelay;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
["GET /p?a=1", "GET /p?a=1", "GET /p?a=2", "GET /p?a=3", "GET /p?a=4"]
--- error_code eval
[200, 429, 200, 200, 429]



=== TEST 12: Redis: the same two limits, taken by one script
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LIMIT_PREFIX;
    secauth_limit_zone $arg_a zone=a11:1m rate=1r/m;
    secauth_limit_zone all zone=all11:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=a11;
        secauth_limit zone=all11 burst=2 nodelay;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
["GET /p?a=1", "GET /p?a=1", "GET /p?a=2", "GET /p?a=3", "GET /p?a=4"]
--- error_code eval
[200, 429, 200, 200, 429]



=== TEST 13: without nodelay the excess is delayed, not refused
rate=10r/s burst=5: back-to-back requests wait about 100 ms more each.
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=10r/s;
--- config
    location /p {
        secauth_limit zone=ip burst=5;
        add_header X-Limit $secauth_limit_status always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 3]
--- error_code eval
[200, 200, 200]
--- response_headers eval
[("X-Limit: PASSED") x 3]
--- no_error_log
limiting requests



=== TEST 14: limits are inherited whole; a level with its own has only its own
--- http_config
    secauth_limit_zone $binary_remote_addr zone=one:1m rate=1r/m;
    secauth_limit_zone $binary_remote_addr zone=two:1m rate=1r/m;
--- config
    secauth_limit zone=one;
    location /inherits {
        alias html/p.txt;
    }
    location /own {
        secauth_limit zone=two burst=1 nodelay;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
["GET /inherits", "GET /inherits", "GET /own", "GET /own", "GET /own"]
--- error_code eval
[200, 429, 200, 200, 429]



=== TEST 15: an internal redirect does not take a second time
try_files sends every request on to a named location with the same
limit: with burst=1 two requests pass, as without the redirect.
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/m;
--- config
    secauth_limit zone=ip burst=1 nodelay;
    location /p {
        try_files /nonexistent @named;
    }
    location @named {
        root html;
        try_files /p.txt =404;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 3]
--- error_code eval
[200, 200, 429]



=== TEST 16: Redis down: 503 by default, with the reason in the error log
--- http_config
    secauth_redis redis://127.0.0.1:1 timeout=100ms;
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=10r/s;
--- config
    location /p {
        secauth_limit zone=ip;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request
GET /p
--- error_code: 503
--- error_log eval
qr/\[error\] .*secauth: redis/



=== TEST 17: ... and admitted with secauth_fail open, logged at warn
--- http_config
    secauth_redis redis://127.0.0.1:1 timeout=100ms;
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=10r/s;
--- config
    location /p {
        secauth_limit zone=ip;
        secauth_fail open;
        add_header X-Limit "[$secauth_limit_status]" always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request
GET /p
--- error_code: 200
--- response_headers
X-Limit: []
--- error_log
store unavailable, request admitted without rate limits (secauth_fail open)



=== TEST 18: a limit and the gate: the limit comes first (preaccess)
A refused client does not reach the credential check.
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=ip;
        secauth jwt;
        secauth_jwt_key HS256 ../html/secret;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
>>> secret
0123456789abcdef0123456789abcdef
--- request eval
[("GET /p") x 2]
--- error_code eval
[401, 429]
--- response_headers eval
["X-Error: no_credentials", "X-Error: "]



=== TEST 19: config: an unknown zone fails nginx -t
--- config
    location /p {
        secauth_limit zone=nowhere;
    }
--- must_die
--- error_log
"secauth_limit": unknown zone "nowhere" (no "secauth_limit_zone" defines it)



=== TEST 20: config: a rate without a unit
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=10;
--- config
--- must_die
--- error_log
invalid rate "10" in "secauth_limit_zone", expected RATE as Nr/s, Nr/m or Nr/h



=== TEST 21: config: r/d is no unit
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=10r/d;
--- config
--- must_die
--- error_log
invalid rate "10r/d" in "secauth_limit_zone", expected RATE as Nr/s, Nr/m or Nr/h



=== TEST 22: config: a zone without a size
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip rate=1r/s;
--- config
--- must_die
--- error_log
invalid parameter "zone=ip" in "secauth_limit_zone"



=== TEST 23: config: a zone defined twice
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/s;
    secauth_limit_zone $uri zone=ip:1m rate=1r/s;
--- config
--- must_die
--- error_log
"secauth_limit_zone": zone "ip" is already defined



=== TEST 24: config: a negative burst
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/s;
--- config
    location /p { secauth_limit zone=ip burst=-1; }
--- must_die
--- error_log
invalid burst value "burst=-1" in "secauth_limit" (0 to 100000)



=== TEST 25: config: the same zone twice in one location
--- http_config
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/s;
--- config
    location /p {
        secauth_limit zone=ip;
        secauth_limit zone=ip burst=5;
    }
--- must_die
--- error_log
"secauth_limit": zone "ip" is used twice in one location



=== TEST 26: config: a status outside 400..599
--- config
    location /p { secauth_limit_status 200; }
--- must_die
--- error_log
"secauth_limit_status" must be a status from 400 to 599



=== TEST 27: config: secauth_limit_zone only at http level
--- config
    location /p {
        secauth_limit_zone $binary_remote_addr zone=ip:1m rate=1r/s;
    }
--- must_die
--- error_log
"secauth_limit_zone" directive is not allowed here



=== TEST 28: a locked account: a JSON login gets 429, Retry-After, a JSON body
The lock (a Redis key with a PX, as a failure on another node leaves it)
is checked before anything else: the user need not even exist.
--- init
SecauthTest::redis('SET', "$ENV{TEST_NGINX_LIMIT_PREFIX}login_lock:zed", '1',
                   'PX', 30000);
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LIMIT_PREFIX;
--- config
    secauth_cookie sid secure=off;
    location = /login {
        secauth_users redis;
        secauth_login;
    }
--- request
POST /login
{"username":"Zed","password":"anything at all"}
--- more_headers
Content-Type: application/json
--- error_code: 429
--- response_headers_like
Retry-After: (29|30)
Content-Type: application/json
--- response_body
{"error":"too_many_attempts"}
--- error_log eval
qr/\[warn\] .*secauth: login for "zed" refused: locked for \d+ ms after failed logins/



=== TEST 29: config: secauth_login_throttle with free=0
--- config
    location = /login { secauth_login_throttle free=0; }
--- must_die
--- error_log
invalid parameter "free=0" in "secauth_login_throttle"



=== TEST 30: config: secauth_login_throttle with lock > max_lock
--- config
    location = /login { secauth_login_throttle lock=2s max_lock=1s; }
--- must_die
--- error_log
"secauth_login_throttle" directive needs lock <= max_lock <= forget



=== TEST 31: config: secauth_login_throttle with an unknown parameter
--- config
    location = /login { secauth_login_throttle lock=1s tries=3; }
--- must_die
--- error_log
invalid parameter "tries=3" in "secauth_login_throttle"



=== TEST 32: admitted with secauth_fail open, the request still meets limit_req
The module's preaccess handler passes the request on to the next one
(nginx's limit_req here, 1r/m: the second request is refused by it).
--- http_config
    secauth_redis redis://127.0.0.1:1 timeout=100ms;
    secauth_limit_zone $binary_remote_addr zone=ip:1m rate=10r/s;
    limit_req_zone $binary_remote_addr zone=core:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=ip;
        secauth_fail open;
        limit_req zone=core;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 2]
--- error_code eval
[200, 503]



=== TEST 33: secauth_limit at http level is inherited by every server
--- http_config
    secauth_limit_zone $binary_remote_addr zone=top:1m rate=1r/m;
    secauth_limit zone=top;
--- config
    location /p {
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 2]
--- error_code eval
[200, 429]



=== TEST 34: config: an unknown zone at http level fails nginx -t too
--- http_config
    secauth_limit zone=nowhere;
--- config
--- must_die
--- error_log
"secauth_limit": unknown zone "nowhere" (no "secauth_limit_zone" defines it)



=== TEST 35: Redis: sixteen limits in one location, one script call
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LIMIT_PREFIX;
    secauth_limit_zone a$binary_remote_addr zone=z1:1m rate=10r/s;
    secauth_limit_zone b$binary_remote_addr zone=z2:1m rate=10r/s;
    secauth_limit_zone c$binary_remote_addr zone=z3:1m rate=10r/s;
    secauth_limit_zone d$binary_remote_addr zone=z4:1m rate=10r/s;
    secauth_limit_zone e$binary_remote_addr zone=z5:1m rate=10r/s;
    secauth_limit_zone f$binary_remote_addr zone=z6:1m rate=10r/s;
    secauth_limit_zone g$binary_remote_addr zone=z7:1m rate=10r/s;
    secauth_limit_zone h$binary_remote_addr zone=z8:1m rate=10r/s;
    secauth_limit_zone i$binary_remote_addr zone=z9:1m rate=10r/s;
    secauth_limit_zone j$binary_remote_addr zone=z10:1m rate=10r/s;
    secauth_limit_zone k$binary_remote_addr zone=z11:1m rate=10r/s;
    secauth_limit_zone l$binary_remote_addr zone=z12:1m rate=10r/s;
    secauth_limit_zone m$binary_remote_addr zone=z13:1m rate=10r/s;
    secauth_limit_zone n$binary_remote_addr zone=z14:1m rate=10r/s;
    secauth_limit_zone o$binary_remote_addr zone=z15:1m rate=10r/s;
    secauth_limit_zone p$binary_remote_addr zone=z16:1m rate=1r/m;
--- config
    location /p {
        secauth_limit zone=z1;  secauth_limit zone=z2;
        secauth_limit zone=z3;  secauth_limit zone=z4;
        secauth_limit zone=z5;  secauth_limit zone=z6;
        secauth_limit zone=z7;  secauth_limit zone=z8;
        secauth_limit zone=z9;  secauth_limit zone=z10;
        secauth_limit zone=z11; secauth_limit zone=z12;
        secauth_limit zone=z13; secauth_limit zone=z14;
        secauth_limit zone=z15; secauth_limit zone=z16;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
ok
--- request eval
[("GET /p") x 2]
--- error_code eval
[200, 429]
--- no_error_log
[alert]
bad redis script call



=== TEST 36: config: a limit zone cannot share its name with the state zone
--- http_config
    secauth_zone shared:1m;
    secauth_limit_zone $binary_remote_addr zone=shared:1m rate=1r/s;
--- config
--- must_die
--- error_log
zone "shared" is already used for sessions and tokens, it cannot also hold rate limits



=== TEST 37: a key that is a regex capture ($1) counts per capture
--- http_config
    secauth_limit_zone $1 zone=cap:1m rate=1r/m;
--- config
    location ~ ^/c/(\w+)$ {
        secauth_limit zone=cap nodelay;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request eval
["GET /c/a", "GET /c/a", "GET /c/b"]
--- error_code eval
[200, 429, 200]
