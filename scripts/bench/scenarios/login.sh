# shellcheck shell=bash disable=SC2034
# Logins per second: every request is a POST to secauth_login with the
# right password (303). The hash is the project's default Argon2id
# (t=3 m=64m p=1); the pool has one thread per CPU. Report only: compare
# with what setup() prints (nginx and its threads share one CPU).

desc='logins/s: Argon2id t=3 m=64m in a pool of one thread per CPU'
expect_status=303
cpu_floor=0
path=/login
wrk_script=login.lua
wrk_connections=4
wrk_args=(--timeout 30s)     # a login waits for the hashes queued before it

main_conf='thread_pool bench threads=@CPUS@ max_queue=1024;'
http_conf='
    secauth_thread_pool bench;
    secauth_users file=@DIR@/users;
    secauth_cookie sid secure=off;'
server_conf='
        location = /login {
            secauth_login;
        }'

# the hash time, for the expected rate: nginx (and with it the pool's
# threads) is pinned to one CPU, so about 1000 / ms logins per second
setup() {
    local t0=$EPOCHREALTIME
    bench_user 3 16 > "$BENCH_DIR/users"
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {
        ms = (b - a) * 1000
        printf "login: one Argon2id t=3 m=64m hash: %.0f ms (argon2 CLI);" \
               " one CPU can do about %.1f logins/s\n", ms, 1000 / ms }' >&2
}
