# The JWT gate (secauth jwt): tokens minted by PyJWT, Crypt::JWT, openssl
# and by hand are admitted, or refused with a 401 and the documented
# $secauth_error (docs/security.md "Tokens", docs/jwt.md, RFC 7515,
# RFC 7519, RFC 8725). Keys are made at load time by t/lib/JwtTest.pm in
# $TEST_NGINX_JWT_DIR. Every refused token is otherwise valid (signed with
# the configured key) unless its defect is the signature, so that each
# block proves the one check it names.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use Test::Nginx::Socket 'no_plan';

our @ALGS = ([HS256 => 'hs256'], [HS384 => 'hs384'], [HS512 => 'hs512'],
             [RS256 => 'rsa.key'], [RS384 => 'rsa.key'],
             [RS512 => 'rsa.key'], [ES256 => 'ec256.key'],
             [ES384 => 'ec384.key'], [ES512 => 'ec521.key']);

our @OTHER_KEYS = ([HS256 => 'hs256b'], [HS384 => 'hs384b'],
                   [HS512 => 'hs512b'], [RS256 => 'rsa2.key'],
                   [RS384 => 'rsa2.key'], [RS512 => 'rsa2.key'],
                   [ES256 => 'ec256b.key'], [ES384 => 'ec384b.key'],
                   [ES512 => 'ec521b.key']);

our $ISS = 'https://issuer.example';

# revoked before the server starts: by (iss, jti), and with iss absent
JwtTest::revoke($ISS, 'jti-revoked');
JwtTest::revoke(undef, 'jti-revoked-no-iss');

# an ES256 token (RS/ES tokens are cached once verified) accepted first,
# then revoked in the middle of the run (the two revocation blocks): one
# token, minted when the first of them starts
our $LATER;

sub later {
    $LATER //= JwtTest::pyjwt('ES256', 'ec256.key',
                              [iss => $ISS, jti => 'jti-revoked-later']);
    return $LATER;
}

# a crashing worker is reported by the master as "exited on signal"
master_on();

# tokens are minted as their block starts (JwtTest::at_block_start)
JwtTest::at_block_start(sub {
    my $block = shift;

    $block->set_value('user_files', ">>> p.txt\nsecret\n")
        unless defined $block->user_files;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: RFC 7519 4.1.4 exp 10 s ago is within the default 30 s leeway
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
    [iat => time - 100, exp => time - 10]))
--- error_code: 200
--- response_headers
X-User: alice
--- response_body
secret



=== TEST 2: nbf and iat 10 s ahead are within the default leeway (clock skew)
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [nbf => time + 10])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [iat => time + 10]))]
--- error_code eval
[200, 200]
--- response_headers eval
["X-User: alice", "X-User: alice"]



=== TEST 3: secauth_jwt_leeway 5s: exp 10 s ago, nbf/iat 15 s ahead refused
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_leeway 5s;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
     [iat => time - 100, exp => time - 10])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [nbf => time + 15])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [iat => time + 15]))]
--- error_code eval
[401, 401, 401]
--- response_headers eval
["X-Error: expired", "X-Error: not_yet_valid", "X-Error: not_yet_valid"]



=== TEST 4: ASVS 9.2.1 expired and future tokens beyond the leeway
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
     [iat => time - 3600, exp => time - 300])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [exp => 0])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [nbf => time + 300])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [iat => time + 300]))]
--- error_code eval
[401, 401, 401, 401]
--- response_headers eval
["X-Error: expired\nX-User:", "X-Error: expired\nX-User:",
 "X-Error: not_yet_valid\nX-User:", "X-Error: not_yet_valid\nX-User:"]



=== TEST 5: interop: PyJWT tokens of every algorithm admitted, claims exposed
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key HS384 $TEST_NGINX_JWT_DIR/hs384;
    secauth_jwt_key HS512 $TEST_NGINX_JWT_DIR/hs512;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS384 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS512 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    secauth_jwt_key ES384 $TEST_NGINX_JWT_DIR/ec384.pub;
    secauth_jwt_key ES512 $TEST_NGINX_JWT_DIR/ec521.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        add_header X-Method $secauth_method always;
        add_header X-Role $secauth_claim_role always;
        add_header X-Level $secauth_claim_level always;
        add_header X-Neg $secauth_claim_neg always;
        add_header X-Admin $secauth_claim_admin always;
        add_header X-Off $secauth_claim_off always;
        add_header X-Obj $secauth_claim_obj always;
        add_header X-List $secauth_claim_list always;
        add_header X-Missing $secauth_claim_missing always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 9]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt($_->[0], $_->[1],
           [sub => "user-$_->[0]", role => 'admin', level => 3,
            neg => -5, admin => JSON::PP::true, off => JSON::PP::false,
            obj => { role => 'x' }, list => ['admin']])) } @::ALGS]
