# Login with a second factor on Redis (docs/mfa.md), against private nginx
# instances (t/lib/NginxInstance) and the private Redis of scripts/test.sh.
# Users are enrolled by t/lib/MfaTest.pm, which writes the documented
# record with its own crypto (CryptX); codes come from oathtool(1).
#
#   - the password alone never gives a session for a user with TOTP on:
#     401 {"error":"mfa_required"}; a user without TOTP logs in as before;
#   - codes at now, -30 s and +30 s are accepted; at -60 s and +60 s and
#     wrong ones refused; bad inputs (spaces, 5 or 7 digits, full-width
#     digits, letters, empty, not a string, 1 MB) are failed logins;
#   - replay: the same code twice, an older code after a newer one, the
#     same code on a second node: refused;
#   - backup codes: accepted once (any case, with or without the dash);
#     10 parallel logins with one code, many rounds: exactly one wins;
#   - wrong codes count toward the account's throttle;
#   - nothing in Redis holds the secret or a code in clear.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Digest::SHA ();
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

use LoginTest ();
use MfaTest ();
use SecauthTest ();

my $JSON = JSON::PP->new->canonical;
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "mfa$$:";
my $owner = $$;
my $users = "$LoginTest::DIR/users";
my $key = MfaTest::key_file();

$SIG{$_} = sub { exit 130 } for qw(INT TERM HUP);

sub redis { SecauthTest::redis(@_) }

END {
    local $?;
    if ($$ == $owner) {
        my @keys = grep { length } split /\n/,
                   redis('--scan', '--pattern', "$prefix*");
        redis('DEL', @keys) if @keys;
    }
}

