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

# zbarimg(FILE): the text of the QR code in an image file, or ''
sub zbarimg {
    my ($file) = @_;
    open my $fh, '-|', 'zbarimg', '-q', '--raw', $file
        or die "zbarimg: $!";
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    chomp $out;
    return $out;
}

# pbm(SVG, FILE): the modules the QR path draws, as a PBM of 6 px per
# module (the path's "Mx yhNv1h-Nz" runs are all it draws); false when
# the SVG holds anything else
sub pbm {
    my ($svg, $file) = @_;
    my ($size) = $svg =~ /viewBox="0 0 (\d+) \1"/ or return;
    my ($d) = $svg =~ / d="([^"]*)"/ or return;
    my @g = map { [(0) x $size] } 1 .. $size;
    while ($d =~ /\G(?:M(\d+) (\d+)h(\d+)v1h-(\d+)z)/gc) {
        return unless $3 == $4;
        $g[$2][$1 + $_] = 1 for 0 .. $3 - 1;
    }
    return unless (pos($d) // 0) == length $d;
    open my $fh, '>', $file or die "$file: $!";
    printf {$fh} "P1\n%d %d\n", $size * 6, $size * 6;
    for my $row (@g) {
        my $line = join ' ', map { ($_) x 6 } @$row;
        print {$fh} "$line\n" for 1 .. 6;
    }
    close $fh;
    return 1;
}

# qr_text(SVG, DIR): what zbarimg reads in the SVG's QR code
sub qr_text {
    my ($svg, $dir) = @_;
    my $file = "$dir/qr-" . int(rand 1e9) . '.pbm';
    return pbm($svg, $file) ? zbarimg($file) : '';
}

# enrol_via(NODE, SID, PASSWORD [, PATH]): TOTP on through the module's
# own enrolment location (JSON): begin with the password, confirm with
# oathtool's code. Returns (base32 secret, [backup codes], new sid,
# the begin answer); dies on any other answer.
sub enrol_via {
    my ($n, $sid, $pw, $path) = @_;
    $path //= '/totp';
    require JSON::PP;
    my $json = JSON::PP->new;
    my ($s, $h, $b) = $n->post($path, 'application/json',
        $json->encode({ action => 'begin', password => $pw }),
        Cookie => "sid=$sid");
    die "begin: $s $b\n" unless $s == 200;
    my $begin = $json->decode($b);
    wait_step_start();
    ($s, $h, $b) = $n->post($path, 'application/json',
        $json->encode({ action => 'confirm',
                        otp => totp($begin->{secret}, time) }),
        Cookie => "sid=$sid");
    die "confirm: $s $b\n" unless $s == 200;
    my ($new) = ($h->{'set-cookie'} // '') =~ /\bsid=([A-Za-z0-9_-]{43})/;
    return ($begin->{secret}, $json->decode($b)->{backup_codes}, $new,
            $begin);
}

1;
