# shellcheck shell=bash disable=SC2034
# jwt-hs256 with authorization as docs/jwt.md section 7 writes it: "only
# admins" (a map of the role claim) and "group contains ops"
# (secauth_claim_has on an array claim), both in secauth_require, on
# every request after the gate; its cost is its ratio beside jwt-hs256's.

desc='JWT HS256, valid token repeated, secauth_require: map of role, claim_has of groups'
min_ratio=0.90

http_conf='
    map $secauth_claim_role $is_admin {
        admin   1;
        default 0;
    }
    secauth_claim_has $in_ops groups ops;'

server_conf='
        location /bench/ {
            secauth jwt;
            secauth_jwt_key HS256 @DIR@/key.pub;
            secauth_require $is_admin $in_ops;
        }'

setup() {
    bench_jwt_key HS256
}

prepare() {
    echo "Authorization: Bearer $(bench_jwt_token HS256 3600 \
        '{"role": "admin", "groups": ["dev", "ops", "sre"]}')" \
        > "$BENCH_DIR/headers"
}
