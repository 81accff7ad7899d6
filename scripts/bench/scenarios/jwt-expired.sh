# shellcheck shell=bash disable=SC2034
# HS256 tokens that are refused: expired (all requests 401).

desc='JWT HS256, expired token (401)'
min_ratio=0.90
expect_status=401

server_conf='
        location /bench/ {
            secauth jwt;
            secauth_jwt_key HS256 @DIR@/key.pub;
        }'

setup() {
    bench_jwt_key HS256
}

prepare() {
    echo "Authorization: Bearer $(bench_jwt_token HS256 -3600)" \
        > "$BENCH_DIR/headers"
}
