# shellcheck shell=bash disable=SC2034
# The HS256 gate measured while a second client keeps the password pool
# busy with logins (Argon2id t=3 m=64m) on the same worker. Compare with
# jwt-hs256 in the same run: the gate must keep >= 0.45 of that, and no
# request may stall (max latency, wrk --latency).

desc='JWT HS256 gate while logins saturate the password pool'
cpu_floor=0

main_conf='thread_pool bench threads=1 max_queue=64;'
http_conf='
    secauth_thread_pool bench;
    secauth_users file=@DIR@/users;
    secauth_cookie sid secure=off;'
server_conf='
        location /bench/ {
            secauth jwt;
            secauth_jwt_key HS256 @DIR@/key.pub;
        }

        location = /login {
            secauth_login;
        }'

setup() {
    bench_user 3 16 > "$BENCH_DIR/users"
    bench_jwt_key HS256
}

prepare() {
    echo "Authorization: Bearer $(bench_jwt_token HS256)" \
        > "$BENCH_DIR/headers"
}

# logins, back to back, while (and only while) this scenario is measured
load_start() {
    wrk -t 1 -c 4 -d 3600s --timeout 30s -s "$BENCH_LIB/login.lua" \
        "$BENCH_URL/login" >/dev/null 2>&1 &
    echo $! > "$BENCH_DIR/logins.pid"
    sleep 0.5
}

load_stop() {
    [ -f "$BENCH_DIR/logins.pid" ] && kill "$(cat "$BENCH_DIR/logins.pid")"
    rm -f "$BENCH_DIR/logins.pid"
}

teardown() {
    load_stop 2>/dev/null || true
}
