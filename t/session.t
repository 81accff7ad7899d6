# The session-cookie gate against Redis: records written by the test in
# the documented format (docs/sessions.md) are admitted, everything else
# is refused with the right $secauth_error.

use FindBin;
use lib "$FindBin::Bin/lib";
use SecauthTest;
use Test::Nginx::Socket 'no_plan';

# glibc fills freed memory with 0x5a: a request resumed after Redis's
# answer must not read its context once the answer has finalized it (the
# use after free ASan found in ngx_http_secauth_resume)
$ENV{MALLOC_PERTURB_} = 165;

our $SID = new_sid();
our $OLD_IDLE = new_sid();
our $OLD_ABS = new_sid();
our $DELETED = new_sid();
our $FRESH = new_sid();
our $STALE = new_sid();
our $BOGUS = new_sid();
our $WRONG = new_sid();
our $CRLF = new_sid();

redis_put_session($SID, 'alice', 60, 10);
redis_put_session($OLD_IDLE, 'bob', 4000, 1900);        # idle 30m passed
redis_put_session($OLD_ABS, 'carol', 90000, 5);         # absolute 24h passed
redis_put_session($DELETED, 'dave', 60, 10);
redis_put_session($FRESH, 'erin', 60, 0);
redis_put_session($STALE, 'frank', 3600, 600);          # > idle/4 ago
redis('SET', sid_key($BOGUS), '{"user":"x","created":"yesterday"}', 'EX', 600);
redis('HSET', sid_key($WRONG), 'user', 'mallory');
redis('SET', sid_key($CRLF), '{"user":"eve\r\nX-Injected: 1","created":'
      . time . ',"last_seen":' . time . '}', 'EX', 600);

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<"CONF" . ($block->http_config // ''))
    secauth_redis redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};
CONF
        unless defined $block->http_config
               && $block->http_config =~ /secauth_redis/;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: ASVS 7.2.1 a session in Redis admits, $secauth_user is set
