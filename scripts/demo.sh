#!/usr/bin/env bash
# The README's demo: installs what is missing (scripts/setup.sh demo: the
# build and run packages, not the test tools), builds the module and runs
# nginx in the foreground on http://127.0.0.1:8080 (SECAUTH_DEMO_PORT) in
# front of a small demo backend, with its own Redis. Ctrl-C stops them all.
#
# Ports (all on 127.0.0.1), from the environment:
#   SECAUTH_DEMO_PORT           nginx, the demo's address   (default 8080)
#   SECAUTH_DEMO_BACKEND_PORT   the demo backend            (default 8081)
#   SECAUTH_DEMO_REDIS_PORT     the demo's redis-server     (default 6380)
#
#   SECAUTH_DEMO_PORT=9080 scripts/demo.sh
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

port=${SECAUTH_DEMO_PORT:-8080}
backend_port=${SECAUTH_DEMO_BACKEND_PORT:-8081}
redis_port=${SECAUTH_DEMO_REDIS_PORT:-6380}

for p in "$port" "$backend_port" "$redis_port"; do
    case "$p" in
        ''|*[!0-9]*) echo "demo: not a port number: \"$p\"" >&2; exit 2 ;;
    esac
done

scripts/setup.sh demo
module=$(scripts/build.sh)

prefix=$(mktemp -d /tmp/secauth-demo.XXXXXX)
backend_pid=

cleanup() {
    [ -n "$backend_pid" ] && kill "$backend_pid" 2>/dev/null || true
    [ -f "$prefix/redis.pid" ] && kill "$(cat "$prefix/redis.pid")" 2>/dev/null
    rm -rf "$prefix"
}
trap cleanup EXIT INT TERM

python3 scripts/demo/backend.py "$backend_port" &
backend_pid=$!

redis-server --bind 127.0.0.1 --port "$redis_port" --save '' \
    --appendonly no --dir "$prefix" --daemonize yes \
    --pidfile "$prefix/redis.pid" --logfile "$prefix/redis.log"

head -c 32 /dev/urandom > "$prefix/hs256.key"
(umask 077 && head -c 32 /dev/urandom > "$prefix/secret.key")

# the demo users' password, fresh each run (the users are made in Redis,
# below: password change and reset write user records)
password=$(head -c 12 /dev/urandom | basenc --base64url)

sed -e "s|@MODULE@|$module|" -e "s|@PREFIX@|$prefix|" \
    -e "s|@PORT@|$port|" \
    -e "s|@BACKEND@|127.0.0.1:$backend_port|" \
    -e "s|@REDIS_PORT@|$redis_port|" \
    scripts/demo/nginx.conf.in > "$prefix/nginx.conf"

