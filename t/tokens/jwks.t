# secauth_jwks: the public keys of the signing key (and of the keys kept
# for a rotation) as a JWK Set, from which PyJWT (Debian python3-jwt)
# verifies the access tokens a JSON login issued, by kid, for RS256,
# ES256, PS256 and EdDSA; the set holds no private member and no HS
# secret; only GET and HEAD; an HS signing key alone has nothing to
# publish (nginx -t).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use HTTP::Request::Common qw(POST);
use JSON::PP ();
use LWP::UserAgent;
use Test::More;

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
}

use LoginTest ();
use JwtTest ();

my $JSON = JSON::PP->new->canonical;
my $PYTHON = -x '/usr/bin/python3' ? '/usr/bin/python3' : 'python3';
my $ua = LWP::UserAgent->new(timeout => 10, max_redirect => 0);

# the claims PyJWT verifies TOKEN with, taking the key of its kid from the
# JWK Set SET, else {error => why}
my $VERIFY = <<'PY';
import json, sys, jwt
token, jwks = sys.argv[1:3]
try:
    kid = jwt.get_unverified_header(token)['kid']
    key = jwt.PyJWKSet.from_json(jwks)[kid]
    alg = [k['alg'] for k in json.loads(jwks)['keys'] if k['kid'] == kid][0]
    print(json.dumps(jwt.decode(token, key.key, algorithms=[alg],
                                audience='api', issuer='https://auth.test')))
except Exception as e:
    print(json.dumps({'error': type(e).__name__ + ': ' + str(e)}))
PY

sub verify {
    my ($token, $jwks) = @_;
    open my $fh, '-|', $PYTHON, '-c', $VERIFY, $token, $jwks
        or die "python3: $!";
    my $out = do { local $/; <$fh> };
    close $fh;
    return eval { $JSON->decode($out) } // { error => "no JSON: $out" };
}

sub node {
    my ($alg, $key, $extra) = @_;
    return NginxInstance->new(
        http => "    secauth_password_hash $LoginTest::CHEAP;\n"
              . "    secauth_jwt_signing_key $alg " . JwtTest::key_path($key)
              . " kid=now;\n"
              . "    secauth_jwt_issuer https://auth.test;\n"
              . "    secauth_jwt_audience api;\n" . ($extra // ''),
        server => "        secauth_users file=$LoginTest::DIR/users;\n"
                . "        location = /login { secauth_login; }\n"
                . "        location = /.well-known/jwks.json { secauth_jwks; }\n");
}

sub access_token {
    my ($n) = @_;
    my $res = $ua->request(POST('http://127.0.0.1:' . $n->port . '/login',
        'Content-Type' => 'application/json',
        Content => LoginTest::json_body(username => 'alice',
                                        password => $LoginTest::PW{alice})));
    return (eval { $JSON->decode($res->decoded_content) } // {})
           ->{access_token} // '';
}

for my $k (['RS256', 'rsa.key'], ['ES256', 'ec256.key'],
           ['PS256', 'rsa.key'], ['EdDSA', 'ed.key'])
{
    my ($alg, $key) = @$k;

    # the previous signing key kept for verification during a rotation,
    # and an HS secret that must never be published
    my $n = node($alg, $key,
                 "    secauth_jwt_key RS256 " . JwtTest::key_path('rsa2.pub')
                 . " kid=before;\n"
                 . "    secauth_jwt_key HS256 " . JwtTest::key_path('hs256')
                 . " kid=secret;\n");

    my ($s, $h, $body) = $n->get('/.well-known/jwks.json');
    is($s, 200, "$alg: the JWK Set is served");
    is($h->{'content-type'}, 'application/jwk-set+json',
       "$alg: as application/jwk-set+json (RFC 7517 8.5)");
    my $set = eval { $JSON->decode($body) } // {};
    is(join(' ', map { "$_->{kid}:$_->{alg}:$_->{use}" }
                 @{ $set->{keys} // [] }),
       "now:$alg:sig before:RS256:sig",
       "$alg: the signing key and the rotation's key, not the HS secret");
    unlike($body, qr/"(?:d|p|q|dp|dq|qi|k)"/,
           "$alg: no private member, no secret");

    my $token = access_token($n);
    ok($token, "$alg: a JSON login issues an access token");
    my $c = verify($token, $body);
    is(($c->{error} // '') . ($c->{sub} // ''), 'alice',
       "$alg: PyJWT verifies it with the key the set gives for its kid");

    ($s) = $n->post('/.well-known/jwks.json', 'application/json', '{}');
    is($s, 405, "$alg: POST is not allowed");
    ($s, $h, $body) = $n->collect($n->start_request('HEAD',
                                                    '/.well-known/jwks.json'));
    is("$s " . length $body, '200 0', "$alg: HEAD is, without the body");
}

done_testing();
