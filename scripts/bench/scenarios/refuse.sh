# shellcheck shell=bash disable=SC2034
# "secauth any" on the measured location and no credentials: every request
# is refused with 401 and a WWW-Authenticate challenge. Report only.

desc='secauth any, no credentials: every request answered 401'
expect_status=401

server_conf='
        location /bench/ {
            secauth any;
        }'
