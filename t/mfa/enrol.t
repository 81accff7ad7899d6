# The enrolment location, secauth_totp (docs/mfa.md "Enrolment"), on
# Redis with two nginx nodes, against private instances
# (t/lib/NginxInstance) and the private Redis of scripts/test.sh. Codes
# come from oathtool(1), the QR code is read back with zbarimg(1).
#
#   - no session: 401 (JSON), 302 to the login page (a browser);
#   - begin: the password again (wrong: 401, counted by the throttle),
#     then a secret, its otpauth URI (issuer and user percent-encoded)
#     and its QR code, which decodes back to the URI; begin with TOTP on
#     already: 409 mfa_enabled;
#   - confirm: a wrong or malformed code is 401, the right one turns
#     TOTP on (the record in the documented format), answers 10 backup
#     codes, gives this session a new id with the second factor and
#     ends the user's other sessions, on both nodes; the code of the
#     confirmation is spent (a login with it is a replay);
#   - backup_codes: a new set, the old set dead; disable: TOTP off;
#   - every bad input is a 4xx with a reason in the error log, no 5xx;
#   - secauth_mfa on enrol=URI: browsers without the factor go there;
#   - the browser flow (forms): the pages, their labels, the cookie.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Digest::SHA ();
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
    for my $tool (qw(oathtool zbarimg)) {
        plan skip_all => "$tool is not installed (scripts/setup.sh)"
            unless grep { -x "$_/$tool" } split /:/, $ENV{PATH};
    }
}

use LoginTest ();
use MfaTest ();
use SecauthTest ();

my $JSON = JSON::PP->new->utf8->canonical;
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "enrol$$:";
my $owner = $$;
my $users = "$LoginTest::DIR/users";
my $key = MfaTest::key_file('enrol.key');
my $tmp = tempdir('secauth-enrol-XXXXXX', TMPDIR => 1, CLEANUP => 1);

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
    my $throttle = $opt{throttle} // 'off';
    my $http = <<"CONF";
    secauth_password_hash $LoginTest::CHEAP;
    secauth_redis redis://127.0.0.1:$rport prefix=$prefix;
    secauth_secret_key $key;
