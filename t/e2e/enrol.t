# A real browser on the TOTP enrolment page (secauth_totp), with the
# keyboard alone: headless Chromium (Debian's chromium, driven by
# playwright-core from t/e2e/node_modules, see setup-browser.sh) runs
# t/e2e/enrol.js against a private nginx (t/lib/NginxInstance), on the
# shm store with a state file (no Redis needed):
#
#   - a page under "secauth_mfa on enrol=/totp" -> the login form ->
#     the enrolment page (secauth_mfa's enrol=);
#   - every field has the focus when its page opens (autofocus), a
#     label, a description (aria-describedby); the code field asks for
#     autocomplete="one-time-code" and inputmode="numeric";
#   - a wrong password, a wrong code: an alert (role="alert");
#   - the QR code is an image with a name (role="img", aria-label), the
#     setup key is text; the right code (oathtool) shows 10 backup codes
#     in a role="status" note, "Done" is reached with Tab;
#   - the page needing the second factor then admits;
#   - a new session: the login's code page, labelled and described, no
#     numeric keyboard (backup codes have letters), a wrong code's alert,
#     a backup code typed lands on the page with mfa in its amr;
#   - no console errors (nothing blocked by the CSP). Screenshots in
#     t/e2e/artifacts/.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use JSON::PP ();
use POSIX ();
use Test::More;
use Time::HiRes qw(time);

use NginxInstance;

my $started;
my $dir = $FindBin::Bin;

BEGIN {
    $started = time;
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/build.sh)"
        unless -f $module;
    plan skip_all => 'node is needed (run t/e2e/setup-browser.sh)'
        unless grep { -x "$_/node" } split /:/, $ENV{PATH} // '';
    plan skip_all => '/usr/bin/chromium is needed (t/e2e/setup-browser.sh)'
        unless -x '/usr/bin/chromium';
    plan skip_all => 'playwright-core is not installed in t/e2e/node_modules'
                     . ' (run t/e2e/setup-browser.sh)'
        unless -f "$FindBin::Bin/node_modules/playwright-core/package.json";
    plan skip_all => 'oathtool is not installed (scripts/setup.sh)'
        unless grep { -x "$_/oathtool" } split /:/, $ENV{PATH};
}

use LoginTest;
use MfaTest ();

my $users = LoginTest::write_users('enrol-users',
    "alice:$LoginTest::HASH{alice}\n");
my $key = MfaTest::key_file('e2e.key');

my $ngx = NginxInstance->new(
    http => <<"CONF",
    secauth_password_hash $LoginTest::CHEAP;
    secauth_zone e2e:1m state=logs/e2e.zone;
    secauth_secret_key $key;
CONF
    server => <<"CONF",
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        secauth_login_url /login;
        secauth_totp_issuer "Example Co";
        location = /login { secauth_login; }
        location = /totp { secauth_totp; }
        location = /strong {
            secauth session;
            secauth_mfa on enrol=/totp;
            add_header X-Amr \$secauth_amr always;
            alias html/strong.txt;
        }
CONF
    files => { 'strong.txt' => "strong\n" });

my $base = 'http://127.0.0.1:' . $ngx->port;
my $artifacts = "$dir/artifacts";

