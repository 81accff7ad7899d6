#!/usr/bin/env bash
# Builds and runs the libFuzzer targets of t/fuzz/ (docs/testing.md,
# "Fuzzing"): clang's libFuzzer with ASan and UBSan, on the plain-C core.
#
#   scripts/fuzz.sh TARGET [SECONDS]   one target (jws, or fuzz_jws),
#                                      SECONDS of fuzzing (default 20)
#   scripts/fuzz.sh all [SECONDS]      every target, SECONDS each, as many
#                                      at once as CPUs (SECAUTH_FUZZ_JOBS)
#   scripts/fuzz.sh list               the targets' names
#
# Seeds come from t/fuzz/corpus/NAME/ (committed, never written); what a
# run finds new goes to build/fuzz/corpus/NAME/, kept for the next run.
# A finding (crash, failed assertion, sanitizer report, leak, timeout,
# out of memory) is kept in build/fuzz/crashes/NAME/ and makes the exit
# code 1; libFuzzer's log of each run is build/fuzz/NAME.log. Prints, per
# target, the executions, the coverage (cov: edges, ft: features) and
# the corpus reached, from libFuzzer's final stats.
#
# Other helpers share the CPUs: run long runs with nice -n 19.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

usage() {
    echo "usage: $0 TARGET|all|list [SECONDS]" >&2
    exit 2
}

[ $# -ge 1 ] && [ $# -le 2 ] || usage

what=$1
seconds=${2:-20}
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || usage

out=$repo/build/fuzz
targets=$(make -s -C t/fuzz list)

if [ "$what" = list ]; then
    echo "$targets" | tr ' ' '\n' | sed 's/^fuzz_//'
    exit 0
fi

if [ "$what" = all ]; then
    run=$targets
else
    run=fuzz_${what#fuzz_}
    grep -qw -- "$run" <<< "$targets" \
        || { echo "fuzz: no target \"$what\" (one of: $targets)" >&2; exit 2; }
fi

command -v clang >/dev/null \
    || { echo "fuzz: clang is missing (scripts/setup.sh)" >&2; exit 1; }

# shellcheck disable=SC2086
make -s -j2 -C t/fuzz OUT="$out" $run >&2

# a leak is a finding too; reports go to the log (never to the paths of
# scripts/test.sh --asan's options, which are not inherited)
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
unset LSAN_OPTIONS

# one target: its summary line (and a finding's report) on stdout, its
# exit code libFuzzer's
fuzz_one() {
    local t=$1 name corpus crashes log dict env rc execs last cov ft corp
    name=${t#fuzz_}
    corpus=$out/corpus/$name
    crashes=$out/crashes/$name
    log=$out/$name.log
    mkdir -p "$corpus" "$crashes"

    dict=()
    [ ! -f "t/fuzz/$name.dict" ] || dict=(-dict="t/fuzz/$name.dict")

    # hiredis 0.14's reader allocates an array's element table as soon as
    # it reads "*N": N up to 2^63 would be a huge calloc(), an "out of
    # memory" of libFuzzer's although glibc just fails it (hiredis then
    # reports REDIS_ERR_OOM and the module drops the connection) or maps
    # pages never touched. Here an allocation over 256 MB fails the same
    # way, so that the reader's handling of the failure is what runs.
    env=()
    if [ "$name" = redis_reader ]; then
        cap=allocator_may_return_null=1:max_allocation_size_mb=256
        env=(ASAN_OPTIONS="$ASAN_OPTIONS:$cap")
    fi

    rc=0
    env "${env[@]}" "$out/$t" -max_total_time="$seconds" -print_final_stats=1 \
        -timeout=10 -rss_limit_mb=2048 -max_len=4096 \
        -artifact_prefix="$crashes/" "${dict[@]}" \
        "$corpus" "t/fuzz/corpus/$name" > "$log" 2>&1 || rc=$?

    # "#N DONE cov: C ft: F corp: K/S ..." and "stat::number_of_executed_units"
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<< "$last")

    printf 'fuzz: %-13s %4ss  execs %-10s cov %-5s ft %-6s corpus %s\n' \
        "$name" "$seconds" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"

    if [ "$rc" -ne 0 ]; then
        echo "fuzz: $name: FINDING (exit $rc), libFuzzer's log $log:"
        grep -E 'ERROR|SUMMARY|fuzz_assert|runtime error|Test unit written' \
            "$log" | head -n 20 || true
        ls "$crashes"/* 2>/dev/null | sed 's/^/fuzz:   kept /' || true
    fi

    return "$rc"
}

# SECAUTH_FUZZ_JOBS targets at a time (default: one per CPU), each its
# own libFuzzer process; the summaries are printed in the targets' order
jobs=${SECAUTH_FUZZ_JOBS:-$(nproc)}
failed=()
for t in $run; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
        wait -n || true
    done
    # (set -e would end the subshell before a finding's code is kept)
    ( rc=0; fuzz_one "$t" > "$out/${t#fuzz_}.summary" 2>&1 || rc=$?
      echo "$rc" > "$out/${t#fuzz_}.rc" ) &
done
wait

for t in $run; do
    name=${t#fuzz_}
    cat "$out/$name.summary"
    [ "$(cat "$out/$name.rc")" = 0 ] || failed+=("$name")
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in: ${failed[*]} (docs/testing.md: a finding" \
         "becomes a unit test)" >&2
    exit 1
fi
