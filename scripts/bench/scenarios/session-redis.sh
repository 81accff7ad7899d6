# shellcheck shell=bash disable=SC2034
# A valid session cookie checked against Redis on loopback: one GET per
# request, no write (the session is fresh, last_seen is not touched).

desc='session cookie, Redis on TCP loopback (one GET per request)'
min_ratio=0.50
cpu_floor=0

http_conf='
    include @DIR@/redis.conf;
    secauth_users file=@DIR@/users;
    secauth_password_hash argon2id t=1 m=8m p=1;
    secauth_cookie sid secure=off;'
server_conf='
        location /bench/ {
            secauth session;
        }

        location = /login {
            secauth_login;
        }'

setup() {
    bench_user > "$BENCH_DIR/users"
    bench_redis_start
}

prepare() {
    bench_login "$BENCH_URL" > "$BENCH_DIR/headers"
}

teardown() {
    bench_redis_stop
}
