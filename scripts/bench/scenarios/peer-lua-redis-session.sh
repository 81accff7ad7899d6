# shellcheck shell=bash disable=SC2034,SC2016
# Peer: the session check of session-redis in Lua, without the module:
# the cookie's id hashed to the module's Redis key (SHA-256 through FFI,
# docs/sessions.md), one GET through resty.redis (Debian's lua-nginx-redis)
# on a keepalive pool, the record's JSON decoded and its times checked.
# The session is written by setup (no login: the peer has none).

desc='peer: Lua session GET in Redis (resty.redis, keepalive), no module'
module=no
cpu_floor=0                 # nginx waits on redis: not a disturbance

main_conf='
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;'
http_conf='
    lua_package_path "@REPO@/scripts/bench/?.lua;;";
    init_by_lua_block { require("peer_jwt") }'
server_conf='
        location /bench/ {
            set $peer_user "";
            include @DIR@/peer-access.conf;
        }'

setup() {
    local p id now
    bench_redis_start
    p=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\);/\1/p' redis.conf)
    id=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    now=$(date +%s)
    redis-cli -p "$p" set \
        "secauth:session:$(printf %s "$id" | sha256sum | cut -d' ' -f1)" \
        "{\"user\":\"bench\",\"created\":$now,\"last_seen\":$now,\"level\":1,\"pwv\":0,\"ip\":\"127.0.0.1\"}" \
        EX 3600 >/dev/null
    echo "Cookie: sid=$id" > cookie
    cat > peer-access.conf <<CONF
            access_by_lua_block {
                require("peer_jwt").session("127.0.0.1", $p, 1800, 43200)
            }
CONF
}

prepare() {
    cp cookie "$BENCH_DIR/headers"
    # once: no cookie, an unknown session get 401
    bench_refuses "$BENCH_URL" "Cookie: sid=$(printf '%043d' 0)"
}

teardown() {
    bench_redis_stop
}
