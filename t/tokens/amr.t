# How the user authenticated, in tokens (RFC 8176 amr; docs/tokens.md,
# docs/mfa.md), against private nginx instances (t/lib/NginxInstance):
#
#   - on Redis, with users enrolled in TOTP as t/mfa/login.t does: the
#     access tokens of a password login carry "amr": ["pwd"], those of a
#     login with a TOTP code, a backup code or the two-step mfa_token
#     flow ["pwd","otp","mfa"] (decoded with PyJWT); refreshes keep it,
#     twice over; a family written before the level was kept refreshes
#     as ["pwd"];
#   - secauth_mfa on admits an MFA token and refuses a password-only one
#     (403, $secauth_error mfa_required), with $secauth_amr;
#   - on the shared-memory store (a zone with state=, where MFA may be
#     on): a password login's tokens stay ["pwd"] through refreshes;
#   - with SECAUTH_OLD_MODULE=PATH (a build of before the level, e.g.
#     main's): families it wrote, in Redis and in a shm state file,
#     refresh as ["pwd"] with this one; back on the old module, a shm
#     family of this one is refused (400), never misread;
#   - outside issuers' tokens (PyJWT, HS256): amr ["mfa"], ["pwd"], a
#     string, numbers, control bytes, spaces, repeats, 10000 members,
#     none: the status and $secauth_amr each gives.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use File::Temp qw(tempdir);
use JSON::PP ();
use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
    plan skip_all => 'TEST_NGINX_REDIS_PORT is not set (scripts/test.sh)'
        unless $ENV{TEST_NGINX_REDIS_PORT};
    plan skip_all => 'oathtool is not installed (scripts/setup.sh)'
        unless grep { -x "$_/oathtool" } split /:/, $ENV{PATH};
}

use JwtTest ();
use LoginTest ();
use MfaTest ();

my $JSON = JSON::PP->new->canonical;
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "amr$$:";
my $owner = $$;
my $users = "$LoginTest::DIR/users";
my $key = MfaTest::key_file('amr.key');
my $state = tempdir('secauth-amr-XXXXXX', TMPDIR => 1, CLEANUP => 1);

# ports of the brief's range when TEST_NGINX_PORT says where it starts
my $port = $ENV{TEST_NGINX_PORT} ? $ENV{TEST_NGINX_PORT} + 60 : undef;

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

# PyJWT, Debian's python3-jwt: the claims of a token it verifies, else
# {error => why}
sub claims {
    my ($token) = @_;
    return JwtTest::pyjwt_decode($token, 'HS256', 'hs256',
                                 'https://auth.test', 'api');
}

# the amr of an access token, as JSON text ("none" without the claim)
sub amr_of {
    my ($token) = @_;
    my $c = claims($token);
    return "error: $c->{error}" if $c->{error};
    return exists $c->{amr} ? $JSON->encode($c->{amr}) : 'none';
}

