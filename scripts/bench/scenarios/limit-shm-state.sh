# shellcheck shell=bash disable=SC2034
# limit-shm with the zone kept in a file (state=, issue 14): every request
# changes its bucket, so every request is journaled (a memcpy under the
# zone's lock) and the journal is flushed every second from the thread
# pool. Compare with limit-shm in the same run.

desc='secauth_limit, shm zone with state=, every request journaled'
# measured 0.95 (limit-shm: 0.98 in the same run, --paired)
min_ratio=0.92

http_conf='
    secauth_limit_zone $binary_remote_addr zone=bench:10m rate=1000000r/s
                       state=@DIR@/state/limits.zone;'
server_conf='
        location /bench/ {
            secauth_limit zone=bench burst=100000 nodelay;
        }'

setup() {
    # written by the workers (nobody when the bench runs as root)
    mkdir -m 0777 "$BENCH_DIR/state"
}
