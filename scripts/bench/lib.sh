# shellcheck shell=bash
# Helpers for scenarios' setup/prepare/teardown (sourced by bench.sh). They
# run in the scenario's directory, $BENCH_DIR.

bench_password='bench password 123'

# bench_user [T LOG2_KIB]: a users-file line for user "bench"; cheap
# Argon2id (t=1, 8 MiB) unless told otherwise (3 16: the default 64 MiB)
bench_user() {
    local salt
    salt=$(head -c 16 /dev/urandom | base64 | tr -d '=\n')
    printf 'bench:%s\n' "$(printf %s "$bench_password" \
        | argon2 "$salt" -id -t "${1:-1}" -m "${2:-13}" -p 1 -e)"
}

# logs in at URL/login as "bench" (more fields, NAME=VALUE, may follow:
# otp=CODE) and prints the Cookie header to send
bench_login() {
    local cookie url=$1 field fields=()
    shift
    for field in "$@"; do
        fields+=(--data-urlencode "$field")
    done
    cookie=$(curl -s -o /dev/null -D - --max-time 10 \
        --data-urlencode "username=bench" \
        --data-urlencode "password=$bench_password" "${fields[@]}" "$url/login" \
        | tr -d '\r' | sed -n 's/^Set-Cookie: \([^;]*\);.*/\1/Ip' | head -n 1)
    [ -n "$cookie" ] || { echo "bench: login failed" >&2; return 1; }
    printf 'Cookie: %s\n' "$cookie"
}

bench_redis_start() {
    local p
    p=$(bench_free_port)
    redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize yes --pidfile "$BENCH_DIR/redis.pid" --dir "$BENCH_DIR" \
        --logfile "$BENCH_DIR/redis.log" >/dev/null
    for _ in $(seq 50); do
        redis-cli -p "$p" ping >/dev/null 2>&1 && break
        sleep 0.1
    done
    echo "secauth_redis redis://127.0.0.1:$p;" > "$BENCH_DIR/redis.conf"
}

bench_redis_stop() {
    [ -f "$BENCH_DIR/redis.pid" ] && kill "$(cat "$BENCH_DIR/redis.pid")"
}

# key.priv signs, key.pub verifies (HS*: the same secret)
bench_jwt_key() {
    case "$1" in
        HS*) head -c 64 /dev/urandom > key.priv
             cp key.priv key.pub ;;
        RS*) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                 -out key.priv 2>/dev/null
             openssl pkey -in key.priv -pubout -out key.pub ;;
        ES*) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                 -out key.priv 2>/dev/null
             openssl pkey -in key.priv -pubout -out key.pub ;;
    esac
}

# bench_jwt_token ALG [SECONDS_TO_EXP [CLAIMS_JSON]]: a token for "bench"
# (PyJWT), with the claims of a JSON object added
bench_jwt_token() {
    /usr/bin/python3 - "$1" "${2:-3600}" "${3:-{\}}" <<'PY'
import json, sys, time
import jwt
alg, ttl = sys.argv[1], int(sys.argv[2])
key = open("key.priv", "rb").read()
now = int(time.time())
claims = {"sub": "bench", "iat": now - 60 if ttl < 0 else now,
          "exp": now + ttl, "role": "reader"}
claims.update(json.loads(sys.argv[3]))
print(jwt.encode(claims, key, algorithm=alg))
PY
}

# bench_jwt_tokens ALG N: N distinct valid tokens, one per line
bench_jwt_tokens() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import sys, time
import jwt
alg, n = sys.argv[1], int(sys.argv[2])
key = jwt.algorithms.get_default_algorithms()[alg].prepare_key(
    open("key.priv", "rb").read())
now = int(time.time())
for i in range(n):
    print(jwt.encode({"sub": "bench%d" % i, "iat": now, "exp": now + 3600},
                     key, algorithm=alg))
PY
}

# bench_refuses URL [HEADER ...]: GET URL/bench/index.html without
# credentials, then with each HEADER, must answer 401 every time (the
# refusal check of a peer scenario, run once by its prepare)
bench_refuses() {
    local url=$1 h code
    shift
    for h in '' "$@"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
            ${h:+-H "$h"} "$url/bench/index.html" || true)
        if [ "$code" != 401 ]; then
            echo "bench: ${h:-no credentials}: $code, expected 401" >&2
            return 1
        fi
    done
}

# bench_jwt_tamper TOKEN: the token with the first character of its
# signature changed (a whole 6-bit group: not just padding bits)
bench_jwt_tamper() {
    local sig=${1##*.} c=A
    [ "${sig:0:1}" = A ] && c=B
    printf '%s.%s%s\n' "${1%.*}" "$c" "${sig:1}"
}