--- error_code eval
[(200) x 9]
--- response_headers eval
[map { "X-Error:\nX-User: user-$_->[0]\nX-Method: jwt\nX-Role: admin\n"
       . "X-Level: 3\nX-Neg: -5\nX-Admin: true\nX-Off: false\n"
       . "X-Obj:\nX-List: admin\nX-Missing:" } @::ALGS]
--- response_body eval
[("secret\n") x 9]



=== TEST 6: interop: a Crypt::JWT token of every algorithm is admitted
--- skip_eval: 18: !JwtTest::have_crypt_jwt()
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key HS384 $TEST_NGINX_JWT_DIR/hs384;
    secauth_jwt_key HS512 $TEST_NGINX_JWT_DIR/hs512;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS384 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS512 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    secauth_jwt_key ES384 $TEST_NGINX_JWT_DIR/ec384.pub;
    secauth_jwt_key ES512 $TEST_NGINX_JWT_DIR/ec521.pub;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        add_header X-Role $secauth_claim_role always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 9]
--- more_headers eval
[map { JwtTest::auth(JwtTest::crypt_jwt($_->[0], $_->[1],
           [sub => "user-$_->[0]", role => 'ops'])) } @::ALGS]
--- error_code eval
[(200) x 9]
--- response_headers eval
[map { "X-User: user-$_->[0]\nX-Role: ops" } @::ALGS]



=== TEST 7: interop: openssl-signed tokens (DER converted to r||s for ES)
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key HS384 $TEST_NGINX_JWT_DIR/hs384;
    secauth_jwt_key HS512 $TEST_NGINX_JWT_DIR/hs512;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS384 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS512 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    secauth_jwt_key ES384 $TEST_NGINX_JWT_DIR/ec384.pub;
    secauth_jwt_key ES512 $TEST_NGINX_JWT_DIR/ec521.pub;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 9]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token($_->[0], $_->[1], [],
           [sub => "user-$_->[0]"])) } @::ALGS]
--- error_code eval
[(200) x 9]
--- response_headers eval
[map { "X-User: user-$_->[0]" } @::ALGS]



=== TEST 8: ASVS 9.1.1 another key of the same algorithm: bad_signature
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key HS384 $TEST_NGINX_JWT_DIR/hs384;
    secauth_jwt_key HS512 $TEST_NGINX_JWT_DIR/hs512;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS384 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key RS512 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    secauth_jwt_key ES384 $TEST_NGINX_JWT_DIR/ec384.pub;
    secauth_jwt_key ES512 $TEST_NGINX_JWT_DIR/ec521.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 9]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt($_->[0], $_->[1])) } @::OTHER_KEYS]
--- error_code eval
[(401) x 9]
--- response_headers eval
[("X-Error: bad_signature\nX-User:") x 9]
--- response_body_unlike eval
[("secret") x 9]
--- no_error_log
exited on signal
[alert]



=== TEST 9: RFC 6750 3.1 a refused token gets error="invalid_token"
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::pyjwt('HS256', 'hs256b'))
--- error_code: 401
--- response_headers
WWW-Authenticate: Bearer realm="secauth", error="invalid_token"
X-Error: bad_signature
--- response_body_unlike: secret



=== TEST 10: kid selects the key among keys of one algorithm (RFC 7515 4.1.4)
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub kid=one;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256b.pub kid=two;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub kid=r1;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa2.pub kid=r2;
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256 kid=h1;
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256b kid=h2;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 12]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt($_->[0], $_->[1], [],
           { kid => $_->[2] })) }
 [ES256 => 'ec256.key', 'one'], [ES256 => 'ec256b.key', 'two'],
 [RS256 => 'rsa.key', 'r1'], [RS256 => 'rsa2.key', 'r2'],
 [HS256 => 'hs256', 'h1'], [HS256 => 'hs256b', 'h2'],
 [ES256 => 'ec256b.key', 'one'], [ES256 => 'ec256.key', 'two'],
 [RS256 => 'rsa2.key', 'r1'], [HS256 => 'hs256', 'h2'],
 [ES256 => 'ec256.key', 'three'], [RS256 => 'rsa.key', 'one']]
--- error_code eval
[200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401]
--- response_headers eval
["X-User: alice", "X-User: alice", "X-User: alice", "X-User: alice",
 "X-User: alice", "X-User: alice",
 "X-Error: bad_signature\nX-User:", "X-Error: bad_signature\nX-User:",
 "X-Error: bad_signature\nX-User:", "X-Error: bad_signature\nX-User:",
 "X-Error: unknown_kid\nX-User:", "X-Error: unknown_kid\nX-User:"]