CONF
    my $server = <<"CONF";
        secauth_users file=$users;
        secauth_login_throttle $throttle;
        secauth_cookie sid secure=off;
        secauth_login_url /login;
        secauth_totp_issuer "Example Co";
        location = /login { secauth_login; }
        location = /totp { secauth_totp; }
        location = /totp-strict { secauth_mfa on; secauth_totp; }
        location /p {
            secauth session;
            add_header X-Amr \$secauth_amr always;
            alias html/p.txt;
        }
        location /strong {
            secauth session;
            secauth_mfa on enrol=/totp;
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

# login(NODE, USER, PASSWORD [, OTP]): (status, body, sid)
sub login {
    my ($n, $user, $pass, $otp) = @_;
    my ($s, $h, $b) = $n->post('/login', 'application/json',
        LoginTest::json_body(username => $user, password => $pass,
                             defined $otp ? (otp => $otp) : ()));
    my ($sid) = ($h->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
    return ($s, $b, $sid);
}

# totp(NODE, SID, FIELDS...): (status, decoded body or {}, headers, raw)
sub totp {
    my ($n, $sid, %f) = @_;
    my ($s, $h, $b) = $n->post('/totp', 'application/json',
                               $JSON->encode(\%f), Cookie => "sid=$sid");
    my $j = eval { $JSON->decode($b) } // {};
    return ($s, $j, $h, $b);
}

sub raw {
    my ($n, $sid, $type, $body, @h) = @_;
    my ($s, undef, $b) = $n->post('/totp', $type, $body,
                                  Cookie => "sid=$sid", @h);
    return ($s, $b);
}

sub page {
    my ($n, $sid, $path) = @_;
    my ($s, $h) = $n->get($path // '/p', Cookie => "sid=$sid",
                          Accept => 'text/html');
    return wantarray ? ($s, $h) : $s;
}

sub log_has {
    my ($n, $mark, $re) = @_;
    return scalar grep { /$re/ } split /^/, $n->error_log_since($mark);
}

my $pw = $LoginTest::PW{grace};
my $n1 = node();
my $n2 = node();

# --- no session ---

{
    my ($s, $h) = $n1->get('/totp', Accept => 'application/json');
    is($s, 401, 'no session: 401 for an API client');
    ($s, $h) = $n1->get('/totp', Accept => 'text/html');
    is($s, 302, 'no session: a browser goes to the login page');
    like($h->{location} // '', qr{/login\?next=%2Ftotp}, '... with next');
    ($s) = raw($n1, 'x' x 43, 'application/json',
               '{"action":"begin","password":"x"}');
    is($s, 401, 'an unknown session: 401');
}

# --- begin ---

my ($s, $j, $h, $b, $sid, $other);
(undef, undef, $sid) = login($n1, 'grace', $pw);
(undef, undef, $other) = login($n2, 'grace', $pw);
ok($sid && $other, 'grace has two sessions, one per node');

($s, undef, $b) = $n1->get('/totp', Cookie => "sid=$sid",
                           Accept => 'application/json');
$j = eval { $JSON->decode($b) };
is($s, 200, 'GET as JSON: 200');
is_deeply($j, { enabled => JSON::PP::false() }, '... {"enabled":false}');
($s) = $n1->get('/totp-strict', Cookie => "sid=$sid",
                Accept => 'application/json');
is($s, 200, 'secauth_mfa on does not hold the enrolment location');

{
    my ($st, $hd) = page($n1, $sid, '/strong');
    is($st, 302, 'secauth_mfa on enrol=: a browser without the factor: 302');
    like($hd->{location} // '', qr{^(?:http://[^/]+)?/totp\z},
         '... to the enrolment page');
    my ($st2, $hd2) = $n1->get('/strong', Cookie => "sid=$sid",
                               Accept => 'application/json');
    is($st2, 403, '... an API client: 403');
    is($hd2->{'x-error'} // '', 'mfa_required', '... mfa_required');
}

my $mark = $n1->log_mark;
($s, $j) = totp($n1, $sid, action => 'begin', password => 'wrong password!');
is($s, 401, 'begin with a wrong password: 401');
is($j->{error}, 'invalid_credentials', '... invalid_credentials');
ok(log_has($n1, $mark, qr/login failed for "grace"/), '... logged');

($s, $j) = totp($n1, $sid, action => 'confirm', otp => '123456');
is($s, 409, 'confirm before begin: 409');
is($j->{error}, 'no_enrolment', '... no_enrolment');

($s, $j) = totp($n1, $sid, action => 'begin', password => $pw);
is($s, 200, 'begin with the password: 200')
    or diag($n1->error_log);
my $secret = $j->{secret} // '';
like($secret, qr/^[A-Z2-7]{32}\z/, '... a 160-bit base32 secret');
is($j->{uri}, "otpauth://totp/Example%20Co:grace?secret=$secret"
              . '&issuer=Example%20Co', '... its otpauth URI');
like($j->{qr_svg} // '', qr/^<svg[^>]*role="img"/, '... an inline SVG');
is(MfaTest::qr_text($j->{qr_svg} // '', $tmp), $j->{uri},
   '... whose QR code zbarimg decodes back to the URI');

{
    my $pkey = "${prefix}once:" . Digest::SHA::sha256_hex("mfa-enrol\n"
                        . Digest::SHA::sha256($sid));
    my $ttl = redis('TTL', $pkey);
    ok($ttl > 590 && $ttl <= 600, "the pending secret, for 10 min ($ttl)");
    my $v = redis('GET', $pkey);
    unlike($v, qr/\Q$secret\E/i, '... sealed, not in clear');
}

# --- confirm: bad codes ---

{
    MfaTest::wait_step_start();
    my $good = MfaTest::totp($secret, time);
    my %bad = (
        'spaces inside a 5-digit code' => '12 345',
        '5 digits'          => substr($good, 0, 5),
        '7 digits'          => $good . '0',
        'full-width digits' => join('', map { chr(0xFF10 + $_) }
                                      split //, $good),
        'letters'           => 'abcdef',
        'a code of 2 min ago' => MfaTest::totp($secret, time - 120),
        'empty'             => '',
    );
    for my $what (sort keys %bad) {
        my $m = $n1->log_mark;
        ($s, $j) = totp($n1, $sid, action => 'confirm', otp => $bad{$what});
        is($s, 401, "confirm, bad code ($what): 401");
        ok(log_has($n1, $m, qr/secauth: enrolment step of "grace" refused/),
           "... with a reason in the log ($what)");
    }
    ($s) = raw($n1, $sid, 'application/json',
               '{"action":"confirm","otp":123456}');
    is($s, 400, 'a code that is no string: 400');
    ($s) = raw($n1, $sid, 'application/json', '{"action":"confirm"}');
    is($s, 400, 'no code: 400');
}

# --- confirm ---

MfaTest::wait_step_start();
my $t0 = time;
my $code = MfaTest::totp($secret, $t0);
($s, $j, $h) = totp($n1, $sid, action => 'confirm', otp => $code);
is($s, 200, 'confirm with the right code: 200') or diag($n1->error_log);
my @codes = @{ $j->{backup_codes} // [] };
is(scalar @codes, 10, '... 10 backup codes (ASVS 6.5)');
ok(!(grep { !/^[a-z2-7]{5}-[a-z2-7]{5}\z/ } @codes), '... as xxxxx-xxxxx');
my ($new) = ($h->{'set-cookie'} // '') =~ /\bsid=([A-Za-z0-9_-]{43})/;
ok($new && $new ne $sid, '... and a new session id (ASVS 7.2.4)');

is(page($n1, $sid), 302, 'the old id of this session is dead (ASVS 7.2.4)');
is(page($n2, $other), 302,
   'the other session, on the other node, ended (ASVS 7.4.3)');
my ($ps, $ph) = page($n2, $new);
is($ps, 200, 'the new session admits, on the other node');
is($ph->{'x-amr'} // '', 'pwd otp mfa', '... with the second factor');
is(page($n1, $new, '/strong'), 200, '... also under secauth_mfa on');

like(redis('GET', MfaTest::record_key($prefix, 'grace')),
     qr/^1:\d+:[A-Za-z0-9_-]+\z/, 'the record: 1:GEN:SEALED');

($s, $b) = login($n1, 'grace', $pw);
like($b, qr/mfa_required/, 'a login with the password alone: mfa_required');
($s) = login($n2, 'grace', $pw, $code);
is($s, 401, 'the confirmation code at a login: refused (RFC 6238 5.2, once)');
($s, undef, my $bsid) = login($n1, 'grace', $pw, $codes[0]);
is($s, 200, 'a login with a new backup code: 200');
($s) = login($n2, 'grace', $pw, $codes[0]);
is($s, 401, '... once');

($s, $j) = totp($n1, $new, action => 'begin', password => $pw);
is($s, 409, 'begin with TOTP on: 409');
is($j->{error}, 'mfa_enabled', '... mfa_enabled');
($s, undef, $b) = $n1->get('/totp', Cookie => "sid=$new",
                           Accept => 'application/json');
is($b, qq({"enabled":true}\n), 'GET as JSON: {"enabled":true}');

# --- new backup codes ---

($s, $j) = totp($n1, $new, action => 'backup_codes', otp => '000000');
is($s, 401, 'backup_codes with a wrong code: 401');
($s, $j) = totp($n1, $new, action => 'backup_codes', otp => $codes[1]);
is($s, 200, 'backup_codes with a backup code: 200') or diag($n1->error_log);
my @codes2 = @{ $j->{backup_codes} // [] };
is(scalar @codes2, 10, '... 10 new codes');
($s) = login($n1, 'grace', $pw, $codes[2]);
is($s, 401, 'a code of the old set: dead');
($s) = login($n2, 'grace', $pw, $codes2[0]);
is($s, 200, 'a code of the new set: 200');

# --- disable ---

($s, $j) = totp($n1, $new, action => 'disable', otp => $codes[3]);
is($s, 401, 'disable with an old-set code: 401');
($s, $j, undef, $b) = totp($n1, $new, action => 'disable',
                           otp => MfaTest::totp($secret, $t0 + 30));
is($s, 200, 'disable with a TOTP code: 200') or diag($n1->error_log);
is($b, "{}\n", '... {}');
is(redis('EXISTS', MfaTest::record_key($prefix, 'grace')), 0,
   '... the record is gone');
($s, undef, my $psid) = login($n1, 'grace', $pw);
is($s, 200, 'the password alone logs in again');
($s, $j) = totp($n1, $psid, action => 'disable', otp => $codes2[1]);
is($s, 409, 'disable with TOTP off: 409');
is($j->{error}, 'mfa_disabled', '... mfa_disabled');

# --- bad input, never a 5xx ---

{
    my %cases = (
        'bad JSON'          => ['application/json', '{"action":', 400],
        'a JSON array'      => ['application/json', '[1]', 400],
        'no action'         => ['application/json', '{}', 400],
        'an unknown action' => ['application/json', '{"action":"x"}', 400],
        'begin, no password' => ['application/json', '{"action":"begin"}',
                                 400],
        'a form, no action' => ['application/x-www-form-urlencoded',
                                'otp=1', 400],
        'another type'      => ['text/plain', 'action=begin', 415],
        '1 MB'              => ['application/json',
                                '{"action":"confirm","otp":"'
                                . ('1' x (1024 * 1024)) . '"}', 413],
        'a bad escape'      => ['application/x-www-form-urlencoded',
                                'action=%zz', 400],
    );
    for my $what (sort keys %cases) {
        my ($type, $body, $want) = @{ $cases{$what} };
        my $m = $n1->log_mark;
        ($s) = raw($n1, $psid, $type, $body);
        is($s, $want, "$what: $want");
        ok(log_has($n1, $m, qr/secauth: |too large body/),
           "... a reason in the log")
            or diag($n1->error_log_since($m));
    }
    ($s) = raw($n1, $psid, 'application/x-www-form-urlencoded',
               'action=begin&password=x', Origin => 'http://evil.example');
    is($s, 403, 'a cross-site form POST: 403 (CSRF)');
    ($s) = $n1->get('/totp', Cookie => "sid=$psid", Accept => 'text/html');
    is($s, 200, 'the node still answers');
}

# --- the throttle counts wrong passwords and codes ---

{
    my $n3 = node(throttle => 'free=3 lock=1m max_lock=1m forget=1h');
    my (undef, undef, $bs) = login($n3, 'bob', $LoginTest::PW{bob});
    ($s) = totp($n3, $bs, action => 'begin', password => $LoginTest::PW{bob});
    is($s, 200, 'throttle: begin');
    my @st = map { (totp($n3, $bs, action => 'confirm',
                         otp => '000000'))[0] } 1 .. 5;
    is("@st", '401 401 401 429 429',
       'wrong codes lock the account (NIST 800-63B throttle)');
    ($s) = login($n3, 'bob', $LoginTest::PW{bob});
    is($s, 429, '... and its logins too');

    my (undef, undef, $ds) = login($n3, 'dave', $LoginTest::PW{dave});
    @st = map { (totp($n3, $ds, action => 'begin',
                      password => 'wrong password!'))[0] } 1 .. 4;
    is("@st", '401 401 401 429', 'so do wrong passwords at begin');
}

# --- the browser flow ---

sub form {
    my ($n, $sid, @f) = @_;
    my ($s, $h, $b) = $n->post('/totp', 'application/x-www-form-urlencoded',
                               LoginTest::form(@f), Cookie => "sid=$sid",
                               Accept => 'text/html');
    return ($s, $h, $b // '');
}

{
    my (undef, undef, $fs) = login($n1, 'erin', $LoginTest::PW{erin});
    my ($st, $hd, $bd) = $n1->get('/totp', Cookie => "sid=$fs",
                                  Accept => 'text/html');
    is($st, 200, 'the page');
    like($bd, qr{<label for="password">Password</label>}, '... labelled');
    like($bd, qr{name="action" value="begin"}, '... to begin');
    like($hd->{'content-security-policy'} // '', qr/default-src 'none'/,
         '... under a strict CSP');

    ($st, $hd, $bd) = form($n1, $fs, action => 'begin', password => 'nope');
    is($st, 401, 'form, wrong password: 401');
    like($bd, qr{role="alert">Wrong password}, '... an alert');

    ($st, $hd, $bd) = form($n1, $fs, action => 'begin',
                           password => $LoginTest::PW{erin});
    is($st, 200, 'form, begin: the QR page');
    my ($svg) = $bd =~ /(<svg.*?<\/svg>)/s;
    my ($fsecret) = $bd =~ m{<code id="secret">([A-Z2-7]+)</code>};
    ok($svg && $fsecret, '... with the QR code and the setup key');
    like(MfaTest::qr_text($svg // '', $tmp), qr/secret=\Q$fsecret\E&/,
         '... the QR code holds the key');
    like($bd, qr{<label for="otp">Code</label>}, '... a labelled code field');
    like($bd, qr{autocomplete="one-time-code"}, '... one-time-code');
    like($bd, qr{inputmode="numeric"}, '... numeric');

    ($st, $hd, $bd) = form($n1, $fs, action => 'confirm', otp => '00000');
    is($st, 401, 'form, a wrong code: 401');
    like($bd, qr{role="alert">Invalid code}, '... the code page again');

    MfaTest::wait_step_start();
    ($st, $hd, $bd) = form($n1, $fs, action => 'confirm',
                           otp => MfaTest::totp($fsecret, time));
    is($st, 200, 'form, the right code: the codes page');
    my @fc = $bd =~ m{<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>}g;
    is(scalar @fc, 10, '... 10 backup codes');
    my ($fnew) = ($hd->{'set-cookie'} // '') =~ /\bsid=([A-Za-z0-9_-]{43})/;
    ok($fnew, '... and a new session cookie');
    is(page($n1, $fnew, '/strong'), 200, '... that passes secauth_mfa');

    ($st, $hd, $bd) = $n1->get('/totp', Cookie => "sid=$fnew",
                               Accept => 'text/html');
    like($bd, qr{value="disable"}, 'TOTP on: the page offers to turn it off');
    ($st, $hd) = form($n1, $fnew, action => 'disable', otp => $fc[0]);
    is($st, 303, 'form, disable: 303');
    like($hd->{location} // '', qr{^(?:http://[^/]+)?/totp\z},
         '... back to the page');
}

# --- parallel confirmations: exactly one turns TOTP on ---

{
    my (undef, undef, $cs) = login($n1, 'carol', $LoginTest::PW{carol});
    my ($st, $cj) = totp($n1, $cs, action => 'begin',
                         password => $LoginTest::PW{carol});
    is($st, 200, 'parallel: begin');
    MfaTest::wait_step_start();
    my $c = MfaTest::totp($cj->{secret} // '', time);
    my $body = $JSON->encode({ action => 'confirm', otp => $c });
    my @req = map { ($_ % 2 ? $n1 : $n2)->start_request('POST', '/totp',
                        $body, 'Content-Type' => 'application/json',
                        Cookie => "sid=$cs") } 1 .. 6;
    my @st = map { (($_ % 2 ? $n1 : $n2)->collect($req[$_ - 1]))[0] }
             1 .. 6;
    my $won = grep { $_ == 200 } @st;
    my $lost = grep { $_ == 401 || $_ == 409 } @st;
    ok($won == 1 && $lost == 5,
       "6 parallel confirmations on two nodes: exactly one wins (@st)");
}

# --- nothing in clear in Redis ---

{
    my @keys = grep { length } split /\n/,
               redis('--scan', '--pattern', "$prefix*");
    my $all = join "\n", @keys, map { redis('GET', $_) } grep { /once:/ }
                                    @keys;
    unlike($all, qr/\Q$secret\E/i, 'the base32 secret is not in Redis');
    ok(index($all, MfaTest::b32_decode($secret)) < 0,
       'the raw secret is not in Redis');
    ok(!(grep { my $c = $_; $c =~ s/-//; index($all, $c) >= 0 }
         @codes, @codes2), 'no backup code is in Redis');
}

done_testing();
