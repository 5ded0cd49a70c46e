#!/bin/sh
# Runs each libFuzzer harness of build/fuzz/bin/ for SECONDS seconds and
# prints, per harness, the executions, the coverage libFuzzer measured
# (cov: edges, ft: features) and the corpus size; any crash input is kept
# in build/fuzz/crashes/<harness>/ and makes the script fail.
#   scripts/fuzz.sh SECONDS 'harness:seed-dir seed-dir' ...
set -u
secs=$1
shift
status=0
printf '%-18s %12s %8s %8s %7s  %s\n' harness executions cov ft corpus result
for spec in "$@"; do
    name=${spec%%:*}
    seeds=${spec#*:}
    work=build/fuzz/corpus/$name
    crashes=build/fuzz/crashes/$name
    log=build/fuzz/$name.log
    mkdir -p "$work" "$crashes"
    # The committed corpus and past crashes, where a harness has them
    # (fuzz_message has neither: its seeds are tests/data/message).
    dirs=$work
    [ -d "tests/fuzz/corpus/$name" ] && dirs="$dirs tests/fuzz/corpus/$name"
    [ -d "tests/fuzz/crashes/$name" ] && dirs="$dirs tests/fuzz/crashes/$name"
    # shellcheck disable=SC2086
    "build/fuzz/bin/$name" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
        -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" \
        $dirs $seeds >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    files=$(find "$work" -type f | wc -l)
    if [ "$rc" -eq 0 ]; then
        result=ok
    else
        result="FAILED (exit $rc, see $log)"
        status=1
    fi
    printf '%-18s %12s %8s %8s %7s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" \
        "$files" "$result"
done
exit $status
