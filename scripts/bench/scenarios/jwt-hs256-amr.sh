# shellcheck shell=bash disable=SC2034
# jwt-hs256 with an amr claim, as the module's own tokens after an MFA
# login carry: the amr read (level and $secauth_amr) on every request.

desc='JWT HS256, valid token repeated, amr ["pwd","otp","mfa"]'
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
    echo "Authorization: Bearer $(bench_jwt_token HS256 3600 \
        '{"amr": ["pwd", "otp", "mfa"]}')" > "$BENCH_DIR/headers"
}
