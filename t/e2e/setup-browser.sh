#!/usr/bin/env bash
# Installs what t/e2e/browser.t needs: Debian's chromium (and node/npm when
# there is no node at all), then playwright-core at the version locked in
# t/e2e/package-lock.json, into t/e2e/node_modules. Playwright's own browser
# downloads are never used: the tests drive /usr/bin/chromium.
#
# Idempotent: installs nothing when everything is there. Called by
# scripts/setup.sh; runs as root or through sudo.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
    sudo=sudo
else
    sudo=
fi

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-browser: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
        >/dev/null
fi

# playwright-core: exactly what the lock file says, without touching it
want=$(node -e 'const l = require(process.argv[1]);
    console.log(l.packages["node_modules/playwright-core"].version)' \
    "$here/package-lock.json")
have=$(node -e 'try {
    console.log(require(process.argv[1]).version) } catch (e) {}' \
    "$here/node_modules/playwright-core/package.json")

if [ "$have" != "$want" ]; then
    echo "setup-browser: installing playwright-core $want"
    (cd "$here" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 \
        npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
