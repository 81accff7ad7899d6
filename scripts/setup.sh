#!/usr/bin/env bash
# Installs the Debian 12 packages the project needs. Idempotent: installs
# nothing when everything is already there.
#
#   scripts/setup.sh         everything: build, demo, tests, benchmarks,
#                            lint and the browser of t/e2e (scripts/test.sh)
#   scripts/setup.sh demo    only what scripts/demo.sh needs: build the
#                            module and run nginx, Redis and the demo
#                            backend (no test tools, no browser)
set -euo pipefail

what=${1:-all}

case "$what" in
    all|demo) ;;
    *) echo "usage: $0 [demo]" >&2; exit 2 ;;
esac

packages=(
    # build
    build-essential nginx nginx-dev libssl-dev libhiredis-dev
    libargon2-dev libjansson-dev libcrypt-dev pkg-config
    # run the demo: Redis, the backend, the user's hash, a demo token
    redis-server redis-tools python3 python3-jwt argon2
)

if [ "$what" = all ]; then
    packages+=(
        # test
        perl libtest-base-perl libwww-perl
        libhttp-cookies-perl libjson-pp-perl libio-socket-ip-perl
        libcrypt-jwt-perl libcrypt-argon2-perl openssl
        curl procps whois
        apache2-utils      # htpasswd -B: legacy bcrypt files (t/login/legacy.t)
        iproute2 bc
        # bench and lint
        wrk
    )
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        sudo=sudo
    else
        sudo=
    fi

    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null

    # The Debian nginx package starts a system nginx on port 80; the
    # project never needs it, and it must not hold ports the tests use.
    if command -v systemctl >/dev/null 2>&1; then
        $sudo systemctl disable --now nginx redis-server >/dev/null 2>&1 \
            || true
    fi
fi

# Headless Chromium and playwright-core for t/e2e/browser.t: tests only
if [ "$what" = all ]; then
    "$(dirname "$0")/../t/e2e/setup-browser.sh"
fi
