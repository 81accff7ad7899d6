# The seed's practice exercise as a suite: seven classic authentication
# flaws, each shown absent from an app behind the module
# (docs/security.md):
#   1. weak password hashes: raw MD5, MD5-crypt, {SHA}, plain text and
#      unsalted lines of the users file fail nginx -t, naming the line;
#   2. session fixation: a login issues a new session id, and the id the
#      client presented (planted, or a live one) admits nobody afterwards;
#   3. client-writable privilege: the cookie is an opaque random id; a
#      forged or edited cookie or token (user=admin, a flipped character,
#      an edited claim) gets 401;
#   4. weak JWT secrets: HMAC secrets shorter than the hash fail nginx -t;
#   5. tokens that never expire: both issued tokens carry exp = iat + the
#      configured TTL and are refused past it (or without exp); the
#      session cookie has a Max-Age and the session times out;
#   6. tokens without credentials: a wrong, empty or missing password, an
#      unknown user, a forged refresh token get no cookie and no token;
#   7. identity from the query string or client headers: ?user=, ?token=,
#      ?access_token=, ?sid=, X-User: admin admit nobody; the same
#      credentials in the cookie or the Authorization header do.
# 2, 3, 5, 6 and 7 run first, against private nginx instances
# (t/lib/NginxInstance) on the shared-memory store; 1 and 4 are the
# Test::Nginx blocks after __DATA__, as in t/login-config.t and
# t/jwt-config.t.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";

use JSON::PP ();
use MIME::Base64 qw(decode_base64url encode_base64 encode_base64url);
use Time::HiRes qw(sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    unless (-f $module) {
        require Test::More;
        Test::More::plan(skip_all => "no module at $module "
                                     . '(run scripts/build.sh)');
    }
}

use LoginTest ();
use JwtTest ();
use Test::Nginx::Socket 'no_plan';

my $JSON = JSON::PP->new->canonical;
my $FORM = 'application/x-www-form-urlencoded';
my $pw = $LoginTest::PW{alice};
my $P = '/any/p.txt';

