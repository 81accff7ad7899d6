# secauth_zone ... state=PATH under a flood of changes: the journal in the
# zone overflows into a snapshot, the file is compacted (rewritten whole)
# once its journal outgrows the zone, so it stays within a few times the
# zone's size however many changes there were, and it still loads.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/../lib";

use Test::More;
use POSIX ();
use Time::HiRes qw(sleep);

use NginxInstance;

BEGIN {
    my ($module) = NginxInstance::modules();
    plan skip_all => "no module at $module (run scripts/test.sh)"
        unless -f $module;
}

my $wrk = `sh -c 'command -v wrk'`;
chomp $wrk;
plan skip_all => 'no wrk' unless $wrk;

# a bucket per key: every request is a new record, a change to keep
my $ngx = NginxInstance->new(
    master => 1,
    http => "    secauth_limit_zone \$arg_k zone=keys:64k rate=1r/m "
            . "state=logs/keys.zone sync=10ms;\n",
    files => { 'p.txt' => "ok\n" },
    server => <<'CONF');
        location = /k {
            secauth_limit zone=keys;
            alias html/p.txt;
        }
CONF

my $file = $ngx->dir . '/logs/keys.zone';
my $script = $ngx->dir . '/keys.lua';
open my $fh, '>', $script or die $!;
print {$fh} <<'LUA';
counter = 0
request = function()
    counter = counter + 1
    return wrk.format("GET", "/k?k=" .. counter .. "-" .. math.random(1e9))
end
LUA
close $fh;

my $max = 0;
my $pid = fork // die "fork: $!";
if ($pid == 0) {
    open STDOUT, '>', $ngx->dir . '/logs/wrk.out';
    open STDERR, '>&', \*STDOUT;
    exec $wrk, '-t1', '-c2', '-d3s', '-s', $script,
         'http://127.0.0.1:' . $ngx->port . '/k'
        or POSIX::_exit(127);
}
while (waitpid($pid, POSIX::WNOHANG()) == 0) {
    my $size = -s $file // 0;
    $max = $size if $size > $max;
    sleep 0.005;
}
sleep 0.2;

open $fh, '<', $ngx->dir . '/logs/wrk.out' or die $!;
my $out = do { local $/; <$fh> };
close $fh;
my ($total) = $out =~ /(\d+) requests in/;
diag("$total requests, each a new record; the file at most $max bytes");
ok($total && $total > 3000, 'many changes') or diag($out);
ok($max > 0, 'the file was written while they came');
cmp_ok($max, '<', 4 * 65536, 'the file stays within a few zone sizes');
unlike($ngx->error_log, qr/\[(alert|crit)\]/, 'no alert, no write failure');

my $mark = $ngx->log_mark;
$ngx->restart;
like($ngx->error_log, qr/\[(notice|warn)\].*zone "keys": \d+ records loaded from "\Q$file\E"/,
     'the file loads after a restart');
unlike($ngx->error_log, qr/\[alert\]/, 'and is not refused');

done_testing();