my $out = '';
{
    local $ENV{E2E_USER} = 'alice';
    local $ENV{E2E_PASSWORD} = $LoginTest::PW{alice};

    my $pid = open my $fh, '-|';
    die "fork: $!" unless defined $pid;
    if ($pid == 0) {
        open STDERR, '>&', \*STDOUT;
        exec 'node', "$dir/enrol.js", $base, $artifacts
            or POSIX::_exit(127);
    }
    local $SIG{ALRM} = sub { kill 'KILL', $pid; die "timeout\n" };
    alarm 60;
    my $ok = eval { local $/; $out = <$fh> // ''; 1 };
    alarm 0;
    close $fh;
    diag('enrol.js did not finish in 60 s') unless $ok;
}

my ($json_line) = grep { /^\{/ } reverse split /\n/, $out;
my $r = eval { JSON::PP->new->decode($json_line // '') };
ok($r && !$r->{error}, 'enrol.js ran') or diag("enrol.js: $out");
$r //= {};
my $f = $r->{flow} // {};

like($f->{loginUrl} // '', qr{^\Q$base\E/login\?next=%2Fstrong},
     'a page needing the second factor: first the login form');
is($f->{setupStatus}, 200, 'after the login: the enrolment page (enrol=)');
like($f->{setupUrl} // '', qr{^\Q$base\E/totp\z}, '... at /totp');
is($f->{setupTitle}, 'Two-step verification', '... its title');
is($f->{setupFocus}, 'password', '... the password field has the focus');
is_deeply($f->{password}, {
    label => 'Password', type => 'password', required => JSON::PP::true,
    autocomplete => 'current-password', inputmode => undef,
    description => 'Two-step verification is off. To turn it on, enter '
                   . 'your password, then scan a QR code with an '
                   . 'authenticator app.',
}, '... labelled and described for screen readers');

is($f->{badStatus}, 401, 'a wrong password: 401');
is($f->{badAlert}, 'Wrong password.', '... an alert');
is($f->{badFocus}, 'password', '... the focus back on the field');

is($f->{scanStatus}, 200, 'the right password: the QR page');
is(($f->{qr} // {})->{role}, 'img', '... the QR code is an image');
like(($f->{qr} // {})->{label} // '', qr/\S/, '... with a name');
like($f->{secret} // '', qr/^[A-Z2-7]{32}\z/, '... the setup key as text');
is($f->{scanFocus}, 'otp', '... the code field has the focus');
is_deeply($f->{otp}, {
    label => 'Code', type => 'text', required => JSON::PP::true,
    autocomplete => 'one-time-code', inputmode => 'numeric',
    description => 'Scan this QR code with your authenticator app, or '
                   . 'type the setup key into it, then enter the 6-digit '
                   . 'code it shows.',
}, '... labelled, described, one-time-code, numeric');

is($f->{wrongStatus}, 401, 'a wrong code: 401');
is($f->{wrongAlert}, 'Invalid code.', '... an alert');
is($f->{wrongFocus}, 'otp', '... the focus back on the code field');

is($f->{codesStatus}, 200, 'the right code: the backup codes');
is(scalar @{ $f->{codes} // [] }, 10, '... 10 of them');
ok(!(grep { !/^[a-z2-7]{5}-[a-z2-7]{5}\z/ } @{ $f->{codes} // [] }),
   '... as xxxxx-xxxxx');
like($f->{codesNote} // '', qr/shown only now/, '... announced (status)');
ok($f->{doneReached}, '"Done" is reached with Tab');
is($f->{doneStatus}, 200, '... and Enter goes back to the page');
ok($f->{manageHasDisable}, '... which now offers to turn TOTP off');
is(($f->{manageField} // {})->{label}, 'Code for new backup codes',
   '... its fields labelled');

is($f->{strongStatus}, 200, 'the page needing the second factor admits');
is($f->{strongText}, 'strong', '... its content');
is($f->{strongAmr}, 'pwd otp mfa', '... with amr "pwd otp mfa"');

# the login's second step, in a new browser session
like($f->{reloginUrl} // '', qr{^\Q$base\E/login\?next=}, 'a new session: the login form');
is($f->{codePageStatus}, 200, '... the password leads to the code page');
is($f->{codePageTitle}, 'Verify', '... its title');
is($f->{codePageFocus}, 'otp', '... the code field has the focus');
is_deeply($f->{codeField}, {
    label => 'Code', type => 'text', required => JSON::PP::true,
    autocomplete => 'one-time-code', inputmode => undef,
    description => 'Enter the 6-digit code of your authenticator app, '
                   . 'or one of your backup codes.',
}, '... labelled, described, one-time-code; no numeric keyboard (backup '
   . 'codes have letters)');
is($f->{codeWrongStatus}, 401, 'a wrong code: 401');
is($f->{codeWrongAlert}, 'Invalid code.', '... an alert');
is($f->{codeWrongFocus}, 'otp', '... the focus back on the code field');
is($f->{codeOkStatus}, 200, 'a backup code typed: the page asked for');
like($f->{codeOkUrl} // '', qr{^\Q$base\E/strong\?again\z}, '... at its URL');
is($f->{codeOkText}, 'strong', '... its content');
like($f->{codeOkAmr} // '', qr/\bmfa\b/, '... with mfa in amr');

is_deeply([grep { !/^Failed to load resource: the server responded with/ }
           @{ $f->{consoleErrors} // [] }], [],
          'no other console errors (nothing blocked by the CSP)');
unlike($ngx->error_log, qr/\[(?:alert|crit|emerg)\]/,
       'no alert in the error log');

my $elapsed = time - $started;
diag(sprintf 'enrol.t took %.1f s', $elapsed);
cmp_ok($elapsed, '<', 40, 'the browser test takes less than 40 s');

done_testing();
