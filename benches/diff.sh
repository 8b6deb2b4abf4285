#!/usr/bin/env bash
# `rubric diff` against `rubric run` (issue 22): the cost of comparing two versions of a scheme
# over the same customers, which should stay under twice a single run.
#
#   benches/diff.sh [--rows 1000000] [--runs 3] [--smoke] [--no-build]
#
#   --rows N      customers (default 1000000)
#   --runs R      timed runs per command (default 3; the median is reported)
#   --smoke       N=20000, one run
#   --no-build    use the rubric binary already built
#
# The workload is benches/rfm/rfm.rubric (points, a score with bonuses, four grades, two of them
# on population functions) on benches/gen_data.py's CSV (cached in benches/data/, shared with
# compare.sh). The new version moves the Pareto line of `abc` from 80% to 75% and a recency
# threshold of `r_pts` from 30 to 45 days, so customers move in several grades. Timed:
#   run     rubric run rfm.rubric --data FILE --out graded.csv
#   diff    rubric diff rfm.rubric rfm-new.rubric --data FILE --out moved.csv
#   diff+m  the same with --measure revenue
#   report  rubric report rfm-new.rubric --data FILE --measure revenue --baseline rfm.rubric
# Wall clock and peak RSS from /usr/bin/time. Prints a Markdown table. The rubric binary is
# target/release/rubric unless RUBRIC names one.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ROWS=1000000
RUNS=3
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --smoke) ROWS=20000; RUNS=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "diff.sh: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done
log() { echo "== $*" >&2; }

RUBRIC=${RUBRIC:-$ROOT/target/release/rubric}
if [ "$BUILD" = 1 ] && [ "$RUBRIC" = "$ROOT/target/release/rubric" ]; then
  log "building rubric (release)"
  (cd "$ROOT" && cargo build --release -q -p rubric-cli)
fi
[ -x /usr/bin/time ] || { echo "diff.sh: needs GNU time (apt-get install time)" >&2; exit 2; }

mkdir -p "$BENCH_DIR/data"
csv="$BENCH_DIR/data/customers-$ROWS.csv"
if [ ! -s "$csv" ]; then
  log "generating $ROWS rows into benches/data/customers-$ROWS.csv"
  python3 "$BENCH_DIR/gen_data.py" "$ROWS" --out "$csv.tmp.$$"
  mv "$csv.tmp.$$" "$csv"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
old="$BENCH_DIR/rfm/rfm.rubric"
new="$work/rfm-new.rubric"
sed -e 's/cumulative_share(revenue) <= 80%/cumulative_share(revenue) <= 75%/' \
    -e '0,/5 when <= 30/s//5 when <= 45/' "$old" > "$new"
cmp -s "$old" "$new" && { echo "diff.sh: the new scheme did not change" >&2; exit 2; }

# one timed command: prints "seconds max_rss_kb"
timed() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    code=$?
    # rubric diff exits 1 when customers moved, rubric report when rows were rejected
    if [ $code -ne 1 ]; then cat "$work/err" >&2; exit 1; fi
  }
  tail -1 "$work/time"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A secs rss
for name in run diff diff+m report; do
  for ((i = 0; i < RUNS; i++)); do
    case $name in
      run) t=$(timed "$RUBRIC" run "$old" --data "$csv" --out "$work/graded.csv") ;;
      diff) t=$(timed "$RUBRIC" diff "$old" "$new" --data "$csv" --out "$work/moved.csv") ;;
      diff+m) t=$(timed "$RUBRIC" diff "$old" "$new" --data "$csv" --measure revenue --out "$work/moved.csv") ;;
      report) t=$(timed "$RUBRIC" report "$new" --data "$csv" --measure revenue --baseline "$old" --out "$work/r.html") ;;
    esac
    echo "$t" >> "$work/$name.t"
    log "$name run $((i + 1)): $t"
  done
  secs[$name]=$(cut -d' ' -f1 "$work/$name.t" | median)
  rss[$name]=$(cut -d' ' -f2 "$work/$name.t" | median)
done
movers=$(($(wc -l < "$work/moved.csv") - 1))
echo
echo "$ROWS customers, $RUNS runs each (median), $movers customer-grade moves, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command | wall s | × run | peak RSS MB |"
echo "| --- | ---: | ---: | ---: |"
for name in run diff diff+m report; do
  ratio=$(awk -v a="${secs[$name]}" -v b="${secs[run]}" 'BEGIN { printf "%.2f", a / b }')
  mb=$(awk -v k="${rss[$name]}" 'BEGIN { printf "%.0f", k / 1024 }')
  echo "| $name | ${secs[$name]} | $ratio | $mb |"
done
