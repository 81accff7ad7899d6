# Access and refresh tokens end to end (docs/tokens.md), against private
# nginx instances (t/lib/NginxInstance) on the shared-memory store and on
# the private Redis of scripts/test.sh ($TEST_NGINX_REDIS_PORT):
#
#   - an API client (LWP::UserAgent): JSON login -> bearer access ->
#     refresh -> the spent refresh token refused -> its family revoked ->
#     the newest tokens refused; revoke (RFC 7009) and logout by token;
#     logout everywhere ends tokens with the sessions;
#   - the issued tokens verify with PyJWT and Crypt::JWT (HS256, RS256,
#     ES256, PS256, EdDSA), with the claims docs/tokens.md lists; rotation never extends
#     the family;
#   - race: N parallel refreshes with one token, many rounds: exactly one
#     pair is minted each time;
#   - two nodes on one Redis: rotation on one, reuse detected on the other;
#   - password version (Redis users): a change refuses every token and
#     session issued before.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use HTTP::Request::Common qw(POST);
use JSON::PP ();
use LWP::UserAgent;
use MIME::Base64 ();
use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

# before LoginTest and JwtTest, which make hashes and keys as they load
BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
    plan skip_all => 'TEST_NGINX_REDIS_PORT is not set (scripts/test.sh)'
        unless $ENV{TEST_NGINX_REDIS_PORT};
}

use LoginTest ();
use JwtTest ();

my $JSON = JSON::PP->new->canonical;
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "tokens$$:";
my $owner = $$;
my $users = "$LoginTest::DIR/users";
my $pw = $LoginTest::PW{alice};

$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

sub redis { JwtTest::redis(@_) }

END {
    local $?;
    if ($$ == $owner) {
        my @keys = grep { length } split /\n/,
                   redis('--scan', '--pattern', "$prefix*");
        redis('DEL', @keys) if @keys;
    }
}

# PyJWT, Debian's python3-jwt: the claims of a token it accepts, else
# {error => why}
sub pyjwt_verify {
    my ($token, $alg, $key) = @_;
    return JwtTest::pyjwt_decode($token, $alg, $key, 'https://auth.test',
                                 'api');
}

# Crypt::JWT (Debian libcrypt-jwt-perl): the claims, or {error => why}
sub crypt_jwt_verify {
    my ($token, $alg, $key) = @_;
    require Crypt::JWT;
    my $k = JwtTest::slurp($key);
    my $c = eval {
        Crypt::JWT::decode_jwt(token => $token,
                               key => $alg =~ /^HS/ ? $k : \$k,
                               accepted_alg => $alg,
                               verify_iss => 'https://auth.test',
                               verify_aud => 'api', verify_exp => 1);
    };
    return $c // { error => "$@" };
}

sub payload {
    my ($token) = @_;
    my $p = (split /\./, $token)[1] // '';
    return eval { $JSON->decode(MIME::Base64::decode_base64url($p)) } // {};
}

# --- one nginx ---

