#!/usr/bin/env bash
# The project's test command (README, CI): installs what is missing, builds
# the module, runs the lint, starts a private redis-server, runs every
# Test::Nginx suite under t/ (and the C unit tests), stops Redis.
#
#   scripts/test.sh               everything
#   scripts/test.sh t/gate.t ...  only these suites (after setup and build)
#
# Uses the CPAN Test::Nginx when installed, else the minimal runner for the
# same format in t/compat/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

scripts/setup.sh
module=$(scripts/build.sh)
scripts/lint.sh

if ! perl -MTest::Nginx::Socket -e1 2>/dev/null; then
    export PERL5LIB="$repo/t/compat/lib${PERL5LIB:+:$PERL5LIB}"
    echo "test: CPAN Test::Nginx not installed, using t/compat"
fi

export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-$(command -v nginx \
                                                || echo /usr/sbin/nginx)}
export TEST_NGINX_LOAD_MODULES=$module

free_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                     LocalPort => 0)->sockport'
}

tmp=$(mktemp -d /tmp/secauth-test.XXXXXX)
redis_pid=

cleanup() {
    if [ -n "$redis_pid" ]; then
        kill -CONT "$redis_pid" 2>/dev/null || true
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

TEST_NGINX_REDIS_PORT=$(free_port)
export TEST_NGINX_REDIS_PORT
redis-server --bind 127.0.0.1 --port "$TEST_NGINX_REDIS_PORT" \
    --save '' --appendonly no --dir "$tmp" --logfile "$tmp/redis.log" \
    --unixsocket "$tmp/redis.sock" --unixsocketperm 700 &
redis_pid=$!
export TEST_NGINX_REDIS_SOCKET=$tmp/redis.sock

for _ in $(seq 50); do
    redis-cli -p "$TEST_NGINX_REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
done
redis-cli -p "$TEST_NGINX_REDIS_PORT" ping >/dev/null

if [ -f t/unit/Makefile ]; then
    make -s -C t/unit test
fi

if [ $# -gt 0 ]; then
    prove "$@"
else
    prove -r t
fi
