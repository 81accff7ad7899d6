# nginx -t refuses login configurations that are unsafe or incomplete,
# with an [emerg] that names the file and the line (docs/security.md
# "Passwords"; docs/login.md): weak or unknown hash kinds in the users
# file, duplicate users, a missing file, secauth_login without users,
# users in Redis without secauth_redis, bad secauth_password_hash
# parameters. The hashes are made at load time with the tools an operator
# would use (mkpasswd, openssl passwd, argon2) by t/lib/LoginTest.pm.

use FindBin;
use lib "$FindBin::Bin/lib";
use LoginTest;
use Test::Nginx::Socket 'no_plan';

my $good = $LoginTest::HASH{alice};
my $pre = "# users of the config tests\n\n  # an indented comment\n"
          . "alice:$good\n";                                # lines 1-4

LoginTest::write_users('plain', "${pre}mallory:Tr0ub4dor&3\n");
LoginTest::write_users('plainspace', "${pre}mallory:correct horse\n");
LoginTest::write_users('md5',
    $pre . 'mallory:' . LoginTest::openssl_passwd('pw', '-1') . "\n");
LoginTest::write_users('apr1',
    "$pre\n" . 'mallory:' . LoginTest::openssl_passwd('pw', '-apr1') . "\n");
LoginTest::write_users('sha', $pre . 'mallory:' . LoginTest::ldap_sha('pw')
    . "\n");
LoginTest::write_users('ssha', $pre . 'mallory:' . LoginTest::ldap_ssha('pw')
    . "\n");
LoginTest::write_users('bcrypt4',
    $pre . 'mallory:' . LoginTest::mkpasswd('pw', 'bcrypt', 4) . "\n");
LoginTest::write_users('bcrypt9',
    $pre . 'mallory:' . LoginTest::mkpasswd('pw', 'bcrypt', 9) . "\n");
LoginTest::write_users('sha256crypt',
    $pre . 'mallory:' . LoginTest::mkpasswd('pw', 'sha256crypt') . "\n");
LoginTest::write_users('des', "${pre}mallory:abJnggxhB/yWI\n");
LoginTest::write_users('empty', "${pre}mallory:\n");
LoginTest::write_users('dup', "${pre}bob:$LoginTest::HASH{bob}\n"
    . "alice:$LoginTest::HASH{carol}\n");
LoginTest::write_users('dupcase', "${pre}bob:$LoginTest::HASH{bob}\n"
    . "ALICE:$LoginTest::HASH{carol}\n");
LoginTest::write_users('nocolon', "${pre}mallory\n");
LoginTest::write_users('badname', "${pre}mal lory:$good\n");
LoginTest::write_users('longname', $pre . ('m' x 65) . ":$good\n");
LoginTest::write_users('twohashes', "${pre}mallory:$good:$good\n");
LoginTest::write_users('crlf', CORE::join '', map { "$_\r\n" }
    '# every kind that is accepted, with CRLF line ends',
    '',
    "alice:$LoginTest::HASH{alice}",
    "  bob:$LoginTest::HASH{bob}",
    "carol:$LoginTest::HASH{carol}",
    "dave:$LoginTest::HASH{dave}",
    "erin:$LoginTest::HASH{erin}",
    "frank:$LoginTest::HASH{frank}",
    "Grace:$LoginTest::HASH{grace}");

# An [emerg] for an unknown directive also names it: make sure that every
# expected failure comes from the module's own check.
add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->must_die && !defined $block->no_error_log) {
        $block->set_value('no_error_log', "unknown directive\n");
    }
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: control: every accepted hash kind loads (CRLF, comments, indent)
--- http_config
    secauth_password_hash argon2id t=1 m=8m p=1;
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/crlf;
    location = /login { secauth_login; }
--- request
GET /login
--- error_code: 200
--- no_error_log
[emerg]



=== TEST 2: plain text is refused, naming the line
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/plain;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: ".*/plain" line 5: the hash is plain text}



=== TEST 3: MD5 crypt ($1$, openssl passwd -1) is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/md5;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/md5" line 5: the hash is MD5-based}



=== TEST 4: Apache MD5 ($apr1$, openssl passwd -apr1) is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/apr1;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/apr1" line 6: the hash is MD5-based}



=== TEST 5: {SHA} is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/sha;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/sha" line 5: the hash is an unsalted or fast LDAP}



=== TEST 6: {SSHA} is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/ssha;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/ssha" line 5: the hash is an unsalted or fast LDAP}



=== TEST 7: bcrypt of cost 4 loads for migration (its warning: t/login/legacy.t)
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/bcrypt4;
    location = /login { secauth_login; }
--- request
GET /login
--- error_code: 200
--- no_error_log
[emerg]



=== TEST 8: bcrypt of cost 9 loads for migration (its warning: t/login/legacy.t)
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/bcrypt9;
    location = /login { secauth_login; }
--- request
GET /login
--- error_code: 200
--- no_error_log
[emerg]



=== TEST 9: SHA-256 crypt ($5$) is not on the list
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/sha256crypt;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/sha256crypt"\ line\ 5:\ the\ hash\ is\ a\ hash\ format
   \ that\ is\ not\ accepted}x



=== TEST 10: DES crypt is refused
--- config
    location = /a {
        secauth_users file=$TEST_NGINX_LOGIN_DIR/des;
        secauth_login;
    }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/des" line 5: the hash is plain text or an unknown format}



=== TEST 11: an empty hash is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/empty;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/empty" line 5: the hash is plain text}



=== TEST 12: a user listed twice is refused, naming the line
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/dup;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
[qr{\[emerg\].*".*/dup".*"alice" is listed twice},
 qr{\[emerg\].*".*/dup".*\bline [56]\b}]