sub server {
    my (%opt) = @_;
    my $extra = $opt{server} // '';
    return <<"CONF";
        secauth_users file=$users;
        secauth_cookie sid secure=off;
        location = /login { secauth_login; }
        location = /token/refresh { secauth_refresh; }
        location = /token/revoke { secauth_revoke; }
        location = /logout { secauth_logout; }
        location /api/ {
            secauth jwt;
            add_header X-User \$secauth_user always;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
        location /page/ {
            secauth session;
            add_header X-User \$secauth_user always;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
$extra
CONF
}

sub node {
    my (%opt) = @_;
    my $alg = $opt{alg} // 'HS256';
    my $key = $opt{key} // 'hs256';
    my $http = "    secauth_password_hash $LoginTest::CHEAP;\n"
        . "    secauth_jwt_signing_key $alg " . JwtTest::key_path($key)
        . ";\n    secauth_jwt_issuer https://auth.test;\n"
        . "    secauth_jwt_audience api;\n" . ($opt{http} // '');
    $http .= "    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;\n"
        if $opt{redis};
    my $n = NginxInstance->new(http => $http, server => server(%opt),
                               files => { 'p.txt' => "secret\n" });

    # the first requests may come while the node still connects to Redis
    my $deadline = time + 3;
    sleep 0.05 while $opt{redis} && time < $deadline
                     && (api($n, 'x'))[0] != 401;
    return $n;
}

my $ua = LWP::UserAgent->new(timeout => 10, max_redirect => 0);

sub login {
    my ($n, $user, $pass) = @_;
    my $res = $ua->request(POST('http://127.0.0.1:' . $n->port . '/login',
        'Content-Type' => 'application/json',
        Content => LoginTest::json_body(username => $user // 'alice',
                                        password => $pass // $pw)));
    my $body = eval { $JSON->decode($res->decoded_content) } // {};
    return ($res, $body);
}

# refresh(NODE, TOKEN [, json]): (status, decoded body)
sub refresh {
    my ($n, $token, $json) = @_;
    my ($s, $h, $b) = $json
        ? $n->post('/token/refresh', 'application/json',
                   $JSON->encode({ refresh_token => $token }))
        : $n->post('/token/refresh', 'application/x-www-form-urlencoded',
                   LoginTest::form(refresh_token => $token));
    return ($s, eval { $JSON->decode($b) } // { raw => $b }, $h);
}

# api(NODE, TOKEN): (status, user, error)
sub api {
    my ($n, $token) = @_;
    my ($s, $h) = $n->get('/api/p.txt', Authorization => "Bearer $token");
    return ($s, $h->{'x-user'} // '', $h->{'x-error'} // '');
}

sub api_is {
    my ($n, $token, $want, $name) = @_;
    is(join(' ', api($n, $token)), $want, $name);
}

# --- the API flow, on both stores ---

for my $store ('shm', 'redis') {
    my $n = node(redis => $store eq 'redis');
    my $t = "$store:";

    my ($res, $pair) = login($n);
    is($res->code, 200, "$t JSON login answers 200");
    is($res->header('Cache-Control'), 'no-store',
       "$t the answer is not to be cached (RFC 6749 5.1)");
    ok(!defined $res->header('Set-Cookie'), "$t and sets no cookie");
    is(join(',', sort keys %$pair),
       'access_token,expires_in,refresh_token,token_type',
       "$t with the four fields");
    is("$pair->{token_type} $pair->{expires_in}", 'Bearer 900',
       "$t Bearer, 15 minutes");

    my ($at, $rt) = @$pair{qw(access_token refresh_token)};
    api_is($n, $at, '200 alice ', "$t the access token opens the gate");
    api_is($n, $rt, '401  wrong_token_type',
           "$t the refresh token does not (RFC 8725 3.11)");

    my ($s, $next) = refresh($n, $rt);
    is($s, 200, "$t refresh answers 200");
    my ($at2, $rt2) = @$next{qw(access_token refresh_token)};
    is(payload($at2)->{fam}, payload($at)->{fam},
       "$t the new pair is of the same family");
    isnt(payload($rt2)->{jti}, payload($rt)->{jti},
         "$t with a new refresh token");
    is(payload($rt2)->{exp}, payload($rt)->{exp},
       "$t whose expiry is the family's: rotation does not extend it");
    api_is($n, $at2, '200 alice ', "$t the new access token works");

    my $mark = $n->log_mark;
    ($s, my $err) = refresh($n, $rt);
    is("$s $err->{error}", '400 invalid_grant',
       "$t the spent refresh token is refused");
    like($n->error_log_since($mark),
         qr/\[warn\].*a spent refresh token of "alice" was presented again/,
         "$t as reuse, with a warning");
    ($s, $err) = refresh($n, $rt2);
    is("$s $err->{error}", '400 invalid_grant',
       "$t and the family is revoked: the newest refresh token too");
    api_is($n, $at2, '401  revoked',
           "$t and the newest access token, at once");
    api_is($n, $at, '401  revoked', "$t and the first one");

    # JSON bodies; revoke (RFC 7009)
    (undef, $pair) = login($n);
    ($s, $next) = refresh($n, $pair->{refresh_token}, 'json');
    is($s, 200, "$t a JSON refresh body works too");
    ($s, my $h, my $b) = $n->post('/token/revoke',
        'application/x-www-form-urlencoded',
        LoginTest::form(token => $next->{refresh_token}));
    is("$s $b", "200 {}\n", "$t revoke answers 200");
    api_is($n, $next->{access_token}, '401  revoked',
           "$t and the family's access token is refused");
    ($s) = refresh($n, $next->{refresh_token});
    is($s, 400, "$t so is its refresh token");

    ($s, $h, $b) = $n->post('/token/revoke',
        'application/x-www-form-urlencoded',
        LoginTest::form(token => $next->{refresh_token}));
    is("$s $b", "200 {}\n", "$t revoking it again: 200 (RFC 7009 2.2)");

    (undef, $pair) = login($n);
    $n->post('/token/revoke', 'application/json',
             $JSON->encode({ token => $pair->{access_token} }));
    ($s) = refresh($n, $pair->{refresh_token});
    is($s, 400, "$t revoking an access token revokes its family");

    # logout by token
    (undef, $pair) = login($n);
    ($s, $h, $b) = $n->collect($n->start_request('POST', '/logout', '',
        Authorization => "Bearer $pair->{access_token}"));
    is($s, 204, "$t logout with the access token: 204");
    api_is($n, $pair->{access_token}, '401  revoked',
           "$t the access token is refused after logout");
    ($s) = refresh($n, $pair->{refresh_token});
    is($s, 400, "$t and its refresh token");

    # an expired access token logs nobody out
    {
        my $en = node(redis => $store eq 'redis',
                      http => "    secauth_jwt_access_ttl 1s;\n"
                              . "    secauth_jwt_leeway 0;\n");
        my (undef, $old) = login($en);
        my (undef, $live) = login($en);
        sleep 1.2;
        ($s) = $en->collect($en->start_request('POST', '/logout?everywhere=1',
            '', Authorization => "Bearer $old->{access_token}"));
        is($s, 303, "$t an expired access token is no logout by token");
        ($s) = refresh($en, $live->{refresh_token});
        is($s, 200, "$t and ends nothing of the user");
    }

    # a token of a revoked family does not end everything
    (undef, $pair) = login($n);
    my (undef, $other) = login($n);
    $n->post('/token/revoke', 'application/x-www-form-urlencoded',
             LoginTest::form(token => $pair->{refresh_token}));
    ($s) = $n->collect($n->start_request('POST', '/logout?everywhere=1', '',
        Authorization => "Bearer $pair->{access_token}"));
    is($s, 204, "$t logout everywhere with a revoked family's token: 204");
    ($s) = refresh($n, $other->{refresh_token});
    is($s, 200, "$t but the user's other families live on");
    ($s) = $n->collect($n->start_request('POST', '/logout?everywhere=1', '',
        Authorization => "Bearer $other->{access_token}"));
    is($s, 204, "$t with a live family's token: 204");
    my ($s2) = refresh($n, $other->{refresh_token});
    is($s2, 400, "$t and that ends them");

    # logout everywhere with a browser session ends the tokens as well
    (undef, $pair) = login($n);
    my $form = $ua->request(POST('http://127.0.0.1:' . $n->port . '/login',
        [username => 'alice', password => $pw, next => '/page/p.txt']));
    my ($sid) = ($form->header('Set-Cookie') // '') =~ /sid=([^;]+)/;
    ok($sid, "$t a browser session of the same user");
    ($s) = $n->collect($n->start_request('POST', '/logout',
        'everywhere=1', Cookie => "sid=$sid",
        'Content-Type' => 'application/x-www-form-urlencoded'));
    is($s, 303, "$t logout everywhere from the browser");
    api_is($n, $pair->{access_token}, '401  revoked',
           "$t ends the API client's access token");
    ($s) = refresh($n, $pair->{refresh_token});
    is($s, 400, "$t and its refresh token");

    if ($store eq 'redis') {
        (undef, $pair) = login($n);
        my $fam = payload($pair->{refresh_token})->{fam};
        my %f = split /\n/, redis('HGETALL', "${prefix}family:$fam");
        is("$f{user} $f{pwv} $f{cur}",
           'alice 0 ' . payload($pair->{refresh_token})->{jti},
           "$t the family in Redis (docs/tokens.md)");
        is($f{exp}, payload($pair->{refresh_token})->{exp},
           "$t with the absolute expiry");
        my $ttl = redis('TTL', "${prefix}family:$fam");
        ok($ttl > 604700 && $ttl <= 604800, "$t and a TTL to match ($ttl)");
        like(redis('SMEMBERS', "${prefix}user_families:alice"),
             qr/^\Q$fam\E$/m, "$t indexed by user");
    }
}

# --- what PyJWT says of the tokens ---

for my $k (['HS256', 'hs256', 'hs256'], ['RS256', 'rsa.key', 'rsa.pub'],
           ['ES256', 'ec256.key', 'ec256.pub'], ['PS256', 'rsa.key', 'rsa.pub'],
           ['EdDSA', 'ed.key', 'ed.pub'])
{
    my ($alg, $priv, $pub) = @$k;
    my $n = node(alg => $alg, key => $priv);
    my (undef, $pair) = login($n);

    my $c = pyjwt_verify($pair->{access_token}, $alg, $pub);
    is($c->{error}, undef, "$alg: PyJWT verifies the access token");
    is(join(' ', map { $c->{$_} // '-' } qw(iss aud sub token_use pwv)),
       'https://auth.test api alice access 0', "$alg: with its claims");
    is($c->{exp} - $c->{iat}, 900, "$alg: for 15 minutes");
    like("$c->{jti} $c->{fam}", qr/^[\w-]{22} [\w-]{22}$/,
         "$alg: a 128-bit jti and family id");

    my $cj = crypt_jwt_verify($pair->{access_token}, $alg, $pub);
    is("$cj->{sub} $cj->{token_use} " . ($cj->{error} // 'ok'),
       'alice access ok', "$alg: Crypt::JWT verifies it too");

    my $r = pyjwt_verify($pair->{refresh_token}, $alg, $pub);
    is($r->{error}, undef, "$alg: PyJWT verifies the refresh token");
    is("$r->{token_use} $r->{fam} " . ($r->{exp} - $r->{iat}),
       "refresh $c->{fam} 604800", "$alg: a refresh token for 7 days");

    my ($s, $next) = refresh($n, $pair->{refresh_token});
    $c = pyjwt_verify($next->{access_token}, $alg, $pub);
    is("$s " . ($c->{error} // 'ok'), '200 ok',
       "$alg: and the refreshed one");
}

# --- race: parallel refreshes with one token ---

for my $store ('shm', 'redis') {
    my $n = node(redis => $store eq 'redis');
    my ($rounds, $parallel, $bad) = (25, 8, 0);
    my %seen;

    for my $round (1 .. $rounds) {
        my (undef, $pair) = login($n);
        my $body = LoginTest::form(refresh_token => $pair->{refresh_token});
        my @reqs = map {
            $n->start_request('POST', '/token/refresh', $body,
                'Content-Type' => 'application/x-www-form-urlencoded')
        } 1 .. $parallel;
        my @answers = map { [ $n->collect($_) ] } @reqs;
        my @won = grep { $_->[0] == 200 } @answers;
        my @lost = grep { $_->[0] == 400 } @answers;
        $seen{scalar @won}++;
        $bad++ unless @won == 1 && @lost == $parallel - 1;

        # the duplicates revoked the family: the winner's pair is dead
        if (@won) {
            my $next = $JSON->decode($won[0][2]);
            my ($s) = refresh($n, $next->{refresh_token});
            $bad++ unless $s == 400;
        }
    }

    diag("$store: pairs minted per round of $parallel: "
         . join(', ', map { "$_ in $seen{$_} rounds" } sort keys %seen));
    is($bad, 0, "$store: $rounds rounds of $parallel parallel refreshes "
                . "with one token: exactly one pair each time, then the "
                . "family is revoked");
}

# --- two nodes on one Redis ---

{
    my $na = node(redis => 1);
    my $nb = node(redis => 1);

    my (undef, $pair) = login($na);
    api_is($nb, $pair->{access_token}, '200 alice ',
           'two nodes: a token from A opens B');
    my ($s, $next) = refresh($na, $pair->{refresh_token});
    is($s, 200, 'two nodes: refreshed on A');
    ($s) = refresh($nb, $pair->{refresh_token});
    is($s, 400, 'two nodes: the spent token presented to B is refused');
    ($s) = refresh($na, $next->{refresh_token});
    is($s, 400, 'two nodes: and the newest refresh token stops on A');
    api_is($na, $next->{access_token}, '401  revoked',
           'two nodes: the newest access token is refused on A');
    api_is($nb, $next->{access_token}, '401  revoked',
           'two nodes: and on B');
}

# --- expiry ---

{
    my $n = node(http => "    secauth_jwt_refresh_ttl 2s;\n"
                         . "    secauth_jwt_leeway 0;\n");
    my (undef, $pair) = login($n);
    is($pair->{expires_in}, 2,
       'an access token never outlives its family (refresh ttl 2s)');
    sleep 2.2;
    my $mark = $n->log_mark;
    my ($s) = refresh($n, $pair->{refresh_token});
    is($s, 400, 'an expired refresh token is refused');
    like($n->error_log_since($mark), qr/refresh token refused: expired/,
         'as expired');
}

# --- password version (users in Redis) ---

{
    my $hash = LoginTest::argon2id($pw);
    my $n = node(redis => 1,
                 server => "        location = /rlogin {\n"
                         . "            secauth_users redis;\n"
                         . "            secauth_login;\n        }\n");
    redis('HSET', "${prefix}user:bob", 'password', $hash);

    my $res = $ua->request(POST('http://127.0.0.1:' . $n->port . '/rlogin',
        'Content-Type' => 'application/json',
        Content => LoginTest::json_body(username => 'bob', password => $pw)));
    my $pair = $JSON->decode($res->decoded_content);
    my $form = $ua->request(POST('http://127.0.0.1:' . $n->port . '/rlogin',
        [username => 'bob', password => $pw]));
    my ($sid) = ($form->header('Set-Cookie') // '') =~ /sid=([^;]+)/;

    api_is($n, $pair->{access_token}, '200 bob ', 'pwv: bob has a token');
    my ($s, $h) = $n->get('/page/p.txt', Cookie => "sid=$sid");
    is("$s $h->{'x-user'}", '200 bob', 'pwv: and a session');

    redis('HINCRBY', "${prefix}user:bob", 'pwv', 1);

    api_is($n, $pair->{access_token}, '401  revoked',
           'pwv: once the version changes, the access token is refused');
    ($s, $h) = $n->get('/page/p.txt', Cookie => "sid=$sid");
    is("$s $h->{'x-error'}", '401 stale_session', 'pwv: so is the session');
    ($s) = refresh($n, $pair->{refresh_token});
    is($s, 400, 'pwv: and the refresh token');

    $res = $ua->request(POST('http://127.0.0.1:' . $n->port . '/rlogin',
        'Content-Type' => 'application/json',
        Content => LoginTest::json_body(username => 'bob', password => $pw)));
    $pair = $JSON->decode($res->decoded_content);
    is(payload($pair->{access_token})->{pwv}, 1,
       'pwv: a new login carries the new version');
    api_is($n, $pair->{access_token}, '200 bob ', 'pwv: and works');
    $form = $ua->request(POST('http://127.0.0.1:' . $n->port . '/rlogin',
        [username => 'bob', password => $pw]));
    ($sid) = ($form->header('Set-Cookie') // '') =~ /sid=([^;]+)/;

    # a user of the file with the same name is no Redis user
    my (undef, $alice) = login($n);
    redis('HSET', "${prefix}user:alice", 'password', $hash, 'pwv', 7);
    api_is($n, $alice->{access_token}, '200 alice ',
           'pwv: a user of the file is not checked against Redis');
    ($s) = refresh($n, $alice->{refresh_token});
    is($s, 200, 'pwv: nor are her refresh tokens');
    redis('DEL', "${prefix}user:alice");

    # a user deleted from Redis loses everything
    redis('DEL', "${prefix}user:bob");
    api_is($n, $pair->{access_token}, '401  revoked',
           'pwv: a deleted user\'s access token is refused');
    ($s, $h) = $n->get('/page/p.txt', Cookie => "sid=$sid");
    is("$s $h->{'x-error'}", '401 stale_session',
       'pwv: and the session');
    ($s) = refresh($n, $pair->{refresh_token});
    is($s, 400, 'pwv: and the refresh token');
}

done_testing();