=== TEST 11: the public part of secauth_jwt_signing_key verifies (EC, RSA, HS)
--- config
    location /ec {
        secauth jwt;
        secauth_jwt_signing_key ES256 $TEST_NGINX_JWT_DIR/ec256.key;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
    location /rs {
        secauth jwt;
        secauth_jwt_signing_key RS256 $TEST_NGINX_JWT_DIR/rsa.key;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
    location /hs {
        secauth jwt;
        secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs256;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /ec", "GET /rs", "GET /hs", "GET /ec", "GET /rs", "GET /hs"]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt(@$_)) }
 [ES256 => 'ec256.key'], [RS256 => 'rsa.key'], [HS256 => 'hs256'],
 [ES256 => 'ec256b.key'], [RS256 => 'rsa2.key'], [HS256 => 'hs256b']]
--- error_code eval
[200, 200, 200, 401, 401, 401]
--- response_headers eval
["X-User: alice", "X-User: alice", "X-User: alice",
 "X-Error: bad_signature", "X-Error: bad_signature",
 "X-Error: bad_signature"]



=== TEST 12: a signing key with a kid verifies tokens naming that kid
--- config
    secauth_jwt_signing_key ES384 $TEST_NGINX_JWT_DIR/ec384.key kid=s1;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('ES384', 'ec384.key', [], { kid => 's1' })),
 JwtTest::auth(JwtTest::pyjwt('ES384', 'ec384.key', [], { kid => 's2' }))]
--- error_code eval
[200, 401]
--- response_headers eval
["X-User: alice", "X-Error: unknown_kid"]



=== TEST 13: an HS secret is the file content exactly: its newline included
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs-newline;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('HS256', 'hs-newline')),
 JwtTest::auth(JwtTest::pyjwt('HS256', 'hs-stripped'))]
--- error_code eval
[200, 401]
--- response_headers eval
["X-User: alice", "X-Error: bad_signature"]



=== TEST 14: keys configured at http level serve every location
--- http_config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
--- config
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa.key'))
--- error_code: 200
--- response_headers
X-User: alice



=== TEST 15: secauth any admits a bearer token; a bad one is refused
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth any;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        add_header X-Method $secauth_method always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('HS256', 'hs256')),
 JwtTest::auth(JwtTest::pyjwt('HS256', 'hs256b'))]
--- error_code eval
[200, 401]
--- response_headers eval
["X-User: alice\nX-Method: jwt",
 "X-Error: bad_signature\nX-User:\nX-Method:"]



=== TEST 16: a refused token exposes no user and no claim
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_audience api;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        add_header X-Method $secauth_method always;
        add_header X-Role $secauth_claim_role always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
           [aud => 'api', role => 'admin', @$_])) }
 [exp => time - 300], [aud => 'web'], [token_use => 'refresh'], []]
--- error_code eval
[401, 401, 401, 200]
--- response_headers eval
["X-Error: expired\nX-User:\nX-Method:\nX-Role:",
 "X-Error: bad_audience\nX-User:\nX-Method:\nX-Role:",
 "X-Error: wrong_token_type\nX-User:\nX-Method:\nX-Role:",
 "X-Error:\nX-User: alice\nX-Method: jwt\nX-Role: admin"]



=== TEST 17: keys are inherited only by a level that defines none
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /inherit {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
    location /own {
        secauth jwt;
        secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /inherit", "GET /inherit", "GET /own", "GET /own"]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt(@$_)) }
 [HS256 => 'hs256'], [ES256 => 'ec256.key'],
 [ES256 => 'ec256.key'], [HS256 => 'hs256']]
--- error_code eval
[200, 401, 200, 401]
--- response_headers eval
["X-User: alice", "X-Error: bad_alg", "X-User: alice", "X-Error: bad_alg"]



=== TEST 18: RFC 7235 2.1 the scheme is case-insensitive, 1*SP before the token
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p", "GET /p", "GET /p"]
--- more_headers eval
[map { "Authorization: $_" . JwtTest::token('HS256', 'hs256', [], []) }
 'bearer ', 'BEARER ', 'bEaReR ', 'Bearer    ']
--- error_code eval
[200, 200, 200, 200]
--- response_headers eval
["X-User: alice", "X-User: alice", "X-User: alice", "X-User: alice"]



=== TEST 19: Basic credentials and no header are no credentials
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p", "GET /p"]
--- more_headers eval
["Authorization: Basic YWxpY2U6c2VjcmV0",
 "Authorization: Basic " . JwtTest::token('HS256', 'hs256', [], []),
 "X-Nothing: here"]
--- error_code eval
[401, 401, 401]
--- response_headers eval
["WWW-Authenticate: Bearer realm=\"secauth\"\nX-Error: no_credentials",
 "WWW-Authenticate: Bearer realm=\"secauth\"\nX-Error: no_credentials",
 "WWW-Authenticate: Bearer realm=\"secauth\"\nX-Error: no_credentials"]



=== TEST 20: "Bearer" with nothing after it is malformed
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
["Authorization: Bearer", "Authorization: bearer    "]
--- error_code eval
[401, 401]
--- response_headers eval
["X-Error: malformed", "X-Error: malformed"]



=== TEST 21: two Authorization headers: nginx's own 400, even if both valid
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
my $t = JwtTest::token('HS256', 'hs256', [], []);
JwtTest::auth($t) . "\n" . JwtTest::auth($t)
--- error_code: 400
--- response_body_unlike: secret
--- error_log
client sent duplicate header line



=== TEST 22: RFC 7515 7.1 not exactly three non-empty segments: malformed
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 10]
--- more_headers eval
my $t = JwtTest::token('HS256', 'hs256', [], []);
my ($h, $p, $s) = split /\./, $t;
[map { JwtTest::auth($_) }
 "$h.$p",                                   # 2 segments
 "$t.$s",                                   # 4 segments
 "$h.$p.$s.$s.$s",                          # 5 segments (JWE-like)
 "$t.",                                     # empty 4th segment
 JwtTest::signed('HS256', 'hs256', ".$p"),  # empty header
 JwtTest::signed('HS256', 'hs256', "$h."),  # empty payload
 "$h.$p.",                                  # empty signature
 "..",
 ".",
 "$h..$p.$s"]
