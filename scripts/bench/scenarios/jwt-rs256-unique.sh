# shellcheck shell=bash disable=SC2034
# RS256 tokens, a different one on each request (5000 in turn, more than
# the verified-token cache holds): the signature is checked every time.
# Report only.

desc='JWT RS256, unique tokens (every request a cache miss)'
wrk_script=unique.lua

server_conf='
        location /bench/ {
            secauth jwt;
            secauth_jwt_key RS256 @DIR@/key.pub;
        }'

setup() {
    bench_jwt_key RS256
}

prepare() {
    bench_jwt_tokens RS256 5000 > "$BENCH_DIR/tokens.txt"
}
