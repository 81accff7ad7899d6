# shellcheck shell=bash disable=SC2034
# nginx's own limit_req with the numbers of limit-shm, without the
# module: the yardstick for limit-shm. Report only.

desc='nginx limit_req (no module), for comparison with limit-shm'
module=no

http_conf='
    limit_req_zone $binary_remote_addr zone=bench:10m rate=1000000r/s;'
server_conf='
        location /bench/ {
            limit_req zone=bench burst=100000 nodelay;
        }'
