#!/usr/bin/env bash
# Order data (issue 19): grading customers straight from their orders, Rubric against DuckDB and
# Polars on the same job, side by side in one run.
#
#   benches/orders.sh [--rows 10000000] [--runs 3] [--smoke] [--no-build] [--tools LIST]
#
#   --rows N      orders (default 10000000; about N/10 customers)
#   --runs R      timed runs per tool (default 3, tools alternate; the median is reported)
#   --smoke       N=20000, one run; still checks agreement (for CI)
#   --no-build    use the rubric binary already built
#   --tools LIST  which tools (default rubric,rubric-customers,duckdb,polars)
#
# The job is examples/28-orders-rfm/rfm.rubric: per customer the last order, the paid orders
# (`count(… where amount > 0)`), net spend, 90-day spend and active months; then ABC by
# cumulative share of net spend and an RFM segment. Peers: benches/orders/duckdb_orders.py and
# polars_orders.py, the same aggregation and grades in SQL and in Polars (decimals exact).
# `rubric-customers` is the yardstick for memory: `rubric run` of the graded customers alone
# (one row each, the aggregates as columns), the job without orders.
#
# Data: benches/orders/gen.py, cached in benches/data/orders-N.csv. Correctness: each tool's
# `客户编号,abc,segment`, sorted by key, must be identical; a difference fails the run. Timing:
# wall clock of the whole process, warm page cache; CPU (user + system) and peak RSS from
# /usr/bin/time. Python deps come from benches/.venv (benches/requirements.txt), as for
# compare.sh. The rubric binary is target/release/rubric unless RUBRIC names one.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ROWS=10000000
RUNS=3
BUILD=1
TOOLS=rubric,rubric-customers,duckdb,polars
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --smoke) ROWS=20000; RUNS=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --tools) TOOLS=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "orders.sh: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*|0) echo "orders.sh: \`--runs\` needs a positive number" >&2; exit 2 ;; esac
log() { echo "== $*" >&2; }

RUBRIC=${RUBRIC:-${RUBRIC_BIN:-$ROOT/target/release/rubric}}
if [ "$BUILD" = 1 ] && [ "$RUBRIC" = "$ROOT/target/release/rubric" ]; then
  log "building rubric (release)"
  (cd "$ROOT" && cargo build --release -q -p rubric-cli)
fi
[ -x /usr/bin/time ] || { echo "orders.sh: needs GNU time (apt-get install time)" >&2; exit 2; }

VENV="$BENCH_DIR/.venv"
PY="$VENV/bin/python"
if ! "$PY" -c 'import duckdb, polars' 2>/dev/null; then
  log "installing benches/requirements.txt into benches/.venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r "$BENCH_DIR/requirements.txt"
fi

mkdir -p "$BENCH_DIR/data"
orders="$BENCH_DIR/data/orders-$ROWS.csv"
if [ ! -s "$orders" ]; then
  log "generating $ROWS orders into benches/data/orders-$ROWS.csv"
  python3 "$BENCH_DIR/orders/gen.py" "$ROWS" "$orders.tmp.$$"
  mv "$orders.tmp.$$" "$orders"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
scheme="$ROOT/examples/28-orders-rfm/rfm.rubric"

# The customers-only yardstick: the aggregates as columns of a customers file, graded by the
# same rules with `input` in place of `events` (written once by rubric itself, not timed).
if [[ ",$TOOLS," == *,rubric-customers,* ]]; then
  "$RUBRIC" run "$scheme" --events "orders=$orders" --all --out "$work/aggregated.csv" 2>/dev/null || true
  python3 - "$scheme" "$work/aggregated.csv" "$work/customers.rubric" "$work/customers.csv" <<'PY'
import csv, re, sys
scheme, agg, out_scheme, out_csv = sys.argv[1:]
src = open(scheme, encoding="utf-8").read()
lets = dict(re.findall(r"^let (\w+)\s*=\s*((?:max|count|sum|count_distinct)\(.*\))$", src, re.M))
types = {"last_order": "date?", "frequency": "int", "spend": "decimal", "spend_90d": "decimal",
         "active_months": "int"}
fields = "\n".join(f"  {n}  {types[n]}" for n in lets)
body = re.sub(r"/// One row per order.*?\n}\n", "", src, flags=re.S)
body = re.sub(r"^let (\w+)\s*=\s*(?:max|count|sum|count_distinct)\(.*\)\n", "", body, flags=re.M)
body = re.sub(r"\ntest \".*", "\n", body, flags=re.S)  # the tests give orders
body = body.replace('  customer_id  text  key "客户编号"\n', '  customer_id  text  key "客户编号"\n' + fields + "\n")
open(out_scheme, "w", encoding="utf-8").write(body)
with open(agg, encoding="utf-8", newline="") as f, open(out_csv, "w", encoding="utf-8", newline="") as g:
    r = csv.DictReader(f)
    w = csv.writer(g)
    w.writerow(["客户编号", *lets])
    for row in r:
        w.writerow([row["客户编号"], *(row[n] for n in lets)])
PY
fi

# one timed command: "wall cpu rss_kb"
timed() {
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    code=$?
    # rubric run exits 1 when rows were rejected (the generator writes none; a bad cell would be)
    if [ $code -ne 1 ]; then cat "$work/err" >&2; exit 1; fi
  }
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$work/time" | tail -1
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

IFS=, read -r -a tools <<< "$TOOLS"
for ((i = 0; i < RUNS; i++)); do
  for tool in "${tools[@]}"; do
    case $tool in
      rubric) t=$(timed "$RUBRIC" run "$scheme" --events "orders=$orders" --out "$work/rubric.csv") ;;
      rubric-customers) t=$(timed "$RUBRIC" run "$work/customers.rubric" --data "$work/customers.csv" --out "$work/rubric-customers.csv") ;;
      duckdb) t=$(timed "$PY" "$BENCH_DIR/orders/duckdb_orders.py" "$orders" "$work/duckdb.csv") ;;
      polars) t=$(timed "$PY" "$BENCH_DIR/orders/polars_orders.py" "$orders" "$work/polars.csv") ;;
      *) echo "orders.sh: unknown tool \`$tool\`" >&2; exit 2 ;;
    esac
    echo "$t" >> "$work/$tool.t"
    log "$tool run $((i + 1)): $t"
  done
done

# agreement: key, abc, segment, sorted by key
for tool in "${tools[@]}"; do
  python3 - "$work/$tool.csv" "$work/$tool.sorted" <<'PY'
import csv, sys
with open(sys.argv[1], encoding="utf-8", newline="") as f:
    rows = [(r["客户编号"], r["abc"], r["segment"]) for r in csv.DictReader(f)]
rows.sort()
with open(sys.argv[2], "w", encoding="utf-8", newline="") as g:
    w = csv.writer(g)
    w.writerow(["客户编号", "abc", "segment"])
    w.writerows(rows)
PY
done
first=${tools[0]}
for tool in "${tools[@]}"; do
  if ! cmp -s "$work/$first.sorted" "$work/$tool.sorted"; then
    echo "orders.sh: $tool disagrees with $first:" >&2
    diff "$work/$first.sorted" "$work/$tool.sorted" | head -10 >&2
    exit 1
  fi
done
customers=$(($(wc -l < "$work/$first.sorted") - 1))

echo
echo "$ROWS orders of $customers customers, $RUNS runs each (median), load average $(cut -d' ' -f1-3 /proc/loadavg); every tool's grades agree"
echo
echo "| tool | wall s | CPU s | peak RSS MB |"
echo "| --- | ---: | ---: | ---: |"
for tool in "${tools[@]}"; do
  wall=$(cut -d' ' -f1 "$work/$tool.t" | median)
  cpu=$(cut -d' ' -f2 "$work/$tool.t" | median)
  mb=$(cut -d' ' -f3 "$work/$tool.t" | sort -n | tail -1 | awk '{ printf "%.0f", $1 / 1024 }')
  echo "| $tool | $wall | $cpu | $mb |"
done
