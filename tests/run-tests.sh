#!/bin/sh
# Runs every test binary given, under ASan/UBSan with leak checking, then
# prints one closing line "N passed, N failed, N skipped" over all suites.
# A test that calls ms_test_skip() (a tool it needs is missing) counts as
# skipped, not passed.  A binary that dies before its summary (a crash, a
# sanitizer report) loses every test it announced: they all count as
# failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export G_SLICE=always-malloc G_DEBUG=gc-friendly
export LC_ALL=C.UTF-8

passed=0
failed=0
skipped=0
broken=""
for t in "$@"; do
    name=$(basename "$t")
    out=$(mktemp)
    "$t" >"$out" 2>&1
    rc=$?
    line=$(grep '^MS-TESTS ' "$out" | tail -n 1)
    run=$(echo "$line" | sed -n 's/.*run=\([0-9]*\).*/\1/p')
    bad=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
    skip=$(echo "$line" | sed -n 's/.*skipped=\([0-9]*\).*/\1/p')
    [ -n "$skip" ] || skip=0
    if [ -z "$run" ]; then
        # The binary died before its summary: every test it announced is
        # lost (at least one, when it died before announcing any).
        plan=$(grep '^MS-TESTS-PLAN ' "$out" | sed -n 's/.*total=\([0-9]*\).*/\1/p' | tail -n 1)
        [ -n "$plan" ] && [ "$plan" -gt 0 ] || plan=1
        run=$plan; bad=$plan; skip=0
    fi
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1   # asserts failed outside a counted test, or a leak at exit
    fi
    # A skipped test that failed anyway counts once, as failed.
    [ "$skip" -gt $((run - bad)) ] && skip=$((run - bad))
    passed=$((passed + run - bad - skip))
    failed=$((failed + bad))
    skipped=$((skipped + skip))
    if [ "$rc" -ne 0 ]; then
        broken="$broken $name"
        echo "---- $name (exit $rc)"
        cat "$out"
    elif [ "$skip" -gt 0 ]; then
        printf '%-28s %3d tests ok, %d skipped\n' "$name" "$((run - skip))" "$skip"
        grep '^  skipped: ' "$out" | sort -u
    else
        printf '%-28s %3d tests ok\n' "$name" "$run"
    fi
    rm -f "$out"
done
echo
[ -n "$broken" ] && echo "failing:$broken"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ -z "$broken" ]
