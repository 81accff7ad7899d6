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
#   scripts/build.sh --asan          AddressSanitizer + UBSan: nginx from
#                                    Debian's full nginx source (the
#                                    orig tarball of the installed
#                                    version, via apt-get source) and the
#                                    module, both with the same sanitizer
#                                    flags; prints the binary's path, then
#                                    the module's (scripts/test.sh --asan)
#   scripts/build.sh --valgrind      the same nginx and module without
#                                    sanitizers, -O1 -g, pools as single
#                                    mallocs (NGX_DEBUG_PALLOC), for
#                                    scripts/test.sh --valgrind
#
# The result is written to build/ngx_http_secauth_module.so (or
# $SECAUTH_BUILD/...), the path every other script uses, with
# build/secauth-policy beside it (the admin tool's policy check); --asan writes
# build/asan/nginx and build/asan/ngx_http_secauth_module.so, --valgrind the
# same under build/valgrind/. Rebuilds are
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
        --asan) mode=asan; shift ;;
        --valgrind) mode=valgrind; shift ;;
        *) echo "usage: $0 [--nginx-src DIR | --static DIR | --asan" \
                "| --valgrind]" >&2
           exit 2 ;;
    esac
done

# instrumented: nginx built here too, so that a checker sees inside it
instrumented=
case "$mode" in asan|valgrind) instrumented=1 ;; esac

