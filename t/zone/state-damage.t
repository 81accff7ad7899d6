# secauth_zone ... state=PATH with a damaged or foreign state file: nginx
# always starts, logs one clear line naming the file and why, sets a
# refused file aside (PATH.corrupt-TIME) and starts with an empty zone;
# a journal cut short keeps what came before it; a file from a zone of
# another size loads what fits. Also: nginx -t refuses a directory the
# workers cannot write.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

use LoginTest;

my $users = LoginTest::write_users('zone-damage-users',
    "alice:$LoginTest::HASH{alice}\n");

sub http {
    my ($size) = @_;
    return "    secauth_zone state:$size state=logs/s.zone sync=100ms;\n"
           . "    secauth_password_hash $LoginTest::CHEAP;\n";
}

my $ngx = NginxInstance->new(
    master => 1,
    http => http('1m'),
    files => { 'p.txt' => "secret\n" },
    server => <<"CONF");
        secauth_cookie sid secure=off;
        secauth_users file=$users;
        location = /login {
            secauth_login;
        }
        location /p {
            secauth session;
            alias html/p.txt;
        }
CONF

my $file = $ngx->dir . '/logs/s.zone';

sub login {
    my (undef, $headers) = $ngx->post('/login',
        'application/x-www-form-urlencoded',
        "username=alice&password=$LoginTest::PW{alice}");
    my ($sid) = ($headers->{'set-cookie'} // '') =~ /^sid=([^;]+)/;
    return $sid;
}

sub admits {
    my ($sid) = @_;
    my ($status) = $ngx->get('/p', Cookie => "sid=$sid");
    return $status;
}

sub slurp {
    open my $fh, '<:raw', $_[0] or die "$_[0]: $!";
    local $/;
    return scalar <$fh>;
}

sub spit {
    my ($path, $data) = @_;
    open my $fh, '>:raw', $path or die "$path: $!";
    print {$fh} $data;
    close $fh;
}

# CRC32C, as the file's header has it
my @crc = map {
    my $c = $_;
    $c = $c & 1 ? ($c >> 1) ^ 0x82f63b78 : $c >> 1 for 1 .. 8;
    $c;
} 0 .. 255;

sub crc32c {
    my $c = 0xffffffff;
    $c = $crc[($c ^ $_) & 0xff] ^ ($c >> 8) for unpack 'C*', $_[0];
    return $c ^ 0xffffffff;
}

# a good file: a session, then a graceful stop writes the zone
my $sid = login();
is(admits($sid), 200, 'a session');
$ngx->stop(10);
my $good = slurp($file);
ok(length $good > 64, 'a state file written at exit (' . length($good)
   . ' bytes)');

sub aside { my @a = glob "$file.corrupt-*"; unlink @a; return scalar @a }

# one damaged file: nginx starts, [alert] says why, the file is set aside
sub damaged {
    my ($name, $data, $why) = @_;
    aside();
    spit($file, $data);
    $ngx->start;
    my $log = $ngx->error_log;
    like($log, qr/\[alert\].*secauth: zone "state": state file "\Q$file\E" is refused: $why.*it is renamed to "\Q$file\E\.corrupt-\d+" and the zone starts empty/,
         "$name: one alert naming the file and why");
    my @alerts = $log =~ /\[alert\]/g;
    is(scalar @alerts, 1, "$name: one alert only");
    is(aside(), 1, "$name: the file set aside");
    is(admits($sid), 401, "$name: nginx runs, with an empty zone");
    $ngx->stop(10);
}

damaged('truncated in the snapshot', substr($good, 0, length($good) - 30),
        'the snapshot is cut short');
damaged('truncated in the header', substr($good, 0, 40),
        'the header is cut short');

my $flipped = $good;
substr($flipped, 100, 1) ^= "\x01";
damaged('a flipped byte', $flipped, q{a block's checksum does not match});

my $hflip = $good;
substr($hflip, 20, 1) ^= "\x80";
damaged('a flipped byte in the header', $hflip,
        q{the header's checksum does not match});

damaged('a foreign file', "user=alice\n" x 10,
        'not a secauth state file');

# another version of the records, with a good checksum
my $other = $good;
substr($other, 12, 4) = pack 'V', 99;
substr($other, 60, 4) = pack 'V', crc32c(substr($other, 0, 60));
damaged('another records version', $other,
        'written with another version of the records');

my $format = $good;
substr($format, 8, 4) = pack 'V', 2;
substr($format, 60, 4) = pack 'V', crc32c(substr($format, 0, 60));
damaged('another format version', $format,
        'written in another format version');

# 0 bytes: a warning, nothing to set aside
aside();
spit($file, '');
$ngx->start;
like($ngx->error_log, qr/\[warn\].*zone "state": state file "\Q$file\E" is empty, the zone starts empty/,
     '0 bytes: a warning');
unlike($ngx->error_log, qr/\[alert\]/, '0 bytes: no alert');
is(admits($sid), 401, '0 bytes: nginx runs, with an empty zone');
$ngx->stop(10);

# the good file again, with a journal block cut short after it
spit($file, $good . "BLK1\x03\x00\x00\x00\xff\x00\x00\x00");
$ngx->start;
like($ngx->error_log, qr/\[warn\].*state file "\Q$file\E" ends in a journal block cut short at byte \d+/,
     'a torn journal: a warning');
is(admits($sid), 200, 'a torn journal: the snapshot before it is loaded');
$ngx->stop(10);

# from a zone of another size: what fits is loaded, said at notice
spit($file, $good);
$ngx->start(http => http('2m'));
like($ngx->error_log, qr/\[notice\].*state file "\Q$file\E" was written by a zone of 1048576 bytes, this one has 2097152: the most recently used records that fit are loaded/,
     'another zone size: a notice');
is(admits($sid), 200, 'another zone size: the session is there');
$ngx->stop(10);

# nginx -t: a directory the workers cannot write is refused
my $bin = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $d = $ngx->dir;
open my $in, '<', "$d/conf/nginx.conf" or die $!;
my $conf = do { local $/; <$in> };
close $in;
$conf =~ s{state=logs/s\.zone}{state=/nonexistent-secauth/s.zone};
spit("$d/conf/t.conf", $conf);
my $out = `$bin -t -p $d/ -c $d/conf/t.conf -e $d/logs/t.log 2>&1`;
isnt($?, 0, 'nginx -t: a state directory that does not exist fails');
like($out, qr/\[emerg\].*zone "state": the directory of state file "\/nonexistent-secauth\/s\.zone" cannot be used/,
     'nginx -t: and says why');

done_testing();
