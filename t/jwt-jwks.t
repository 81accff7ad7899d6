# secauth_jwt_key_file: keys from a JWK Set (RFC 7517) made by PyJWT's
# to_jwk from the PEM keys of t/lib/JwtTest.pm, each bound to its "alg"
# (or the directive's alg=) and picked by "kid": tokens of every kind
# admitted by their key, a kid of another key or algorithm refused,
# rotation by kid, keys for other uses skipped with a warning, and every
# bad file refused by nginx -t.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use Test::Nginx::Socket 'no_plan';

# the JWK Set files of this suite (JwtTest::jwks)
sub jwks { JwtTest::jwks(@_) }

jwks('set.json', [
    ['rsa.pub', 'RSA', { kid => 'r1', alg => 'RS256', use => 'sig' }],
    ['rsa.pub', 'RSA', { kid => 'p1', alg => 'PS256' }],
    ['ec256.pub', 'EC', { kid => 'e1', alg => 'ES256' }],
    ['ed.pub', 'OKP', { kid => 'd1', alg => 'EdDSA' }],
    ['hs256', 'oct', { kid => 'h1', alg => 'HS256' }],
    ['rsa2.pub', 'RSA', { kid => 'enc1', alg => 'RSA-OAEP', use => 'enc' }],
]);
jwks('rotate.json', [
    ['rsa.pub', 'RSA', { kid => 'old', alg => 'RS256' }],
    ['rsa2.pub', 'RSA', { kid => 'new', alg => 'RS256' }],
]);
jwks('noalg.json', [['ec256.pub', 'EC', { kid => 'e1' }]]);
jwks('private.json', [['rsa.key', 'RSA-private', { alg => 'RS256' }]]);
jwks('enc-only.json', [['rsa.pub', 'RSA', { use => 'enc', alg => 'RS256' }]]);
jwks('one.json', [], '{"kty":"OKP","crv":"Ed25519","alg":"EdDSA","x":"'
     . JwtTest::b64u(substr(`openssl pkey -pubin -in $ENV{TEST_NGINX_JWT_DIR}/ed.pub -outform DER`, -32))
     . '"}');
jwks('bad.json', [], '{"keys": [');
jwks('empty.json', [], '{"keys": []}');
jwks('wrong-alg.json', [['ec256.pub', 'EC', { alg => 'RS256' }]]);

our @KIDS = (['RS256', 'rsa.key', 'r1'], ['PS256', 'rsa.key', 'p1'],
             ['ES256', 'ec256.key', 'e1'], ['EdDSA', 'ed.key', 'd1'],
             ['HS256', 'hs256', 'h1']);

master_on();

JwtTest::at_block_start(sub {
    my $block = shift;

    $block->set_value('user_files', ">>> p.txt\nsecret\n")
        unless defined $block->user_files;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: a JWK Set: a token of each key, with its kid, admitted
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/set.json;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 5]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt($_->[0], $_->[1], [sub => "k-$_->[2]"],
                                    { kid => $_->[2] })) } @::KIDS]
--- error_code eval
[(200) x 5]
--- response_headers eval
[map { "X-Error:\nX-User: k-$_->[2]" } @::KIDS]



=== TEST 2: ... and the encryption key of the set skipped with a warning
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/set.json;
    location /p {
        secauth jwt;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa2.key', [], { kid => 'enc1' }))
--- error_code: 401
--- error_log eval
qr/\[warn\].*"secauth_jwt_key_file": key 5 \(kid "enc1"\) is not for signatures \("use" is not "sig", skipped\)/



=== TEST 3: no kid: every key of the algorithm is tried; a wrong kid is not
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/set.json;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 5]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('ES256', 'ec256.key')),
 JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa.key', [], { kid => 'e1' })),
 JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa.key', [], { kid => 'nope' })),
 JwtTest::auth(JwtTest::pyjwt('ES256', 'ec256b.key', [], { kid => 'e1' })),
 JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa2.key', [], { kid => 'enc1' }))]
