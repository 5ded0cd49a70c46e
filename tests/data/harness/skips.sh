#!/bin/sh
# A test binary whose 3 tests pass, one of them skipped (a tool is missing).
echo "MS-TESTS-PLAN total=3"
echo "  skipped: /usr/bin/mscgen is not installed"
echo "MS-TESTS run=3 failed=0 skipped=1"
exit 0
