package JwtTest;

# Keys and tokens for the JWT suites (t/jwt.t, t/jwt-config.t).
#
# At load time a private directory is filled with keys made by the
# openssl CLI and exported as $TEST_NGINX_JWT_DIR, so that configurations
# can say "secauth_jwt_key RS256 $TEST_NGINX_JWT_DIR/rsa.pub;".
#
# Tokens come from three independent sources:
#   - pyjwt():     PyJWT (Debian python3-jwt), the interop reference;
#   - crypt_jwt(): Crypt::JWT (Debian libcrypt-jwt-perl), when installed;
#   - token():     built here byte by byte (HMAC with Digest::SHA, RSA and
#                  ECDSA with the openssl CLI), for tokens no library will
#                  make: lying headers, duplicate keys, floats, bad
#                  signature encodings.
#
# Every function is called from "--- ... eval" sections, which Test::Base
# evaluates in its own package: call them as JwtTest::name(...).
#
# Tokens are relative to the time they are minted (iat, exp, nbf), so a
# suite mints them when each block starts: JwtTest::at_block_start(SUB)
# in place of add_block_preprocessor(SUB) (see there).

use strict;
use warnings;

use Digest::SHA qw(hmac_sha256 hmac_sha384 hmac_sha512 sha256_hex);
use Exporter 'import';
use File::Temp qw(tempdir);
use IPC::Open2 qw(open2);
use JSON::PP ();
use MIME::Base64 qw(encode_base64url);

our @EXPORT_OK = qw(
    key_path slurp b64u raw header payload token signed pyjwt pyjwt_decode
    crypt_jwt
    have_crypt_jwt auth revocation_key revoke redis nested sized_token
    std_alphabet padded rsa_jwk stray_bits
);

# Debian's interpreter: python3 in PATH may be another one (pyenv) that
# lacks the python3-jwt package.
my $PYTHON = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';

my $DIR = tempdir('secauth-jwt-XXXXXX', TMPDIR => 1, CLEANUP => 1);
$ENV{TEST_NGINX_JWT_DIR} = $DIR;

# The Redis key prefix of this run: revocations written by one run are
# never seen by another.
$ENV{TEST_NGINX_JWT_PREFIX} = "secauth-jwt-test-$$-" . time . ':';

my $JSON = JSON::PP->new->canonical->allow_nonref;

sub fail_loudly {
    my ($msg) = @_;

    # eval sections turn a die into the section's value: say it first
    warn "JwtTest: $msg\n";
    die "JwtTest: $msg\n";
}

sub run_openssl {
    my @args = @_;

    my $cmd = join ' ', 'openssl', map { quotemeta } @args;
    my $out = `$cmd 2>&1`;
    fail_loudly("openssl @args failed: $out") if $?;
    return $out;
}

sub key_path {
    my ($name) = @_;
    return "$DIR/$name";
}

sub slurp {
    my ($name) = @_;

    my $path = $name =~ m{/} ? $name : key_path($name);
    open my $fh, '<:raw', $path or fail_loudly("$path: $!");
    local $/;
    my $data = <$fh>;
    close $fh;
    return $data;
}

sub spew {
    my ($name, $data) = @_;

    open my $fh, '>:raw', key_path($name) or fail_loudly("$name: $!");
    print $fh $data;
    close $fh;
}

sub random_bytes {
    my ($n) = @_;

    open my $fh, '<:raw', '/dev/urandom' or fail_loudly("urandom: $!");
    read($fh, my $bytes, $n) == $n or fail_loudly('urandom: short read');
    close $fh;
    return $bytes;
}

