# shellcheck shell=bash disable=SC2034
# jwt-hs256 with authorization: secauth_require on a map of an array claim
# ("group contains ops", docs/jwt.md section 7), evaluated on every
# request after the gate; its cost is its ratio beside jwt-hs256's.

desc='JWT HS256, valid token repeated, secauth_require on a map of groups'
min_ratio=0.90

http_conf='
    map $secauth_claim_groups $in_ops {
        default 0;
        ~(^|,)ops(,|$) 1;
    }'

server_conf='
        location /bench/ {
            secauth jwt;
            secauth_jwt_key HS256 @DIR@/key.pub;
            secauth_require $in_ops;
        }'

setup() {
    bench_jwt_key HS256
}

prepare() {
    echo "Authorization: Bearer $(bench_jwt_token HS256 3600 \
        '{"groups": ["dev", "ops", "sre"]}')" > "$BENCH_DIR/headers"
}
