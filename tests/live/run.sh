#!/bin/sh
# The live-mode tests (tests/live/test_serve.py) against the sanitizer build
# of mailsim; run by tests/run-tests.sh like a test binary.  Without python3
# every test reports itself skipped.
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
if ! command -v python3 >/dev/null 2>&1; then
    n=$(grep -c '^@test' "$here/test_serve.py")
    echo "  skipped: serve/*: python3 is not installed (scripts/deps.sh installs it)"
    echo "MS-TESTS run=$n failed=0 skipped=$n"
    exit 0
fi
exec python3 "$here/test_serve.py" "$root/build/san/mailsim" "$@"
