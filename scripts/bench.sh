#!/usr/bin/env bash
# Throughput benchmark: wrk on loopback against ONE nginx worker, always
# reported as a ratio against a plain-nginx baseline measured in the same run.
#
#   scripts/bench.sh [options] [scenario ...]   run scenarios (default: all
#                                               but the peer-* ones)
#   scripts/bench.sh --list                     list the scenarios
#
# Options:
#   --rounds N        measured rounds (default 5)
#   --duration SECS   length of one wrk run (default 5)
#   --connections C   wrk connections (default 64)
#   --threads T       wrk threads (default 1: wrk gets one CPU of its own)
#   --warmup SECS     unmeasured warmup run per instance (default 2)
#   --retries N       repeat a disturbed run up to N times (default 3)
#   --no-check        only report: no PASS/FAIL, exit 0
#   --paired          measure each scenario at the same time as its
#                     reference, both nginx sharing one CPU: the ratio of
#                     their rps is the ratio of their costs per request,
#                     whatever the host takes (see scripts/bench/README.md)
#   --peers           also run our comparable scenarios (jwt-hs256,
#                     session-redis, limit-shm, limit-redis) and the peers
#                     (peer-*, limit-req: Debian's njs, Lua and nginx's own
#                     auth_request and limit_req, without the module), and
#                     end with one markdown table of them
#
# Environment: NGINX (default /usr/sbin/nginx), SECAUTH_MODULE (the .so;
# default build/ngx_http_secauth_module.so, or under $SECAUTH_BUILD).
#
# Every scenario gets its own nginx instance (1 worker, own temp prefix, own
# free port). The baseline is the same binary and the same config WITHOUT
# load_module; a scenario that sends headers is compared with a twin of the
# baseline sent the same headers (scripts/bench/README.md). Each round runs the baseline and every scenario, in an order
# rotated per round, so drift hits all of them alike; the ratio of a round
# is scenario rps / baseline rps of that round. With 2+ CPUs nginx is pinned to one CPU and wrk to another.
#
# Scenarios are files scripts/bench/scenarios/NAME.sh; see
# scripts/bench/README.md for the format. A scenario with min_ratio fails
# when its median ratio is below it; any scenario fails when a response has
# another status than it expects, or on socket errors. Exit status: 0 all
# passed, 1 a scenario failed, 2 usage or setup error.
set -euo pipefail
umask 022

repo=$(cd "$(dirname "$0")/.." && pwd)
bench_dir=$repo/scripts/bench
scen_dir=$bench_dir/scenarios
nginx_bin=${NGINX:-/usr/sbin/nginx}
build_dir=${SECAUTH_BUILD:-$repo/build}
module_so=${SECAUTH_MODULE:-$build_dir/ngx_http_secauth_module.so}

rounds=5
duration=5
connections=64
threads=1
warmup=2
retries=3
check=1
paired=0
peers=0
list=0
selected=()

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit "${1:-2}"
}

die() {
    echo "bench: $*" >&2
    exit 2
}

need_int() {
    [[ $2 =~ ^[1-9][0-9]*$ ]] || die "$1 needs a positive integer, got '$2'"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) need_int "$1" "${2:-}"; rounds=$2; shift 2 ;;
        --duration) need_int "$1" "${2:-}"; duration=$2; shift 2 ;;
        --connections) need_int "$1" "${2:-}"; connections=$2; shift 2 ;;
        --threads) need_int "$1" "${2:-}"; threads=$2; shift 2 ;;
        --warmup)
            [[ ${2:-} =~ ^[0-9]+$ ]] || die "--warmup needs an integer"
            warmup=$2; shift 2 ;;
        --retries)
            [[ ${2:-} =~ ^[0-9]+$ ]] || die "--retries needs an integer"
            retries=$2; shift 2 ;;
        --no-check) check=0; shift ;;
        --paired) paired=1; shift ;;
        --peers) peers=1; shift ;;
        --list) list=1; shift ;;
        -h|--help) usage 0 ;;
        -*) echo "bench: unknown option $1" >&2; usage >&2 ;;
        *) selected+=("$1"); shift ;;
    esac
done

# --- scenarios -------------------------------------------------------------

# the implicit baseline: no load_module, the same static file
baseline_scenario() {
    desc='plain nginx, module not loaded (the reference)'
    module=no
    server_conf='
        location /bench/ {
        }'
}

reset_scenario() {
    desc=
    min_ratio=
    expect_status=200
    module=yes
    main_conf=
    http_conf=
    server_conf=
    path=/bench/index.html
    wrk_headers=()
    wrk_script=
    wrk_connections=
    wrk_args=()
    cpu_floor=95
    unset -f setup prepare teardown load_start load_stop
}

