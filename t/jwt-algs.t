# The gate's newer algorithms: PS256/384/512 (RSASSA-PSS, RFC 7518 3.5)
# and EdDSA (Ed25519 and Ed448, RFC 8037), with tokens from PyJWT and
# Crypt::JWT, and signatures made here with the openssl CLI for what no
# library makes (another PSS salt length). Each key is bound to its
# algorithm: a PS token is not an RS one, an Ed25519 key is not an Ed448
# one, and nginx -t refuses a key of the wrong type.

use FindBin;
use lib "$FindBin::Bin/lib";
use JwtTest;
use MIME::Base64 qw(encode_base64url);
use Test::Nginx::Socket 'no_plan';

# keys beside those of JwtTest: Ed448, a second Ed25519, an RSA-PSS key
for my $k (['ed448', 'ED448'], ['ed2', 'ED25519'], ['pss', 'RSA-PSS']) {
    my ($name, $type) = @$k;
    system('openssl', 'genpkey', '-quiet', '-algorithm', $type, '-out',
           JwtTest::key_path("$name.key")) == 0
        and system('openssl', 'pkey', '-in', JwtTest::key_path("$name.key"),
                   '-pubout', '-out', JwtTest::key_path("$name.pub")) == 0
        or die "openssl genpkey $type failed\n";
}

our @ALGS = ([PS256 => 'rsa.key'], [PS384 => 'rsa.key'],
             [PS512 => 'rsa.key'], [EdDSA => 'ed.key']);

# a token signed by the openssl CLI: PS with a given salt length, or
# EdDSA (pkeyutl -rawin: Ed25519 and Ed448 sign the message itself)
sub cli_token {
    my ($alg, $key, $salt) = @_;
    my $input = encode_base64url(qq({"alg":"$alg"})) . '.'
              . encode_base64url('{"sub":"alice","exp":' . (time + 600) . '}');
    my $in = JwtTest::key_path("cli-input-$$");
    open my $fh, '>:raw', $in or die "$in: $!";
    print $fh $input;
    close $fh;
    my @cmd = $alg eq 'EdDSA'
        ? ('openssl', 'pkeyutl', '-sign', '-rawin', '-inkey',
           JwtTest::key_path($key), '-in', $in)
        : ('openssl', 'dgst', '-sha' . substr($alg, 2), '-sign',
           JwtTest::key_path($key), '-sigopt', 'rsa_padding_mode:pss',
           '-sigopt', "rsa_pss_saltlen:$salt", $in);
    open my $sig_fh, '-|', @cmd or die "openssl: $!";
    binmode $sig_fh;
    my $sig = do { local $/; <$sig_fh> };
    close $sig_fh or die "@cmd failed\n";
    unlink $in;
    return "$input." . encode_base64url($sig);
}

master_on();

