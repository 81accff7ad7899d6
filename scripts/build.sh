#!/usr/bin/env bash
# Build ngx_http_secauth_module.so.
#
#   scripts/build.sh                 against the installed Debian nginx
#                                    (nginx-dev: same conf_flags, so the
#                                    module's binary signature matches)
#   scripts/build.sh --nginx-src DIR against another nginx source tree
#                                    (configured --with-compat)
#   scripts/build.sh --static DIR    nginx from DIR with the module built
#                                    in (--add-module), to prove the static
#                                    build; prints the binary's path
#
# The result is written to build/ngx_http_secauth_module.so (or
# $SECAUTH_BUILD/...), the path every other script uses. Rebuilds are
# incremental: ./configure runs again only when `config` or the flags change.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=${SECAUTH_BUILD:-$repo/build}
mode=dynamic
src=/usr/share/nginx/src

while [ $# -gt 0 ]; do
    case "$1" in
        --nginx-src) mode=dynamic-custom; src=$2; shift 2 ;;
        --static) mode=static; src=$2; shift 2 ;;
        *) echo "usage: $0 [--nginx-src DIR | --static DIR]" >&2; exit 2 ;;
    esac
done

[ -d "$src/auto" ] || { echo "build: no nginx source tree at $src" >&2; exit 1; }

cc_opt="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security"
cc_opt="$cc_opt -fPIC -D_FORTIFY_SOURCE=2 -Wall -Wextra -Werror"
ld_opt="-Wl,-z,relro -Wl,-z,now -fPIC"

flags=()
case "$mode" in
    dynamic)
        # shellcheck disable=SC1091
        . "$src/conf_flags"
        flags=("${NGX_CONF_FLAGS[@]}" "--add-dynamic-module=$repo")
        ;;
    dynamic-custom)
        flags=(--with-compat --with-threads "--add-dynamic-module=$repo")
        ;;
    static)
        flags=(--with-threads --with-http_realip_module "--add-module=$repo")
        ;;
esac

name=$(basename "$(cd "$src" && pwd)")
[ "$mode" = dynamic ] && name=debian
tree="$out/nginx-$mode-$name"
mkdir -p "$out"

if [ ! -f "$tree/auto/configure" ] && [ ! -f "$tree/configure" ]; then
    rm -rf "$tree"
    cp -a "$src" "$tree"
fi

stamp=$( (printf '%s\n' "${flags[@]}" "$cc_opt" "$ld_opt"; cat "$repo/config") \
         | sha256sum | cut -d' ' -f1)

cd "$tree"
if [ ! -f objs/Makefile ] || [ "$(cat objs/.secauth-stamp 2>/dev/null)" != "$stamp" ]; then
    configure=./configure
    [ -x "$configure" ] || configure=./auto/configure
    $configure "${flags[@]}" --with-cc-opt="$cc_opt" --with-ld-opt="$ld_opt" \
        > "$out/configure-$mode.log" 2>&1 || {
            tail -n 30 "$out/configure-$mode.log" >&2
            exit 1
        }
    echo "$stamp" > objs/.secauth-stamp
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [ "$mode" = static ]; then
    make -j"$jobs" -f objs/Makefile >/dev/null
    echo "$tree/objs/nginx"
else
    make -j"$jobs" -f objs/Makefile modules >/dev/null
    target="$out/ngx_http_secauth_module.so"
    [ "$mode" = dynamic-custom ] && target="$out/$name/ngx_http_secauth_module.so"
    mkdir -p "$(dirname "$target")"
    # install atomically: a running nginx may have the old file mapped
    cp objs/ngx_http_secauth_module.so "$target.tmp"
    mv -f "$target.tmp" "$target"
    echo "$target"
fi
