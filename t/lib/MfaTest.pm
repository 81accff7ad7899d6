package MfaTest;

# Helpers of the MFA suites (t/mfa/): a secauth_secret_key file, and a
# user's TOTP enrolment written straight into Redis in the documented
# format (docs/mfa.md "Storage"), computed here with CryptX (HKDF-SHA-256,
# AES-256-GCM, HMAC-SHA-256), so that the tests depend on the format, not
# on the module's own code. TOTP codes come from oathtool(1).
#
#   my $key = MfaTest::key_file();            # a 0600 file of 32 bytes
#   MfaTest::enrol($key, $prefix, 'alice', $b32, 1, @codes);
#   my $code = MfaTest::totp($b32, time - 30);

use strict;
use warnings;

use Crypt::AuthEnc::GCM qw(gcm_encrypt_authenticate);
use Crypt::KeyDerivation qw(hkdf);
use Crypt::Mac::HMAC qw(hmac);
use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use MIME::Base64 qw(encode_base64url);

use SecauthTest;

our $DIR = tempdir('secauth-mfa-XXXXXX', TMPDIR => 1, CLEANUP => 1);

sub random_bytes {
    my ($n) = @_;
    open my $fh, '<:raw', '/dev/urandom' or die "urandom: $!";
    read($fh, my $bytes, $n) == $n or die "urandom: short read";
    close $fh;
    return $bytes;
}

# key_file([NAME]): PATH of a new 0600 file of 32 random bytes
sub key_file {
    my ($name) = @_;
    my $path = "$DIR/" . ($name // 'secret.key');
    open my $fh, '>:raw', $path or die "$path: $!";
    print {$fh} random_bytes(32);
    close $fh or die "$path: $!";
    chmod 0600, $path or die "$path: $!";
    return $path;
}

sub read_key {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    my $k = <$fh>;
    close $fh;
    return $k;
}

sub subkeys {
    my ($path) = @_;
    my $ikm = read_key($path);
    return (hkdf($ikm, '', 'SHA256', 32, 'secauth totp secret v1'),
            hkdf($ikm, '', 'SHA256', 32, 'secauth backup code v1'));
}

my @b32 = ('A' .. 'Z', '2' .. '7');

# a new 160-bit secret, in base32
sub new_secret {
    my $bits = unpack 'B*', random_bytes(20);
    return join '', map { $b32[oct "0b$_"] } $bits =~ /(.{5})/g;
}

sub b32_decode {
    my ($s) = @_;
    my $bits = join '', map {
        my $c = uc $_;
        my $v = $c =~ /[A-Z]/ ? ord($c) - 65 : ord($c) - ord('2') + 26;
        sprintf '%05b', $v;
    } split //, $s;
    $bits = substr $bits, 0, int(length($bits) / 8) * 8;
    return pack 'B*', $bits;
}

sub record_key {
    my ($prefix, $user) = @_;
    return "${prefix}once:" . sha256_hex("mfa-user\n$user");
}

sub code_key {
    my ($keyfile, $prefix, $user, $gen, $code) = @_;
    my (undef, $codekey) = subkeys($keyfile);
    (my $norm = lc $code) =~ s/[ -]//g;
    return "${prefix}once:"
           . unpack('H*', hmac('SHA256', $codekey, "$user\0$gen\0$norm"));
}

# the sealed secret, as the module seals it: version 1, nonce, ct, tag
sub seal {
    my ($keyfile, $user, $raw) = @_;
    my ($sealkey) = subkeys($keyfile);
    my $nonce = random_bytes(12);
    my ($ct, $tag) = gcm_encrypt_authenticate('AES', $sealkey, $nonce,
                                              $user, $raw);
    return encode_base64url("\x01" . $nonce . $ct . $tag);
}

# enrol(KEYFILE, PREFIX, USER, BASE32, GEN, BACKUP_CODES...)
sub enrol {
    my ($keyfile, $prefix, $user, $b32, $gen, @codes) = @_;
    my $ttl = 3600;
    SecauthTest::redis('SET', record_key($prefix, $user),
                       "1:$gen:" . seal($keyfile, $user, b32_decode($b32)),
                       'EX', $ttl);
    for my $c (@codes) {
        SecauthTest::redis('SET', code_key($keyfile, $prefix, $user, $gen, $c),
                           '1', 'EX', $ttl);
    }
}

# totp(BASE32, UNIX_TIME): the code oathtool gives
sub totp {
    my ($b32, $t) = @_;
    open my $fh, '-|', 'oathtool', '--totp', '-b', $b32, '-N', '@' . int $t
        or die "oathtool: $!";
    my $code = <$fh>;
    close $fh;
    die "oathtool failed\n" unless defined $code && $code =~ /^\d{6}$/;
    chomp $code;
    return $code;
}

# seconds into the current 30 s step: tests avoid its last second or two
sub wait_step_start {
    my $into = time % 30;
    sleep(30 - $into) if $into >= 27;
}

1;