# --asan, --valgrind: Debian's nginx source, never patched and never kept in the
# repository: apt-get source (deb-src entries from scripts/setup.sh asan)
# into a cache under build/, the upstream tarball unpacked as the tree.
# Debian's patches are not applied: the suites need none of them, and the
# binary only has to run the suites, not replace the packaged one.
if [ -n "$instrumented" ]; then
    "$repo/scripts/setup.sh" "$mode" >&2

    version=$(dpkg-query -W -f='${Version}' nginx-dev)
    upstream=${version#*:}
    upstream=${upstream%-*}
    cache=$out/debian-src
    tarball=$cache/nginx_$upstream.orig.tar.gz
    mkdir -p "$cache"

    # the installed version first; any Debian revision of the same
    # upstream version has the same orig tarball (a mirror may lack the
    # newest .dsc). apt checks every file against the signed index.
    if [ ! -f "$tarball" ]; then
        for v in "$version" $(apt-cache showsrc nginx \
                | sed -n "s/^Version: \($upstream-.*\)/\1/p"); do
            (cd "$cache" && apt-get source --download-only -qq "nginx=$v") \
                >&2 2>"$cache/apt-get.log" && [ -f "$tarball" ] && break
            rm -f "$tarball"
        done
        [ -f "$tarball" ] || {
            cat "$cache/apt-get.log" >&2
            echo "build: apt-get source nginx=$version failed" >&2
            exit 1
        }
    fi

    src=$out/$mode/nginx-$upstream
    if [ ! -f "$src/auto/configure" ] && [ ! -f "$src/configure" ]; then
        rm -rf "$src"
        mkdir -p "$out/$mode"
        tar -xzf "$tarball" -C "$out/$mode"
    fi
fi

[ -d "$src/auto" ] || { echo "build: no nginx source tree at $src" >&2; exit 1; }

cc_opt="-g -O2 -fstack-protector-strong -Wformat -Werror=format-security"
cc_opt="$cc_opt -fPIC -D_FORTIFY_SOURCE=2 -Wall -Wextra -Werror"
ld_opt="-Wl,-z,relro -Wl,-z,now -fPIC"

if [ "$mode" = asan ]; then
    # nginx and the module alike (--add-dynamic-module takes the same
    # CFLAGS). No _FORTIFY_SOURCE: it hides accesses from ASan.
    # NGX_DEBUG_PALLOC makes every pool allocation a malloc of its own, so
    # that ASan sees overflows and use after free inside pools too.
    # Linked in too, the sanitizers' helpers of t/asan/*.c (test tooling,
    # never in the normal build): UBSan's reports where UBSAN_OPTIONS'
    # log_path says, modules kept mapped so that leak stacks name them.
    san="-fsanitize=address,undefined -fno-omit-frame-pointer"
    cc_opt="$san -g -O1 -DNGX_DEBUG_PALLOC=1 -fPIC -Wall -Wextra -Werror"
    helpers=
    for c in "$repo"/t/asan/*.c; do
        o=$out/asan/$(basename "$c" .c).o
        # shellcheck disable=SC2086
        ${CC:-cc} $cc_opt -c "$c" -o "$o.tmp"
        mv -f "$o.tmp" "$o"
        helpers="$helpers $o"
    done
    # libcrypt in the binary itself: ASan intercepts crypt_r and looks up
    # the real one once, at startup; found only in a library loaded by
    # then, not in the module's, so that the module's crypt_r (and, since
    # configure finds crypt() in libasan, nginx's own) would call NULL
    ld_opt="$san$helpers -Wl,--push-state,--no-as-needed -lcrypt"
    ld_opt="$ld_opt -Wl,--pop-state -Wl,-z,relro -Wl,-z,now -fPIC"
elif [ "$mode" = valgrind ]; then
    # what memcheck needs: every pool allocation a malloc of its own
    # (NGX_DEBUG_PALLOC, as for ASan), frames and lines (-O1 -g), and the
    # module kept mapped at exit (t/asan/keep-modules.c) so that a leak's
    # stack names its functions
    cc_opt="-g -O1 -DNGX_DEBUG_PALLOC=1 -fPIC -Wall -Wextra -Werror"
    o=$out/valgrind/keep-modules.o
    ${CC:-cc} $cc_opt -c "$repo/t/asan/keep-modules.c" -o "$o.tmp"
    mv -f "$o.tmp" "$o"
    ld_opt="$o -ldl -Wl,-z,relro -Wl,-z,now -fPIC"
fi

flags=()
case "$mode" in
    dynamic)
        # shellcheck disable=SC1091
        . "$src/conf_flags"
        flags=("${NGX_CONF_FLAGS[@]}" "--add-dynamic-module=$repo")
        ;;
    asan|valgrind)
        # Debian's own flags (nginx-dev), so that the binary has the
        # installed nginx's modules and paths; every one of them builds
        # here with libpcre2-dev and zlib1g-dev
        # shellcheck disable=SC1091
        . /usr/share/nginx/src/conf_flags
        flags=("${NGX_CONF_FLAGS[@]}" "--add-dynamic-module=$repo")
        ;;
    dynamic-custom)
        flags=(--with-compat --with-threads "--add-dynamic-module=$repo")
        ;;
    static)
        flags=(--with-threads --with-http_realip_module "--add-module=$repo")
        ;;
esac

# build/secauth-policy (tools/secauth-policy.c): the password policy of
# the module's core for scripts/secauth-user, which runs it with the
# password on a pipe (docs/passwords.md); rebuilt when a source changed
policy_tool() {
    local tool=$out/secauth-policy core=$repo/ngx_http_secauth_module/core
    local srcs=("$repo/tools/secauth-policy.c"
                "$core/ngx_http_secauth_policy.c"
                "$core/ngx_http_secauth_userfile.c")
    local f stale=
    for f in "${srcs[@]}" "$core/ngx_http_secauth_policy.h" \
             "$core/ngx_http_secauth_userfile.h"; do
        [ "$tool" -nt "$f" ] || stale=1
    done
    [ -n "$stale" ] || return 0
    mkdir -p "$out"
    # shellcheck disable=SC2086
    ${CC:-cc} -g -O2 -Wall -Wextra -Werror -fstack-protector-strong \
        -D_FORTIFY_SOURCE=2 -I"$core" -o "$tool.tmp" "${srcs[@]}" \
        -lzxcvbn -lunistring
    mv -f "$tool.tmp" "$tool"
}

[ -n "$instrumented" ] || policy_tool

name=$(basename "$(cd "$src" && pwd)")
[ "$mode" = dynamic ] && name=debian
tree="$out/nginx-$mode-$name"
[ -n "$instrumented" ] && tree=$src
mkdir -p "$out"

if [ ! -f "$tree/auto/configure" ] && [ ! -f "$tree/configure" ]; then
    rm -rf "$tree"
    cp -a "$src" "$tree"
fi

stamp=$( (printf '%s\n' "${flags[@]}" "$cc_opt" "$ld_opt"; cat "$repo/config"
          [ -z "$instrumented" ] || cat "$repo"/t/asan/*.c) \
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
elif [ -n "$instrumented" ]; then
    make -j"$jobs" -f objs/Makefile >/dev/null
    for f in nginx ngx_http_secauth_module.so; do
        cp "objs/$f" "$out/$mode/$f.tmp"
        mv -f "$out/$mode/$f.tmp" "$out/$mode/$f"
        echo "$out/$mode/$f"
    done
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