# Keys: NAME.key (PKCS#8 private key) and NAME.pub (SubjectPublicKeyInfo);
# HS secrets are files of raw bytes named hs256, hs384, ...
sub make_keys {
    my %rsa_bits = (rsa => 2048, rsa2 => 2048, rsa1024 => 1024);
    for my $name (sort keys %rsa_bits) {
        run_openssl(qw(genpkey -algorithm RSA -pkeyopt),
                    "rsa_keygen_bits:$rsa_bits{$name}",
                    '-out', key_path("$name.key"));
    }

    my %curves = (
        ec256 => 'P-256', ec256b => 'P-256',
        ec384 => 'P-384', ec384b => 'P-384',
        ec521 => 'P-521', ec521b => 'P-521',
        k256 => 'secp256k1',
    );
    for my $name (sort keys %curves) {
        run_openssl(qw(genpkey -algorithm EC -pkeyopt),
                    "ec_paramgen_curve:$curves{$name}",
                    '-out', key_path("$name.key"));
    }

    run_openssl(qw(genpkey -algorithm ED25519 -out), key_path('ed.key'));

    for my $name (qw(rsa rsa2 rsa1024 ec256 ec256b ec384 ec384b ec521 ec521b
                     k256 ed))
    {
        run_openssl('pkey', '-in', key_path("$name.key"), '-pubout',
                    '-out', key_path("$name.pub"));
    }

    # the traditional "BEGIN EC PRIVATE KEY" form of a private key
    run_openssl('ec', '-in', key_path('ec256.key'), '-out',
                key_path('ec256-trad.key'));

    # the RSA public key as an attacker's HMAC secret: PEM without its
    # final newline, and DER
    (my $pem = slurp('rsa.pub')) =~ s/\n\z//;
    spew('rsa.pub.nonl', $pem);
    run_openssl('pkey', '-pubin', '-in', key_path('rsa.pub'), '-outform',
                'DER', '-out', key_path('rsa.pub.der'));

    run_openssl(qw(req -x509 -new -days 2 -subj /CN=secauth-test -key),
                key_path('rsa.key'), '-out', key_path('rsa.crt'));

    spew('hs256', random_bytes(32));
    spew('hs256b', random_bytes(32));
    spew('hs384', random_bytes(48));
    spew('hs384b', random_bytes(48));
    spew('hs512', random_bytes(64));
    spew('hs512b', random_bytes(64));
    spew('hs31', random_bytes(31));
    spew('hs47', random_bytes(47));
    spew('hs63', random_bytes(63));
    spew('empty', '');

    # 40 printable characters and a newline, which is part of the secret
    my @chars = ('a' .. 'z', 'A' .. 'Z', '0' .. '9');
    my $text = join '', map { $chars[ord($_) % @chars] }
                        split //, random_bytes(40);
    spew('hs-newline', "$text\n");
    spew('hs-stripped', $text);

    mkdir key_path('a-directory') or fail_loudly("mkdir: $!");
}

make_keys();

# at_block_start(SUB, BEFORE): "--- ... eval" sections are evaluated as
# each block starts rather than when the file is read, then SUB (if any)
# runs as the suite's block preprocessor. BEFORE (if any) runs first, to
# mint the tokens that the sections read from variables.
#
# Test::Base filters every block of a file before the first one runs, so
# a runner that takes a few seconds per block (the CPAN Test::Nginx
# restarting nginx each time) reaches block N with tokens minted long
# before: "nbf 15 s ahead" is then 3 s ahead, and a leeway test admits
# what it must refuse. Test::Base::filters_delay() keeps the sections
# unfiltered until the block preprocessor, which Test::Nginx runs right
# before the block (its own start of nginx and the requests follow).
sub at_block_start {
    my ($code, $before) = @_;

    Test::Base::filters_delay();

    Test::Nginx::Util::add_block_preprocessor(sub {
        my $block = shift;

        $before->($block) if $before;
        $block->run_filters unless $block->is_filtered;
        $code->($block) if $code;
    });
}

