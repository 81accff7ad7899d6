# shellcheck shell=bash disable=SC2034
# A valid session cookie checked against the shared-memory zone: the
# session is created by a real login (secauth_login) before measuring.

desc='session cookie, shm zone (one lookup under the zone mutex)'
min_ratio=0.90

http_conf='
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
}

prepare() {
    bench_login "$BENCH_URL" > "$BENCH_DIR/headers"
}
