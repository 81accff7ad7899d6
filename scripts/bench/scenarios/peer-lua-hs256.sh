# shellcheck shell=bash disable=SC2034
# Peer: the token of jwt-hs256 verified in Lua (Debian's
# libnginx-mod-http-lua), without the module: scripts/bench/peer_jwt.lua
# in access_by_lua, HMAC-SHA256 from libcrypto through LuaJIT's FFI,
# lua-cjson for the JSON. Report only.

desc='peer: Lua HS256 (access_by_lua, FFI HMAC), no module'
module=no

main_conf='
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;'
http_conf='
    lua_package_path "@REPO@/scripts/bench/?.lua;;";
    init_by_lua_block { require("peer_jwt").init("@DIR@/key.pub") }'
server_conf='
        location /bench/ {
            access_by_lua_block { require("peer_jwt").hs256() }
        }'

setup() {
    bench_jwt_key HS256
}

prepare() {
    local tok
    tok=$(bench_jwt_token HS256)
    echo "Authorization: Bearer $tok" > "$BENCH_DIR/headers"
    # once: no token, a bad signature, an expired token get 401
    bench_refuses "$BENCH_URL" "Authorization: Bearer $(bench_jwt_tamper "$tok")" \
        "Authorization: Bearer $(bench_jwt_token HS256 -60)"
}
