#!/usr/bin/env bash
# The project's test command (README, CI): installs what is missing, builds
# the module, runs the lint, starts a private redis-server, runs every
# Test::Nginx suite under t/ (and the C unit tests), stops Redis.
#
#   scripts/test.sh               everything, then a 20 s smoke run of each
#                                 fuzz target (scripts/fuzz.sh all 20;
#                                 SECAUTH_FUZZ_SECONDS=N, 0: none)
#   scripts/test.sh t/gate.t ...  only these suites (after setup and build)
#   scripts/test.sh --asan [...]  the same under AddressSanitizer + UBSan:
#                                 nginx and the module from
#                                 scripts/build.sh --asan; any sanitizer
#                                 report (a leak at exit included) fails
#                                 the run and is printed at the end. Slow:
#                                 not part of CI's run (docs/testing.md).
#   scripts/test.sh --valgrind [...]
#                                 the suites named (by default the gate's,
#                                 an MFA login's and a reset's) with every
#                                 nginx under valgrind's memcheck: nginx
#                                 and the module from scripts/build.sh
#                                 --valgrind; any error or definite leak
#                                 fails the run. Slower still: not in CI's
#                                 run (docs/testing.md).
#   scripts/test.sh --check-leak [...]
#                                 the gate paths' suites (or those named)
#                                 in Test::Nginx's leak-check mode
#                                 (TEST_NGINX_CHECK_LEAK=1): each block's
#                                 request for 3 s, the worker's RSS must
#                                 stay flat. ~16 min: not in CI's run.
#
# Uses the CPAN Test::Nginx when installed, else the minimal runner for the
# same format in t/compat/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

asan=
if [ "${1:-}" = --asan ]; then
    asan=1
    shift
fi

