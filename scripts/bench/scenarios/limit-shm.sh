# shellcheck shell=bash disable=SC2034
# secauth_limit on a shared memory zone, per client address, at a rate
# the benchmark never reaches: every request takes from its bucket (one
# lookup and one write under the zone's lock) and passes. Compare with
# limit-req, nginx's own limit_req with the same numbers, in the same run.

desc='secauth_limit, shm zone, every request takes from the bucket'
min_ratio=0.95

http_conf='
    secauth_limit_zone $binary_remote_addr zone=bench:10m rate=1000000r/s;'
server_conf='
        location /bench/ {
            secauth_limit zone=bench burst=100000 nodelay;
        }'
