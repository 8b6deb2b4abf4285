#!/usr/bin/env bash
# Grades the real CDNOW order file (69,659 orders of 23,570 customers, shipped inside the PyPI
# package `lifetimes`, datasets/CDNOW_master.txt) straight from its orders with
# examples/28-orders-rfm/rfm.rubric, and checks every customer against DuckDB computing the same
# aggregates and grades in SQL of its own.
#
# Installs what it needs: a venv in tests/cdnow/.venv with duckdb, and the `lifetimes` wheel
# (downloaded without its dependencies: only its data file is read).
#   bash tests/cdnow/run.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
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
"$venv/bin/pip" install -q --disable-pip-version-check 'duckdb==2.0.0'
work="$here/.work"
mkdir -p "$work"
if ! ls "$work"/[Ll]ifetimes-0.11.3-*.whl >/dev/null 2>&1; then
  "$venv/bin/pip" download -q --disable-pip-version-check --no-deps -d "$work" 'lifetimes==0.11.3'
fi

rubric="${RUBRIC_BIN:-}"
if [[ -z "$rubric" ]]; then
  (cd "$root" && cargo build -q --release --bin rubric)
  rubric="$root/target/release/rubric"
fi
"$venv/bin/python" "$here/check.py" "$rubric" "$root/examples/28-orders-rfm/rfm.rubric" "$work"
