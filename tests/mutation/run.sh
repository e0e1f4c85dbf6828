#!/usr/bin/env bash
# Mutation run (not part of CI): each mutant of tests/mutation/mutants.py applied to a
# scratch copy in /tmp, built and run against the fast suites; prints a Markdown table.
# Usage: bash tests/mutation/run.sh [--only ID,ID] [--timeout S] [--out FILE] [--keep]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec /usr/bin/python3 tests/mutation/run.py "$@"
