#!/usr/bin/env bash
# Install every Debian 12 package needed to build, test, benchmark and run
# the demo, and the browser used by t/e2e. Idempotent: installs nothing
# when everything is already there.
set -euo pipefail

packages=(
    # build
    build-essential nginx nginx-dev libssl-dev libjwt-dev libhiredis-dev
    libargon2-dev libjansson-dev libcrypt-dev pkg-config
    # run and test
    redis-server redis-tools perl libtest-base-perl libwww-perl
    libhttp-cookies-perl libjson-pp-perl libio-socket-ip-perl
    python3 python3-jwt libcrypt-jwt-perl libcrypt-argon2-perl openssl argon2
    curl procps whois
    apache2-utils          # htpasswd -B: legacy bcrypt files (t/login/legacy.t)
    iproute2 bc
    # bench and lint
    wrk
)

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

# Headless Chromium and playwright-core for t/e2e/browser.t
"$(dirname "$0")/../t/e2e/setup-browser.sh"
