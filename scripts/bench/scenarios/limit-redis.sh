# shellcheck shell=bash disable=SC2034
# secauth_limit with the buckets in Redis on TCP loopback: one EVALSHA per
# request (the GCRA script, the server's clock), every request passes.

desc='secauth_limit, Redis on TCP loopback (one EVALSHA per request)'
min_ratio=0.50
cpu_floor=0

http_conf='
    include @DIR@/redis.conf;
    secauth_limit_zone $binary_remote_addr zone=bench:10m rate=1000000r/s;'
server_conf='
        location /bench/ {
            secauth_limit zone=bench burst=100000 nodelay;
        }'

setup() {
    bench_redis_start
}

teardown() {
    bench_redis_stop
}