# jwks(NAME, [[PEM or secret file, kty, {extra members}], ...], RAW): the
# file NAME in the key directory, a JWK Set made by PyJWT's to_jwk from
# the keys (kty: RSA, EC, OKP, oct; RSA-private for a private key), or
# RAW as it is when given
sub jwks {
    my ($name, $keys, $raw) = @_;
    my $py = <<'PY';
import json, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key, load_pem_private_key
from jwt.algorithms import RSAAlgorithm, ECAlgorithm, OKPAlgorithm, HMACAlgorithm
out = []
for path, kind, extra in json.loads(sys.argv[1]):
    data = open(path, 'rb').read()
    if kind == 'oct':
        jwk = json.loads(HMACAlgorithm.to_jwk(data))
    else:
        key = load_pem_private_key(data, None) if kind.endswith('-private') else load_pem_public_key(data)
        alg = {'RSA': RSAAlgorithm, 'EC': ECAlgorithm, 'OKP': OKPAlgorithm}[kind.split('-')[0]]
        jwk = json.loads(alg.to_jwk(key))
    jwk.update(extra)
    out.append(jwk)
print(json.dumps({'keys': out}))
PY
    my @spec = map { [JwtTest::key_path($_->[0]), $_->[1], $_->[2] // {}] }
               @$keys;
    open my $fh, '-|', $PYTHON, '-c', $py, JSON::PP->new->encode(\@spec)
        or die "python3: $!";
    my $json = do { local $/; <$fh> };
    close $fh or die "python3 failed for $name\n";
    open my $out, '>', JwtTest::key_path($name) or die;
    print $out $raw // $json;
    close $out;
}

sub b64u {
    my ($data) = @_;
    return encode_base64url($data);
}

# raw(TEXT): a JSON value written verbatim by header() and payload(),
# e.g. raw('1.5e9'), raw('99999999999999999999')
sub raw {
    my ($text) = @_;
    return bless \$text, 'JwtTest::Raw';
}

sub json_object {
    my ($defaults, $over) = @_;

    my @pairs = @$defaults;
    my @over = @$over;

    while (my ($name, $value) = splice @over, 0, 2) {
        my $found;
        for (my $i = 0; $i < @pairs; $i += 2) {
            next unless $pairs[$i] eq $name;
            $pairs[$i + 1] = $value;
            $found = 1;
        }
        push @pairs, $name, $value unless $found;
    }

    my @members;
    while (my ($name, $value) = splice @pairs, 0, 2) {
        next unless defined $value;
        my $text = ref $value eq 'JwtTest::Raw' ? $$value
                                                : $JSON->encode($value);
        push @members, $JSON->encode("$name") . ":$text";
    }

    return '{' . join(',', @members) . '}';
}

# header(ALG, NAME => VALUE, ...): the JSON text of a JOSE header,
# {"alg":ALG,"typ":"JWT"} with members replaced, added, or (undef) removed
sub header {
    my ($alg, @over) = @_;
    return json_object([alg => $alg, typ => 'JWT'], \@over);
}

# payload(NAME => VALUE, ...): the JSON text of a valid claim set,
# {"sub":"alice","iat":NOW,"exp":NOW+600}, with claims replaced, added,
# or (undef) removed
sub payload {
    my (@over) = @_;

    my $now = time;
    return json_object([sub => 'alice', iat => $now, exp => $now + 600],
                       \@over);
}

my %HASH = (256 => 'sha256', 384 => 'sha384', 512 => 'sha512');
my %HMAC = (256 => \&hmac_sha256, 384 => \&hmac_sha384,
            512 => \&hmac_sha512);
my %EC_SIZE = (256 => 32, 384 => 48, 512 => 66);

# The DER signature of openssl as the raw r || s of RFC 7518 3.4.
sub der_to_raw {
    my ($der, $size) = @_;

    my @ints;
    my $pos = 2;
    $pos++ if ord(substr $der, 1, 1) & 0x80;
    for (1 .. 2) {
        fail_loudly('bad DER signature')
            unless ord(substr $der, $pos, 1) == 0x02;
        my $len = ord substr $der, $pos + 1, 1;
        my $int = substr $der, $pos + 2, $len;
        $int =~ s/^\0+//;
        push @ints, ("\0" x ($size - length $int)) . $int;
        $pos += 2 + $len;
    }

    return join '', @ints;
}

# sign(ALG, KEY, DATA, DER): the signature of DATA with the key file KEY
# (a secret for HS*, a private key for RS*/ES*); ES* signatures are raw
# r || s unless DER is true.
sub sign {
    my ($alg, $key, $data, $der) = @_;

    my ($family, $bits) = $alg =~ /^(HS|RS|ES)(256|384|512)$/
        or fail_loudly("cannot sign with \"$alg\"");

    return $HMAC{$bits}->($data, slurp($key)) if $family eq 'HS';

    my $in = key_path("sign-input-$$");
    open my $fh, '>:raw', $in or fail_loudly("$in: $!");
    print $fh $data;
    close $fh;

    open my $sig_fh, '-|', 'openssl', 'dgst', "-$HASH{$bits}", '-sign',
                           key_path($key), $in
        or fail_loudly("openssl dgst: $!");
    binmode $sig_fh;
    local $/;
    my $sig = <$sig_fh>;
    close $sig_fh or fail_loudly("openssl dgst -sign $key failed");
    unlink $in;

    return $sig if $family eq 'RS' || $der;
    return der_to_raw($sig, $EC_SIZE{$bits});
}

# token(ALG, KEY, HEADER, PAYLOAD, OPTION => VALUE...): a hand-built JWS
# signed with ALG and the key file KEY, whatever the header says.
# HEADER and PAYLOAD are JSON texts or array refs of overrides for
# header(ALG, ...) and payload(...). Options:
#   sig => BYTES   use these bytes as the signature
#   der => 1       ES*: DER signature instead of r || s
sub token {
    my ($alg, $key, $header, $payload, %opt) = @_;

    $header = header($alg, @$header) if ref $header;
    $payload = payload(@$payload) if ref $payload;

    my $input = b64u($header) . '.' . b64u($payload);
    my $sig = $opt{sig} // sign($alg, $key, $input, $opt{der});

    return "$input." . b64u($sig);
}

# signed(ALG, KEY, INPUT): "INPUT.SIGNATURE" for an arbitrary signing
# input (segments that need not be base64url at all)
sub signed {
    my ($alg, $key, $input) = @_;
    return "$input." . b64u(sign($alg, $key, $input));
}

# sized_token(LENGTH, SIG): a valid HS256 token (hs256) of exactly LENGTH
# characters, its payload padded with a "pad" claim; SIG replaces the
# signature when given.
sub sized_token {
    my ($len, $sig) = @_;

    for my $typ ('JWT', undef) {
        my $header = b64u(header('HS256', typ => $typ));
        my $want = $len - length($header) - 2 - 43;
        my $rem = $want % 4;
        next if $rem == 1 || $want < 0;

        my $bytes = int($want / 4) * 3 + ($rem ? $rem - 1 : 0);
        my $text = payload(pad => 'PAD');
        my $n = $bytes - (length($text) - 3);
        next if $n < 0;
        $text =~ s/"PAD"/'"' . ('x' x $n) . '"'/e;

        my $input = "$header." . b64u($text);
        my $token = defined $sig ? "$input." . b64u($sig)
                                 : signed('HS256', 'hs256', $input);
        fail_loudly("sized_token: got " . length($token) . " for $len")
            unless length $token == $len;
        return $token;
    }

    fail_loudly("sized_token: no token of $len characters");
}

# std_alphabet(): a valid HS256 token whose "-" and "_" are written as the
# "+" and "/" of standard base64: only a lenient decoder accepts it.
sub std_alphabet {
    for my $n (1 .. 1000) {
        my $token = token('HS256', 'hs256', [], [n => $n]);
        next unless $token =~ /-/ && $token =~ /_/;
        $token =~ tr{-_}{+/};
        return $token;
    }

    fail_loudly('std_alphabet: no token with "-" and "_"');
}

# padded(): a valid HS256 token with "=" padding on every segment that
# base64 would pad: only a lenient decoder accepts it.
sub padded {
    for my $n (1 .. 1000) {
        my $token = token('HS256', 'hs256', [], [n => 'x' x $n]);
        my @seg = split /\./, $token;
        next unless grep { length($_) % 4 } @seg[1, 2];
        return join '.', map { $_ . ('=' x ((4 - length($_) % 4) % 4)) }
                         @seg;
    }

    fail_loudly('padded: no token to pad');
}

my $ALPHABET = join '', 'A' .. 'Z', 'a' .. 'z', '0' .. '9', '-', '_';

# stray_bits(SEGMENT): the same bytes in non-canonical base64url, the
# unused low bits of the last character set (a segment of 4n+2 or 4n+3
# characters); lenient decoders read it as SEGMENT.
sub stray_bits {
    my ($segment) = @_;

    fail_loudly("stray_bits: \"$segment\" has no unused bits")
        unless length($segment) % 4 > 1;
    my $last = index $ALPHABET, substr($segment, -1);
    return substr($segment, 0, -1) . substr($ALPHABET, $last ^ 1, 1);
}

my ($py_pid, $py_in, $py_out);

my $PY_SCRIPT = <<'PY';
import json, sys
import jwt
for line in sys.stdin:
    req = json.loads(line)
    try:
        with open(req["key"], "rb") as f:
            key = f.read()
        tok = jwt.encode(req["claims"], key, algorithm=req["alg"],
                         headers=req["headers"] or None)
        if isinstance(tok, bytes):
            tok = tok.decode()
        out = {"token": tok}
    except Exception as e:
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
PY

sub claims_hash {
    my (@over) = @_;

    my $now = time;
    my %claims = (sub => 'alice', iat => $now, exp => $now + 600);
    while (my ($name, $value) = splice @over, 0, 2) {
        if (defined $value) {
            $claims{$name} = $value;
        } else {
            delete $claims{$name};
        }
    }
    return \%claims;
}

# pyjwt(ALG, KEY, [CLAIM => VALUE...], {HEADER => VALUE...}): a token made
# by PyJWT, with the claims of payload() (Perl values, JSON::PP::true for
# true); one python3 process serves the whole run.
sub pyjwt {
    my ($alg, $key, $claims, $headers) = @_;

    if (!$py_pid) {
        $py_pid = open2($py_out, $py_in, $PYTHON, '-c', $PY_SCRIPT);
    }

    my $req = JSON::PP->new->canonical->encode({
        alg => $alg,
        key => key_path($key),
        claims => claims_hash(@{ $claims || [] }),
        headers => $headers || {},
    });
    print $py_in "$req\n";
    $py_in->flush;

    my $line = <$py_out>;
    fail_loudly('python3 (PyJWT) exited') unless defined $line;
    my $res = JSON::PP->new->decode($line);
    fail_loudly("PyJWT: $res->{error}") if $res->{error};

    return $res->{token};
}

# pyjwt_decode(TOKEN, ALG, KEY, ISS, AUD): the claims of a token PyJWT
# verifies (exp, iat, sub and jti required), else {error => why}
my $PY_DECODE = <<'PY';
import json, sys, jwt
token, alg, key, iss, aud = sys.argv[1:6]
try:
    claims = jwt.decode(token, open(key, 'rb').read(), algorithms=[alg],
                        issuer=iss, audience=aud,
                        options={'require': ['exp', 'iat', 'sub', 'jti']})
    print(json.dumps(claims))
except Exception as e:
    print(json.dumps({'error': type(e).__name__ + ': ' + str(e)}))
PY

sub pyjwt_decode {
    my ($token, $alg, $key, $iss, $aud) = @_;
    open my $fh, '-|', $PYTHON, '-c', $PY_DECODE, $token // '', $alg,
         key_path($key), $iss, $aud
        or fail_loudly("python3: $!");
    local $/;
    my $out = <$fh>;
    close $fh;
    return eval { JSON::PP->new->decode($out) }
           // { error => "no JSON: $out" };
}

sub have_crypt_jwt {
    return eval { require Crypt::JWT; 1 } ? 1 : 0;
}

# crypt_jwt(ALG, KEY, [CLAIM => VALUE...], {HEADER => VALUE...}): the
# same from Crypt::JWT; "" when libcrypt-jwt-perl is not installed.
sub crypt_jwt {
    my ($alg, $key, $claims, $headers) = @_;

    return '' unless have_crypt_jwt();

    my $secret = slurp($key);
    my $token = eval {
        Crypt::JWT::encode_jwt(
            payload => claims_hash(@{ $claims || [] }),
            alg => $alg,
            key => $alg =~ /^HS/ ? $secret : \$secret,
            extra_headers => { typ => 'JWT', %{ $headers || {} } },
        );
    };
    fail_loudly("Crypt::JWT: $@") unless defined $token;

    return $token;
}

# rsa_jwk(PUB): the JWK (RFC 7517) of the RSA public key file PUB
sub rsa_jwk {
    my ($pub) = @_;

    my ($hex) = run_openssl('rsa', '-pubin', '-in', key_path($pub),
                            '-modulus', '-noout') =~ /Modulus=([0-9A-F]+)/
        or fail_loudly("no modulus in $pub");
    return { kty => 'RSA', e => 'AQAB', n => b64u(pack 'H*', $hex) };
}

# auth(TOKEN): the request header carrying TOKEN
sub auth {
    my ($token) = @_;
    return "Authorization: Bearer $token";
}

# nested(DEPTH, OPEN, CLOSE): DEPTH nested JSON arrays (or objects)
sub nested {
    my ($depth, $open, $close) = @_;

    $open //= '[';
    $close //= ']';
    return ($open x $depth) . ($close x $depth);
}

sub redis {
    my @args = @_;

    my $port = $ENV{TEST_NGINX_REDIS_PORT}
        or fail_loudly('TEST_NGINX_REDIS_PORT is not set');
    open my $fh, '-|', 'redis-cli', '-p', $port, @args
        or fail_loudly("redis-cli: $!");
    local $/;
    my $out = <$fh> // '';
    close $fh;
    $out =~ s/\n\z//;
    return $out;
}

# The documented revocation key of (iss, jti): iss is "" when absent.
sub revocation_key {
    my ($iss, $jti) = @_;

    return $ENV{TEST_NGINX_JWT_PREFIX} . 'revoked:'
           . sha256_hex(($iss // '') . "\n" . $jti);
}

my @REVOKED;

# revoke(ISS, JTI): writes the revocation key (removed again at exit);
# for an hour, so that one written as a suite starts outlives a slow run
sub revoke {
    my ($iss, $jti) = @_;

    my $key = revocation_key($iss, $jti);
    my $out = redis('SET', $key, '1', 'EX', '3600');
    fail_loudly("redis SET: $out") unless $out eq 'OK';
    push @REVOKED, $key;
    return $out;
}

END {
    local $?;

    redis('DEL', @REVOKED) if @REVOKED;

    if ($py_pid) {
        close $py_in;
        waitpid $py_pid, 0;
    }
}

1;
