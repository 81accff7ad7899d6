# shellcheck shell=bash disable=SC2034
# Peer: the sidecar pattern's cost without the sidecar's own work.
# auth_request to an upstream with keepalive, a second server of the same
# nginx (the same worker) answering 204 to every subrequest; the bearer
# token of jwt-hs256 is sent along (and forwarded, as to a sidecar), but
# nothing checks it. Report only.

desc='peer: auth_request to a keepalive upstream answering 204, no module'
module=no

http_conf='
    include @DIR@/auth.conf;'
server_conf='
        location /bench/ {
            auth_request /_auth;
        }

        location = /_auth {
            internal;
            proxy_pass http://peer_auth;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
        }'

setup() {
    local p
    p=$(bench_free_port)
    bench_jwt_key HS256
    cat > auth.conf <<CONF
    upstream peer_auth {
        server 127.0.0.1:$p;
        keepalive 16;
    }

    server {
        listen 127.0.0.1:$p;
        location / {
            return 204;
        }
    }
CONF
}

prepare() {
    echo "Authorization: Bearer $(bench_jwt_token HS256)" > "$BENCH_DIR/headers"
}
