#!/usr/bin/env bash
# Soak (a manual tool, not part of CI; docs/testing.md, "Soak"): nginx with
# a master and 2 workers in front of a Redis with persistence, mixed
# traffic of every kind the gate, the login, the refresh and the limits
# answer, while Redis is restarted and nginx reloaded on a schedule.
#
#   scripts/soak.sh [--minutes N] [--redis-restart SECS] [--reload SECS]
#                   [--connections C] [--timeout SECS]
#                   defaults 10, 30, 45, 8, 10
#   scripts/soak.sh classic [--cycles N] [--requests M]
#                   the former soak: one worker's descriptors across N
#                   Redis reconnects, its RSS after M gated requests
#
# Each request is of a kind (valid cookie, unknown and garbage cookies,
# valid, expired, forged and garbage JWTs, logins right and wrong, JSON
# logins, refreshes with a fresh and with a spent token, requests over a
# limit) with its own set of allowed statuses (scripts/soak/driver.py):
# any other status, a timeout, a connection lost outside a reload window,
# a worker crash or an [alert] in the error log, or worker RSS or
# descriptors that grow fail the run (exit 1). Prints the counts per kind
# and status and the resources of every worker.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = classic ]; then
    shift
    exec "$repo/scripts/soak/classic.sh" "$@"
fi

minutes=10
redis_restart=30
reload=45
connections=8
timeout=10

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes=${2:?}; shift 2 ;;
        --redis-restart) redis_restart=${2:?}; shift 2 ;;
        --reload) reload=${2:?}; shift 2 ;;
        --connections) connections=${2:?}; shift 2 ;;
        --timeout) timeout=${2:?}; shift 2 ;;
        *) usage ;;
    esac
done

"$repo/scripts/setup.sh" >&2
module=$("$repo/scripts/build.sh")
nginx_bin=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

dir=$(mktemp -d /tmp/secauth-soak.XXXXXX)
chmod 755 "$dir"
nginx_pid=
rport=

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    set +e
    if [ -n "$nginx_pid" ]; then
        kill -QUIT "$nginx_pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$nginx_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$nginx_pid" 2>/dev/null
        wait "$nginx_pid" 2>/dev/null
    fi
    if [ -n "$rport" ]; then
        redis-cli -p "$rport" shutdown nosave >/dev/null 2>&1
    fi
    if [ -n "${SOAK_KEEP:-}" ]; then
        echo "soak: kept $dir" >&2
    else
        rm -rf "$dir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                     LocalPort => 0)->sockport'
}

rport=$(free_port)
hport=$(free_port)

# persistence: no periodic saves, but SHUTDOWN SAVE writes dump.rdb and
# the restart loads it, so sessions and token families survive a restart
redis_cmd="redis-server --bind 127.0.0.1 --port $rport --save '' \
--appendonly no --dir $dir --dbfilename dump.rdb --daemonize yes \
--pidfile $dir/redis.pid --logfile $dir/redis.log"
eval "$redis_cmd"
for _ in $(seq 50); do
    redis-cli -p "$rport" ping >/dev/null 2>&1 && break
    sleep 0.1
done

password="soak password $RANDOM$RANDOM"
salt() { head -c 16 /dev/urandom | base64 | tr -d '=\n'; }
{
    printf 'alice:%s\n' "$(printf %s "$password" \
        | argon2 "$(salt)" -id -t 1 -m 10 -p 1 -e)"
    printf 'bob:%s\n' "$(printf %s "$password" \
        | argon2 "$(salt)" -id -t 1 -m 10 -p 1 -e)"
} > "$dir/users"
head -c 32 /dev/urandom > "$dir/api.key"
head -c 32 /dev/urandom > "$dir/sign.key"
mkdir -p "$dir/html" "$dir/tmp"
echo ok > "$dir/html/index.html"

cat > "$dir/nginx.conf" <<CONF
load_module $module;
worker_processes 2;
daemon off;
master_process on;
pid $dir/nginx.pid;
error_log $dir/error.log notice;
thread_pool soak threads=2 max_queue=256;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/tmp;
    secauth_redis redis://127.0.0.1:$rport;
    secauth_users file=$dir/users;
    secauth_password_hash argon2id t=1 m=1m p=1;
    secauth_thread_pool soak;
    secauth_cookie sid secure=off;
    secauth_jwt_signing_key HS256 $dir/sign.key;
    secauth_limit_zone soak zone=soak:1m rate=10r/s;
    server {
        listen 127.0.0.1:$hport;
        root $dir/html;
        location /s/ { secauth session; alias $dir/html/; }
        location /api/ {
            secauth jwt;
            secauth_jwt_key HS256 $dir/api.key;
            secauth_jwt_revocation off;
            alias $dir/html/;
        }
        location = /login { secauth_login; }
        location = /token/refresh { secauth_refresh; }
        location /limited/ {
            secauth_limit zone=soak burst=5 nodelay;
            alias $dir/html/;
        }
    }
}
CONF

"$nginx_bin" -t -q -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log"
: > "$dir/error.log"
"$nginx_bin" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" \
    2>"$dir/stderr.log" &
nginx_pid=$!
for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$hport/s/" && break
    sleep 0.1
done
# the workers connect to Redis as they start
sleep 1

echo "soak: $minutes min, Redis restarted every ${redis_restart}s," \
     "nginx reloaded every ${reload}s; nginx $nginx_pid on :$hport," \
     "Redis :$rport, in $dir" >&2

status=0
/usr/bin/python3 "$repo/scripts/soak/driver.py" --dir "$dir" \
    --port "$hport" --redis-port "$rport" --redis-cmd "$redis_cmd" \
    --master "$nginx_pid" --nginx "$nginx_bin" --password "$password" \
    --minutes "$minutes" --redis-restart "$redis_restart" --reload "$reload" \
    --connections "$connections" --timeout "$timeout" || status=$?
exit "$status"
