# shellcheck shell=bash disable=SC2034,SC2016
# Peer: the token of jwt-hs256 verified in njs (Debian's
# libnginx-mod-http-js), without the module: scripts/bench/peer-jwt.js
# through js_set, tested in the rewrite phase with "if". Report only.

desc='peer: njs HS256 (js_set + if, rewrite phase), no module'
module=no

main_conf='load_module /usr/lib/nginx/modules/ngx_http_js_module.so;'
http_conf='
    js_path @DIR@;
    js_import peer from @REPO@/scripts/bench/peer-jwt.js;
    js_set $jwt_ok peer.ok;'
server_conf='
        location /bench/ {
            if ($jwt_ok != 1) {
                return 401;
            }
        }'

setup() {
    bench_jwt_key HS256
    printf "export default '%s';\n" "$(base64 -w0 key.pub)" > peer-key.js
}

prepare() {
    local tok
    tok=$(bench_jwt_token HS256)
    echo "Authorization: Bearer $tok" > "$BENCH_DIR/headers"
    # once: no token, a bad signature, an expired token get 401
    bench_refuses "$BENCH_URL" "Authorization: Bearer $(bench_jwt_tamper "$tok")" \
        "Authorization: Bearer $(bench_jwt_token HS256 -60)"
}
