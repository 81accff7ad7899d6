# shellcheck shell=bash disable=SC2034
# session-shm with the zone kept in a file (state=, issue 14): the gate's
# ratio must be within noise of session-shm's, the writes being off the
# request path. A valid session cookie checked against the zone: the
# session is created by a real login (secauth_login) before measuring.

desc='session cookie, shm zone with state= (a file, flushed every 1s)'
min_ratio=0.90

http_conf='
    secauth_zone state:10m state=@DIR@/state/state.zone;
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
    # written by the workers (nobody when the bench runs as root)
    mkdir -m 0777 "$BENCH_DIR/state"
}

prepare() {
    bench_login "$BENCH_URL" > "$BENCH_DIR/headers"
}
