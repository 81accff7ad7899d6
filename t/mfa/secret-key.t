# secauth_secret_key at nginx -t (docs/mfa.md "The key"): the file must
# hold exactly 32 bytes, be a regular file, and be closed to the group
# and others; the old key of a rotation is held to the same rules and
# must differ from the current one; MFA needs durable state (Redis; a
# shm zone only once it is kept in a state file).

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::Nginx::Socket 'no_plan';

my $dir = tempdir('secauth-key-XXXXXX', TMPDIR => 1, CLEANUP => 1);
$ENV{TEST_NGINX_KEY_DIR} = $dir;

sub key_file {
    my ($name, $bytes, $mode) = @_;
    open my $fh, '>:raw', "$dir/$name" or die "$dir/$name: $!";
    print {$fh} $bytes;
    close $fh or die "$dir/$name: $!";
    chmod $mode, "$dir/$name" or die "$dir/$name: $!";
}

my $random = join '', map { chr int rand 256 } 1 .. 32;
key_file('good', $random, 0600);
key_file('good2', scalar reverse($random) ^ ("\x5a" x 32), 0400);
key_file('same', $random, 0600);
key_file('short', substr($random, 0, 31), 0600);
key_file('long', $random . "\n", 0600);
key_file('hex', unpack('H*', $random), 0600);
key_file('empty', '', 0600);
key_file('group', $random, 0640);
key_file('world', $random, 0604);
key_file('groupw', $random, 0620);
mkdir "$dir/adir" or die "$dir/adir: $!";
chmod 0700, "$dir/adir";

add_block_preprocessor(sub {
    my $block = shift;

    if (defined $block->must_die && !defined $block->no_error_log) {
        $block->set_value('no_error_log', "unknown directive\n");
    }

    $block->set_value('http_config', <<"CONF" . ($block->http_config // ''))
    secauth_redis redis://127.0.0.1:$ENV{TEST_NGINX_REDIS_PORT};
CONF
        unless defined $block->http_config
               && $block->http_config =~ /secauth_redis|no_redis/;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: control: a 32-byte key only its owner reads loads
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/good;
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]



=== TEST 2: control: a current key and an old one (rotation) load
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/good old=$TEST_NGINX_KEY_DIR/good2;
--- config
    location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- no_error_log
[emerg]



=== TEST 3: a missing key file is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/missing;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_secret_key": cannot open ".*/missing"}



=== TEST 4: 31 bytes are refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/short;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/short" must hold exactly 32 bytes}



=== TEST 5: 33 bytes (a key with a newline) are refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/long;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/long" must hold exactly 32 bytes}



=== TEST 6: the key in hex (64 bytes) is refused: the file holds raw bytes
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/hex;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/hex" must hold exactly 32 bytes}



=== TEST 7: an empty file is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/empty;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/empty" must hold exactly 32 bytes}



=== TEST 8: a key the group reads (0640) is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/group;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/group" is open to the group or others}



=== TEST 9: a key others read (0604) is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/world;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/world" is open to the group or others}



=== TEST 10: a key the group may write (0620) is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/groupw;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/groupw" is open to the group or others}



=== TEST 11: a directory is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/adir;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/adir" (is not a regular file|must hold)}



=== TEST 12: a bad old key is refused like a bad current one
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/good old=$TEST_NGINX_KEY_DIR/world;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*".*/world" is open to the group or others}



=== TEST 13: the old key the same as the current one is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/good old=$TEST_NGINX_KEY_DIR/same;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_secret_key": the old key is the current key}



=== TEST 14: an unknown parameter is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/good previous=$TEST_NGINX_KEY_DIR/good2;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*invalid parameter "previous=}



=== TEST 15: twice is refused
--- http_config
    secauth_secret_key $TEST_NGINX_KEY_DIR/good;
    secauth_secret_key $TEST_NGINX_KEY_DIR/good2;
--- config
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_secret_key" directive is duplicate}



=== TEST 16: not in a server block
--- config
    secauth_secret_key $TEST_NGINX_KEY_DIR/good;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_secret_key" directive is not allowed here}



=== TEST 17: MFA without Redis on a shm zone without a state file: refused
--- http_config
    # no_redis
    secauth_secret_key $TEST_NGINX_KEY_DIR/good;
--- config
    location /p { secauth session; return 200; }
--- must_die
--- error_log eval
qr{\[emerg\].*the second factor needs durable state: "secauth_redis", or "secauth_zone" with "state="}



=== TEST 18: MFA with an explicit shm zone without a state file: refused
--- http_config
    # no_redis
    secauth_zone mfa:1m;
    secauth_secret_key $TEST_NGINX_KEY_DIR/good;
--- config
    location /p { secauth session; return 200; }
--- must_die
--- error_log eval
qr{\[emerg\].*the second factor needs durable state}



=== TEST 19: MFA on a shm zone with a state file: accepted
--- http_config
    # no_redis
    secauth_zone mfa:1m state=mfa.state;
    secauth_secret_key $TEST_NGINX_KEY_DIR/good;
--- config
    location /p { secauth session; }
--- request
GET /p
--- error_code: 401
--- no_error_log
[emerg]