=== TEST 13: ... also when the names differ only in ASCII case
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/dupcase;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
[qr{\[emerg\].*".*/dupcase".*"alice" is listed twice},
 qr{\[emerg\].*".*/dupcase".*\bline [56]\b}]



=== TEST 14: a line without "name:hash"
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/nocolon;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/nocolon" line 5 has no "name:hash"}



=== TEST 15: a user name with a space is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/badname;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/badname" line 5 has an invalid user name}



=== TEST 16: a user name of 65 bytes is refused
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/longname;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/longname" line 5 has an invalid user name}



=== TEST 17: "name:hash:more" is not a single hash
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/twohashes;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/twohashes" line 5: the hash is not a single hash}



=== TEST 18: plain text with a space is refused too
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/plainspace;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*".*/plainspace" line 5: the hash is}



=== TEST 19: a missing users file
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/no-such-file;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: cannot open ".*/no-such-file"}



=== TEST 20: secauth_users takes file=PATH or redis
--- config
    secauth_users $TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_users" takes file=PATH or redis}



=== TEST 21: secauth_users file= without a path
--- config
    secauth_users file=;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_users" takes file=PATH or redis}



=== TEST 22: secauth_login without secauth_users
--- config
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_login" needs "secauth_users"}



=== TEST 23: secauth_users redis without secauth_redis
--- config
    secauth_users redis;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_users redis" needs "secauth_redis"}



=== TEST 24: secauth_users redis with secauth_redis (declared after) loads
--- http_config
    secauth_users redis;
    secauth_password_hash argon2id t=1 m=8m p=1;
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT;
--- config
    location = /login { secauth_login; }
--- request
GET /login
--- error_code: 200



=== TEST 25: secauth_password_hash: only argon2id
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2i t=1 m=8m p=1;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_hash": only argon2id is supported}



=== TEST 26: secauth_password_hash: t=0
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id t=0;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "t=0" in "secauth_password_hash"}



=== TEST 27: secauth_password_hash: m below 1m
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id m=512k;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "m=512k" in "secauth_password_hash"}



=== TEST 28: secauth_password_hash: p=0
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id t=1 m=8m p=0;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "p=0" in "secauth_password_hash"}



=== TEST 29: secauth_password_hash: p=17
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id p=17;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "p=17" in "secauth_password_hash"}



=== TEST 30: secauth_password_hash: t=101
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id t=101;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "t=101" in "secauth_password_hash"}



=== TEST 31: secauth_password_hash: an unknown parameter
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id x=1;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "x=1" in "secauth_password_hash"}



=== TEST 32: secauth_password_hash: m that is not a size
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id m=lots;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "m=lots" in "secauth_password_hash"}



=== TEST 33: secauth_password_hash: a parameter without a value
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id t=;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "t=" in "secauth_password_hash"}



=== TEST 34: secauth_password_hash given twice at one level
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id t=1 m=8m;
    secauth_password_hash argon2id t=2 m=8m;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_password_hash" directive is duplicate}



=== TEST 35: parameters below OWASP's minimum are accepted, with a warning
Startup warnings go to stderr: the block dies later (no secauth_users) so
that stderr is searched too.
--- config
    secauth_password_hash argon2id t=1 m=8m p=1;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
[qr{\[warn\].*"secauth_password_hash" parameters are below OWASP's minimum},
 qr{\[emerg\].*"secauth_login" needs "secauth_users"}]



=== TEST 36: OWASP's minimum itself (m=19m t=2) is accepted without a warning
--- config
    secauth_password_hash argon2id t=2 m=19m p=1;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_login" needs "secauth_users"}
--- no_error_log
below OWASP's minimum
unknown directive



=== TEST 37: secauth_thread_pool names a pool that does not exist
--- http_config
    secauth_thread_pool nosuchpool;
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_password_hash argon2id t=1 m=8m p=1;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*unknown thread pool "nosuchpool"}



=== TEST 38: secauth_thread_pool with a declared pool loads
--- main_config
    thread_pool login threads=2 max_queue=16;
--- http_config
    secauth_thread_pool login;
    secauth_password_hash argon2id t=1 m=8m p=1;
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- request
GET /login
--- error_code: 200



=== TEST 39: secauth_thread_pool is an http-level directive
--- config
    secauth_thread_pool default;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login { secauth_login; }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_thread_pool" directive is not allowed here}



=== TEST 40: secauth_login only in a location
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    secauth_login;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_login" directive is not allowed here}



=== TEST 41: secauth_login twice in a location
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login {
        secauth_login;
        secauth_login;
    }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_login" directive is duplicate}



=== TEST 42: secauth_login and secauth_logout in one location
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
    location = /login {
        secauth_login;
        secauth_logout;
    }
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_logout" directive is duplicate}



=== TEST 43: secauth_fail open in a login or refresh location: a warning that it fails closed
Startup warnings go to stderr: the block dies later (no secauth_users in
the last location) so that stderr is searched too.
--- config
    secauth_fail open;
    secauth_jwt_signing_key HS256 ../html/hs.key;
    location = /login {
        secauth_users file=$TEST_NGINX_LOGIN_DIR/users;
        secauth_login;
    }
    location = /token { secauth_refresh; }
    location = /late { secauth_login; }
--- user_files
>>> hs.key
0123456789abcdef0123456789abcdef
--- must_die
--- error_log eval
[qr{\[warn\].*"secauth_fail open" has no effect in location "/login", which issues credentials: it fails closed},
 qr{\[warn\].*"secauth_fail open" has no effect in location "/token", which issues credentials},
 qr{\[emerg\].*"secauth_login" needs "secauth_users"}]