sub node {
    my (%opt) = @_;
    my $keys = $opt{keys} // $key;
    my $http = <<"CONF" . ($opt{http} // '');
    secauth_password_hash $LoginTest::CHEAP;
    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;
    secauth_secret_key $keys;
CONF
    my $throttle = $opt{throttle} // 'off';
    my $server = <<"CONF" . ($opt{server} // '');
        secauth_users file=$users;
        secauth_login_throttle $throttle;
        secauth_cookie sid secure=off;
        location = /login { secauth_login; }
        location /p {
            secauth session;
            add_header X-User \$secauth_user always;
            alias html/p.txt;
        }
        location /strong {
            secauth session;
            secauth_mfa on;
            add_header X-Amr \$secauth_amr always;
            add_header X-Error \$secauth_error always;
            alias html/p.txt;
        }
        location /api {
            secauth any;
            secauth_mfa on;
            add_header X-Error \$secauth_error always;
            alias html/p.txt;
        }
CONF
    my $n = NginxInstance->new(http => $http, server => $server,
                               files => { 'p.txt' => "in\n" });

    my $deadline = time + 3;
    sleep 0.05 while time < $deadline && (login($n, 'nobody', 'x' x 12))[0]
                                         != 401;
    return $n;
}

# login(NODE, USER, PASSWORD [, OTP]): (status, body, sid cookie)
sub login {
    my ($n, $user, $pass, $otp, %raw) = @_;
    my $body = $raw{body} // LoginTest::json_body(username => $user,
        password => $pass, defined $otp ? (otp => $otp) : ());
    my ($s, $h, $b) = $n->post('/login', $raw{type} // 'application/json',
                               $body);
    my ($sid) = ($h->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
    return ($s, $b, $sid);
}

sub start_login {
    my ($n, $user, $pass, $otp) = @_;
    return $n->start_request('POST', '/login',
        LoginTest::json_body(username => $user, password => $pass,
                             otp => $otp),
        'Content-Type' => 'application/json');
}

sub page {
    my ($n, $sid) = @_;
    my ($s) = $n->get('/p', Cookie => 'sid=' . ($sid // 'none'));
    return $s;
}

my $pw = $LoginTest::PW{alice};
my $secret = MfaTest::new_secret();
my @codes = map { join '', map { ('a' .. 'z', 2 .. 7)[int rand 32] } 1 .. 10 }
            1 .. 20;
MfaTest::enrol($key, $prefix, 'alice', $secret, 1, @codes);

my $n1 = node();
my $n2 = node();

# --- the password alone ---

{
    my ($s, $b, $sid) = login($n1, 'alice', $pw);
    is($s, 401, 'TOTP on: the password alone is refused');
    is(eval { $JSON->decode($b) }->{error}, 'mfa_required',
       '... with {"error":"mfa_required"}');
    ok(!defined $sid, '... and no session cookie');

    ($s, $b, $sid) = login($n1, 'alice', 'wrong password x', '000000');
    is($s, 401, 'a wrong password with a code is refused');
    ok(!defined $sid, '... without a cookie');
    unlike($b // '', qr/mfa_required/, '... and says nothing about MFA');

    ($s, undef, $sid) = login($n1, 'grace', $LoginTest::PW{grace});
    is($s, 200, 'a user without TOTP logs in with the password');
    is(page($n1, $sid), 200, '... and the session admits');
}

# --- secauth_mfa on: only sessions with the second factor ---

sub strong {
    my ($n, $sid) = @_;
    my ($s, $h) = $n->get('/strong', Cookie => "sid=$sid");
    return ($s, $h->{'x-amr'} // '', $h->{'x-error'} // '');
}

{
    my (undef, undef, $sid) = login($n1, 'grace', $LoginTest::PW{grace});
    my ($s, $amr, $err) = strong($n1, $sid);
    is($s, 403, 'secauth_mfa on: a password-only session gets 403');
    is($err, 'mfa_required', '... $secauth_error is mfa_required');

    my $old = SecauthTest::new_sid();
    SecauthTest::redis_put_session($old, 'grace', 10, 5, 600, $prefix);
    ($s, undef, $err) = strong($n1, $old);
    is($s, 403, 'a session record of before MFA (level 1): 403');
    is(($n1->get('/p', Cookie => "sid=$old"))[0], 200,
       '... which still passes where MFA is not required');

    ($s) = $n1->get('/strong');
    is($s, 401, 'no credentials at all: still 401');
}

# --- the window and replays (each code of a step is spent once) ---

MfaTest::wait_step_start();
my $t0 = time;

{
    my ($s, undef, $sid) = login($n1, 'alice', $pw,
                                 MfaTest::totp($secret, $t0 - 60));
    is($s, 401, 'a code of 60 s ago is refused');
    ok(!defined $sid, '... without a cookie');

    ($s) = login($n1, 'alice', $pw, MfaTest::totp($secret, $t0 + 60));
    is($s, 401, 'a code of 60 s ahead is refused');

    ($s, undef, $sid) = login($n1, 'alice', $pw,
                              MfaTest::totp($secret, $t0 - 30));
    is($s, 200, 'a code of 30 s ago is accepted')
        or diag(join '', grep { /secauth/ } split /^/, $n1->error_log);
    is(page($n1, $sid), 200, '... and its session admits');
    my ($st, $amr) = strong($n1, $sid);
    is($st, 200, '... also where secauth_mfa is on');
    is($amr, 'pwd otp mfa', '... with $secauth_amr "pwd otp mfa"');

    ($s) = login($n2, 'alice', $pw, MfaTest::totp($secret, $t0 - 30));
    is($s, 401, 'the same code on a second node is refused (replay)');

    ($s, undef, $sid) = login($n1, 'alice', $pw,
                              MfaTest::totp($secret, $t0 + 30));
    is($s, 200, 'a code of 30 s ahead is accepted');

    ($s) = login($n1, 'alice', $pw, MfaTest::totp($secret, $t0));
    is($s, 401, 'an older code after a newer one is refused');

    ($s) = login($n2, 'alice', $pw, MfaTest::totp($secret, $t0 + 30));
    is($s, 401, 'the newest code again, on the other node: refused');
}

# --- bad input: failed logins, never a session ---

{
    my $good = MfaTest::totp($secret, $t0);
    my %bad = (
        'spaces inside a 5-digit code' => '12 345',
        '5 digits'             => substr($good, 0, 5),
        '7 digits'             => $good . '0',
        'full-width digits'    => join('', map { chr(0xFF10 + $_) }
                                         split //, $good),
        'letters'              => 'abcdef',
        'a tab'                => substr($good, 0, 3) . "\t"
                                  . substr($good, 3),
        'empty'                => '',
        'a sign'               => '+' . substr($good, 1),
    );
    for my $what (sort keys %bad) {
        my ($s, undef, $sid) = login($n1, 'alice', $pw, $bad{$what});
        is($s, 401, "bad code ($what): refused");
        ok(!defined $sid, "... without a cookie ($what)");
    }

    my ($s, undef, $sid) = login($n1, 'alice', $pw, undef,
        body => qq({"username":"alice","password":"$pw","otp":123456}));
    is($s, 401, 'a code that is not a string: refused');

    ($s) = login($n1, 'alice', $pw, undef,
        body => LoginTest::json_body(username => 'alice', password => $pw,
                                     otp => '1' x (1024 * 1024)));
    ok($s == 413 || $s == 401, "1 MB code: refused ($s)");
}

# --- backup codes ---

{
    (my $dashed = uc $codes[0]) =~ s/^(.{5})/$1-/;
    my ($s, undef, $sid) = login($n1, 'alice', $pw, $dashed);
    is($s, 200, 'a backup code (upper case, with the dash) is accepted');
    is(page($n1, $sid), 200, '... and its session admits');

    ($s) = login($n2, 'alice', $pw, $codes[0]);
    is($s, 401, 'the same backup code again, on another node: refused');

    ($s) = login($n1, 'alice', $pw, 'abcde-fgh27');
    is($s, 401, 'a backup code never issued: refused');
}

# --- 10 parallel logins with one backup code: exactly one wins ---

{
    my $rounds = 0;
    my $exact = 0;
    for my $c (@codes[1 .. 8]) {
        my @req = map { start_login($_ % 2 ? $n1 : $n2, 'alice', $pw, $c) }
                  1 .. 10;
        my @st = map { (($_ % 2 ? $n1 : $n2)->collect($req[$_ - 1]))[0] }
                 1 .. 10;
        my $won = grep { $_ == 200 } @st;
        my $lost = grep { $_ == 401 } @st;
        $rounds++;
        $exact++ if $won == 1 && $lost == 9;
        diag("round $rounds: @st") unless $won == 1 && $lost == 9;
    }
    is($exact, $rounds, "10 parallel uses of one backup code, $rounds "
                        . 'rounds on two nodes: exactly one wins each time');
}

# --- JSON in two steps: mfa_token, then {mfa_token, otp} ---

sub first_step {
    my ($n) = @_;
    my ($s, $b) = login($n, 'alice', $pw);
    my $j = eval { $JSON->decode($b) } // {};
    return ($s, $j->{mfa_token}, $j);
}

sub second_step {
    my ($n, $token, $otp) = @_;
    return login($n, undef, undef, undef,
                 body => LoginTest::json_body(mfa_token => $token,
                                              defined $otp ? (otp => $otp)
                                                           : ()));
}

{
    my ($s, $token, $j) = first_step($n1);
    is($s, 401, 'first step: 401');
    is($j->{error}, 'mfa_required', '... mfa_required');
    like($token // '', qr/^[A-Za-z0-9_-]{43}\z/, '... with an mfa_token');

    is(page($n1, $token), 401, 'the mfa_token as a session cookie: refused');

    my $sid;
    ($s, undef, $sid) = second_step($n2, $token, $codes[9]);
    is($s, 200, 'second step with a backup code, on another node: 200');
    is(page($n1, $sid), 200, '... and its session admits');
    my ($st, $amr) = strong($n1, $sid);
    is($amr, 'pwd otp mfa', '... with the second factor in its amr');

    ($s, undef, $sid) = second_step($n1, $token, $codes[10]);
    is($s, 401, 'the same mfa_token again: refused (single use)');
    ok(!defined $sid, '... without a cookie');

    ($s, $token) = first_step($n1);
    my @st;
    for (1 .. 5) {
        push @st, (second_step($n1, $token, '000000'))[0];
    }
    is("@st", '401 401 401 401 401', 'five wrong codes: each refused');
    ($s) = second_step($n1, $token, $codes[11]);
    is($s, 401, '... and then a right one is too: the pending login ended');

    ($s, $token) = first_step($n1);
    ($s) = second_step($n1, $token, '000000');
    ($s, undef, $sid) = second_step($n1, $token, $codes[11]);
    is($s, 200, 'a wrong code, then a right one: 200');

    ($s, $token) = first_step($n1);
    my $pkey = "${prefix}once:"
               . Digest::SHA::sha256_hex("mfa-pending\n$token");
    like(redis('GET', $pkey), qr/^0:\d+:0:alice\z/,
         'the pending state holds tries, expiry, version, user');
    my $ttl = redis('TTL', $pkey);
    ok($ttl > 290 && $ttl <= 300, "... for 5 minutes ($ttl s)");
    redis('SET', $pkey, '0:' . (int(time) - 1) . ':0:alice', 'EX', 60);
    ($s) = second_step($n1, $token, $codes[12]);
    is($s, 401, 'an expired pending login: refused')
        or diag(join '', grep { /secauth/ } split /^/, $n1->error_log);

    ($s) = second_step($n1, 'x' x 43, $codes[12]);
    is($s, 401, 'an unknown mfa_token: refused');
    ($s) = second_step($n1, 'short', $codes[12]);
    is($s, 401, 'a malformed mfa_token: refused');
    ($s, $token) = first_step($n1);
    ($s) = second_step($n1, $token);
    is($s, 401, 'an mfa_token without a code: refused');
}

# --- browsers: the code page, the pending login in its own cookie ---

sub form_post {
    my ($n, $body, $cookie) = @_;
    my ($s, $h, $b) = $n->post('/login', 'application/x-www-form-urlencoded',
                               $body, $cookie ? (Cookie => $cookie) : ());
    return ($s, $h, $b // '');
}

{
    my ($s, $h, $b) = form_post($n1, LoginTest::form(username => 'alice',
                                password => $pw, next => '/p/after'));
    is($s, 200, 'form, right password: the code page');
    my $sc = $h->{'set-cookie'} // '';
    my ($pending) = $sc =~ /\bsid-mfa=([A-Za-z0-9_-]{43});/;
    ok($pending, '... with the pending login in the cookie sid-mfa');
    like($sc, qr/sid-mfa=[^,]*Max-Age=300[^,]*HttpOnly/,
         '... for 5 minutes, HttpOnly');
    unlike($sc, qr/\bsid=/, '... and no session cookie');
    like($b, qr{<label for="otp">Code</label>}, 'the page labels its field');
    like($b, qr{autocomplete="one-time-code"}, '... one-time-code');
    like($b, qr{aria-describedby="hint"}, '... described for screen readers');
    like($b, qr{name="next" value="/p/after"}, '... keeps next');
    like($h->{'content-security-policy'} // '', qr/default-src 'none'/,
         '... under a strict CSP');

    is(page($n1, $pending), 401,
       'the pending cookie as a session cookie: refused');
    my ($ps) = $n1->get('/p', Cookie => "sid-mfa=$pending");
    is($ps, 401, 'the pending cookie itself: never admitted');

    ($s, $h, $b) = form_post($n1, LoginTest::form(otp => '000000'),
                             "sid-mfa=$pending");
    is($s, 401, 'a wrong code: 401');
    like($b, qr{role="alert">Invalid code}, '... the code page again, '
                                            . 'with an alert');

    ($s, $h, $b) = form_post($n1, LoginTest::form(otp => $codes[13],
                                                  next => '/p/after'),
                             "sid-mfa=$pending");
    is($s, 303, 'then a backup code: 303');
    like($h->{location} // '', qr{/p/after\z}, '... to next');
    $sc = $h->{'set-cookie'} // '';
    my ($sid) = $sc =~ /\bsid=([A-Za-z0-9_-]{43});/;
    ok($sid, '... with a session cookie');
    like($sc, qr/sid-mfa=;[^,]*Max-Age=0/, '... and the pending cookie gone');
    is(page($n1, $sid), 200, '... whose session admits');

    ($s) = form_post($n1, LoginTest::form(otp => $codes[14]),
                     "sid-mfa=$pending");
    is($s, 401, 'the pending cookie replayed: refused');

    ($s) = form_post($n1, LoginTest::form(otp => $codes[14]));
    is($s, 400, 'a code without a pending cookie: 400');

    (undef, $h) = form_post($n1, LoginTest::form(username => 'alice',
                                                 password => $pw));
    ($pending) = ($h->{'set-cookie'} // '') =~ /\bsid-mfa=([^;]+)/;
    my @st;
    for (1 .. 5) {
        ($s, $h, $b) = form_post($n1, LoginTest::form(otp => '000000'),
                                 "sid-mfa=$pending");
        push @st, $s;
    }
    is("@st", '401 401 401 401 401', 'form: five wrong codes refused');
    like($b, qr{name="password"}, '... the fifth sends back to the password');
    like($h->{'set-cookie'} // '', qr/sid-mfa=;/, '... clearing the cookie');
}

# --- nothing in clear in Redis ---

{
    my @keys = grep { length } split /\n/,
               redis('--scan', '--pattern', "$prefix*");
    my $all = join "\n", @keys, map { redis('GET', $_) } grep { /once:/ }
                                    @keys;
    my $raw = MfaTest::b32_decode($secret);
    unlike($all, qr/\Q$secret\E/i, 'the base32 secret is not in Redis');
    ok(index($all, $raw) < 0, 'the raw secret is not in Redis');
    ok(!(grep { index($all, $_) >= 0 } @codes),
       'no backup code is in Redis');
    ok(!(grep { /alice/ } grep { /once:|counter:/ } @keys),
       'no key of the second factor names the user');
}

# --- wrong codes count toward the account's throttle ---

{
    MfaTest::enrol($key, $prefix, 'bob', MfaTest::new_secret(), 1);
    my $n3 = node(throttle => 'free=3 lock=1m max_lock=1m forget=1h');
    my @st;
    for (1 .. 5) {
        push @st, (login($n3, 'bob', $LoginTest::PW{bob}, '000000'))[0];
    }
    is_deeply(\@st, [401, 401, 401, 429, 429],
              'right password, wrong codes: the throttle locks the account')
        or diag("@st");
    my ($s) = login($n3, 'bob', $LoginTest::PW{bob});
    is($s, 429, '... and a locked account is refused before MFA');
}

# --- key rotation: the old key opens secrets and checks old codes ---

{
    my $new = MfaTest::key_file('new.key');
    my $dsecret = MfaTest::new_secret();
    my @dcodes = ('abcde22222', 'fghij33333');
    MfaTest::enrol($key, $prefix, 'dave', $dsecret, 1, @dcodes);

    my $rot = node(keys => "$new old=$key");
    my $plain = node(keys => $new);
    my $dpw = $LoginTest::PW{dave};

    my ($s) = login($plain, 'dave', $dpw, $dcodes[0]);
    is($s, 401, 'the new key alone: a code hashed under the old is refused');
    ($s) = login($rot, 'dave', $dpw, $dcodes[0]);
    is($s, 200, 'with old=: a backup code hashed under the old key works');
    ($s) = login($rot, 'dave', $dpw, $dcodes[0]);
    is($s, 401, '... once');

    MfaTest::wait_step_start();
    ($s) = login($plain, 'dave', $dpw, MfaTest::totp($dsecret, time));
    ok($s == 500 || $s == 401, "the new key alone cannot open the secret ($s)");
    ($s) = login($rot, 'dave', $dpw, MfaTest::totp($dsecret, time + 30));
    is($s, 200, 'with old=: the secret sealed under the old key opens');
}

done_testing();