# A session written straight into Redis, in the documented record format
# (docs/sessions.md), until the login location creates them.
for _ in $(seq 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
done
# demo, and demo2 with TOTP on (enrolled next), at the default cost
for user in demo demo2; do
    printf '%s\n' "$password" \
        | scripts/secauth-user --redis "redis://127.0.0.1:$redis_port" add "$user" \
              >/dev/null
done
totp=$(scripts/secauth-mfa --redis "redis://127.0.0.1:$redis_port" \
    --key "$prefix/secret.key" --issuer 'secauth demo' enrol demo2 \
    | sed 's/^/      /')
sid=$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=')
now=$(date +%s)
redis-cli -p "$redis_port" SET \
    "secauth:session:$(printf %s "$sid" | sha256sum | cut -d' ' -f1)" \
    "{\"user\":\"alice\",\"created\":$now,\"last_seen\":$now}" \
    EX 1800 >/dev/null

# A bearer token for bob, signed with the demo's HS256 key.
token=$(/usr/bin/python3 - "$prefix/hs256.key" <<'PY'
import sys, time, uuid
import jwt
key = open(sys.argv[1], "rb").read()
now = int(time.time())
print(jwt.encode({"sub": "bob", "iss": "demo", "role": "admin",
                  "iat": now, "exp": now + 900, "jti": str(uuid.uuid4())},
                 key, algorithm="HS256"))
PY
)

cat <<MSG

secauth demo on http://127.0.0.1:$port/ (Redis on 127.0.0.1:$redis_port)

  In a browser, open http://127.0.0.1:$port/ : you are sent to the login
  form; sign in as

      user:      demo
      password:  $password

  and the backend greets you by name; its "Log out" button ends the
  session (and the next visit goes back to the form).

  demo2 has the same password and TOTP on: after the password, a second
  page asks for a code (add the URI below to an authenticator app, or
  use oathtool --totp -b SECRET, or a backup code); only such sessions
  reach http://127.0.0.1:$port/mfa/ (demo is sent to enrol first):

$totp

  demo turns TOTP on at http://127.0.0.1:$port/account/2fa (the
  password again, a QR code for an authenticator app, a code, then 10
  backup codes), or with curl and oathtool:
    curl -s -b jar -H 'Content-Type: application/json' \\
        -d '{"action":"begin","password":"$password"}' \\
        http://127.0.0.1:$port/account/2fa
    curl -si -b jar -c jar -H 'Content-Type: application/json' \\
        -d '{"action":"confirm","otp":"'\$(oathtool --totp -b SECRET)'"}' \\
        http://127.0.0.1:$port/account/2fa

  demo changes the password at http://127.0.0.1:$port/account/password
  (every other session and token of demo ends); a forgotten password:
  http://127.0.0.1:$port/reset answers the same for any name, and for
  demo the backend prints the link here ("backend: reset link for
  demo: ..."); 3 requests an hour per address, the 4th gets 429:
    curl -si -d 'username=demo' http://127.0.0.1:$port/reset

  http://127.0.0.1:$port/public   no protection: the backend answers
  http://127.0.0.1:$port/         protected: a browser is sent to /login,
                                 curl gets 401 with WWW-Authenticate

  the same flow with curl:
    curl -si -c jar -d 'username=demo&password=$password' \\
        http://127.0.0.1:$port/login
    curl -si -b jar http://127.0.0.1:$port/
    curl -si -b jar -X POST http://127.0.0.1:$port/logout

  no credentials:
    curl -i http://127.0.0.1:$port/
    curl -i -H 'Accept: text/html' http://127.0.0.1:$port/account

  alice's session cookie (the backend sees X-Secauth-User: alice):
    curl -i -H 'Cookie: demo-session=$sid' http://127.0.0.1:$port/

  bob's bearer token (HS256; the backend also sees his role claim):
    curl -i -H 'Authorization: Bearer $token' http://127.0.0.1:$port/

  a tampered token is refused with error="invalid_token":
    curl -i -H 'Authorization: Bearer ${token}x' http://127.0.0.1:$port/

  an API client: a JSON login answers an access and a refresh token;
  the refresh token buys a new pair once, and presented again it revokes
  them all (the new access token then gets 401 too):
    curl -s -H 'Content-Type: application/json' \
        -d '{"username":"demo","password":"$password"}' \
        http://127.0.0.1:$port/login
    curl -i -H "Authorization: Bearer \$ACCESS" http://127.0.0.1:$port/
    curl -s -d "refresh_token=\$REFRESH" http://127.0.0.1:$port/token/refresh
    curl -s -d "token=\$REFRESH" http://127.0.0.1:$port/token/revoke

  rate limits: the sixth login within a minute from one address gets 429
  with Retry-After; five wrong passwords lock the account (429 even with
  the right one) for 1s, then 2s, 4s...:
    for i in 1 2 3 4 5 6; do curl -s -o /dev/null -w '%{http_code} ' \
        -d 'username=demo&password=wrong' http://127.0.0.1:$port/login; done

Ctrl-C to stop.

MSG

nginx -p "$prefix" -c "$prefix/nginx.conf" -e stderr