JwtTest::at_block_start(sub {
    my $block = shift;

    $block->set_value('user_files', ">>> p.txt\nsecret\n")
        unless defined $block->user_files;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: interop: PyJWT tokens of PS256, PS384, PS512 and EdDSA admitted
--- config
    secauth_jwt_key PS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key PS384 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key PS512 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key EdDSA $TEST_NGINX_JWT_DIR/ed.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[map { JwtTest::auth(JwtTest::pyjwt($_->[0], $_->[1],
                                    [sub => "user-$_->[0]"])) } @::ALGS]
--- error_code eval
[(200) x 4]
--- response_headers eval
[map { "X-Error:\nX-User: user-$_->[0]" } @::ALGS]
--- response_body eval
[("secret\n") x 4]



=== TEST 2: interop: Crypt::JWT tokens of the same algorithms admitted
--- skip_eval: 8: !JwtTest::have_crypt_jwt()
--- config
    secauth_jwt_key PS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key PS384 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key PS512 $TEST_NGINX_JWT_DIR/rsa.pub;
    secauth_jwt_key EdDSA $TEST_NGINX_JWT_DIR/ed.pub;
    location /p {
        secauth jwt;
        add_header X-User $secauth_user always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[map { JwtTest::auth(JwtTest::crypt_jwt($_->[0], $_->[1],
                                        [sub => "cj-$_->[0]"])) } @::ALGS]
--- error_code eval
[(200) x 4]
--- response_headers eval
[map { "X-User: cj-$_->[0]" } @::ALGS]



=== TEST 3: Ed448 (PyJWT and openssl) and an RSA-PSS key (openssl, salt 32)
--- config
    location /p {
        secauth jwt;
        secauth_jwt_key EdDSA $TEST_NGINX_JWT_DIR/ed448.pub;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
    location /q {
        secauth jwt;
        secauth_jwt_key PS256 $TEST_NGINX_JWT_DIR/pss.pub;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
["GET /p", "GET /p", "GET /q"]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('EdDSA', 'ed448.key')),
 JwtTest::auth(main::cli_token('EdDSA', 'ed448.key')),
 JwtTest::auth(main::cli_token('PS256', 'pss.key', 32))]
--- error_code eval
[200, 200, 200]



=== TEST 4: PSS needs the hash's salt length (RFC 7518 3.5): 0, 20, 64 refused
--- config
    secauth_jwt_key PS256 $TEST_NGINX_JWT_DIR/rsa.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 4]
--- more_headers eval
[map { JwtTest::auth(main::cli_token('PS256', 'rsa.key', $_)) } 32, 0, 20, 64]
--- error_code eval
[200, 401, 401, 401]
--- response_headers eval
["X-Error:", ("X-Error: bad_signature") x 3]



=== TEST 5: keys are bound to their algorithm: no RS for PS, no PS for RS
--- config
    location /ps {
        secauth jwt;
        secauth_jwt_key PS256 $TEST_NGINX_JWT_DIR/rsa.pub;
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
["GET /ps", "GET /rs",
 "GET /ps", "GET /rs"]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('RS256', 'rsa.key')),
 JwtTest::auth(JwtTest::pyjwt('PS256', 'rsa.key')),
 # a PKCS#1 v1.5 signature under a header that says PS256, and the
 # other way round: the header's alg selects the key, the key its scheme
 JwtTest::auth(JwtTest::token('RS256', 'rsa.key',
                              '{"alg":"PS256","typ":"JWT"}', [])),
 JwtTest::auth(main::cli_token('PS256', 'rsa.key', 32)
                   =~ s/^[^.]+/JwtTest::b64u('{"alg":"RS256"}')/er)]
--- error_code eval
[401, 401, 401, 401]
--- response_headers eval
["X-Error: bad_alg", "X-Error: bad_alg", "X-Error: bad_signature",
 "X-Error: bad_signature"]



=== TEST 6: EdDSA: another key's signature, the other curve, a flipped bit
--- config
    secauth_jwt_key EdDSA $TEST_NGINX_JWT_DIR/ed.pub;
    location /p {
        secauth jwt;
        add_header X-Error $secauth_error always;
        alias html/p.txt;
    }
--- request eval
[("GET /p") x 3]
--- more_headers eval
[JwtTest::auth(JwtTest::pyjwt('EdDSA', 'ed2.key')),
 JwtTest::auth(JwtTest::pyjwt('EdDSA', 'ed448.key')),
 # a bit of the signature's first character (the last one's low bits
 # are padding: changing them makes a non-canonical encoding, malformed)
 JwtTest::auth(JwtTest::pyjwt('EdDSA', 'ed.key')
                   =~ s/\.(.)([^.]*)$/'.' . ($1 eq 'A' ? 'B' : 'A') . $2/er)]
--- error_code eval
[401, 401, 401]
--- response_headers eval
[("X-Error: bad_signature") x 3]



=== TEST 7: nginx -t: an RSA key for EdDSA
--- config
    secauth_jwt_key EdDSA $TEST_NGINX_JWT_DIR/rsa.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key".*needs an Ed25519 or Ed448 key for EdDSA/



=== TEST 8: nginx -t: an EC key for PS256
--- config
    secauth_jwt_key PS256 $TEST_NGINX_JWT_DIR/ec256.pub;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key".*needs an RSA key for a PS algorithm/



=== TEST 9: nginx -t: an Ed448 key for ES256, an RSA-1024 key for PS256
--- config
    location /a { secauth_jwt_key ES256 $TEST_NGINX_JWT_DIR/ed448.pub; }
    location /b { secauth_jwt_key PS256 $TEST_NGINX_JWT_DIR/rsa1024.pub; }
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key"/



=== TEST 10: nginx -t: an EdDSA private key is not a verification key
--- config
    secauth_jwt_key EdDSA $TEST_NGINX_JWT_DIR/ed.key;
--- must_die
--- error_log eval
qr/\[emerg\].*"secauth_jwt_key".*needs the public key, not a private key/



=== TEST 11: algorithm names are exact: eddsa, EDDSA, ps256 refused
--- config
    location /a { secauth_jwt_key eddsa $TEST_NGINX_JWT_DIR/ed.pub; }
--- must_die
--- error_log eval
qr/\[emerg\].*unknown algorithm "eddsa"/
