# shellcheck shell=bash disable=SC2034
# A valid HS256 bearer token, the same token on every request.

desc='JWT HS256, valid token repeated'
min_ratio=0.90

server_conf='
        location /bench/ {
            secauth jwt;
            secauth_jwt_key HS256 @DIR@/key.pub;
        }'

setup() {
    bench_jwt_key HS256
}

prepare() {
    echo "Authorization: Bearer $(bench_jwt_token HS256)" > "$BENCH_DIR/headers"
}