load_scenario() {
    reset_scenario
    if [ "$1" = baseline ] || [[ $1 = *+plain ]]; then
        baseline_scenario
    else
        [ -f "$scen_dir/$1.sh" ] || die "no scenario '$1' (try --list)"
        # shellcheck source=/dev/null
        . "$scen_dir/$1.sh"
    fi
}

all_scenarios() {
    local f
    for f in "$scen_dir"/*.sh; do
        [ -f "$f" ] || continue
        f=${f##*/}
        echo "${f%.sh}"
    done
}

if [ "$list" = 1 ]; then
    printf '%-12s %-9s %-7s %s\n' SCENARIO MIN_RATIO EXPECT DESCRIPTION
    for name in baseline $(all_scenarios); do
        (
            load_scenario "$name"
            printf '%-12s %-9s %-7s %s\n' "$name" "${min_ratio:--}" \
                "$expect_status" "$desc"
        )
    done
    exit 0
fi

# --peers: each of ours beside the peers that do the same job, in the
# order of the final table
peer_table=()
if [ "$peers" = 1 ]; then
    for name in jwt-hs256 peer-njs-hs256 peer-lua-hs256 peer-auth-request \
            session-redis peer-lua-redis-session limit-shm limit-req \
            limit-redis $(all_scenarios | grep '^peer-' || true); do
        [ -f "$scen_dir/$name.sh" ] || continue
        [[ " ${peer_table[*]} " = *" $name "* ]] || peer_table+=("$name")
    done
    selected+=("${peer_table[@]}")
