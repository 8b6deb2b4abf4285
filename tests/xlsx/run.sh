#!/usr/bin/env bash
# The workbook check: `rubric run --out FILE.xlsx` opened by openpyxl (tests/xlsx/check.py).
# Installs openpyxl into tests/xlsx/.venv (python3-venv from apt when missing), as
# tests/sql/run.sh does. The rubric binary is RUBRIC_BIN (as `cargo test` sets it), else
# target/debug/rubric, built here.
#
#   bash tests/xlsx/run.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "installing python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
fi
venv="$here/.venv"
# (a venv left half-made, or copied without its links, is made again)
if ! "$venv/bin/python" -c '' 2>/dev/null || [[ ! -x "$venv/bin/pip" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check 'openpyxl==3.1.5'

rubric="${RUBRIC_BIN:-}"
if [[ -z "$rubric" ]]; then
  (cd "$root" && cargo build -q -p rubric-cli)
  rubric="$root/target/debug/rubric"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$venv/bin/python" "$here/check.py" "$rubric" "$out"