--- error_code eval
[(401) x 10]
--- response_headers eval
[("X-Error: malformed") x 10]
--- no_error_log
exited on signal
[alert]



=== TEST 23: characters outside base64url, even if a lenient decoder agrees
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 7]
--- more_headers eval
my $t = JwtTest::token('HS256', 'hs256', [], []);
(my $quoted = $t) =~ s/\./%2E/;
[map { JwtTest::auth($_) }
 JwtTest::padded(),                         # "=" padding
 JwtTest::std_alphabet(),                   # "+" and "/"
 substr($t, 0, 20) . ' ' . substr($t, 20),  # a space inside
 substr($t, 0, 20) . "\xc3\xa9" . substr($t, 20),   # non-ASCII
 $quoted,                                   # percent-encoding
 "\"$t\"",                                  # quoted
 $t . ','                                   # a list separator
]
--- error_code eval
[(401) x 7]
--- response_headers eval
[("X-Error: malformed") x 7]
--- no_error_log
exited on signal
[alert]



=== TEST 24: a segment of no base64url length (4n+1 characters): malformed
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p", "GET /p"]
--- more_headers eval
my $h = JwtTest::b64u(JwtTest::header('HS256'));
my $p = JwtTest::b64u(JwtTest::payload());
$h .= 'A' x ((5 - length($h) % 4) % 4);
$p .= 'A' x ((5 - length($p) % 4) % 4);
my $ok_h = JwtTest::b64u(JwtTest::header('HS256'));
my $t = JwtTest::token('HS256', 'hs256', [], []);
$t .= 'A' x ((5 - length((split /\./, $t)[2]) % 4) % 4);
[JwtTest::auth(JwtTest::signed('HS256', 'hs256', "$h." . JwtTest::b64u(
     JwtTest::payload()))),
 JwtTest::auth(JwtTest::signed('HS256', 'hs256', "$ok_h.$p")),
 JwtTest::auth($t)]
--- error_code eval
[401, 401, 401]
--- response_headers eval
["X-Error: malformed", "X-Error: malformed", "X-Error: malformed"]
--- no_error_log
exited on signal
[alert]



=== TEST 25: non-canonical base64url (stray low bits) is malformed
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
my $h = JwtTest::b64u(JwtTest::header('HS256', x => 12));
my ($p) = grep { length($_) % 4 > 1 }
          map { JwtTest::b64u(JwtTest::payload(n => 'x' x $_)) } 0 .. 2;
my ($sh, $sp, $ss) = split /\./, JwtTest::signed('HS256', 'hs256', "$h.$p");
[map { JwtTest::auth($_) }
 "$sh.$sp.$ss",
 JwtTest::signed('HS256', 'hs256', JwtTest::stray_bits($h) . ".$p"),
 JwtTest::signed('HS256', 'hs256', "$h." . JwtTest::stray_bits($p)),
 "$sh.$sp." . JwtTest::stray_bits($ss)]
--- error_code eval
[200, 401, 401, 401]
--- response_headers eval
["X-User: alice", ("X-Error: malformed\nX-User:") x 3]



=== TEST 26: a header that is not a JSON object is malformed
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 9]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', $_, [])) }
 'not json',
 '["HS256"]',
 '"HS256"',
 '42',
 'null',
 '{"alg":"HS256"',
 '{"alg":"HS256"}x',
 '{"alg":"HS256",}',
 "{\"alg\":\"HS256\"}\0"]
--- error_code eval
[(401) x 9]
--- response_headers eval
[("X-Error: malformed") x 9]
--- no_error_log
exited on signal
[alert]



=== TEST 27: a payload that is not a JSON object is malformed (valid HMAC)
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 7]
--- more_headers eval
my $p = JwtTest::payload();
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], $_)) }
 'not json',
 "[$p]",
 '"alice"',
 '1',
 'null',
 substr($p, 0, -1),
 "$p$p"]
--- error_code eval
[(401) x 7]
--- response_headers eval
[("X-Error: malformed\nX-User:") x 7]
--- no_error_log
exited on signal
[alert]



=== TEST 28: RFC 7515 4 duplicate header keys, also spelled with \u escapes
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', $_, [])) }
 '{"alg":"HS256","alg":"none"}',
 '{"alg":"none","alg":"HS256"}',
 '{"alg":"HS256","\u0061lg":"none"}',
 '{"alg":"HS256","typ":"JWT","kid":"a","kid":"b"}']
