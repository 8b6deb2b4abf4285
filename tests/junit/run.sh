#!/usr/bin/env bash
# `rubric test --format junit` read by a real JUnit XML parser (junitparser, from PyPI, in
# tests/junit/.venv): every example's tests and snapshots, and a scheme with a failing test.
#   RUBRIC_BIN=target/debug/rubric tests/junit/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${RUBRIC_BIN:-$repo/target/debug/rubric}
venv="$here/.venv"
# (a venv left half-made, or copied without its links, is made again)
if ! "$venv/bin/python" -c '' 2>/dev/null || [[ ! -x "$venv/bin/pip" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check junitparser==4.0.2
cd "$repo"
"$venv/bin/python" "$here/check.py" "$bin"
