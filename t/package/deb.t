# scripts/package.sh builds the Debian package from this tree; its
# contents are checked with dpkg-deb, then it is unpacked into a scratch
# root laid out as Debian's nginx lays out its modules
# (/usr/share/nginx/modules -> /usr/lib/nginx/modules), where nginx -t
# loads the module through the package's own modules-available snippet
# and a gated location refuses a request with no credentials. The
# package's maintainer scripts enable the snippet in modules-enabled
# (dh_nginx): checked in the postinst. The admin tools run from the root.

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Temp qw(tempdir);
use FindBin;
use IO::Socket::INET;
use Test::More;
use Time::HiRes qw(sleep);

my $repo = abs_path("$FindBin::Bin/../..");

BEGIN {
    plan skip_all => 'not a Debian system with dpkg-deb'
        unless grep { -x "$_/dpkg-deb" } split /:/, $ENV{PATH};
}

sub run {
    my (@cmd) = @_;
    my $pid = open(my $fh, '-|') // die "fork: $!";
    if (!$pid) {
        open STDERR, '>&', \*STDOUT or die "dup: $!";
        exec @cmd or die "exec $cmd[0]: $!";
    }
    my $out = do { local $/; <$fh> } // '';
    close $fh;
    return ($? >> 8, $out);
}

my ($rc, $deb) = run("$repo/scripts/package.sh");
is($rc, 0, 'scripts/package.sh builds the package') or diag($deb);
chomp $deb;
$deb = (split /\n/, $deb)[-1] // '';
like($deb, qr{/build/package/libnginx-mod-http-secauth_[^/_]+_[a-z0-9]+\.deb$},
     'it prints the path of libnginx-mod-http-secauth_VERSION_ARCH.deb');
BAIL_OUT("no package to look at") unless -f $deb;

# the contents

my (undef, $list) = run('dpkg-deb', '-c', $deb);
my %files = map { (split ' ', $_)[5] =~ s{^\./}{/}r => 1 } split /\n/, $list;

for my $f ('/usr/lib/nginx/modules/ngx_http_secauth_module.so',
           '/usr/share/nginx/modules-available/mod-http-secauth.conf',
           '/usr/sbin/secauth-user', '/usr/sbin/secauth-mfa',
           '/usr/share/doc/libnginx-mod-http-secauth/copyright')
{
    ok($files{$f}, "the package holds $f");
}

ok((grep { m{^/usr/share/doc/libnginx-mod-http-secauth/directives\.md} }
    keys %files), 'and the directive reference');
ok(!(grep { m{/(?:t|build|\.git)/} || m{\.(?:c|h|o)$} } keys %files),
   'and no sources, tests or build files');

my (undef, $depends) = run('dpkg-deb', '-f', $deb, 'Depends');
like($depends, qr/\bnginx-abi-1\.22\.1-7\b/,
     'it depends on the nginx ABI it was built for');
like($depends, qr/\blibhiredis0\.14\b/,
     'and on the libraries it links (shlibs)');

my $ctl = tempdir('secauth-deb-ctl-XXXXXX', TMPDIR => 1, CLEANUP => 1);
($rc) = run('dpkg-deb', '-e', $deb, $ctl);
my $postinst = do { local (@ARGV, $/) = ("$ctl/postinst"); <> } // '';
like($postinst, qr{modules-enabled/\$to}, 'postinst enables the snippet')
    and like($postinst, qr{mod-http-secauth\.conf:50-mod-http-secauth\.conf},
             'as 50-mod-http-secauth.conf');

# a scratch root

my $root = tempdir('secauth-deb-root-XXXXXX', TMPDIR => 1, CLEANUP => 1);
($rc, my $out) = run('dpkg-deb', '-x', $deb, $root);
is($rc, 0, 'dpkg-deb -x unpacks it into a scratch root') or diag($out);

my $snippet = "$root/usr/share/nginx/modules-available/mod-http-secauth.conf";
my $load = do { local (@ARGV, $/) = ($snippet); <> } // '';
like($load, qr{^load_module modules/ngx_http_secauth_module\.so;$}m,
     'the snippet loads modules/ngx_http_secauth_module.so');

my $prefix = "$root/usr/share/nginx";
symlink('../../lib/nginx/modules', "$prefix/modules")
    or die "symlink: $!";
mkdir "$prefix/logs";
open my $key, '>', "$prefix/hs.key" or die;
print $key 'k' x 32;
close $key;

my $port = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                 LocalPort => 0)->sockport;

open my $conf, '>', "$prefix/nginx.conf" or die;
print $conf <<"CONF";
include $snippet;
error_log $prefix/logs/error.log;
pid $prefix/logs/nginx.pid;
events {}
http {
    server {
        listen 127.0.0.1:$port;
        location / { secauth jwt; secauth_jwt_key HS256 $prefix/hs.key; }
    }
}
CONF
close $conf;

# Debian's nginx, which the package is built for and depends on (not a
# TEST_NGINX_BINARY such as scripts/test.sh --asan's own build)
my $nginx = '/usr/sbin/nginx';
($rc, $out) = run($nginx, '-t', '-p', "$prefix/", '-c', "$prefix/nginx.conf");
is($rc, 0, 'nginx -t loads the packaged module through its snippet')
    or diag($out);
like($out, qr/syntax is ok/, 'and the gate directives are known');

my $pid = fork() // die "fork: $!";
if (!$pid) {
    open STDERR, '>', '/dev/null';
    exec $nginx, '-p', "$prefix/", '-c', "$prefix/nginx.conf",
         '-g', 'daemon off; master_process off;' or exit 1;
}
my $status = 0;
for (1 .. 50) {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port") or do {
        sleep 0.1;
        next;
    };
    print $s "GET / HTTP/1.0\r\nHost: x\r\n\r\n";
    ($status) = (<$s> // '') =~ m{^HTTP/1\.\d (\d+)};
    last;
}
kill 'QUIT', $pid;
waitpid $pid, 0;
is($status, 401, 'the packaged module gates: no credentials, 401');

($rc, $out) = run("$root/usr/sbin/secauth-user", '--help');
is($rc, 0, 'the packaged secauth-user runs') or diag($out);
($rc, $out) = run("$root/usr/sbin/secauth-mfa", '--help');
is($rc, 0, 'the packaged secauth-mfa runs beside it') or diag($out);

done_testing();
