#!/bin/sh
# Runs every test binary given, under ASan/UBSan with leak checking, then
# prints one closing line "N passed, N failed" over all suites.
set -u
here=$(cd "$(dirname "$0")" && pwd)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1:detect_stack_use_after_return=1"
export LSAN_OPTIONS="suppressions=$here/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export G_SLICE=always-malloc G_DEBUG=gc-friendly
export LC_ALL=C.UTF-8

passed=0
failed=0
broken=""
for t in "$@"; do
    name=$(basename "$t")
    out=$(mktemp)
    "$t" >"$out" 2>&1
    rc=$?
    line=$(grep '^MS-TESTS ' "$out" | tail -n 1)
    run=$(echo "$line" | sed -n 's/.*run=\([0-9]*\).*/\1/p')
    bad=$(echo "$line" | sed -n 's/.*failed=\([0-9]*\).*/\1/p')
    if [ -z "$run" ]; then
        # The binary died before its summary (a sanitizer report, a crash).
        run=1; bad=1
    fi
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
        bad=1   # asserts failed outside a counted test, or a leak at exit
    fi
    passed=$((passed + run - bad))
    failed=$((failed + bad))
    if [ "$rc" -ne 0 ]; then
        broken="$broken $name"
        echo "---- $name (exit $rc)"
        cat "$out"
    else
        printf '%-28s %3d tests ok\n' "$name" "$run"
    fi
    rm -f "$out"
done
echo
[ -n "$broken" ] && echo "failing:$broken"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$broken" ]