--- config
    location /p {
        secauth session;
        add_header X-User $secauth_user always;
        add_header X-Method $secauth_method always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- more_headers eval
"Cookie: __Host-secauth=$::SID"
--- error_code: 200
--- response_headers
X-User: alice
X-Method: session
--- response_body
secret



=== TEST 2: other cookies, spaces and any order around ours
--- config
    location /p {
        secauth any;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- more_headers eval
"Cookie: theme=dark;  __Host-secauth = $::SID ;lang=en\nCookie: x=y"
--- error_code: 200
--- response_headers
X-User: alice



=== TEST 3: an unknown session id is refused
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
--- more_headers eval
"Cookie: __Host-secauth=" . SecauthTest::new_sid()
--- error_code: 401
--- response_headers
X-Error: unknown_session
--- error_log
secauth: session refused: unknown session



=== TEST 4: ASVS 7.3.1 idle timeout
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
--- more_headers eval
"Cookie: __Host-secauth=$::OLD_IDLE"
--- error_code: 401
--- response_headers
X-Error: session_expired
--- error_log
session idle for too long



=== TEST 5: ASVS 7.3.2 absolute timeout, even when recently used
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
--- more_headers eval
"Cookie: __Host-secauth=$::OLD_ABS"
--- error_code: 401
--- response_headers
X-Error: session_expired
--- error_log
session reached its absolute timeout



=== TEST 6: secauth_session_timeout shortens both windows
--- config
    location /idle {
        secauth session;
        secauth_session_timeout 5s 1h;
        alias html/p.txt;
    }
    location /abs {
        secauth session;
        secauth_session_timeout 5s 30s;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request eval
["GET /idle", "GET /abs"]
--- more_headers eval
["Cookie: __Host-secauth=$::SID", "Cookie: __Host-secauth=$::FRESH"]
--- error_code eval
[401, 401]



=== TEST 7: malformed cookies cost no store round trip (Redis is down)
--- http_config
    secauth_redis redis://127.0.0.1:1;
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
["GET /p", "GET /p", "GET /p", "GET /p", "GET /p", "GET /p"]
--- more_headers eval
["Cookie: __Host-secauth=" . substr($::SID, 1),
 "Cookie: __Host-secauth=" . $::SID . "A",
 "Cookie: __Host-secauth=\"$::SID\"",
 "Cookie: __Host-secauth=" . substr($::SID, 3) . "%2F",
 "Cookie: __Host-secauth=" . ("A" x 5000),
 "Cookie: __Host-secauth="]
--- error_code eval
[401, 401, 401, 401, 401, 401]
--- response_headers eval
["X-Error: malformed", "X-Error: malformed", "X-Error: malformed",
 "X-Error: malformed", "X-Error: malformed", "X-Error: malformed"]



=== TEST 8: two cookies of our name are refused, even if one is valid
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
["GET /p", "GET /p"]
--- more_headers eval
["Cookie: __Host-secauth=$::SID; __Host-secauth=$::FRESH",
 "Cookie: __Host-secauth=$::SID\nCookie: __Host-secauth=$::SID"]
--- error_code eval
[401, 401]
--- response_headers eval
["X-Error: duplicate_cookie", "X-Error: duplicate_cookie"]



=== TEST 9: names are case-sensitive; a prefix of our name is another cookie
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
["GET /p", "GET /p"]
--- more_headers eval
["Cookie: __host-secauth=$::SID", "Cookie: x__Host-secauth=$::SID"]
--- error_code eval
[401, 401]
--- response_headers eval
["X-Error: no_credentials", "X-Error: no_credentials"]



=== TEST 10: a large Cookie header with ours inside is read (nginx caps it)
--- config
    location /p {
        secauth session;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- more_headers eval
"Cookie: " . CORE::join("; ", map { "c$_=" . ("v" x 90) } 1 .. 60)
    . "; __Host-secauth=$::SID"
--- error_code: 200
--- response_headers
X-User: alice



=== TEST 11: a session deleted in Redis is refused on the next request
--- init
SecauthTest::redis('DEL', SecauthTest::sid_key($::DELETED));
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
--- more_headers eval
"Cookie: __Host-secauth=$::DELETED"
--- error_code: 401
--- response_headers
X-Error: unknown_session



=== TEST 12: a record not in the documented format admits nobody
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
--- more_headers eval
"Cookie: __Host-secauth=$::BOGUS"
--- error_code: 401
--- response_headers
X-Error: unknown_session
--- error_log
[error]
session record in the store is malformed



=== TEST 12b: a user with CR/LF in the record admits nobody (no header split)
--- config
    location /p {
        secauth session;
        add_header X-User $secauth_user always;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- more_headers eval
"Cookie: __Host-secauth=$::CRLF"
--- error_code: 401
--- response_headers
X-Error: unknown_session
!X-Injected
--- error_log
session record in the store is malformed



=== TEST 13: a key of the wrong type is a store failure: 503, logged
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
--- more_headers eval
"Cookie: __Host-secauth=$::WRONG"
--- error_code: 503
--- response_headers
X-Error: store_unavailable
--- error_log
WRONGTYPE



=== TEST 14: secauth_cookie renames the cookie
--- config
    location /p {
        secauth session;
        secauth_cookie sid secure=off;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
["Cookie: sid=$::SID", "Cookie: __Host-secauth=$::SID"]
--- error_code eval
[200, 401]



=== TEST 15: the key prefix is configurable
--- init
SecauthTest::redis_put_session($::SID, 'alice', 60, 10, 600, 'app1:');
--- http_config eval
"secauth_redis redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT} prefix=app1:;"
--- config
    location /p {
        secauth session;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- more_headers eval
"Cookie: __Host-secauth=$::SID"
--- error_code: 200
--- response_headers
X-User: alice



=== TEST 16: the database number is honoured
--- init
SecauthTest::redis('-n', '3', 'SET', SecauthTest::sid_key($::SID),
    SecauthTest::redis('GET', SecauthTest::sid_key($::SID)), 'EX', 60);
--- http_config eval
"secauth_redis redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT}/3;"
--- config
    location /p {
        secauth session;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
["Cookie: __Host-secauth=$::SID", "Cookie: __Host-secauth=$::FRESH"]
--- error_code eval
[200, 401]



=== TEST 17: a fresh session costs no write; an older one is touched
--- config
    location /p {
        secauth session;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
["Cookie: __Host-secauth=$::FRESH", "Cookie: __Host-secauth=$::STALE"]
--- error_code eval
[200, 200]



=== TEST 18: ... last_seen moved forward only for the older one
--- init
my $fresh = SecauthTest::redis('GET', SecauthTest::sid_key($::FRESH));
my $stale = SecauthTest::redis('GET', SecauthTest::sid_key($::STALE));
my ($f) = $fresh =~ /"last_seen":(\d+)/;
my ($c) = $fresh =~ /"created":(\d+)/;
my ($s) = $stale =~ /"last_seen":(\d+)/;
my $ttl = SecauthTest::redis('TTL', SecauthTest::sid_key($::STALE));
die "fresh session was rewritten\n" unless $f == $c + 60;
die "stale session was not touched\n" unless $s >= time - 30;
die "touched session ttl $ttl is not the idle timeout\n"
    unless $ttl > 1700 && $ttl <= 1800;
--- config
    location /p {
        return 200 "checked\n";
    }
--- request
GET /p
--- response_body
checked
