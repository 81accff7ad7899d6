# shellcheck shell=bash disable=SC2034
# A valid ES256 bearer token, the same token on every request.

desc='JWT ES256, valid token repeated'
min_ratio=0.85

server_conf='
        location /bench/ {
            secauth jwt;
            secauth_jwt_key ES256 @DIR@/key.pub;
        }'

setup() {
    bench_jwt_key ES256
}

prepare() {
    echo "Authorization: Bearer $(bench_jwt_token ES256)" > "$BENCH_DIR/headers"
}
