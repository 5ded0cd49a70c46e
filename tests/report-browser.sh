#!/bin/sh
# The browser test of report.html (test_report_browser.py), reported
# skipped rather than failed on a machine without python3.
if ! command -v python3 >/dev/null 2>&1; then
    echo "  skipped: report/browser needs python3 (Debian: python3; scripts/deps.sh installs it)"
    printf '\nMS-TESTS run=1 failed=0 skipped=1\n'
    exit 0
fi
exec python3 "$(dirname "$0")/test_report_browser.py" "$@"
