#!/usr/bin/env bash
# Resource soak of the Redis client, reported as numbers (not part of CI):
#
#   1. descriptors of the nginx worker before and after N reconnect cycles
#      (Redis kills the worker's connection: CLIENT KILL; the next gated
#      request succeeds once the module has reconnected);
#   2. the worker's resident memory before and after M gated requests
#      (wrk, a valid session cookie, one Redis GET each).
#
#   scripts/soak.sh classic [--cycles N] [--requests M]  defaults 1000, 100000
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
cycles=1000
requests=100000

while [ $# -gt 0 ]; do
    case "$1" in
        --cycles) cycles=$2; shift 2 ;;
        --requests) requests=$2; shift 2 ;;
        *) echo "usage: $0 [--cycles N] [--requests M]" >&2; exit 2 ;;
    esac
done

"$repo/scripts/setup.sh"
module=$("$repo/scripts/build.sh")

dir=$(mktemp -d /tmp/secauth-soak.XXXXXX)
nginx_pid=

cleanup() {
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                     LocalPort => 0)->sockport'
}

rport=$(free_port)
hport=$(free_port)

redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no \
    --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log"

mkdir -p "$dir/logs" "$dir/html"
echo ok > "$dir/html/index.html"

cat > "$dir/nginx.conf" <<CONF
load_module $module;
daemon off;
master_process off;
error_log $dir/logs/error.log notice;
pid $dir/logs/nginx.pid;
events { worker_connections 1024; }
http {
    access_log off;
    secauth_redis redis://127.0.0.1:$rport;
    server {
        listen 127.0.0.1:$hport;
        root $dir/html;
        location / { secauth session; secauth_cookie sid secure=off; }
    }
}
CONF

for _ in $(seq 50); do
    redis-cli -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.1
done

sid=$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=')
now=$(date +%s)
redis-cli -p "$rport" SET \
    "secauth:session:$(printf %s "$sid" | sha256sum | cut -d' ' -f1)" \
    "{\"user\":\"soak\",\"created\":$now,\"last_seen\":$now}" EX 3600 \
    >/dev/null

nginx -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/stderr.log" &
nginx_pid=$!

for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$hport/" && break
    sleep 0.1
done

fds() { find "/proc/$nginx_pid/fd" -mindepth 1 2>/dev/null | wc -l; }
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$nginx_pid/status"; }

echo "soak: worker $nginx_pid, redis 127.0.0.1:$rport"

fd_before=$(fds)

start=$(date +%s.%N)
perl - "$hport" "$rport" "$sid" "$cycles" <<'PERL'
use strict;
use warnings;
use IO::Socket::INET;
use Time::HiRes qw(sleep time);

my ($hport, $rport, $sid, $cycles) = @ARGV;

my $redis = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$rport")
    or die "redis: $!";

sub get {
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$hport")
        or die "nginx: $!";
    print $s "GET / HTTP/1.0\r\nHost: x\r\nCookie: sid=$sid\r\n\r\n";
    my $line = <$s> // '';
    close $s;
    return $line =~ m{^HTTP/1\.\d (\d+)} ? $1 : 0;
}

my $fail = 0;
for my $i (1 .. $cycles) {
    print $redis "*4\r\n\$6\r\nCLIENT\r\n\$4\r\nKILL\r\n\$4\r\nTYPE\r\n"
        . "\$6\r\nnormal\r\n";
    my $reply = <$redis>;
    my $t = time;
    while (get() != 200) {
        die "cycle $i: no recovery in 5s\n" if time - $t > 5;
        sleep 0.01;
    }
}
PERL
end=$(date +%s.%N)
fd_after=$(fds)

echo "reconnect cycles: $cycles in $(echo "$end - $start" | bc) s;" \
     "worker descriptors before $fd_before, after $fd_after"

wrk -t 1 -c 4 -d 2s -H "Cookie: sid=$sid" "http://127.0.0.1:$hport/" \
    >/dev/null
rss_before=$(rss)

# -R is not in Debian's wrk: run until at least $requests were sent
done_requests=0
while [ "$done_requests" -lt "$requests" ]; do
    n=$(wrk -t 1 -c 8 -d 5s -H "Cookie: sid=$sid" \
            "http://127.0.0.1:$hport/" | awk '/requests in/ { print $1 }')
    done_requests=$((done_requests + n))
done
rss_after=$(rss)
outages=$(grep -c "unavailable" "$dir/logs/error.log" || true)

echo "gated requests: $done_requests; worker RSS before ${rss_before} kB," \
     "after ${rss_after} kB; outages logged: $outages (one per kill)"

if [ "$fd_after" -gt "$fd_before" ]; then
    echo "soak: FAIL: descriptors grew"
    exit 1
fi
