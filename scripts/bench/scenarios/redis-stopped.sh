# shellcheck shell=bash disable=SC2034
# Redis is SIGSTOPped: gated requests elsewhere wait for their timeout,
# but the measured location is unprotected and must keep serving. A
# background client keeps hitting the gated location during the run.

desc='Redis SIGSTOPped; an unprotected location on the same worker'
min_ratio=0.90

http_conf='
    include @DIR@/redis.conf;
    secauth_cookie sid secure=off;'
server_conf='
        location /bench/ {
        }

        location /gated/ {
            secauth session;
        }'

setup() {
    bench_redis_start
}

prepare() {
    # a steady trickle of gated requests, each parked for the timeout
    (
        while kill -0 "$PPID" 2>/dev/null; do
            curl -s -o /dev/null --max-time 2 \
                -H "Cookie: sid=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" \
                "$BENCH_URL/gated/x" || true
        done
    ) >/dev/null 2>&1 &
    echo $! > "$BENCH_DIR/trickle.pid"
    kill -STOP "$(cat "$BENCH_DIR/redis.pid")"
}

teardown() {
    [ -f "$BENCH_DIR/trickle.pid" ] \
        && kill "$(cat "$BENCH_DIR/trickle.pid")" 2>/dev/null
    kill -CONT "$(cat "$BENCH_DIR/redis.pid")" 2>/dev/null
    bench_redis_stop
}
