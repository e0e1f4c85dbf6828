#!/bin/sh
# Run a test program for ctest; its exit status 77 means "skipped: an input is missing".
# Under VT_TEST_NO_SKIP (set by scripts/test.sh, so in CI) a skip is a failure.
"$@"
rc=$?
if [ "$rc" = 77 ] && [ -n "${VT_TEST_NO_SKIP:-}" ] && [ "$VT_TEST_NO_SKIP" != 0 ]; then
  echo "$1: skipped (exit 77: an input is missing), and VT_TEST_NO_SKIP forbids skipping" >&2
  exit 1
fi
exit "$rc"