sub node {
    my (%opt) = @_;
    my $http = "    secauth_password_hash $LoginTest::CHEAP;\n"
        . ($opt{http} // '');
    my $tokens = $opt{outside} ? ''
                 : "location = /token/refresh { secauth_refresh; }";
    my $server = <<"CONF" . ($opt{server} // '');
        secauth_users file=$users;
        secauth_cookie sid secure=off;
        large_client_header_buffers 4 256k;
        location = /login { secauth_login; }
        $tokens
        location /api/ {
            secauth jwt;
            secauth_jwt_max_size 1m;
            add_header X-Amr \$secauth_amr always;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
        location /strong/ {
            secauth any;
            secauth_mfa on;
            secauth_jwt_max_size 1m;
            add_header X-Amr \$secauth_amr always;
            add_header X-Error \$secauth_error always;
            alias html/;
        }
CONF
    local $ENV{TEST_NGINX_LOAD_MODULES} = $opt{module}
        if $opt{module};
    my $n = NginxInstance->new(http => $http, server => $server,
                               master => $opt{master},
                               defined $port ? (port => $port++) : (),
                               files => { 'p.txt' => "in\n" });
    my $deadline = time + 3;
    sleep 0.05 while $opt{redis} && time < $deadline
                     && (get($n, '/api/p.txt', 'x'))[0] != 401;
    return $n;
}

my $signing = "    secauth_jwt_signing_key HS256 "
    . JwtTest::key_path('hs256') . ";\n"
    . "    secauth_jwt_issuer https://auth.test;\n"
    . "    secauth_jwt_audience api;\n"
    . "    secauth_secret_key $key;\n";

# get(NODE, PATH, TOKEN): (status, $secauth_amr, $secauth_error)
sub get {
    my ($n, $path, $token) = @_;
    my ($s, $h) = $n->get($path, defined $token
                                 ? (Authorization => "Bearer $token") : ());
    return ($s, $h->{'x-amr'} // '', $h->{'x-error'} // '');
}

# login(NODE, FIELDS...): (status, decoded body)
sub login {
    my ($n, %f) = @_;
    my ($s, undef, $b) = $n->post('/login', 'application/json',
                                  LoginTest::json_body(%f));
    return ($s, eval { $JSON->decode($b) } // { raw => $b });
}

sub refresh {
    my ($n, $token) = @_;
    my ($s, undef, $b) = $n->post('/token/refresh',
                                  'application/x-www-form-urlencoded',
                                  LoginTest::form(refresh_token => $token));
    return ($s, eval { $JSON->decode($b) } // { raw => $b });
}

# a login's pair, refreshed twice: the amr of each access token, and the
# last pair
sub amr_through_refreshes {
    my ($n, $pair) = @_;
    my @amr = (amr_of($pair->{access_token}));
    for (1 .. 2) {
        my ($s, $next) = refresh($n, $pair->{refresh_token});
        push @amr, $s == 200 ? amr_of($next->{access_token}) : "refresh $s";
        $pair = $next;
    }
    return (\@amr, $pair);
}

my $PWD = '["pwd"]';
my $MFA = '["pwd","otp","mfa"]';

# --- Redis: password, TOTP, backup code, two steps ---

my $secret = MfaTest::new_secret();
my @codes = map { join '', map { ('a' .. 'z', 2 .. 7)[int rand 32] } 1 .. 10 }
            1 .. 4;
MfaTest::enrol($key, $prefix, 'alice', $secret, 1, @codes);

my $rn = node(redis => 1, http => $signing
    . "    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;\n");
my $pw = $LoginTest::PW{alice};

{
    my ($s, $pair) = login($rn, username => 'grace',
                           password => $LoginTest::PW{grace});
    is($s, 200, 'redis: a password login answers tokens')
        or diag(join '', grep { /secauth/ } split /^/, $rn->error_log);
    my ($amr, $last) = amr_through_refreshes($rn, $pair);
    is_deeply($amr, [$PWD, $PWD, $PWD],
              'redis: a password login\'s access tokens say ["pwd"], and '
              . 'keep it through two refreshes');
    ok(!exists claims($pair->{refresh_token})->{amr},
       '... the refresh token itself carries none (its family does)');
    is(join(' ', get($rn, '/api/p.txt', $last->{access_token})),
       '200 pwd ', '... $secauth_amr is "pwd"');
    is(join(' ', get($rn, '/strong/p.txt', $last->{access_token})),
       '403 pwd mfa_required',
       '... and secauth_mfa on refuses it: 403, mfa_required');

    MfaTest::wait_step_start();
    ($s, $pair) = login($rn, username => 'alice', password => $pw,
                        otp => MfaTest::totp($secret, time));
    is($s, 200, 'redis: password and a TOTP code answer tokens')
        or diag(join '', grep { /secauth/ } split /^/, $rn->error_log);
    ($amr, $last) = amr_through_refreshes($rn, $pair);
    is_deeply($amr, [$MFA, $MFA, $MFA],
              '... ["pwd","otp","mfa"], kept through two refreshes');
    is(join(' ', get($rn, '/strong/p.txt', $pair->{access_token})),
       '200 pwd otp mfa ', '... secauth_mfa on admits the login\'s token');
    is(join(' ', get($rn, '/strong/p.txt', $last->{access_token})),
       '200 pwd otp mfa ', '... and the refreshed one');

    ($s, $pair) = login($rn, username => 'alice', password => $pw,
                        otp => $codes[0]);
    is("$s " . amr_of($pair->{access_token}), "200 $MFA",
       'redis: password and a backup code: ["pwd","otp","mfa"]');

    ($s, my $first) = login($rn, username => 'alice', password => $pw);
    is("$s " . ($first->{error} // ''), '401 mfa_required',
       'redis: the password alone of a TOTP user: mfa_required');
    ($s, $pair) = login($rn, mfa_token => $first->{mfa_token} // '',
                        otp => $codes[1]);
    is("$s " . amr_of($pair->{access_token}), "200 $MFA",
       '... then {mfa_token, otp}: ["pwd","otp","mfa"]');

    # a family of before the level: its hash has no field "level"
    ($s, $pair) = login($rn, username => 'alice', password => $pw,
                        otp => $codes[2]);
    my $fam = claims($pair->{access_token})->{fam} // '';
    is(redis('HGET', "${prefix}family:$fam", 'level'), 3,
       'redis: the family records the level (3: pwd and otp)');
    redis('HDEL', "${prefix}family:$fam", 'level');
    ($s, my $next) = refresh($rn, $pair->{refresh_token});
    is("$s " . amr_of($next->{access_token}), "200 $PWD",
       '... a family without it refreshes as a password login');
}

# --- shm, in a zone with state= (where MFA may be on) ---

{
    my $sn = node(http => $signing
        . "    secauth_zone amr:1m state=$state/zone;\n");
    my ($s, $pair) = login($sn, username => 'grace',
                           password => $LoginTest::PW{grace});
    is($s, 200, 'shm: a password login answers tokens')
        or diag(join '', grep { /secauth/ } split /^/, $sn->error_log);
    my ($amr, $last) = amr_through_refreshes($sn, $pair);
    is_deeply($amr, [$PWD, $PWD, $PWD],
              'shm: ["pwd"], kept through two refreshes');
    is(join(' ', get($sn, '/strong/p.txt', $last->{access_token})),
       '403 pwd mfa_required', '... and refused where MFA is required');
}

# --- records of a module of before the level (SECAUTH_OLD_MODULE=.so) ---

SKIP: {
    my $old = $ENV{SECAUTH_OLD_MODULE};
    skip 'SECAUTH_OLD_MODULE (a module of before amr) is not set', 5
        unless $old && -f $old;

    for my $store ('redis', 'shm') {
        my %opt = $store eq 'redis'
            ? (redis => 1, http => $signing . "    secauth_redis "
                                  . "redis://127.0.0.1:$rport "
                                  . "prefix=$prefix;\n")
            : (master => 1, http => $signing . "    secauth_zone "
                                    . "old:1m state=$state/old;\n");
        my $on = node(%opt, module => $old);
        my ($s, $pair) = login($on, username => 'grace',
                               password => $LoginTest::PW{grace});
        $on->stop;
        my $nn = node(%opt);
        ($s, my $next) = refresh($nn, $pair->{refresh_token});
        is("$s " . amr_of($next->{access_token}), "200 $PWD",
           "$store: a family the old module made refreshes as [\"pwd\"]")
            or diag(join '', grep { /secauth/ } split /^/, $nn->error_log);
        ($s, $next) = refresh($nn, $next->{refresh_token});
        is("$s " . amr_of($next->{access_token}), "200 $PWD",
           '... and again');
        ($s, $pair) = login($nn, username => 'grace',
                            password => $LoginTest::PW{grace});
        $nn->stop;
        next unless $store eq 'shm';

        # back to the old module: the longer value is unknown to it
        $on = node(%opt, module => $old);
        ($s) = refresh($on, $pair->{refresh_token});
        is($s, 400, 'shm: the old module refuses (400) a family the new '
                    . 'one wrote: the client logs in again');
        $on->stop;
    }
}

# --- outside issuers' tokens ---

my $xn = node(outside => 1, http => "    secauth_jwt_key HS256 "
                      . JwtTest::key_path('hs256b') . ";\n");

sub outside {
    my ($amr) = @_;
    my $t = JwtTest::pyjwt('HS256', 'hs256b', [amr => $amr]);
    return (join(' ', get($xn, '/strong/p.txt', $t)),
            join(' ', get($xn, '/api/p.txt', $t)));
}

my @many = map { "a$_" } 1 .. 10000;
my %cases = (
    '["mfa"]'                   => [['mfa'], '200 mfa ', '200 mfa '],
    '["pwd"]'                   => [['pwd'], '403 pwd mfa_required',
                                    '200 pwd '],
    '["pwd","hwk","mfa"]'       => [['pwd', 'hwk', 'mfa'],
                                    '200 pwd hwk mfa ', '200 pwd hwk mfa '],
    '"mfa" (a string)'          => ['mfa', '403  mfa_required', '200  '],
    '[1,2]'                     => [[1, 2], '403  mfa_required', '200  '],
    '["mfa\n"]'                 => [["mfa\n"], '403  mfa_required', '200  '],
    '["\u0001mfa","mfa\r\n"]'   => [["\x01mfa", "mfa\r\n"],
                                    '403  mfa_required', '200  '],
    '["mfa x","pwd"]'           => [['mfa x', 'pwd'], '403 pwd mfa_required',
                                    '200 pwd '],
    '["MFA"]'                   => [['MFA'], '403 MFA mfa_required',
                                    '200 MFA '],
    '[["mfa"]]'                 => [[['mfa']], '403  mfa_required', '200  '],
    '{"mfa":true}'              => [{ mfa => JSON::PP::true },
                                    '403  mfa_required', '200  '],
    '[]'                        => [[], '403  mfa_required', '200  '],
    'repeats'                   => [['pwd', 'mfa', 'pwd', 'mfa'],
                                    '200 pwd mfa ', '200 pwd mfa '],
    'spaces'                    => [['m fa', ' mfa', 'mfa '],
                                    '403  mfa_required', '200  '],
    'a NUL (the payload refused)' => [["mfa\x{0}"], '401  malformed',
                                      '401  malformed'],
    'no amr'                    => [undef, '403  mfa_required', '200  '],
    '10000 members, "mfa" last' => [[@many, 'mfa'], '403 '
                                    . join(' ', @many[0 .. 15])
                                    . ' mfa_required',
                                    '200 ' . join(' ', @many[0 .. 15]) . ' '],
    '10000 times "mfa"'         => [[('mfa') x 10000], '200 mfa ',
                                    '200 mfa '],
);

for my $what (sort keys %cases) {
    my ($amr, $strong, $api) = @{ $cases{$what} };
    my ($got_strong, $got_api) = outside($amr);
    is($got_strong, $strong, "outside token, amr $what: secauth_mfa on");
    is($got_api, $api, "... and without it");
}

like($xn->error_log, qr/has no second factor/,
     'a refusal says why in the error log');
unlike($xn->error_log, qr/\[(?:alert|crit|emerg)\]|signal \d+/,
       'no alert nor crash through it all');

done_testing();