--- error_code eval
[(401) x 4]
--- response_headers eval
[("X-Error: malformed") x 4]



=== TEST 29: RFC 7519 4 duplicate claims: malformed, never first/last-wins
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
my $exp = time + 600;
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], $_)) }
 qq({"sub":"alice","sub":"admin","exp":$exp}),
 qq({"sub":"alice","s\\u0075b":"admin","exp":$exp}),
 qq({"sub":"alice","exp":1,"exp":$exp}),
 qq({"sub":"alice","exp":$exp,"token_use":"refresh",)
     . qq("token_use":"access"})]
--- error_code eval
[(401) x 4]
--- response_headers eval
[("X-Error: malformed\nX-User:") x 4]



=== TEST 30: deeply nested JSON (5000 levels) in header or payload: no crash
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_max_size 64k;
    large_client_header_buffers 4 64k;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 5]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', @$_)) }
 [JwtTest::nested(5000), []],
 [JwtTest::nested(5000, '{"a":', '}'), []],
 [[], JwtTest::nested(5000)],
 [[], '[' x 5000],
 [[], '{"sub":' x 5000]]
--- error_code eval
[(401) x 5]
--- response_headers eval
[("X-Error: malformed") x 5]
--- no_error_log
exited on signal
[alert]



=== TEST 31: a valid object with a 2900-deep member: admitted or malformed
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::token('HS256', 'hs256',
     [x => JwtTest::raw(JwtTest::nested(2900))], [])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
     [x => JwtTest::raw(JwtTest::nested(2900))])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], []))]
--- error_code_like eval
["^(?:200|401)\$", "^(?:200|401)\$", "^200\$"]
--- no_error_log
exited on signal
[alert]



=== TEST 32: RFC 8725 3.1, ASVS 9.1.2 alg none refused in every spelling
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 8]
--- more_headers eval
my @none = qw(none None NONE nOnE);
[(map { my ($h, $p) = split /\./,
            JwtTest::token('HS256', 'hs256', [alg => $_], []);
        JwtTest::auth("$h.$p.") } @none),
 (map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [alg => $_], [])) }
  @none)]
--- error_code eval
[(401) x 8]
--- response_headers eval
[("X-Error: malformed\nX-User:") x 4, ("X-Error: bad_alg\nX-User:") x 4]
--- no_error_log
exited on signal
[alert]



=== TEST 33: RFC 8725 3.1 alg is compared exactly against the configured ones
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 10]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', $_, [])) }
 [alg => 'hs256'], [alg => 'Hs256'], [alg => 'HS256 '],
 [alg => "HS256\0"], [alg => 'HS384'], [alg => 'PS256'],
 [alg => 'EdDSA'], [alg => undef], [alg => ['HS256']], [alg => 256]]
--- error_code eval
[(401) x 10]
--- response_headers_like eval
[("X-Error: bad_alg") x 3, "X-Error: (?:bad_alg|malformed)",
 ("X-Error: bad_alg") x 6]



=== TEST 34: RFC 8725 2.1 key confusion: HS256 signed with the RSA public PEM
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', $_, [], [])) }
 'rsa.pub', 'rsa.pub.nonl', 'rsa.pub.der', 'ec256.pub']
--- error_code eval
[(401) x 4]
--- response_headers eval
[("X-Error: bad_alg\nX-User:") x 4]
--- no_error_log
exited on signal
[alert]



=== TEST 35: key confusion with an HS key configured too: bad_signature
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::token('HS256', 'rsa.pub', [], [])),
 JwtTest::auth(JwtTest::token('HS256', 'rsa.pub', [kid => 'rsa'], []))]
--- error_code eval
[401, 401]
--- response_headers eval
["X-Error: bad_signature\nX-User:", "X-Error: unknown_kid\nX-User:"]



=== TEST 36: each key is bound to one algorithm: other families refused
--- config
    location /hs {
        secauth jwt;
        secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
    location /rs {
        secauth jwt;
        secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /hs", "GET /hs", "GET /rs", "GET /rs", "GET /rs"]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt(@$_)) }
 [RS256 => 'rsa.key'], [ES256 => 'ec256.key'], [ES256 => 'ec256.key'],
 [RS384 => 'rsa.key'], [PS256 => 'rsa.key']]
--- error_code eval
[(401) x 5]
--- response_headers eval
[("X-Error: bad_alg") x 5]



=== TEST 37: tampered payloads and signatures are bad_signature, sub unset
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 9]
--- more_headers eval
my @out;
for my $k ([HS256 => 'hs256'], [RS256 => 'rsa.key'], [ES256 => 'ec256.key'])
{
    my ($h, $p, $s) = split /\./, JwtTest::pyjwt(@$k);
    my $admin = JwtTest::b64u(JwtTest::payload(sub => 'admin'));
    push @out, "$h.$admin.$s";                          # payload swapped
    my $short = substr(MIME::Base64::decode_base64url($s), 0, -3);
    push @out, "$h.$p." . JwtTest::b64u($short);        # truncated sig
    push @out, "$h.$p." . JwtTest::b64u('x');           # 1-byte sig
}
[map { JwtTest::auth($_) } @out]
--- error_code eval
[(401) x 9]
--- response_headers eval
[("X-Error: bad_signature\nX-User:") x 9]
--- no_error_log
exited on signal
[alert]