valgrind=
if [ "${1:-}" = --valgrind ]; then
    valgrind=1
    shift
    # (the suites that pass at valgrind's speed: docs/testing.md)
    [ $# -gt 0 ] || set -- t/gate.t t/session.t t/session-shm.t \
        t/mfa/login.t t/password/reset.t
fi

if [ "${1:-}" = --check-leak ]; then
    shift
    export TEST_NGINX_CHECK_LEAK=1
    # the suites of the gate's paths: no credentials, sessions on Redis
    # and on the zone, bearer tokens
    [ $# -gt 0 ] || set -- t/gate.t t/session.t t/session-shm.t t/jwt.t
fi

scripts/setup.sh
if [ -n "$asan" ]; then
    built=$(scripts/build.sh --asan)
    asan_nginx=$(sed -n 1p <<< "$built")
    module=$(sed -n 2p <<< "$built")
elif [ -n "$valgrind" ]; then
    built=$(scripts/build.sh --valgrind)
    vg_nginx=$(sed -n 1p <<< "$built")
    module=$(sed -n 2p <<< "$built")
else
    module=$(scripts/build.sh)
fi
scripts/lint.sh

if ! perl -MTest::Nginx::Socket -e1 2>/dev/null; then
    export PERL5LIB="$repo/t/compat/lib${PERL5LIB:+:$PERL5LIB}"
    echo "test: CPAN Test::Nginx not installed, using t/compat"
fi

export TEST_NGINX_BINARY=${TEST_NGINX_BINARY:-$(command -v nginx \
                                                || echo /usr/sbin/nginx)}
export TEST_NGINX_LOAD_MODULES=$module

# --asan: every nginx of the suites (Test::Nginx's, t/lib/NginxInstance's)
# is the sanitized one. Reports go to files, one per process, in a
# directory emptied now and inspected at the end: a worker's or an
# nginx -t's stderr is not where a test would see them. Leaks are checked
# at every process's exit. SECAUTH_ASAN=1 is there for a suite to relax
# what only ASan's slowness would fail (none needs it yet: docs/testing.md).
if [ -n "$asan" ]; then
    export TEST_NGINX_BINARY=$asan_nginx
    reports=$(dirname "$asan_nginx")/reports
    rm -rf "$reports"
    mkdir -p "$reports"
    # detect_odr_violation=0: nginx's module ABI defines ngx_modules and
    # ngx_module_names in the binary and again in every dynamic module
    # (looked up with dlsym), which ASan would report as an ODR violation
    export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:halt_on_error=1"
    ASAN_OPTIONS+=":detect_odr_violation=0:log_path=$reports/report"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
    UBSAN_OPTIONS+=":suppressions=$repo/t/asan/ubsan.supp"
    UBSAN_OPTIONS+=":log_path=$reports/report"
    export LSAN_OPTIONS="suppressions=$repo/t/asan/lsan.supp"
    LSAN_OPTIONS+=":print_suppressions=0"
    export SECAUTH_ASAN=1
    echo "test: ASan/UBSan: $TEST_NGINX_BINARY, reports in $reports"
fi

# --valgrind: every nginx of the suites runs under memcheck through a
# wrapper (the suites only know TEST_NGINX_BINARY); each process (master,
# workers, nginx -t) writes its report to a file of its own, empty when
# it found nothing (--quiet), inspected at the end
if [ -n "$valgrind" ]; then
    reports=$(dirname "$vg_nginx")/reports
    rm -rf "$reports"
    mkdir -p "$reports"
    wrapper=$(dirname "$vg_nginx")/nginx-memcheck
    cat > "$wrapper.tmp" <<EOF
#!/bin/sh
exec valgrind --quiet --tool=memcheck --fair-sched=yes --num-callers=40 \\
    --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect \\
    --suppressions=$repo/t/valgrind/nginx.supp --gen-suppressions=all \\
    --log-file=$reports/report.%p "$vg_nginx" "\$@"
EOF
    chmod +x "$wrapper.tmp"
    mv -f "$wrapper.tmp" "$wrapper"
    export TEST_NGINX_BINARY=$wrapper
    export SECAUTH_VALGRIND=1
    echo "test: valgrind: $vg_nginx, reports in $reports"
fi

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

status=0
if [ $# -gt 0 ]; then
    prove "$@" || status=$?
else
    prove -r t || status=$?

    # the full run only: a smoke run of every fuzz target of t/fuzz
    # (SECAUTH_FUZZ_SECONDS each, 20 by default, one per CPU at a time:
    # about 2.5 minutes with the build on 2 CPUs; 0 skips it), which fails
    # the run on a finding
    fuzz_seconds=${SECAUTH_FUZZ_SECONDS:-20}
    if [ "$fuzz_seconds" -gt 0 ]; then
        echo "test: fuzz smoke run, ${fuzz_seconds}s per target"
        scripts/fuzz.sh all "$fuzz_seconds" || status=1
    fi
fi

# true when a report holds nothing but the pool that nginx's main()
# creates for its init cycle and does not free when it returns: a
# refused configuration (the suites' must_die blocks), nginx -t. LSan
# cannot say "called from main" (a suppression of ngx_create_pool would
# hide every leaked pool, with its contents), so such reports are set
# aside here, by their exact stack.
init_pool_only() {
    perl -0ne '
        $n = () = /ERROR: /g;
        $l = () = /leak of/g;
        exit !($n == 1 && $l == 1 && /ERROR: LeakSanitizer/
               && /leak\ of\ \d+\ byte\(s\)\ in\ 1\ object\(s\)\ allocated\ from:\n
                   \s+\#0\ \S+\ in\ __interceptor_posix_memalign\ .*\n
                   \s+\#1\ \S+\ in\ ngx_memalign\ src\/os\/unix\/ngx_alloc\.c:\d+\n
                   \s+\#2\ \S+\ in\ ngx_create_pool\ src\/core\/ngx_palloc\.c:\d+\n
                   \s+\#3\ \S+\ in\ main\ src\/core\/nginx\.c:\d+\n
                   (?:\s+\#\d+\ \S+\ in\ (?:__libc_start|_start).*\n)*\n/x)
    ' "$1"
}

if [ -n "$asan" ]; then
    shopt -s nullglob
    found=()
    set_aside=0
    for f in "$reports"/report.*; do
        if init_pool_only "$f"; then
            set_aside=$((set_aside + 1))
        else
            found+=("$f")
        fi
    done
    [ "$set_aside" -eq 0 ] || echo "test: $set_aside report(s) of nginx's" \
        "init cycle pool only (a refused configuration), not findings"
    if [ ${#found[@]} -gt 0 ]; then
        for f in "${found[@]}"; do
            echo "=== $f"
            head -n 80 "$f"
            lines=$(wc -l < "$f")
            [ "$lines" -le 80 ] || echo "... ($lines lines in all)"
        done
        echo "test: ${#found[@]} sanitizer report(s) in $reports" >&2
        [ "$status" -ne 0 ] || status=1
    else
        echo "test: no sanitizer reports"
    fi
fi

if [ -n "$valgrind" ]; then
    shopt -s nullglob
    found=()
    for f in "$reports"/report.*; do
        [ -s "$f" ] && found+=("$f")
    done
    if [ ${#found[@]} -gt 0 ]; then
        for f in "${found[@]}"; do
            echo "=== $f"
            head -n 80 "$f"
        done
        echo "test: ${#found[@]} valgrind report(s) in $reports" >&2
        [ "$status" -ne 0 ] || status=1
    else
        echo "test: no valgrind reports"
    fi
fi

exit "$status"
