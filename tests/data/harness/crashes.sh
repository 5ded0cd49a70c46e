#!/bin/sh
# A test binary that announces 5 tests and dies in the second (for the
# closing count of tests/run-tests.sh).
echo "MS-TESTS-PLAN total=5"
echo "AddressSanitizer: heap-use-after-free"
exit 1