=== TEST 38: RFC 7518 3.4, CVE-2022-21449 ES: DER form and r=s=0 refused
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    secauth_jwt_key ES512 $TEST_NGINX_JWT_DIR/ec521.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 6]
--- more_headers eval
[map { JwtTest::auth($_) }
 JwtTest::token('ES256', 'ec256.key', [], [], der => 1),
 JwtTest::token('ES256', 'ec256.key', [], [], sig => "\0" x 64),
 JwtTest::token('ES512', 'ec521.key', [], [], sig => "\0" x 132),
 JwtTest::token('ES256', 'ec256.key', [], [], sig => "\xff" x 64),
 JwtTest::token('ES256', 'ec256.key', [], [], sig => "\0" x 96),
 JwtTest::token('ES512', 'ec521.key', [], [], der => 1)]
--- error_code eval
[(401) x 6]
--- response_headers eval
[("X-Error: bad_signature\nX-User:") x 6]
--- no_error_log
exited on signal
[alert]



=== TEST 39: RFC 8725 3.10, ASVS 9.1.3 jku x5u jwk x5c x5t crit refused
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 10]
--- more_headers eval
my $jwk = { kty => 'oct', k => JwtTest::b64u(JwtTest::slurp('hs256b')) };
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', $_, [])) }
 [jku => 'https://evil.example/jwks.json'],
 [x5u => 'https://evil.example/cert.pem'],
 [jwk => $jwk],
 [x5c => ['MIIB']],
 [crit => ['exp']],
 [crit => []],
 [crit => ['b64'], b64 => JSON::PP::false],
 [jku => ''],
 [x5t => 'abc'],
 ['x5t#S256' => 'abc']]
--- error_code eval
[(401) x 10]
--- response_headers eval
[("X-Error: bad_header\nX-User:") x 10]



=== TEST 40: CVE-2018-0114 a token carrying its own key (jwk) is refused
--- config
    secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::token('RS256', 'rsa2.key',
    [jwk => JwtTest::rsa_jwk('rsa2.pub')], []))
--- error_code: 401
--- response_headers
X-Error: bad_header



=== TEST 41: RFC 8725 3.10 kid is only a lookup key: unknown kids refused
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256 kid=main;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 8]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [kid => $_], [])) }
 'nope', '../../etc/passwd', '/dev/null', "' OR 1=1 --",
 'MAIN', 'main ', "main\0", '']
--- error_code eval
[(401) x 8]
--- response_headers_like eval
[("X-Error: unknown_kid\nX-User:") x 6,
 "X-Error: (?:unknown_kid|malformed)\nX-User:",
 "X-Error: unknown_kid\nX-User:"]
--- no_error_log
exited on signal
[alert]



=== TEST 42: a kid is refused when the configured key has none
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::token('HS256', 'hs256', [kid => '../../etc/passwd'],
     [])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], []))]
--- error_code eval
[401, 200]
--- response_headers eval
["X-Error: unknown_kid", "X-Error:"]



=== TEST 43: RFC 8725 3.11 typ, when present, is JWT or at+jwt
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 10]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [typ => $_], [])) }
 'JWT', 'jwt', 'at+jwt', 'AT+JWT', undef,
 'refresh+jwt', 'JWE', 'secevent+jwt', '', 'JWT ']
--- error_code eval
[200, 200, 200, 200, 200, 401, 401, 401, 401, 401]
--- response_headers eval
[("X-User: alice") x 5, ("X-Error: wrong_token_type\nX-User:") x 5]



=== TEST 44: RFC 7519 4.1.4 exp missing or not an integer: bad_claims
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 9]
--- more_headers eval
my $future = time + 600;
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [exp => $_])) }
 undef, "$future", JwtTest::raw('1.5e9'), JwtTest::raw('4e9'),
 JwtTest::raw("$future.0"), JwtTest::raw('1e30'), JSON::PP::true,
 JwtTest::raw('null'), [$future]]
--- error_code eval
[(401) x 9]
--- response_headers eval
[("X-Error: bad_claims\nX-User:") x 9]



=== TEST 45: an exp beyond 64 bits is bad_claims (docs/jwt.md 5)
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
           [exp => JwtTest::raw($_)])) }
 '99999999999999999999', '18446744073709551617']
--- error_code eval
[401, 401]
--- response_headers eval
["X-Error: bad_claims\nX-User:", "X-Error: bad_claims\nX-User:"]



