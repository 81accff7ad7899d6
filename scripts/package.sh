#!/usr/bin/env bash
# Builds the Debian package libnginx-mod-http-secauth_VERSION_ARCH.deb the
# way Debian builds its own libnginx-mod-* (debian/: dh with
# dh-sequence-nginx from nginx-dev, which configures the module against
# /usr/share/nginx/src with Debian's flags and checks that nginx -t loads
# it), from the files git knows in this tree (committed or not, ignored
# ones left out), in build/package/. Prints the .deb's path.
#
#   scripts/package.sh
#   sudo apt install ./build/package/libnginx-mod-http-secauth_*.deb
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

"$repo/scripts/setup.sh" package >&2

version=$(dpkg-parsechangelog -S Version)
out=$repo/build/package
src=$out/libnginx-mod-http-secauth-$version

rm -rf "$out"
mkdir -p "$src"

# the tree as git sees it: tracked and new files, never build/ or .git
git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
    | tar -c --null -T - -f - | tar -x -C "$src" -f -

(
    cd "$src"
    dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1
) || {
    tail -n 40 "$out/build.log" >&2
    echo "package: dpkg-buildpackage failed (the whole log: $out/build.log)" >&2
    exit 1
}

ls "$out"/libnginx-mod-http-secauth_"$version"_*.deb
