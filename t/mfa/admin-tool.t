# scripts/secauth-mfa against a running nginx on the private Redis of
# scripts/test.sh: enrol gives a secret that oathtool's codes log in
# with and 10 backup codes that each work once; codes makes a new set
# and kills the old; status tells; reset turns TOTP off; a key file open
# to others is refused like nginx refuses it. Nothing printed is stored.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Cwd qw(abs_path);
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

my $tool = abs_path("$FindBin::Bin/../../scripts/secauth-mfa");
my $rport = $ENV{TEST_NGINX_REDIS_PORT};
my $prefix = "mfatool$$:";
my $owner = $$;
my $key = MfaTest::key_file('tool.key');
my $pw = $LoginTest::PW{carol};

END {
    local $?;
    if ($$ == $owner) {
        my @keys = grep { length } split /\n/,
            SecauthTest::redis('--scan', '--pattern', "$prefix*");
        SecauthTest::redis('DEL', @keys) if @keys;
    }
}

sub tool {
    my (@args) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or die "dup: $!";
        exec $tool, '--redis', "redis://127.0.0.1:$rport", '--prefix',
             $prefix, @args or die "exec $tool: $!";
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return ($? >> 8, $out);
}

my $n = NginxInstance->new(
    http => "secauth_password_hash $LoginTest::CHEAP;\n"
          . "secauth_redis redis://127.0.0.1:$rport prefix=$prefix;\n"
          . "secauth_secret_key $key;\n",
    server => "secauth_users file=$LoginTest::DIR/users;\n"
            . "secauth_cookie sid secure=off;\n"
            . "secauth_login_throttle off;\n"
            . "location = /login { secauth_login; }\n");

sub login {
    my ($otp) = @_;
    my ($s) = $n->post('/login', 'application/json',
        LoginTest::json_body(username => 'carol', password => $pw,
                             defined $otp ? (otp => $otp) : ()));
    return $s;
}

my $deadline = time + 3;
sleep 0.05 while time < $deadline && login() != 200;

my ($rc, $out) = tool('status', 'carol');
is($rc, 0, 'status runs');
like($out, qr/^carol: off$/m, 'status: off before enrolment');

($rc, $out) = tool('--key', $key, '--issuer', 'Example Co', 'enrol', 'Carol');
is($rc, 0, 'enrol runs') or diag($out);
my ($secret) = $out =~ /^secret: ([A-Z2-7]{32})$/m;
my @codes = $out =~ /^  ([a-z2-7]{5}-[a-z2-7]{5})$/mg;
ok($secret, 'enrol prints a 160-bit base32 secret');
like($out, qr{^otpauth://totp/Example%20Co:carol\?secret=\Q$secret\E&issuer=Example%20Co$}m,
     'enrol prints the otpauth URI (the name folded, the issuer escaped)');
is(scalar @codes, 10, 'enrol prints 10 backup codes');

SKIP: {
    skip 'no qrencode command (scripts/setup.sh installs it)', 1
        unless grep { -x "$_/qrencode" } split /:/, $ENV{PATH} // '';
    my ($uri) = $out =~ m{^(otpauth://\S+)$}m;
    my $pid = open(my $qr, '-|') // die "fork: $!";
    if (!$pid) {
        exec 'sh', '-c', 'printf %s "$1" | qrencode -t UTF8', 'sh', $uri
            or die "exec sh: $!";
    }
    my $want = do { local $/; <$qr> };
    close $qr;
    ok(length $want && index($out, $want) >= 0,
       'enrol prints the QR code of exactly that URI (qrencode -t UTF8)');
}

is(login(), 401, 'enrolled: the password alone is refused');
MfaTest::wait_step_start();
is(login(MfaTest::totp($secret, time)), 200, 'a code from oathtool logs in');
is(login($codes[0]), 200, 'a backup code logs in');
is(login($codes[0]), 401, '... once');

($rc, $out) = tool('status', 'carol');
like($out, qr/^carol: on, backup-code set 1$/m, 'status: on, set 1');

($rc, $out) = tool('--key', $key, 'codes', 'carol');
is($rc, 0, 'codes runs');
my @new = $out =~ /^  ([a-z2-7]{5}-[a-z2-7]{5})$/mg;
is(scalar @new, 10, 'codes prints 10 new codes');
is(login($codes[1]), 401, 'a code of the old set is dead');
is(login($new[0]), 200, 'a code of the new set works');
like((tool('status', 'carol'))[1], qr/set 2$/m, 'status: set 2');

my $dump = join "\n", map { SecauthTest::redis('GET', $_) }
    grep { length } split /\n/,
    SecauthTest::redis('--scan', '--pattern', "${prefix}once:*");
ok(index($dump, $secret) < 0 && !(grep { index($dump, s/-//r) >= 0 }
                                   @codes, @new),
   'neither the secret nor a code is in Redis');

($rc, $out) = tool('reset', 'carol');
like($out, qr/TOTP off for carol/, 'reset turns TOTP off');
is(login(), 200, '... and the password alone logs in again');

chmod 0644, $key;
($rc, $out) = tool('--key', $key, 'enrol', 'carol');
is($rc, 1, 'a key file others read is refused');
like($out, qr/open to the group or others/, '... saying why');
chmod 0600, $key;

($rc, $out) = tool('enrol', 'carol');
is($rc, 2, 'enrol without --key: a usage error');

done_testing();
