# TOTP codes of the module's core (core/ngx_http_secauth_totp.c, through
# the code tool of t/unit/totp_test) against oathtool(1), Debian's
# oathtool, an independent implementation of RFC 6238: random 160-bit
# secrets at random times, and each at -30 s and +30 s (the window's
# neighbours) and +-60 s (outside it, another code).
#
# t/unit/totp_test is built by `make -C t/unit` (scripts/test.sh does it
# before the suites run).

use strict;
use warnings;

use FindBin;
use Test::More;

my $tool = "$FindBin::Bin/../unit/totp_test";

plan skip_all => "oathtool not installed (scripts/setup.sh installs it)"
    unless grep { -x "$_/oathtool" } split /:/, $ENV{PATH};
plan skip_all => "$tool not built (make -C t/unit)" unless -x $tool;

my @b32 = ('A' .. 'Z', '2' .. '7');

sub run {
    my (@cmd) = @_;
    open my $fh, '-|', @cmd or die "$cmd[0]: $!";
    my $out = do { local $/; <$fh> };
    close $fh;
    chomp $out if defined $out;
    return ($? >> 8, $out);
}

sub secret {
    return join '', map { $b32[int rand 32] } 1 .. 32;   # 160 bits
}

srand($ENV{SECAUTH_SEED} // time);
diag("seed " . ($ENV{SECAUTH_SEED} // 'time'));

for my $i (1 .. 20) {
    my $secret = secret();
    my $t = int rand 4_000_000_000;

    for my $off (0, -30, 30, -60, 60) {
        my $when = $t + $off;
        my ($rc, $ours) = run($tool, 'code', $secret, $when);
        my ($orc, $theirs) = run('oathtool', '--totp', '-b', $secret,
                                 '-N', "\@$when");
        is($rc, 0, "secret $i at $off s: our tool ran");
        is($orc, 0, "secret $i at $off s: oathtool ran");
        is($ours, $theirs, "secret $i at $off s: the same code");
    }

    my (undef, $now) = run($tool, 'code', $secret, $t);
    my (undef, $far) = run('oathtool', '--totp', '-b', $secret,
                           '-N', '@' . ($t + 60));
    my (undef, $near) = run('oathtool', '--totp', '-b', $secret,
                            '-N', '@' . ($t + 30));
    ok($now ne $far || $now ne $near,
       "secret $i: codes change from one step to the next");
}

# a secret in lower case is the same secret
my ($rc, $lower) = run($tool, 'code', 'gezdgnbvgy3tqojqgezdgnbvgy3tqojq',
                       '1111111109');
is($lower, '081804', 'lower-case base32: RFC 6238 vector');

($rc) = run($tool, 'code', 'NOT-BASE32', '1');
is($rc, 2, 'a bad secret is refused by the tool');

done_testing();
