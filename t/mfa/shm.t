# The second factor on the shared-memory store: a zone kept in a state
# file (secauth_zone ... state=, docs/mfa.md "Durability"), one node, no
# Redis. A user is enrolled through nginx itself (secauth_totp, the only
# way to write MFA data without Redis); then t/mfa/login.t's checks run
# on the zone: the window, replays, backup codes once, 10 parallel uses
# of one backup code (exactly one wins, many rounds); the MFA data
# survives a restart (the state file), and the state file holds neither
# the secret (raw or base32) nor any backup code.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use Time::HiRes qw(time sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
    plan skip_all => 'oathtool is not installed (scripts/setup.sh)'
        unless grep { -x "$_/oathtool" } split /:/, $ENV{PATH};
}

use LoginTest ();
use MfaTest ();

my $key = MfaTest::key_file('shm.key');
my $pw = $LoginTest::PW{alice};

my $n = NginxInstance->new(
    master => 1,
    http => "secauth_password_hash $LoginTest::CHEAP;\n"
          . "secauth_zone mfa:4m state=logs/mfa.zone sync=100ms;\n"
          . "secauth_secret_key $key;\n",
    files => { 'p.txt' => "in\n" },
    server => <<"CONF");
        secauth_users file=$LoginTest::DIR/users;
        secauth_login_throttle off;
        secauth_cookie sid secure=off;
        location = /login { secauth_login; }
        location = /totp { secauth_totp; }
        location /p {
            secauth session;
            secauth_mfa on;
            add_header X-Amr \$secauth_amr always;
            alias html/p.txt;
        }
CONF
my $file = $n->dir . '/logs/mfa.zone';

# login(USER, PASSWORD [, OTP]): (status, body, sid)
sub login {
    my ($user, $pass, $otp) = @_;
    my ($s, $h, $b) = $n->post('/login', 'application/json',
        LoginTest::json_body(username => $user, password => $pass,
                             defined $otp ? (otp => $otp) : ()));
    my ($sid) = ($h->{'set-cookie'} // '') =~ /\bsid=([^;]+)/;
    return ($s, $b, $sid);
}

sub start_login {
    my ($otp) = @_;
    return $n->start_request('POST', '/login',
        LoginTest::json_body(username => 'alice', password => $pw,
                             otp => $otp),
        'Content-Type' => 'application/json');
}

# --- enrolment through nginx, on the zone ---

my (undef, undef, $sid) = login('alice', $pw);
ok($sid, 'alice logs in with the password (TOTP off)');
my ($secret, $codes, $new) = eval { MfaTest::enrol_via($n, $sid, $pw) };
ok($secret, 'secauth_totp enrols her on the shm store')
    or diag($@, $n->error_log);
my @codes = @{ $codes // [] };
is(scalar @codes, 10, '... with 10 backup codes');
my ($s, $h) = $n->get('/p', Cookie => "sid=$new");
is($s, 200, '... and her session, with a new id, passes secauth_mfa on');
is($h->{'x-amr'} // '', 'pwd otp mfa', '... amr "pwd otp mfa"');

# --- the window and replays ---

my $b;
($s, $b) = login('alice', $pw);
like($b // '', qr/mfa_required/, 'the password alone: mfa_required');

MfaTest::wait_step_start();
my $t0 = time;
($s) = login('alice', $pw, MfaTest::totp($secret, $t0 - 60));
is($s, 401, 'a code of 60 s ago is refused');
($s) = login('alice', $pw, MfaTest::totp($secret, $t0 + 60));
is($s, 401, 'a code of 60 s ahead is refused');
($s) = login('alice', $pw, MfaTest::totp($secret, $t0 + 30));
is($s, 200, 'a code of 30 s ahead is accepted');
($s) = login('alice', $pw, MfaTest::totp($secret, $t0 + 30));
is($s, 401, 'the same code again: refused (replay)');
($s) = login('alice', $pw, MfaTest::totp($secret, $t0));
is($s, 401, 'an older code after a newer one: refused');

# --- backup codes: once; 10 parallel uses, exactly one wins ---

($s) = login('alice', $pw, uc $codes[0]);
is($s, 200, 'a backup code (upper case) is accepted');
($s) = login('alice', $pw, $codes[0]);
is($s, 401, '... once');

{
    my ($rounds, $exact) = (0, 0);
    for my $c (@codes[1 .. 8]) {
        my @req = map { start_login($c) } 1 .. 10;
        my @st = map { ($n->collect($_))[0] } @req;
        my $won = grep { $_ == 200 } @st;
        my $lost = grep { $_ == 401 } @st;
        $rounds++;
        $exact++ if $won == 1 && $lost == 9;
        diag("round $rounds: @st") unless $won == 1 && $lost == 9;
    }
    is($exact, $rounds, "10 parallel uses of one backup code, $rounds "
                        . 'rounds: exactly one wins each time');
}

# --- a restart: the state file keeps the second factor ---

sleep 0.3;
$n->restart;

($s, $b) = login('alice', $pw);
like($b // '', qr/mfa_required/,
     'after a restart: TOTP is still on (the password alone is refused)');
($s) = login('alice', $pw, $codes[0]);
is($s, 401, '... a spent backup code is still spent');
($s, undef, my $after) = login('alice', $pw, $codes[9]);
is($s, 200, '... an unspent one still works');
($s) = $n->get('/p', Cookie => "sid=$after");
is($s, 200, '... and gives a session with the second factor');
($s) = $n->get('/p', Cookie => "sid=$new");
is($s, 200, 'the enrolled session survived the restart too');

# --- nothing in clear in the state file ---

{
    sleep 0.3;
    open my $fh, '<:raw', $file or die "$file: $!";
    my $raw = do { local $/; <$fh> };
    close $fh;
    ok(length $raw, 'the state file is there');
    my $bin = MfaTest::b32_decode($secret);
    ok(index($raw, $bin) < 0, 'the raw secret is not in the state file');
    unlike($raw, qr/\Q$secret\E/i, 'nor the base32 secret');
    my @in = grep { my $c = $_; (my $d = $c) =~ s/-//;
                    index($raw, $c) >= 0 || index(lc $raw, $d) >= 0 }
             @codes;
    is(scalar @in, 0, 'nor any backup code');
}

done_testing();
