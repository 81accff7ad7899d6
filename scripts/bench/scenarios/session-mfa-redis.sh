# shellcheck shell=bash disable=SC2034
# session-redis with the second factor: the user has TOTP on (enrolled
# with scripts/secauth-mfa), logs in with the password and a code from
# oathtool, and the location requires it (secauth_mfa on). The gate's
# ratio must be within noise of session-redis's: the amr check is a bit
# test on the record already read.

desc='session cookie with MFA, Redis, secauth_mfa on (one GET per request)'
min_ratio=0.50
cpu_floor=0

http_conf='
    include @DIR@/redis.conf;
    secauth_users file=@DIR@/users;
    secauth_password_hash argon2id t=1 m=8m p=1;
    secauth_secret_key @DIR@/secret.key;
    secauth_cookie sid secure=off;'
server_conf='
        location /bench/ {
            secauth session;
            secauth_mfa on;
        }

        location = /login {
            secauth_login;
        }'

setup() {
    bench_user > "$BENCH_DIR/users"
    bench_redis_start
    (umask 077 && head -c 32 /dev/urandom > "$BENCH_DIR/secret.key")
    "$repo/scripts/secauth-mfa" --key "$BENCH_DIR/secret.key" \
        --redis "redis://127.0.0.1:$(sed -n 's/.*:\([0-9]*\);$/\1/p' \
                                     "$BENCH_DIR/redis.conf")" \
        enrol bench | sed -n 's/^secret: //p' > "$BENCH_DIR/totp.secret"
    [ -s "$BENCH_DIR/totp.secret" ]
}

prepare() {
    bench_login "$BENCH_URL" \
        "otp=$(oathtool --totp -b "$(cat "$BENCH_DIR/totp.secret")")" \
        > "$BENCH_DIR/headers"
}

teardown() {
    bench_redis_stop
}