=== TEST 46: extreme times never wrap into acceptance (64-bit edges)
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 7]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], $_)) }
 [exp => -1],
 [exp => JwtTest::raw('-9223372036854775808')],
 [exp => JwtTest::raw('-9223372036854775807')],
 [nbf => JwtTest::raw('9223372036854775807')],
 [iat => JwtTest::raw('9223372036854775807')],
 [nbf => JwtTest::raw('9223372036854775777')],
 [exp => 4102444800]]
--- error_code eval
[401, 401, 401, 401, 401, 401, 200]
--- response_headers_like eval
[("X-Error: (?:expired|bad_claims)\nX-User:") x 3,
 ("X-Error: (?:not_yet_valid|bad_claims)\nX-User:") x 3,
 "X-Error:\nX-User: alice"]



=== TEST 47: nbf and iat must be integers when present
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 6]
--- more_headers eval
my $past = time - 60;
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], $_)) }
 [nbf => "$past"], [nbf => JwtTest::raw('1.5e9')], [nbf => JSON::PP::true],
 [iat => "$past"], [iat => JwtTest::raw("$past.5")], [iat => {}]]
--- error_code eval
[(401) x 6]
--- response_headers eval
[("X-Error: bad_claims") x 6]



=== TEST 48: sub must be a non-empty string
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 6]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [sub => $_])) }
 undef, '', 123, JwtTest::raw('null'), ['alice'], JSON::PP::true]
--- error_code eval
[(401) x 6]
--- response_headers eval
[("X-Error: bad_claims\nX-User:") x 6]



=== TEST 49: RFC 8725 3.8 secauth_jwt_issuer: iss compared exactly
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_issuer https://issuer.example;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 7]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [iss => $_])) }
 $::ISS, undef, 'https://evil.example', 'HTTPS://ISSUER.EXAMPLE',
 "$::ISS/", 'https://issuer.example.evil', [$::ISS]]
--- error_code eval
[200, 401, 401, 401, 401, 401, 401]
--- response_headers eval
["X-User: alice", ("X-Error: bad_issuer\nX-User:") x 6]



=== TEST 50: RFC 8725 3.9, ASVS 9.2.3 aud (string or array) must hold ours
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_audience api;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 10]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [aud => $_])) }
 'api', ['web', 'api'], ['api'],
 undef, 'web', ['web', 'mail'], [], 'api-x', 'API', 'web api']
--- error_code eval
[200, 200, 200, (401) x 7]
--- response_headers eval
[("X-User: alice") x 3, ("X-Error: bad_audience\nX-User:") x 7]



=== TEST 51: RFC 8725 3.12 a token_use other than "access" is refused
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 6]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
           [token_use => $_])) }
 'access', undef, 'refresh', 'reset', 'Access', 1]
--- error_code eval
[200, 200, 401, 401, 401, 401]
--- response_headers eval
["X-User: alice", "X-User: alice",
 ("X-Error: wrong_token_type\nX-User:") x 4]