# a node: a login, a refresh, and /any/ (a session or a token) showing
# whom it admitted and why not; TIMEOUT is secauth_session_timeout's
sub node {
    my ($timeout) = @_;
    my $http = "    secauth_password_hash $LoginTest::CHEAP;\n"
        . '    secauth_jwt_signing_key HS256 ' . JwtTest::key_path('hs256')
        . ";\n    secauth_jwt_access_ttl 5m;\n"
        . "    secauth_jwt_refresh_ttl 2h;\n";
    my $server = <<"CONF";
        secauth_users file=$LoginTest::DIR/users;
        secauth_cookie sid secure=off;
        secauth_session_timeout $timeout;
        secauth_login_throttle off;
        location = /login { secauth_login; }
        location = /token/refresh { secauth_refresh; }
        location /any/ {
            secauth any;
            add_header X-Secauth-User \$secauth_user always;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
CONF
    return NginxInstance->new(http => $http, server => $server,
                              files => { 'p.txt' => "secret\n" });
}

# "STATUS USER" of a gated request ("-": nobody); why(): "STATUS ERROR"
sub gate {
    my ($what, $n, $path, @h) = @_;
    my ($s, $h) = $n->get($path, @h);
    return "$s " . ($h->{"x-$what"} // '-');
}
sub who { gate('secauth-user', @_) }
sub why { gate('error', @_) }

# (status, the new session id or "", headers)
sub form_login {
    my ($n, $user, $pass, @h) = @_;
    my ($s, $h) = $n->post('/login', $FORM,
        LoginTest::form(username => $user, password => $pass), @h);
    my ($sid) = ($h->{'set-cookie'} // '') =~ /^sid=([^;]*)/;
    return ($s, $sid // '', $h);
}

# alice's token pair from a JSON login
sub pair {
    my ($n) = @_;
    my (undef, undef, $b) = $n->post('/login', 'application/json',
        LoginTest::json_body(username => 'alice', password => $pw));
    return eval { $JSON->decode($b) } // {};
}

# what an answer hands out: "nothing", or "cookie" and/or "token"
sub handed_out {
    my ($h, $b) = @_;
    my @got = (($h->{'set-cookie'} // '') =~ /\bsid=/ ? 'cookie' : (),
               ($b // '') =~ /eyJ|_token/ ? 'token' : ());
    return @got ? "@got" : 'nothing';
}

sub claims { $JSON->decode(decode_base64url((split /\./, $_[0])[1])) }

# TOKEN's claims changed (undef: removed), signed again with KEY
sub resign {
    my ($token, $key, %over) = @_;
    my $c = claims($token);
    while (my ($k, $v) = each %over) {
        if (defined $v) { $c->{$k} = $v } else { delete $c->{$k} }
    }
    return JwtTest::token('HS256', $key,
                          decode_base64url((split /\./, $token)[0]),
                          $JSON->encode($c));
}

# TOKEN with CLAIM => VALUE... written into it, its signature kept
sub edited {
    my ($token, %over) = @_;
    my ($hd, undef, $sig) = split /\./, $token;
    my $c = { %{ claims($token) }, %over };
    return "$hd." . encode_base64url($JSON->encode($c)) . ".$sig";
}

my $n = node('10m 8h');

# --- 2. session fixation ---
{
    my $planted = LoginTest::new_sid();
    is(who($n, $P, Cookie => "sid=$planted"), '401 -',
       'fixation: a planted id is no session');
    my ($s, $sid) = form_login($n, 'alice', $pw, Cookie => "sid=$planted");
    is($s, 303, 'fixation: alice logs in presenting the planted id');
    like($sid, qr/^[A-Za-z0-9_-]{43}$/, 'fixation: and gets a session id');
    isnt($sid, $planted, 'fixation: a new one, not the planted id');
    is(who($n, $P, Cookie => "sid=$sid"), '200 alice',
       'fixation: the new id is her session');
    is(who($n, $P, Cookie => "sid=$planted"), '401 -',
       'fixation: the planted id admits nobody after her login');

    # an attacker's own live session, planted in the victim's browser
    my (undef, $mine) = form_login($n, 'grace', $LoginTest::PW{grace});
    is(who($n, $P, Cookie => "sid=$mine"), '200 grace',
       "fixation: grace's own live session");
    (undef, $sid) = form_login($n, 'alice', $pw, Cookie => "sid=$mine");
    ok(length $sid && $sid ne $mine,
       'fixation: alice logging in with it gets another id');
    is(who($n, $P, Cookie => "sid=$sid"), '200 alice',
       'fixation: which is hers');
    is(who($n, $P, Cookie => "sid=$mine"), '401 -',
       'fixation: the presented session ended, it never became hers');

    my $old = $sid;
    (undef, $sid) = form_login($n, 'alice', $pw, Cookie => "sid=$old");
    ok(length $sid && $sid ne $old,
       'fixation: a login over her own live session gets a new id');
    is(who($n, $P, Cookie => "sid=$old"), '401 -',
       'fixation: and the old id is no longer valid');
}

# --- 3. no client-writable privilege ---
{
    my (undef, $sid, $h) = form_login($n, 'alice', $pw);
    my (undef, $sid2) = form_login($n, 'alice', $pw);
    my $raw = decode_base64url($sid);
    is(length $raw, 32, 'opaque: the cookie is 256 bits in base64url');
    unlike("$sid\n$raw", qr/alice|admin/i, 'opaque: holding no user name');
    ok(!eval { $JSON->decode($raw); 1 }, 'opaque: and no JSON');
    isnt($sid, $sid2, 'opaque: each login draws another id');
    like($h->{'set-cookie'}, qr/; HttpOnly/, 'opaque: HttpOnly');

    (my $flipped = $sid) =~ s/^(.)/$1 eq 'A' ? 'B' : 'A'/e;
    my $claims = encode_base64url('{"user":"alice","role":"admin"}');
    my $named = encode_base64url('alice' . "\0" x 27);
    for my $c (["sid=$flipped", 'sid=ID, a character flipped'],
               ["sid=${sid}A", 'sid=ID and one more'], ['sid=alice'],
               ['sid=admin'], ['user=admin'], ['role=admin'],
               ['user=alice; role=admin'], ['admin=true'],
               ["sid=$claims", 'sid={"user":"alice","role":"admin"}'],
               ["sid=$named", 'sid="alice" and zeros, in an id\'s syntax'])
    {
        is(who($n, $P, Cookie => $c->[0]), '401 -',
           'forged: Cookie: ' . ($c->[1] // $c->[0]));
    }
    is(who($n, $P, Cookie => "user=admin; sid=$sid; role=admin"),
       '200 alice', 'forged: cookies beside the id change nobody');

    my $at = pair($n)->{access_token};
    is(who($n, $P, Authorization => "Bearer $at"), '200 alice',
       "forged: control: alice's access token");
    my %admin = (sub => 'admin', role => 'admin');
    my $none = encode_base64url('{"alg":"none","typ":"JWT"}') . '.'
               . (split /\./, edited($at, %admin))[1] . '.';
    for my $t (['edited claims under its signature', edited($at, %admin)],
               ['the edit signed with another key',
                resign($at, 'hs256b', %admin)],
               ['the edit with alg none', $none])
    {
        is(who($n, $P, Authorization => "Bearer $t->[1]"), '401 -',
           "forged: $t->[0]: 401");
    }
}

# --- 5. every token and session expires ---
{
    my $p = pair($n);
    my ($a, $r) = map { claims($p->{$_} // 'x.e30.x') }
                  qw(access_token refresh_token);
    is(($a->{exp} // 0) - ($a->{iat} // 0), 300,
       'expiry: access token exp = iat + 5m (secauth_jwt_access_ttl)');
    is($p->{expires_in}, 300, 'expiry: expires_in says so');
    is(($r->{exp} // 0) - ($r->{iat} // 0), 7200,
       'expiry: refresh token exp = iat + 2h (secauth_jwt_refresh_ttl)');
    ok(abs(($a->{iat} // 0) - time) <= 5, 'expiry: issued now');

    my ($at, $t) = ($p->{access_token}, time);
    is(why($n, $P, Authorization => 'Bearer ' . resign($at, 'hs256')),
       '200 -', 'expiry: control: its claims signed again pass');
    is(why($n, $P, Authorization => 'Bearer '
           . resign($at, 'hs256', iat => $t - 400, exp => $t - 60)),
       '401 expired', 'expiry: a minute past exp (leeway 30s): 401');
    is(why($n, $P, Authorization => 'Bearer '
           . resign($at, 'hs256', exp => undef)),
       '401 bad_claims', 'expiry: without exp: 401');

    my $old = resign($p->{refresh_token}, 'hs256', iat => $t - 7300,
                     exp => $t - 60);
    my ($s, $h, $b) = $n->post('/token/refresh', $FORM,
                               "refresh_token=$old");
    is("$s $b", qq{400 {"error":"invalid_grant"}\n},
       'expiry: a refresh token past its exp: invalid_grant');
    ($s, $h, $b) = $n->post('/token/refresh', $FORM,
                            "refresh_token=$p->{refresh_token}");
    is("$s " . handed_out($h, $b), '200 token',
       'expiry: control: the real one still refreshes');

    my (undef, $sid, $sh) = form_login($n, 'alice', $pw);
    like($sh->{'set-cookie'}, qr/; Max-Age=28800;/,
         'expiry: the cookie has Max-Age = the absolute timeout (8h)');
    my $short = node('2s 2s');
    (undef, $sid, $sh) = form_login($short, 'alice', $pw);
    like($sh->{'set-cookie'}, qr/; Max-Age=2;/, 'expiry: 2s: Max-Age=2');
    is(why($short, $P, Cookie => "sid=$sid"), '200 -',
       'expiry: 2s: the session admits at once');
    sleep 3.1;
    like(why($short, $P, Cookie => "sid=$sid"),
         qr/^401 (?:session_expired|unknown_session)$/,
         'expiry: 2s: 3 s later no more (expired, or gone from the store)');
}

# --- 6. no token without credentials ---
{
    for my $t (['a wrong password', 401, password => "${pw}x"],
               ['a prefix of it', 401, password => substr($pw, 0, 13)],
               ['the password in another case', 401, password => uc $pw],
               ['an unknown user', 401, username => 'mallory'],
               ['an empty password', 400, password => ''],
               ['no password', 400, password => undef],
               ['an empty user name', 400, username => ''],
               ['no user name', 400, username => undef])
    {
        my ($what, $want, %over) = @$t;
        my %f = (username => 'alice', password => $pw, %over);
        my @f = map { defined $f{$_} ? ($_ => $f{$_}) : () } sort keys %f;
        my ($s, $h, $b) = $n->post('/login', $FORM, LoginTest::form(@f));
        is("$s " . handed_out($h, $b), "$want nothing",
           "no credentials: form, $what");
        ($s, $h, $b) = $n->post('/login', 'application/json',
                                LoginTest::json_body(@f));
        is("$s " . handed_out($h, $b), "$want nothing",
           "no credentials: JSON, $what");
    }
    for my $body ('', '{}', '{"username":"alice","password":true}',
                  '{"username":"alice","password":null}',
                  '{"username":"alice","password":["x"]}')
    {
        my ($s, $h, $b) = $n->post('/login', 'application/json', $body);
        is("$s " . handed_out($h, $b), '400 nothing',
           "no credentials: JSON '$body'");
    }

    my $p = pair($n);
    my $rt = $p->{refresh_token};
    for my $t (['no refresh token', '', 'invalid_request'],
               ['junk', 'refresh_token=junk', 'invalid_grant'],
               ['signed with another key',
                'refresh_token=' . resign($rt, 'hs256b'), 'invalid_grant'],
               ['edited (sub admin)',
                'refresh_token=' . edited($rt, sub => 'admin'),
                'invalid_grant'],
               ['an access token', "refresh_token=$p->{access_token}",
                'invalid_grant'])
    {
        my ($s, $h, $b) = $n->post('/token/refresh', $FORM, $t->[1]);
        my $err = (eval { $JSON->decode($b) } // {})->{error} // '-';
        is("$s $err " . handed_out($h, $b), "400 $t->[2] nothing",
           "no credentials: refresh with $t->[0]");
    }
}

# --- 7. no identity from the query string or the client's headers ---
{
    my (undef, $sid) = form_login($n, 'alice', $pw);
    my $at = pair($n)->{access_token};
    is(who($n, $P, Cookie => "sid=$sid"), '200 alice',
       'in its place: the session cookie admits');
    is(who($n, $P, Authorization => "Bearer $at"), '200 alice',
       'in its place: the bearer token admits');

    my $q = LoginTest::form_urlencode($pw);
    for my $t (['user=admin'], ['username=alice'],
               ["username=alice&password=$q", 'username=alice&password=PW'],
               ["token=$at", 'token=JWT'],
               ["access_token=$at", 'access_token=JWT'],
               ["jwt=$at", 'jwt=JWT'],
               ["authorization=Bearer%20$at", 'authorization=Bearer JWT'],
               ["sid=$sid", 'sid=SID'], ["session=$sid", 'session=SID'])
    {
        is(who($n, "$P?$t->[0]"), '401 -',
           'query: ?' . ($t->[1] // $t->[0]) . ': 401');
    }
    is(who($n, "$P;sid=$sid"), '401 -', 'query: ;sid=SID in the path: 401');
    my ($s) = $n->post($P, $FORM, "access_token=$at");
    is($s, 401, 'query: access_token=JWT in a POST body: 401');

    for my $t (['X-User', 'admin'], ['X-User', 'alice'],
               ['X-Remote-User', 'alice'], ['Remote-User', 'alice'],
               ['X-Forwarded-User', 'alice'],
               ['X-Auth-Request-User', 'alice'],
               ['X-Access-Token', $at, 'JWT'], ['X-Session-Id', $sid, 'SID'],
               ['Cookie', "access_token=$at", 'access_token=JWT'],
               ['Authorization', 'Basic ' . encode_base64("alice:$pw", ''),
                'Basic alice:PW'])
    {
        is(who($n, $P, $t->[0], $t->[1]), '401 -',
           "headers: $t->[0]: " . ($t->[2] // $t->[1]) . ': 401');
    }
    is(who($n, $P, Cookie => "sid=$sid", 'X-User' => 'admin'), '200 alice',
       'headers: a session and X-User: admin: $secauth_user is alice');
    is(who($n, $P, Authorization => "Bearer $at", 'X-User' => 'admin'),
       '200 alice', 'headers: a token and X-User: admin: alice');
}

undef $n;

# --- 1. and 4.: the files that nginx -t refuses (the blocks below) ---

my $users = "# the seed's users\nalice:$LoginTest::HASH{alice}\n";
my %bad = (                                     # each on line 3
    md5hex   => '5f4dcc3b5aa765d61d8327deb882cf99', # md5("password")
    md5crypt => LoginTest::openssl_passwd('password', '-1'),
    sha      => LoginTest::ldap_sha('password'),
    plain    => 'password',
    sha512nosalt   => crypt('password', '$6$$'),    # glibc: no salt
    yescryptnosalt => crypt('password', '$y$j9T$$'),
);
LoginTest::write_users('seed-good', $users);
LoginTest::write_users("seed-$_", "${users}mallory:$bad{$_}\n")
    for keys %bad;

my %secret = (secret => 'secret', eight => 'Ab3$xY9!',
              jwtio => 'your-256-bit-secret');
for my $name (keys %secret) {
    my $path = JwtTest::key_path("seed-$name");
    open my $fh, '>:raw', $path or die "$path: $!";
    print {$fh} $secret{$name};
    close $fh or die "$path: $!";
}

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config',
        "    secauth_password_hash $LoginTest::CHEAP;\n");
    # an [emerg] for an unknown directive names it too
    $block->set_value('no_error_log', "unknown directive\n")
        if defined $block->must_die;
});

no_shuffle();
run_tests();

__DATA__

=== TEST 1: weak hashes: control: an Argon2id users file loads, alice logs in
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/seed-good;
    secauth_cookie sid secure=off;
    location = /login { secauth_login; }
--- request eval
"POST /login\n" . LoginTest::form(username => 'alice',
                                  password => $LoginTest::PW{alice})
--- more_headers
Content-Type: application/x-www-form-urlencoded
--- error_code: 303
--- no_error_log
[emerg]



=== TEST 2: weak hashes: raw MD5 hex fails nginx -t, naming line 3
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/seed-md5hex;
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: ".*/seed-md5hex" line 3: the hash is plain text}



=== TEST 3: weak hashes: MD5-crypt ($1$)
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/seed-md5crypt;
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: ".*/seed-md5crypt" line 3: the hash is MD5-based}



=== TEST 4: weak hashes: unsalted {SHA}
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/seed-sha;
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: ".*/seed-sha" line 3: the hash is an unsalted}



=== TEST 5: weak hashes: plain text
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/seed-plain;
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: ".*/seed-plain" line 3: the hash is plain text}



=== TEST 6: weak hashes: SHA-512 crypt with an empty salt ($6$$) is unsalted
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/seed-sha512nosalt;
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: ".*/seed-sha512nosalt" line 3: the hash}



=== TEST 7: weak hashes: yescrypt with an empty salt ($y$j9T$$) is unsalted
--- config
    secauth_users file=$TEST_NGINX_LOGIN_DIR/seed-yescryptnosalt;
--- must_die
--- error_log eval
qr{\[emerg\].*secauth_users: ".*/seed-yescryptnosalt" line 3: the hash}



=== TEST 8: weak JWT secrets: control: a random 32-byte HS256 secret loads
--- config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/hs256;
    location = /p.txt {
        secauth jwt;
        add_header X-User $secauth_user always;
    }
--- user_files
>>> p.txt
secret
--- request
GET /p.txt
--- more_headers eval
JwtTest::auth(JwtTest::token('HS256', 'hs256', [], []))
--- error_code: 200
--- response_headers
X-User: alice



=== TEST 9: weak JWT secrets: "secret" fails nginx -t
--- config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/seed-secret;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_jwt_signing_key" HS256: ".*/seed-secret" needs a secret at least as long as the hash: 32 bytes}



=== TEST 10: weak JWT secrets: 8 bytes
--- config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/seed-eight;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_jwt_signing_key" HS256: ".*/seed-eight" needs a secret}



=== TEST 11: weak JWT secrets: jwt.io's "your-256-bit-secret" (19 bytes)
--- config
    secauth_jwt_signing_key HS256 $TEST_NGINX_JWT_DIR/seed-jwtio;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_jwt_signing_key" HS256: ".*/seed-jwtio" needs a secret}



=== TEST 12: weak JWT secrets: 31 random bytes as a verification key
--- config
    secauth_jwt_key HS256 $TEST_NGINX_JWT_DIR/hs31;
--- must_die
--- error_log eval
qr{\[emerg\].*"secauth_jwt_key" HS256: ".*/hs31" needs a secret}