--- error_code eval
[200, 401, 401, 401, 401]
--- response_headers eval
["X-Error:", "X-Error: unknown_kid", "X-Error: unknown_kid",
 "X-Error: bad_signature", "X-Error: unknown_kid"]



=== TEST 4: rotation by kid: the old key and the new one both verify
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/rotate.json;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa.key', [], { kid => 'old' })),
 JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa2.key', [], { kid => 'new' })),
 JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa2.key', [], { kid => 'old' })),
 JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa2.key'))]
--- error_code eval
[200, 200, 401, 200]
--- response_headers eval
["X-Error:", "X-Error:", "X-Error: bad_signature", "X-Error:"]



=== TEST 5: a key without alg needs alg= (then it is bound to it)
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/noalg.json alg=ES256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 2]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('ES256', 'ec256.key', [], { kid => 'e1' })),
 JwtTest::auth(JwtTest::pyjwt('HS256', 'hs256', [], { kid => 'e1' }))]
--- error_code eval
[200, 401]
--- response_headers eval
["X-Error:", "X-Error: bad_alg"]



=== TEST 6: a single JWK (no set) is a set of one
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/one.json;
    location /p {
        secauth jwt;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::pyjwt('EdDSA', 'ed.key'))
--- error_code: 200



=== TEST 7: nginx -t: a key without alg and no alg=
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/noalg.json;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_file": key 0 \(kid "e1"\) has no "alg"/



=== TEST 8: nginx -t: a private key in the set
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/private.json;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_file": key 0 holds private key members/



=== TEST 9: nginx -t: a key of another type than its alg
--- config
    secauth_jwt_key_file $TEST_NGINX_JWT_DIR/wrong-alg.json;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_file": key 0 needs an RSA key for an RS algorithm/



=== TEST 10: nginx -t: not JSON, an empty set, only encryption keys, a bad alg=
--- config
    location /a { secauth_jwt_key_file $TEST_NGINX_JWT_DIR/bad.json; }
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_file": ".*bad\.json" is not JSON/



=== TEST 11: ... an empty set
--- config
    location /a { secauth_jwt_key_file $TEST_NGINX_JWT_DIR/empty.json; }
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_file": ".*empty\.json" has no key this module can verify with/



=== TEST 12: ... only encryption keys
--- config
    location /a { secauth_jwt_key_file $TEST_NGINX_JWT_DIR/enc-only.json; }
--- must_die
--- error_log eval
qr/\[emerg\].*enc-only\.json" has no key this module can verify with/



=== TEST 13: ... alg= that is no algorithm
--- config
    location /a { secauth_jwt_key_file $TEST_NGINX_JWT_DIR/noalg.json alg=none; }
--- must_die
--- error_log eval
qr/\[emerg\].*invalid parameter "alg=none" in "secauth_jwt_key_file"/



=== TEST 14: ... a missing file, a JSON that is no JWK
--- config
    location /a { secauth_jwt_key_file $TEST_NGINX_JWT_DIR/no-such.json; }
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key_file": cannot open/



=== TEST 15: secauth_jwks with only an HS signing key: nothing to publish
--- config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location = /jwks { secauth_jwks; }
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwks" has no public key to publish/



=== TEST 16: secauth_jwks: a key without kid is published, with a warning
--- config
    secauth_jwt_signing_key ES256 $TEST_NGINX_JWT_DIR/ec256.key;
    location = /jwks { secauth_jwks; }
--- request
GET /jwks
--- error_code: 200
--- response_headers
Content-Type: application/jwk-set+json
Cache-Control: no-store
--- response_body_like: ^\{"keys":\[\{"kty":"EC","crv":"P-256","x":"[\w-]{43}","y":"[\w-]{43}","alg":"ES256","use":"sig"\}\]\}$
--- error_log eval
qr/\[warn\].*"secauth_jwks": the ES256 key published has no kid=/



=== TEST 17: secauth_jwks is a location's content
--- config
    secauth_jwt_signing_key ES256 $TEST_NGINX_JWT_DIR/ec256.key;
    secauth_jwks;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwks" directive is not allowed here/