=== TEST 52: revocation by (iss, jti) in Redis, only where it is on
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_JWT_PREFIX;
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /on {
        secauth jwt;
        secauth_jwt_revocation on;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
    location /off {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /on", "GET /on", "GET /on", "GET /on", "GET /on", "GET /off"]
--- more_headers eval
[map { JwtTest::auth(JwtTest::token('HS256', 'hs256', [], $_)) }
 [iss => $::ISS, jti => 'jti-revoked'],
 [jti => 'jti-revoked-no-iss'],
 [iss => $::ISS, jti => 'jti-fine'],
 [iss => 'https://other.example', jti => 'jti-revoked'],
 [iss => $::ISS, jti => 'jti-revoked-no-iss'],
 [iss => $::ISS, jti => 'jti-revoked']]
--- error_code eval
[401, 401, 200, 200, 200, 200]
--- response_headers eval
["X-Error: revoked\nX-User:", "X-Error: revoked\nX-User:",
 "X-User: alice", "X-User: alice", "X-User: alice", "X-User: alice"]



=== TEST 53: an ES256 token admitted twice (so cached as verified) ...
--- http_config
    secauth_redis redis://127.0.0.1:$TEST_NGINX_REDIS_PORT
                  prefix=$TEST_NGINX_JWT_PREFIX;
--- config
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    location /p {
        secauth jwt;
        secauth_jwt_revocation on;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(main::later()), JwtTest::auth(main::later())]
--- error_code eval
[200, 200]
--- response_headers eval
["X-User: alice", "X-User: alice"]



=== TEST 54: ... is refused once revoked, by the same running worker
--- init
JwtTest::revoke($::ISS, 'jti-revoked-later');
--- request
GET /p
--- more_headers eval
JwtTest::auth(main::later())
--- error_code: 401
--- response_headers
X-Error: revoked
X-User:



=== TEST 55: the cache takes exact copies only: a cached token's signature on another payload is refused
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 6]
--- more_headers eval
my $hs = JwtTest::token('HS256', 'hs256', [], [jti => 'cache-1']);
my $es = JwtTest::pyjwt('ES256', 'ec256.key', [jti => 'cache-2']);
my @forged = map {
    my ($h, undef, $sig) = split /\./;
    CORE::join '.', $h, JwtTest::b64u(JwtTest::payload(sub => 'root',
                                                       jti => 'cache-1')),
               $sig;
} $hs, $es;
[map { JwtTest::auth($_) } $hs, $es, @forged, $hs, $es]
--- error_code eval
[200, 200, 401, 401, 200, 200]
--- response_headers eval
["X-User: alice", "X-User: alice", "X-Error: bad_signature\nX-User:",
 "X-Error: bad_signature\nX-User:", "X-User: alice", "X-User: alice"]



=== TEST 56: a token verified in one location is not taken by another's keys
--- config
    location /a {
        secauth jwt;
        secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
        secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256.pub;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
    location /b {
        secauth jwt;
        secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa2.pub;
        secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ec256b.pub;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
    location /c {
        secauth jwt;
        secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;
        secauth_jwt_audience api;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /b", "GET /a", "GET /b", "GET /c", "GET /a", "GET /b"]
--- more_headers eval
my $rs = JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa.key'));
my $es = JwtTest::auth(JwtTest::pyjwt('ES256', 'ec256.key'));
[$rs, $rs, $rs, $rs, $es, $es]
--- error_code eval
[401, 200, 401, 401, 200, 401]
--- response_headers eval
["X-Error: bad_signature\nX-User:", "X-User: alice",
 "X-Error: bad_signature\nX-User:", "X-Error: bad_audience\nX-User:",
 "X-User: alice", "X-Error: bad_signature\nX-User:"]



=== TEST 57: revocation on, Redis down: secauth_fail closed answers 503
--- http_config
    secauth_redis redis://127.0.0.1:1;
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        secauth_jwt_revocation on;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::token('HS256', 'hs256', [], [jti => 'any']))
--- error_code: 503
--- response_headers
X-Error: store_unavailable
X-User:
--- response_body_unlike: secret
--- no_error_log
exited on signal



=== TEST 58: ... and secauth_fail open admits with no user and no claims
--- http_config
    secauth_redis redis://127.0.0.1:1;
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        secauth_jwt_revocation on;
        secauth_fail open;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        add_header X-Method $secauth_method always;
        add_header X-Role $secauth_claim_role always;
        alias html/p.txt;
    }
--- request
GET /p
--- more_headers eval
JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
    [jti => 'any', role => 'admin']))
--- error_code: 200
--- response_headers
X-Error: store_unavailable
X-User:
X-Method:
X-Role:



=== TEST 59: the 8 KiB default cap: 8192 characters pass, 8193 are too_large
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    large_client_header_buffers 4 64k;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::sized_token(8192)),
 JwtTest::auth(JwtTest::sized_token(8193))]
--- error_code eval
[200, 401]
--- response_headers eval
["X-User: alice", "X-Error: too_large\nX-User:"]



=== TEST 60: secauth_jwt_max_size 1k: 1024 characters pass, 1025 do not
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_max_size 1k;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::sized_token(1024)),
 JwtTest::auth(JwtTest::sized_token(1025))]
--- error_code eval
[200, 401]
--- response_headers eval
["X-User: alice", "X-Error: too_large\nX-User:"]



=== TEST 61: a 3 MB token in nginx's default header buffers: nginx's own 400
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::sized_token(3 * 1024 * 1024)),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], []))]
--- error_code eval
[400, 200]
--- no_error_log
exited on signal
[alert]



=== TEST 62: a 3 MB token that nginx lets through is too_large, no crash
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    large_client_header_buffers 2 4m;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::sized_token(3 * 1024 * 1024)),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], []))]
--- error_code eval
[401, 200]
--- response_headers eval
["X-Error: too_large", "X-Error:"]
--- no_error_log
exited on signal
[alert]



=== TEST 63: 1 MiB tokens under a 1m cap: verified without stack exhaustion
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    secauth_jwt_max_size 1m;
    large_client_header_buffers 2 2m;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[JwtTest::auth(JwtTest::sized_token(1024 * 1024, 'x' x 32)),
 JwtTest::auth(JwtTest::sized_token(1024 * 1024)),
 JwtTest::auth(JwtTest::sized_token(1024 * 1024 + 1)),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [], []))]
--- error_code eval
[401, 200, 401, 200]
--- response_headers eval
["X-Error: bad_signature\nX-User:", "X-User: alice",
 "X-Error: too_large\nX-User:", "X-User: alice"]
--- timeout: 10
--- no_error_log
exited on signal
[alert]



=== TEST 64: claims with CR/LF never inject response headers
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        add_header X-Role $secauth_claim_role always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p"]
--- more_headers eval
[JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
     [sub => "alice\r\nX-Injected: sub"])),
 JwtTest::auth(JwtTest::token('HS256', 'hs256', [],
     [role => "admin\r\nX-Injected: role"]))]
--- error_code_like eval
["^(?:200|401)\$", "^(?:200|401)\$"]
--- response_headers eval
["!X-Injected", "!X-Injected"]
--- no_error_log
exited on signal
[alert]