elif [ ${#selected[@]} -eq 0 ]; then
    # the default: ours; the peers (Debian's njs and Lua modules) only
    # with --peers or by name
    mapfile -t selected < <(all_scenarios | grep -v '^peer-')
fi
for name in "${selected[@]}"; do
    if [[ $name = peer-* ]]; then
        for so in ngx_http_js_module.so ndk_http_module.so \
                ngx_http_lua_module.so; do
            [ -f "/usr/lib/nginx/modules/$so" ] \
                || die "$name needs Debian's $so: scripts/setup.sh"
        done
        break
    fi
done
names=(baseline)
for name in "${selected[@]}"; do
    [ "$name" = baseline ] && continue
    [[ $name =~ ^[A-Za-z0-9_-]+$ ]] || die "bad scenario name '$name'"
    [ -f "$scen_dir/$name.sh" ] || die "no scenario '$name' (try --list)"
    [[ " ${names[*]} " = *" $name "* ]] || names+=("$name")
done

# --- environment -----------------------------------------------------------

for tool in wrk curl; do
    command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x "$nginx_bin" ] || die "no nginx binary at $nginx_bin"

if [ ! -f "$module_so" ]; then
    echo "bench: $module_so is missing, building it" >&2
    module_so=$("$repo/scripts/build.sh" | tail -n 1)
fi
module_so=$(cd "$(dirname "$module_so")" && pwd)/${module_so##*/}

# the CPUs this script may use, e.g. "0-1,4" -> 0 1 4
cpus=$(awk '/^Cpus_allowed_list/ {
        n = split($2, r, ",")
        for (i = 1; i <= n; i++) {
            if (split(r[i], b, "-") == 2)
                for (c = b[1]; c <= b[2]; c++) printf "%d ", c
            else
                printf "%d ", r[i]
        }
    }' /proc/self/status 2>/dev/null || true)
read -r -a cpu_list <<< "$cpus"

pin_nginx=()
pin_wrk=()
if [ ${#cpu_list[@]} -ge 2 ] && command -v taskset >/dev/null; then
    pin_nginx=(taskset -c "${cpu_list[0]}")
    pin_wrk=(taskset -c "${cpu_list[1]}")
    pinning="nginx on CPU ${cpu_list[0]}, wrk on CPU ${cpu_list[1]} (taskset)"
else
    pinning="none (fewer than 2 CPUs or no taskset): nginx and wrk share"
fi

clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)

# --- instances and cleanup -------------------------------------------------

tmp=$(mktemp -d "${TMPDIR:-/tmp}/secauth-bench.XXXXXX")
chmod 755 "$tmp"    # the worker may run as nobody
cd "$tmp"

declare -A port=() master=() worker=() setup_ran=()
wrk_pid=

# shellcheck disable=SC2317  # invoked by the trap
cleanup() {
    local name pid
    trap - EXIT INT TERM
    set +e
    if [ -n "$wrk_pid" ]; then
        kill "$wrk_pid" 2>/dev/null
        wait "$wrk_pid" 2>/dev/null
    fi
    for name in "${!master[@]}"; do
        pid=${master[$name]}
        kill -TERM "$pid" 2>/dev/null || continue
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for name in "${!worker[@]}"; do
        kill -KILL "${worker[$name]}" 2>/dev/null
    done
    for name in "${!setup_ran[@]}"; do
        (
            load_scenario "$name"
            if declare -F teardown >/dev/null; then
                cd "$tmp/$name" && BENCH_DIR=$tmp/$name \
                    BENCH_ROOT=$tmp/html teardown
            fi
        ) || echo "bench: teardown of $name failed" >&2
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# prints a free loopback TCP port below the ephemeral range (nobody listens
# on it; the instances start one after the other and listen before the next
# one picks, and a port taken meanwhile makes start_instance try another)
bench_free_port() {
    local p
    for _ in $(seq 200); do
        p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    echo "bench: no free port found" >&2
    return 1
}

# the static content: a 100-byte page
mkdir -p "$tmp/html/bench"
printf '%-99s\n' '<html><body><p>secauth benchmark</p></body></html>' \
    > "$tmp/html/bench/index.html"
cp "$tmp/html/bench/index.html" "$tmp/html/index.html"

# shellcheck source=bench/lib.sh
. "$bench_dir/lib.sh"

subst() {
    local s=$1 dir=$2
    s=${s//@DIR@/$dir}
    s=${s//@ROOT@/$tmp/html}
    s=${s//@REPO@/$repo}
    s=${s//@CPUS@/$(nproc)}
    printf '%s\n' "$s"
}

write_conf() {
    local name=$1 dir=$tmp/$1
    {
        echo "# secauth bench: $name"
        echo "worker_processes 1;"
        echo "daemon off;"
        echo "master_process on;"
        echo "pid $dir/nginx.pid;"
        echo "error_log $dir/error.log warn;"
        if [ "$module" = yes ]; then
            echo "load_module $module_so;"
        fi
        [ -n "$main_conf" ] && subst "$main_conf" "$dir"
        echo
        echo "events {"
        echo "    worker_connections 4096;"
        echo "}"
        echo
        echo "http {"
        echo "    access_log off;"
        echo "    open_file_cache off;"
        echo "    sendfile on;"
        echo "    keepalive_timeout 65;"
        echo "    keepalive_requests 10000000;"
        echo "    types { text/html html; }"
        echo "    default_type application/octet-stream;"
        local t
        for t in client_body proxy fastcgi uwsgi scgi; do
            echo "    ${t}_temp_path $dir/tmp/$t;"
        done
        [ -n "$http_conf" ] && subst "$http_conf" "$dir"
        echo
        echo "    server {"
        echo "        listen 127.0.0.1:${port[$name]};"
        echo "        root $tmp/html;"
        subst "$server_conf" "$dir"
        echo "    }"
        echo "}"
    } > "$dir/nginx.conf"
}

show_log() {
    echo "--- $1 ---" >&2
    tail -n 20 "$1" >&2 2>/dev/null || true
}

# starts the nginx of one scenario (loaded), retrying on a taken port
start_instance() {
    local name=$1 dir=$tmp/$1 pid c
    mkdir -p "$dir/tmp"
    for _ in 1 2 3 4 5; do
        port[$name]=$(bench_free_port) || exit 2
        write_conf "$name"
        if ! "$nginx_bin" -t -q -p "$dir/" -c "$dir/nginx.conf" \
                -e "$dir/error.log" >"$dir/test.log" 2>&1; then
            show_log "$dir/test.log"
            die "nginx config of $name is invalid ($dir/nginx.conf)"
        fi
        : > "$dir/error.log"
        "${pin_nginx[@]}" "$nginx_bin" -p "$dir/" -c "$dir/nginx.conf" \
            -e "$dir/error.log" >"$dir/stderr.log" 2>&1 &
        pid=$!
        master[$name]=$pid
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            if curl -s -o /dev/null --max-time 2 \
                    "http://127.0.0.1:${port[$name]}/"; then
                for c in $(pgrep -P "$pid" || true); do
                    if tr '\0' ' ' < "/proc/$c/cmdline" 2>/dev/null \
                            | grep -q 'worker process'; then
                        worker[$name]=$c
                        return 0
                    fi
                done
            fi
            sleep 0.1
        done
        wait "$pid" 2>/dev/null || true
        unset "master[$name]"
        if grep -q 'Address already in use' "$dir/error.log" \
                "$dir/stderr.log" 2>/dev/null; then
            continue
        fi
        show_log "$dir/error.log"
        die "nginx of $name did not start"
    done
    die "nginx of $name: no usable port after 5 tries"
}

# wrk_headers, plus those a scenario's prepare() wrote at run time
scenario_headers() {
    local name=$1 h
    for h in "${wrk_headers[@]}"; do
        printf '%s\n' "$h"
    done
    if [ -f "$tmp/$name/headers" ]; then
        cat "$tmp/$name/headers"
    fi
}

curl_status() {
    local name=$1 args=() h
    while IFS= read -r h; do
        args+=(-H "$h")
    done < <(scenario_headers "$name")
    curl -s -o /dev/null -w '%{http_code}' --max-time 5 "${args[@]}" \
        "http://127.0.0.1:${port[$name]}$path" || true
}

# user + system seconds in a file written by "times" (the last line: the
# reaped children of this shell; times must run in it, not in a $(...))
children_cpu() {
    awk 'END {
        s = 0
        for (i = 1; i <= NF; i++) {
            split($i, t, "m")
            s += t[1] * 60 + t[2]
        }
        printf "%.3f", s }' "$1"
}

cpu_ticks() {
    # utime + stime of a process, in clock ticks
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
    stat=${stat##*) }
    awk '{ print $12 + $13 }' <<< "$stat"
}

# wrk_start NAME SECS: starts one wrk run against NAME in the background
declare -A wrk_pids=() wrk_t0=() wrk_c0=()
wrk_start() {
    local name=$1 secs=$2 out=$tmp/$1/wrk.out args h
    load_scenario "$name"
    args=(-t "$threads" -c "${wrk_connections:-$connections}" -d "${secs}s"
          --latency)
    while IFS= read -r h; do
        args+=(-H "$h")
    done < <(scenario_headers "$name")
    if [ -n "$wrk_script" ]; then
        args+=(-s "$bench_dir/$wrk_script")
    fi
    args+=("${wrk_args[@]}")
    if declare -F load_start >/dev/null; then
        (
            cd "$tmp/$name"
            BENCH_DIR=$tmp/$name BENCH_LIB=$bench_dir \
                BENCH_URL=http://127.0.0.1:${port[$name]} load_start
        )
    fi
    wrk_c0[$name]=$(cpu_ticks "${worker[$name]}")
    wrk_t0[$name]=$EPOCHREALTIME
    BENCH_DIR=$tmp/$name "${pin_wrk[@]}" wrk "${args[@]}" \
        "http://127.0.0.1:${port[$name]}$path" >"$out" 2>&1 &
    wrk_pids[$name]=$!
    wrk_pid=$!
}

# wrk_finish NAME: waits for it; sets r_rps r_req r_non2xx r_sockerr
# r_latmax and r_cpu (CPU use of the nginx worker, percent of the run)
wrk_finish() {
    local name=$1 out=$tmp/$1/wrk.out t1 c1 rc
    rc=0
    wait "${wrk_pids[$name]}" || rc=$?
    wrk_pid=
    t1=$EPOCHREALTIME
    c1=$(cpu_ticks "${worker[$name]}")
    load_scenario "$name"
    if declare -F load_stop >/dev/null; then
        ( cd "$tmp/$name" && BENCH_DIR=$tmp/$name load_stop )
    fi
    if ! kill -0 "${worker[$name]}" 2>/dev/null; then
        show_log "$tmp/$name/error.log"
        die "the nginx worker of $name died during the run (crash?)"
    fi
    if [ "$rc" -ne 0 ]; then
        show_log "$out"
        die "wrk failed for $name (exit $rc)"
    fi
    r_rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    # the slowest answer of the run, in ms (wrk prints us, ms or s)
    r_latmax=$(awk '$1 == "Latency" && NF >= 4 { v = $4
        if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
        printf "%.2f", v; exit }' "$out")
    r_req=$(awk '/ requests in / { print $1 }' "$out")
    r_non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
    r_sockerr=$(awk -F'[ ,]+' '/Socket errors:/ {
        print $5 + $7 + $9 + $11 }' "$out")
    r_non2xx=${r_non2xx:-0}
    r_sockerr=${r_sockerr:-0}
    if [ -z "$r_rps" ] || [ "${r_req:-0}" = 0 ]; then
        show_log "$out"
        die "wrk made no requests for $name"
    fi
    r_cpu=$(awk -v a="${wrk_c0[$name]}" -v b="$c1" -v t0="${wrk_t0[$name]}" \
        -v t1="$t1" -v hz="$clk_tck" 'BEGIN {
            printf "%.0f", (b - a) / hz / (t1 - t0) * 100 }')
}

# one wrk run; sets r_rps r_req r_non2xx r_sockerr, r_cpu and r_wcpu (CPU
# use of the nginx worker and of wrk, percent of the run's wall time)
run_wrk() {
    local name=$1 secs=$2 t0 t1 w0 w1
    times > "$tmp/times0"
    t0=$EPOCHREALTIME
    wrk_start "$name" "$secs"
    wrk_finish "$name"
    t1=$EPOCHREALTIME
    times > "$tmp/times1"
    w0=$(children_cpu "$tmp/times0")
    w1=$(children_cpu "$tmp/times1")
    r_wcpu=$(awk -v a="$w0" -v b="$w1" -v t0="$t0" -v t1="$t1" 'BEGIN {
            printf "%.0f", (b - a) / (t1 - t0) * 100 }')
}


stats() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        print v[1], m, v[NR] }'
}

is_success() {
    [[ $1 =~ ^[23][0-9][0-9]$ ]]
}

# --- run -------------------------------------------------------------------

echo "secauth bench: $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //')"
echo "  module:      $module_so"
echo "  pinning:     $pinning"
echo "  wrk:         $threads thread(s), $connections connections," \
    "${duration}s per run, $rounds rounds, ${warmup}s warmup"
echo "  scenarios:   ${names[*]}"
echo "  (meaningful only on an otherwise idle machine; a run whose nginx"
echo "  worker gets less CPU than the scenario's cpu_floor is redone)"
echo

for name in "${names[@]}"; do
    load_scenario "$name"
    mkdir -p "$tmp/$name"
    if declare -F setup >/dev/null; then
        setup_ran[$name]=1
        (
            cd "$tmp/$name"
            BENCH_DIR=$tmp/$name BENCH_ROOT=$tmp/html setup
        ) || die "setup of $name failed"
    fi
    start_instance "$name"
    if declare -F prepare >/dev/null; then
        (
            cd "$tmp/$name"
            BENCH_DIR=$tmp/$name BENCH_ROOT=$tmp/html BENCH_LIB=$bench_dir \
                BENCH_URL=http://127.0.0.1:${port[$name]} prepare
        ) || die "prepare of $name failed"
    fi
    if [ -z "$wrk_script" ]; then
        status=$(curl_status "$name")
        if [ "$status" != "$expect_status" ]; then
            show_log "$tmp/$name/error.log"
            die "$name: GET $path answered $status, expected $expect_status"
        fi
    fi
done

# A scenario whose requests carry headers (a token, a cookie) is compared
# with plain nginx receiving the same requests, its twin NAME+plain: the
# cost of parsing a 300-byte Authorization header is nginx's whatever the
# module does (about 2,000 instructions, as much as the HS256 gate's own
# work). Its ratio to the header-less baseline is reported as R_BASE.
declare -A twin=()
for name in "${names[@]}"; do
    [ "$name" = baseline ] && continue
    load_scenario "$name"
    [ -n "$wrk_script" ] && continue
    scenario_headers "$name" > "$tmp/$name.hdr"
    [ -s "$tmp/$name.hdr" ] || continue
    twin[$name]=$name+plain
    mkdir -p "$tmp/$name+plain"
    mv "$tmp/$name.hdr" "$tmp/$name+plain/headers"
    load_scenario "$name+plain"
    start_instance "$name+plain"
    status=$(curl_status "$name+plain")
    [ "$status" = 200 ] || die "$name+plain: GET $path answered $status"
done
rm -f "$tmp"/*.hdr
for name in "${!twin[@]}"; do
    names+=("${twin[$name]}")
done

declare -A rps_l=() ratio_l=() cratio_l=() bratio_l=() cpu_l=() wcpu_l=() \
    lat_l=() bad=() sockerr=() retried=()
for name in "${names[@]}"; do
    bad[$name]=0
    sockerr[$name]=0
    retried[$name]=0
done

if [ "$warmup" -gt 0 ]; then
    for name in "${names[@]}"; do
        run_wrk "$name" "$warmup"
    done
fi

# A run is disturbed when the nginx worker got less CPU than the scenario's
# cpu_floor: something else ran on its CPU (on a VM: the host took it), or
# wrk was held up. It is repeated after a pause, in the same place of the
# round; when all tries are disturbed, the least disturbed one counts.
measure() {
    local name=$1 try best=
    for try in $(seq 0 "$retries"); do
        run_wrk "$name" "$duration"
        if awk -v c="$r_cpu" -v f="$cpu_floor" 'BEGIN { exit !(c >= f) }'
        then
            return
        fi
        if [ -z "$best" ] || [ "$r_cpu" -gt "${best%% *}" ]; then
            best="$r_cpu $r_rps $r_req $r_non2xx $r_sockerr $r_wcpu $r_latmax"
        fi
        if [ "$try" -lt "$retries" ]; then
            printf '  round %d/%d  %-18s %10.1f rps  disturbed (nginx' \
                "$round" "$rounds" "$name" "$r_rps"
            printf ' cpu %s%% < %s%%), run again\n' "$r_cpu" "$cpu_floor"
            retried[$name]=$((retried[$name] + 1))
            sleep $((try + 1))
        fi
    done
    read -r r_cpu r_rps r_req r_non2xx r_sockerr r_wcpu r_latmax <<< "$best"
}

# Each round measures every scenario, the baseline among them, in an order
# rotated by one per round: no scenario always runs first (right after the
# previous round's last, or first after a pause), which on a noisy host
# showed as an A/A "noise" ratio of 0.92 or 1.2 with a fixed order. The
# ratios of a round are taken against that round's baseline.
# --paired: a scenario and its reference run at the same time, both nginx
# workers on one CPU. The kernel gives each half of it, and whatever the
# host takes is taken from both alike, so the ratio of their rps is the
# ratio of their costs per request. Both wrk share the other CPU: when it
# is saturated, wrk is the limit and the ratio understates the
# difference (reported in the notes).
paired_rounds() {
    local name ref a_rps a_cpu a_lat a_bad a_sock b_rps b_cpu t0 t1 w0 w1 \
        wcpu ratio
    for round in $(seq "$rounds"); do
        for name in "${names[@]}"; do
            if [ "$name" = baseline ] || [[ $name = *+plain ]]; then
                continue
            fi
            ref=${twin[$name]:-baseline}
            times > "$tmp/times0"
            t0=$EPOCHREALTIME
            if [ $((round % 2)) = 1 ]; then
                wrk_start "$name" "$duration"
                wrk_start "$ref" "$duration"
            else
                wrk_start "$ref" "$duration"
                wrk_start "$name" "$duration"
            fi
            wrk_finish "$name"
            a_rps=$r_rps a_cpu=$r_cpu a_lat=$r_latmax
            load_scenario "$name"
            if is_success "$expect_status"; then
                a_bad=$r_non2xx
            else
                a_bad=$((r_req - r_non2xx))
            fi
            a_sock=$r_sockerr
            wrk_finish "$ref"
            b_rps=$r_rps b_cpu=$r_cpu
            t1=$EPOCHREALTIME
            times > "$tmp/times1"
            w0=$(children_cpu "$tmp/times0")
            w1=$(children_cpu "$tmp/times1")
            wcpu=$(awk -v a="$w0" -v b="$w1" -v t0="$t0" -v t1="$t1" \
                'BEGIN { printf "%.0f", (b - a) / (t1 - t0) * 100 }')
            bad[$name]=$((bad[$name] + a_bad))
            sockerr[$name]=$((sockerr[$name] + a_sock))
            rps_l[$name]+="$a_rps "
            rps_l[$ref]+="$b_rps "
            cpu_l[$name]+="$a_cpu "
            cpu_l[$ref]+="$b_cpu "
            wcpu_l[$name]+="$wcpu "
            wcpu_l[$ref]+="$wcpu "
            lat_l[$name]+="${a_lat:-0} "
            ratio=$(awk -v a="$a_rps" -v b="$b_rps" \
                'BEGIN { printf "%.3f", a / b }')
            ratio_l[$name]+="$ratio "
            cratio_l[$name]+="$(awk -v a="$a_rps" -v ac="$a_cpu" \
                -v b="$b_rps" -v bc="$b_cpu" 'BEGIN { r = 0
                if (ac > 0 && b > 0 && bc > 0) r = (a / ac) / (b / bc)
                printf "%.3f", r }') "
            printf '  round %d/%d  %-18s %9.1f rps, %-18s %9.1f rps' \
                "$round" "$rounds" "$name" "$a_rps" "$ref" "$b_rps"
            printf '  ratio %s  cpu nginx %s%%+%s%% wrk %s%%\n' \
                "$ratio" "$a_cpu" "$b_cpu" "$wcpu"
        done
    done
}

if [ "$paired" = 1 ]; then
    paired_rounds
else
declare -A round_rps=() round_eff=() round_line=()
for round in $(seq "$rounds"); do
    shift_by=$(( (round - 1) % ${#names[@]} ))
    order=("${names[@]:shift_by}" "${names[@]:0:shift_by}")
    for name in "${order[@]}"; do
        measure "$name"
        if is_success "$expect_status"; then
            n=$r_non2xx
        else
            n=$((r_req - r_non2xx))
        fi
        bad[$name]=$((bad[$name] + n))
        sockerr[$name]=$((sockerr[$name] + r_sockerr))
        rps_l[$name]+="$r_rps "
        cpu_l[$name]+="$r_cpu "
        wcpu_l[$name]+="$r_wcpu "
        lat_l[$name]+="${r_latmax:-0} "
        # requests per CPU-second of the worker: the cost per request,
        # which a slowed-down host disturbs less than the rps
        round_eff[$name]=$(awk -v r="$r_rps" -v c="$r_cpu" \
            'BEGIN { printf "%.1f", (c > 0 ? r * 100 / c : 0) }')
        round_rps[$name]=$r_rps
        line=$(printf '  cpu nginx %3s%% wrk %3s%%' "$r_cpu" "$r_wcpu")
        [ "$n" -gt 0 ] && line+=$(printf '  unexpected %d' "$n")
        [ "$r_sockerr" -gt 0 ] && line+=$(printf '  socket errors %d' \
            "$r_sockerr")
        round_line[$name]=$line
    done
    for name in "${names[@]}"; do
        if [ "$name" = baseline ] || [[ $name = *+plain ]]; then
            ratio=-
        else
            # against plain nginx serving the same requests
            ref=${twin[$name]:-baseline}
            ratio=$(awk -v a="${round_rps[$name]}" -v b="${round_rps[$ref]}" \
                'BEGIN { printf "%.3f", a / b }')
            ratio_l[$name]+="$ratio "
            cratio_l[$name]+="$(awk -v a="${round_eff[$name]}" \
                -v b="${round_eff[$ref]}" \
                'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }') "
            bratio_l[$name]+="$(awk -v a="${round_rps[$name]}" \
                -v b="${round_rps[baseline]}" \
                'BEGIN { printf "%.3f", a / b }') "
        fi
        printf '  round %d/%d  %-18s %10.1f rps  ratio %-5s%s\n' \
            "$round" "$rounds" "$name" "${round_rps[$name]}" "$ratio" \
            "${round_line[$name]}"
    done
done

fi

echo
w=18      # the SCENARIO column: the longest name (peer-...+plain)
for name in "${names[@]}"; do
    [ "${#name}" -le "$w" ] || w=${#name}
done
fmt="%-${w}s"' %9s %6s %6s %6s %6s %6s %5s %5s %6s %5s %5s %6s\n'
# shellcheck disable=SC2059  # the format is the variable
printf "$fmt" SCENARIO RPS_MED R_MIN R_MED R_MAX R_CPU R_BASE NGINX WRK \
    EXPECT UNEXP RETRY RESULT
printf '%.0s-' $(seq "$((w + 82))")
echo

median() {
    local m
    # shellcheck disable=SC2086  # a space-separated list of numbers
    read -r _ m _ <<< "$(stats $1)"
    echo "$m"
}

base_med=$(median "${rps_l[baseline]:-0}")
failed=0
results=()
notes=()
declare -A tab_rmed=() tab_rcpu=() tab_rps=()
for name in "${names[@]}"; do
    # --paired measures a reference only beside a scenario
    [ -n "${rps_l[$name]:-}" ] || continue
    load_scenario "$name"
    rps_med=$(printf '%.1f' "$(median "${rps_l[$name]}")")
    cpu_med=$(printf '%.0f' "$(median "${cpu_l[$name]}")")
    wcpu_med=$(printf '%.0f' "$(median "${wcpu_l[$name]}")")
    errors=$((bad[$name] + sockerr[$name]))
    if [ "$name" = baseline ] || [[ $name = *+plain ]]; then
        r_min=- r_med=- r_max=- r_cpu=- r_base=-
    else
        # shellcheck disable=SC2086
        read -r r_min r_med r_max <<< "$(stats ${ratio_l[$name]})"
        r_med=$(printf '%.3f' "$r_med")
        r_cpu=$(printf '%.3f' "$(median "${cratio_l[$name]}")")
        if [ -n "${bratio_l[$name]:-}" ]; then
            r_base=$(printf '%.3f' "$(median "${bratio_l[$name]}")")
        else
            r_base=-
        fi
    fi
    if [ "$check" = 0 ] || [[ $name = *+plain ]]; then
        result=-
    elif [ "$errors" -gt 0 ]; then
        result=FAIL
        notes+=("$name: ${bad[$name]} responses without status\
 $expect_status, ${sockerr[$name]} socket errors")
    elif [ -n "$min_ratio" ]; then
        if awk -v m="$r_med" -v t="$min_ratio" 'BEGIN { exit !(m >= t) }'
        then
            result=PASS
        else
            result=FAIL
            notes+=("$name: median ratio $r_med is below $min_ratio")
        fi
    else
        result=OK
    fi
    [ "$result" = FAIL ] && failed=1
    if [ "$wcpu_med" -ge 95 ]; then
        notes+=("$name: wrk ran at $wcpu_med% CPU, so the client is (close\
 to) the bottleneck: the rps ratio understates, see R_CPU")
    elif [ "$paired" = 1 ]; then
        :   # two workers share the CPU: about half each is expected
    elif [ "$cpu_med" -lt "$cpu_floor" ]; then
        notes+=("$name: the nginx worker ran at only $cpu_med% CPU\
 (wrk $wcpu_med%): not the bottleneck, or disturbed")
    fi
    # shellcheck disable=SC2059
    printf "$fmt" "$name" "$rps_med" "$r_min" "$r_med" "$r_max" "$r_cpu" \
        "$r_base" "$cpu_med%" "$wcpu_med%" "$expect_status" "${bad[$name]}" \
        "${retried[$name]}" "$result"
    line="RESULT scenario=$name"
    if [ "$r_med" != - ]; then
        line+=" ratio_median=$r_med ratio_min=$r_min ratio_max=$r_max"
        line+=" cpu_ratio_median=$r_cpu ratio_to_plain_baseline=$r_base"
        line+=" reference=${twin[$name]:-baseline}"
    fi
    line+=" rps_median=$rps_med"
    line+=" baseline_rps_median=$(printf '%.1f' "$base_med")"
    line+=" min_ratio=${min_ratio:-none} expect=$expect_status"
    line+=" unexpected=${bad[$name]} socket_errors=${sockerr[$name]}"
    line+=" nginx_cpu=$cpu_med wrk_cpu=$wcpu_med retries=${retried[$name]}"
    # shellcheck disable=SC2086
    read -r _ _ lat_max <<< "$(stats ${lat_l[$name]:-0})"
    line+=" latency_max_ms=$lat_max"
    line+=" result=$result"
    results+=("$line")
    tab_rmed[$name]=$r_med tab_rcpu[$name]=$r_cpu tab_rps[$name]=$rps_med
done
echo
echo "RPS_MED: median requests/s. R_MIN/MED/MAX: the per-round ratio of"
echo "rps to plain nginx serving the same requests (NAME+plain when the"
echo "scenario sends headers, else the baseline; min_ratio applies to"
echo "R_MED). R_CPU: median ratio of requests per nginx CPU-second (cost"
echo "per request; less sensitive to a noisy host). R_BASE: median ratio to"
echo "the header-less baseline. NGINX, WRK: median CPU use. UNEXP:"
echo "responses without the EXPECTed status. RETRY: disturbed runs redone."
if [ ${#notes[@]} -gt 0 ]; then
    echo
    printf 'note: %s\n' "${notes[@]}"
fi
echo
printf '%s\n' "${results[@]}"

# --peers: one markdown table, ours beside the peers (for the README)
if [ ${#peer_table[@]} -gt 0 ]; then
    if [ "$paired" = 1 ]; then
        mode="--paired, each beside its reference"
    else
        mode="sequential rounds"
    fi
    echo
    echo "Peers, $(date -u '+%Y-%m-%d %H:%M UTC'), $("$nginx_bin" -v 2>&1 \
        | sed 's/^nginx version: //'), $mode, $rounds rounds of" \
        "${duration}s, $connections connections, one worker:"
    echo
    echo "| scenario | what it is | R_MED | R_CPU | rps |"
    echo "| --- | --- | ---: | ---: | ---: |"
    for name in "${peer_table[@]}"; do
        load_scenario "$name"
        # shellcheck disable=SC2016  # the backquotes are markdown
        printf '| `%s` | %s | %s | %s | %s |\n' "$name" "$desc" \
            "${tab_rmed[$name]:--}" "${tab_rcpu[$name]:--}" \
            "${tab_rps[$name]:--}"
    done
    echo
    echo "R_MED, R_CPU: against plain nginx serving the same requests (its"
    echo "twin NAME+plain when the scenario sends a token or a cookie)."
fi

if [ "$check" = 1 ] && [ "$failed" = 1 ]; then
    echo "bench: FAIL" >&2
    exit 1
fi
exit 0
