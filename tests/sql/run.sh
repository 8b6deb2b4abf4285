#!/usr/bin/env bash
# The differential test of `rubric sql` against real engines: DuckDB (Python package),
# PostgreSQL (Debian's server, started here in a temporary directory on a unix socket) and
# Spark SQL (pyspark in local mode on the machine's Java 17).
#
# Installs what it needs (apt: postgresql, openjdk-17-jre-headless, python3-venv; pip into
# tests/sql/.venv), builds the case tool, runs every example and fixture in every dialect plus
# RUBRIC_SQL_RANDOM (default 300) generated schemes against DuckDB and PostgreSQL (the first
# RUBRIC_SQL_RANDOM_SPARK, default 25, against Spark too), loads the files of
# tests/fixtures/sql/constraints.toml into the `--create-table` tables (refused exactly where
# `rubric run` rejects a row), stops the server, and exits non-zero on any mismatch.
#
#   bash tests/sql/run.sh                    # everything
#   RUBRIC_SQL_ENGINES=duckdb bash tests/sql/run.sh   # one engine
#   bash tests/sql/run.sh --only 01-ibm      # extra arguments go to diff.py
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
engines="${RUBRIC_SQL_ENGINES:-duckdb,postgres,spark}"
random="${RUBRIC_SQL_RANDOM:-300}"
random_engines="${RUBRIC_SQL_RANDOM_ENGINES:-duckdb,postgres}"
random_spark="${RUBRIC_SQL_RANDOM_SPARK:-25}"
start=$(date +%s)
export SPARK_LOCAL_IP="${SPARK_LOCAL_IP:-127.0.0.1}"

need_apt=()
if [[ ",$engines,$random_engines," == *,postgres,* ]] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need_apt+=(postgresql)
fi
if [[ ",$engines,$random_engines," == *,spark,* ]] && ! command -v java >/dev/null 2>&1; then
  need_apt+=(openjdk-17-jre-headless)
fi
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  need_apt+=(python3-venv)
fi
if ((${#need_apt[@]})); then
  echo "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

venv="$here/.venv"
if [[ ! -x "$venv/bin/python" ]]; then
  python3 -m venv "$venv"
fi
# pyspark 3.5 runs on Java 8, 11 and 17.
"$venv/bin/pip" install -q --disable-pip-version-check \
  'duckdb==2.0.0' 'psycopg[binary]==3.3.9' 'pyspark==3.5.3' 'openpyxl==3.1.5'

(cd "$root" && cargo build -q -p rubric-sql --examples)

pgdir=""
cleanup() {
  if [[ -n "$pgdir" && -d "$pgdir" ]]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
}
trap cleanup EXIT

args=()
if [[ ",$engines,$random_engines," == *,postgres,* ]]; then
  pgbin="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
  pgdir="$(mktemp -d /tmp/rubric-pg.XXXXXX)"
  chown postgres "$pgdir" 2>/dev/null || true
  as_pg=()
  if [[ "$(id -u)" == 0 ]]; then as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pgbin/initdb" -D "$pgdir/data" -U rubric -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w -o "-k $pgdir -c listen_addresses='' -p 54329 -c fsync=off" start >/dev/null
  args+=(--pg "host=$pgdir port=54329 user=rubric dbname=postgres")
fi

status=0
if [[ ",$engines," != *,spark,* ]]; then random_spark=0; fi
"$venv/bin/python" "$here/diff.py" --engines "$engines" --random "$random" \
  --random-engines "$random_engines" --random-spark "$random_spark" "${args[@]}" "$@" || status=$?
echo "tests/sql/run.sh: $(( $(date +%s) - start ))s in all" >&2
exit $status
