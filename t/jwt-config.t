# nginx -t refuses JWT keys that are weak, of the wrong kind or unreadable,
# with an [emerg] that names the directive (docs/directives.md,
# docs/security.md "Tokens", RFC 8725 3.1, 3.5). Keys are made at load time by
# t/lib/JwtTest.pm in $TEST_NGINX_JWT_DIR.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use Test::Nginx::Socket 'no_plan';

# glibc fills new allocations with 0x5a: a refused key file must not free
# a key slot that the pool handed out uninitialized (the crash ASan found:
# EVP_MAC_CTX_free on garbage when no key had been parsed yet)
$ENV{MALLOC_PERTURB_} = 165;

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

=== TEST 1: control: nine algorithms (HS secrets of 32/48/64 bytes) load
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key HS384 $TEST_NGINX_JWT_DIR/hs384 kid=h384;
    secauth_jwt_key HS512 $TEST_NGINX_JWT_DIR/hs512;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub kid=r;
    secauth_jwt_key RS384 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS512 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    secauth_jwt_key ES384 $TEST_NGINX_JWT_DIR/ec384.pub;
    secauth_jwt_key ES512 $TEST_NGINX_JWT_DIR/ec521.pub;
    secauth_jwt_issuer https://issuer.example;
    secauth_jwt_audience api;
    secauth_jwt_leeway 1m;
    secauth_jwt_max_size 16k;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
    location /rs {
        secauth jwt;
        secauth_jwt_signing_key RS256 $TEST_NGINX_JWT_DIR/rsa.key kid=s;
        alias html/p.txt;
    }
    location /es {
        secauth jwt;
        secauth_jwt_signing_key ES256 $TEST_NGINX_JWT_DIR/ec256-trad.key;
        alias html/p.txt;
    }
    location /hs {
        secauth jwt;
        secauth_jwt_signing_key HS512 $TEST_NGINX_JWT_DIR/hs512;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- error_code: 401
--- response_headers
X-Error: no_credentials



=== TEST 2: RFC 8725 3.5 an HS256 secret of 31 bytes
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs31;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key.*secret.*32 bytes/



=== TEST 3: RFC 7518 3.2 an HS384 secret shorter than the hash (47 bytes)
--- config
    location /a { secauth_jwt_key HS384 $TEST_NGINX_JWT_DIR/hs47; }
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key.*secret.*48/



=== TEST 4: RFC 7518 3.2 an HS512 secret shorter than the hash (63 bytes)
--- config
    location /a { secauth_jwt_key HS512 $TEST_NGINX_JWT_DIR/hs63; }
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key.*secret.*64/



=== TEST 5: an empty secret file
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/empty;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key.*secret.*32 bytes/



=== TEST 6: RFC 8725 2.1 a PEM public key is never an HMAC secret
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/rsa.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 7: a private key where a public one is expected (RSA)
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.key;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 8: a private key where a public one is expected (EC, PKCS#8)
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.key;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 9: a private key where a public one is expected (EC, traditional)
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256-trad.key;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 10: RFC 8725 3.1 an RSA key for ES256
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/rsa.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 11: RFC 7518 3.4 a P-384 key for ES256
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec384.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 12: a P-256 key for ES384
--- config
    secauth_jwt_key ES384 $TEST_NGINX_JWT_DIR/ec256.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 13: a P-384 key for ES512
--- config
    secauth_jwt_key ES512 $TEST_NGINX_JWT_DIR/ec384.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 14: a secp256k1 key for ES256: 256 bits but not P-256
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/k256.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 15: an EC key for RS256
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/ec256.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 16: an Ed25519 key for RS256 or ES256
--- config
    location /a { secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/ed.pub; }
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 17: ... ES256
--- config
    location /a { secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ed.pub; }
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 18: an RSA key of 1024 bits (docs: at least 2048)
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa1024.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 19: a certificate is not a public key
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.crt;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 20: a missing key file
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/no-such-file.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 21: an unreadable key file (a directory: root reads any file)
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/a-directory;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 22: RFC 8725 3.1 alg none is no algorithm
--- config
    secauth_jwt_key none $TEST_NGINX_JWT_DIR/hs256;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 23: algorithms are case-sensitive: hs256
--- config
    secauth_jwt_key hs256 $TEST_NGINX_JWT_DIR/hs256;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 24: an unsupported algorithm: ES256K
--- config
    secauth_jwt_key ES256K $TEST_NGINX_JWT_DIR/k256.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key": unknown algorithm "ES256K", expected HS256, HS384, HS512, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512 or EdDSA/



=== TEST 25: secauth_jwt_key needs ALG and PATH
--- config
    secauth_jwt_key HS256;
--- must_die
--- error_log eval
qr/\[emerg\].*invalid number of arguments in "secauth_jwt_key" directive/



=== TEST 26: an option other than kid=
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256 id=main;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 27: an empty kid=
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256 kid=;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 28: secauth_jwt_key is refused outside http/server/location
--- post_main_config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
--- config
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key" directive is not allowed here/



=== TEST 29: a public key as signing key (RSA)
--- config
    secauth_jwt_signing_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_signing_key/



=== TEST 30: a public key as signing key (EC)
--- config
    secauth_jwt_signing_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_signing_key/



=== TEST 31: a signing key of the wrong curve
--- config
    secauth_jwt_signing_key ES256 $TEST_NGINX_JWT_DIR/ec384.key;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_signing_key/



=== TEST 32: a short HMAC signing secret
--- config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs31;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_signing_key.*secret.*32 bytes/



=== TEST 33: a missing signing key file
--- config
    secauth_jwt_signing_key ES256 $TEST_NGINX_JWT_DIR/no-such-file.key;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_signing_key/



=== TEST 34: secauth jwt without any key (docs: fails nginx -t)
--- config
    location /p {
        secauth jwt;
    }
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_key/



=== TEST 35: secauth_jwt_revocation is on or off
--- config
    secauth_jwt_revocation yes;
--- must_die
--- error_log eval
qr/\[emerg\].*invalid value "yes" in "secauth_jwt_revocation" directive/



=== TEST 36: secauth_jwt_leeway takes a time
--- config
    secauth_jwt_leeway soon;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_leeway/



=== TEST 37: secauth_jwt_max_size takes a size
--- config
    secauth_jwt_max_size big;
--- must_die
--- error_log eval
qr/\[emerg\].*secauth_jwt_max_size/



=== TEST 38: secauth_jwt_key_request: a fetched set holds no secret (alg=HS256 refused)
--- config
    secauth_jwt_key_request /_jwks alg=HS256;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_request": "alg=HS256" is not a public-key algorithm/



=== TEST 39: secauth_jwt_key_request: a URI, not a URL
--- config
    secauth_jwt_key_request https://idp.example.com/jwks;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_request" needs a URI that starts with "\/"/



=== TEST 40: secauth_jwt_key_request: refresh= and timeout= take positive times
--- config
    secauth_jwt_key_request /_jwks refresh=0;
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "refresh=0" in "secauth_jwt_key_request"/



=== TEST 41: secauth_jwt_key_request: unknown parameter
--- config
    secauth_jwt_key_request /_jwks timeout=soon;
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "timeout=soon" in "secauth_jwt_key_request"/



=== TEST 42: secauth_jwt_key_request: duplicate
--- config
    secauth_jwt_key_request /_jwks;
    secauth_jwt_key_request /_other;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_request" directive is duplicate/



=== TEST 43: secauth_jwt_key_request alone is a key source for secauth jwt
--- config
    location = /_jwks { internal; return 404; }
    location /p {
        secauth jwt;
        secauth_jwt_key_request /_jwks;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p
--- error_code: 401
--- response_headers
X-Error: no_credentials
