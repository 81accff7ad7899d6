# The QR code of TOTP enrolment (core/ngx_http_secauth_qr.c, through the
# tool mode of t/unit/qr_test) decodes back to its text with zbarimg
# (Debian zbar-tools): otpauth:// URIs as enrolment makes them, of
# several lengths, with escaped issuers and names.
#
# Each SVG is decoded twice: as an image rendered from its path here
# (a PBM, 6 px per module: the path's "Mx yhNv1h-Nz" runs are all it
# draws), and, for URIs of the usual length (a QR up to version 5), as
# the SVG file itself, which zbarimg reads through ImageMagick, whose
# own SVG renderer garbles larger codes (the PBM of the same code reads).
# t/unit/qr_test is built by `make -C t/unit` (scripts/test.sh does it
# before the suites).

use strict;
use warnings;

use FindBin;
use File::Temp qw(tempdir);
use Test::More;

use lib "$FindBin::Bin/../lib";
use MfaTest qw();

my $tool = "$FindBin::Bin/../unit/qr_test";

plan skip_all => 'zbarimg not installed (scripts/setup.sh installs it)'
    unless grep { -x "$_/zbarimg" } split /:/, $ENV{PATH};
plan skip_all => "$tool not built (make -C t/unit)" unless -x $tool;

my $dir = tempdir('secauth-qr-XXXXXX', TMPDIR => 1, CLEANUP => 1);

my @texts = (
    'otpauth://totp/Example%20Co:alice?secret=JBSWY3DPEHPK3PXP'
        . '&issuer=Example%20Co',
    'otpauth://totp/secauth:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'
        . '&issuer=secauth',
    'otpauth://totp/%C3%89cole%20%26%20Co:j%C3%BCrgen%40example.org'
        . '?secret=' . ('A' x 32) . '&issuer=%C3%89cole%20%26%20Co',
    'otpauth://totp/' . ('x' x 64) . ':' . ('y' x 64) . '?secret='
        . ('Z' x 32) . '&issuer=' . ('x' x 64),
);

my $i = 0;
for my $text (@texts) {
    $i++;
    open my $fh, '-|', $tool, 'svg', $text or die "$tool: $!";
    my $svg = do { local $/; <$fh> } // '';
    close $fh;
    ok(length $svg, "QR $i: an SVG") or next;

    ok(MfaTest::pbm($svg, "$dir/$i.pbm"),
       "QR $i: the path is only module runs");
    is(MfaTest::zbarimg("$dir/$i.pbm"), $text,
       "QR $i (" . length($text) . ' bytes): the drawing decodes back');

    my ($size) = $svg =~ /viewBox="0 0 (\d+)/;
    next if $size > 45;

    open my $out, '>', "$dir/$i.svg" or die "$dir/$i.svg: $!";
    print {$out} $svg;
    close $out;
    is(MfaTest::zbarimg("$dir/$i.svg"), $text,
       "QR $i: the SVG file decodes back");
}

done_testing();
