#!/usr/bin/env bash
# The README's demo: installs what is missing, builds the module and runs
# nginx in the foreground on http://127.0.0.1:8080 in front of a small demo
# backend. Ctrl-C stops both.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/setup.sh
module=$(scripts/build.sh)

prefix=$(mktemp -d /tmp/secauth-demo.XXXXXX)
backend_port=${SECAUTH_DEMO_BACKEND_PORT:-8081}
backend_pid=

cleanup() {
    [ -n "$backend_pid" ] && kill "$backend_pid" 2>/dev/null || true
    rm -rf "$prefix"
}
trap cleanup EXIT INT TERM

python3 scripts/demo/backend.py "$backend_port" &
backend_pid=$!

sed -e "s|@MODULE@|$module|" -e "s|@PREFIX@|$prefix|" \
    -e "s|@BACKEND@|127.0.0.1:$backend_port|" \
    scripts/demo/nginx.conf.in > "$prefix/nginx.conf"

cat <<MSG

secauth demo on http://127.0.0.1:8080/

  http://127.0.0.1:8080/public   no protection: the backend answers
  http://127.0.0.1:8080/         protected: a browser is sent to /login,
                                 curl gets 401 with WWW-Authenticate

  try:  curl -i http://127.0.0.1:8080/
        curl -i -H 'Accept: text/html' http://127.0.0.1:8080/account

Ctrl-C to stop.

MSG

nginx -p "$prefix" -c "$prefix/nginx.conf" -e stderr
