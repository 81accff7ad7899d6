# Logins compare the NFKC form of the password (docs/passwords.md, "NFKC"):
# a password set in its NFKC form logs in however it is typed (ligature,
# full-width, decomposed accents), and a hash made before NFKC came in,
# of the bytes as typed, still logs in with those bytes (the typed form
# is tried when the NFKC form does not match), with a notice to set it
# again; in Redis it is rewritten from the NFKC form at that login.
# ASCII passwords are their own NFKC form: nothing changes there.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use LoginTest;
use SecauthTest;
use Test::Nginx::Socket 'no_plan';

# "finance file café" in its NFKC form, and typed with the U+FB01 fi
# ligature, full-width letters and a decomposed é
our $NFKC = "finance file caf\x{e9}";
our $LIGATURE = "\x{fb01}nance \x{fb01}le caf\x{e9}";
our $WIDE = "\x{ff46}\x{ff49}nance file caf\x{e9}";
our $DECOMPOSED = "finance file cafe\x{301}";
# typed with the ligature, hashed as typed (before NFKC)
our $OLD = "\x{fb01}\x{fb01} legacy \x{fb01}le";

sub bytes { my $s = shift; utf8::encode($s); $s }

LoginTest::write_users('nfkc', join '',
    'nina:', LoginTest::argon2id(bytes($NFKC)), "\n",
    'oscar:', LoginTest::argon2id(bytes($OLD)), "\n",
    "alice:$LoginTest::HASH{alice}\n");

sub login {
    my ($user, $pw) = @_;
    return "POST /login\n" . LoginTest::form(username => $user,
                                             password => $pw);
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        "    secauth_password_hash $LoginTest::CHEAP;\n"
        . ($block->http_config // ''));
    $block->set_value('more_headers',
        'Content-Type: application/x-www-form-urlencoded');
    return if defined $block->config;
    $block->set_value('config', <<'END');
    secauth_cookie sid secure=off;
    secauth_users file=$TEST_NGINX_LOGIN_DIR/nfkc;
    location = /login { secauth_login; }
END
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: the NFKC form itself logs in
--- request eval
main::login('nina', $main::NFKC)
--- error_code: 303
--- no_error_log
typed, not of its NFKC form



=== TEST 2: typed with the fi ligature: the same password
--- request eval
main::login('nina', $main::LIGATURE)
--- error_code: 303



=== TEST 3: typed with full-width letters: the same password
--- request eval
main::login('nina', $main::WIDE)
--- error_code: 303



=== TEST 4: typed with a decomposed accent: the same password
--- request eval
main::login('nina', $main::DECOMPOSED)
--- error_code: 303



=== TEST 5: another password is still refused
--- request eval
main::login('nina', "finance file cafe")
--- error_code: 401



=== TEST 6: a hash of the typed bytes (before NFKC) still logs in, noticed
--- request eval
main::login('oscar', $main::OLD)
--- error_code: 303
--- error_log
the password hash of "oscar" in
is of the password as typed, not of its NFKC form



=== TEST 7: ...but not with its NFKC form: that hash is of other bytes
--- request eval
main::login('oscar', "fifi legacy file")
--- error_code: 401



=== TEST 8: ASCII passwords as before
--- request eval
main::login('alice', $LoginTest::PW{alice})
--- error_code: 303
--- no_error_log
typed, not of its NFKC form



=== TEST 9: Redis: a hash of the typed bytes logs in and is rewritten
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- init
SecauthTest::redis('HSET', "${LoginTest::PREFIX}user:olga", 'password',
                   LoginTest::argon2id(main::bytes($main::OLD)));
--- request eval
main::login('olga', $main::OLD)
--- error_code: 303
--- error_log eval
qr/\[notice\] .*password hash of "olga" upgraded/



=== TEST 10: ...from the NFKC form: that form now logs in with the new hash
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_LOGIN_PREFIX;
--- config
    secauth_cookie sid secure=off;
    secauth_users redis;
    location = /login { secauth_login; }
--- request eval
main::login('olga', "fifi legacy file")
--- error_code: 303
--- no_error_log
upgraded
