#!/usr/bin/env bash
# Excel in, Excel out (issue 20): `rubric run` from an .xlsx to a graded .xlsx, against pandas +
# openpyxl doing the same grading (benches/xlsx/pandas_openpyxl.py), on the RFM workload of
# benches/rfm/rfm.rubric.
#
#   benches/xlsx.sh [--rows 1000000] [--runs 1] [--smoke] [--no-build]
#
#   --rows N      customers (default 1000000)
#   --runs R      timed runs per tool (default 1; the median is reported)
#   --smoke       N=20000, one run; still checks agreement
#   --no-build    use the rubric binary already built
#
# The data: benches/gen_data.py's CSV (cached in benches/data/, shared with compare.sh), turned
# into a workbook once by benches/xlsx/make_input.py (openpyxl, write-only: dates as date cells,
# numbers as numbers, the zero-padded key as text), cached as benches/data/customers-N.xlsx.
# Both tools read it and write the sheets 结果, 汇总 (with a chart per grade) and 拒绝; then
# benches/xlsx/agree.py reads both outputs with python-calamine and requires every cell of 结果
# and every count of 汇总 to be equal. Timing: wall clock of the whole process (Python start-up
# included), peak RSS from /usr/bin/time. Python packages (benches/xlsx/requirements.txt) go
# into benches/xlsx/.venv. The rubric binary is target/release/rubric unless RUBRIC names one.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
ROWS=1000000
RUNS=1
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --smoke) ROWS=20000; RUNS=1; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "xlsx.sh: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done
log() { echo "== $*" >&2; }

VENV="$BENCH_DIR/xlsx/.venv"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$BENCH_DIR/xlsx/requirements.txt"
PY="$VENV/bin/python"

RUBRIC=${RUBRIC:-$ROOT/target/release/rubric}
if [ "$BUILD" = 1 ] && [ "$RUBRIC" = "$ROOT/target/release/rubric" ]; then
  log "building rubric (release)"
  (cd "$ROOT" && cargo build --release -q -p rubric-cli)
fi

mkdir -p "$BENCH_DIR/data"
csv="$BENCH_DIR/data/customers-$ROWS.csv"
if [ ! -s "$csv" ]; then
  log "generating $ROWS rows into benches/data/customers-$ROWS.csv"
  python3 "$BENCH_DIR/gen_data.py" "$ROWS" --out "$csv.tmp.$$"
  mv "$csv.tmp.$$" "$csv"
fi
xlsx="$BENCH_DIR/data/customers-$ROWS.xlsx"
if [ ! -s "$xlsx" ]; then
  log "writing benches/data/customers-$ROWS.xlsx"
  "$PY" "$BENCH_DIR/xlsx/make_input.py" "$csv" "$xlsx.tmp.$$.xlsx"
  mv "$xlsx.tmp.$$.xlsx" "$xlsx"
fi

mkdir -p "$BENCH_DIR/out"
work=$(mktemp -d "$BENCH_DIR/out/xlsx.XXXXXX")
TIME_BIN=/usr/bin/time
[ -x "$TIME_BIN" ] || TIME_BIN=""

# times one run: prints "seconds peak_kib"
timed() {
  local log=$1; shift
  local start end rss=""
  start=$(date +%s.%N)
  if [ -n "$TIME_BIN" ]; then
    "$TIME_BIN" -f "%M" -o "$log.rss" "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
    rss=$(tail -1 "$log.rss")
  else
    "$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
  fi
  end=$(date +%s.%N)
  echo "$(echo "$end - $start" | bc -l) ${rss:-0}"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A SECS RSS
for tool in rubric pandas; do
  : >"$work/$tool.times"
  for _ in $(seq "$RUNS"); do
    case "$tool" in
      rubric) r=$(timed "$work/rubric.log" "$RUBRIC" run "$ROOT/benches/rfm/rfm.rubric" \
                  --data "$xlsx" --out "$work/rubric.xlsx" --as-of 2024-06-30) ;;
      pandas) r=$(timed "$work/pandas.log" "$PY" "$BENCH_DIR/xlsx/pandas_openpyxl.py" \
                  --data "$xlsx" --out "$work/pandas.xlsx" --as-of 2024-06-30) ;;
    esac
    echo "$r" >>"$work/$tool.times"
    log "$tool: $r (seconds, peak KiB)"
  done
  SECS[$tool]=$(cut -d' ' -f1 "$work/$tool.times" | median)
  RSS[$tool]=$(cut -d' ' -f2 "$work/$tool.times" | sort -n | tail -1)
done

"$PY" "$BENCH_DIR/xlsx/agree.py" "$work/rubric.xlsx" "$work/pandas.xlsx"

{
  echo "| tool | rows | wall s (median of $RUNS) | peak RSS MiB | vs rubric |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for tool in rubric pandas; do
    printf '| %s | %s | %.2f | %d | %.1f× |\n' "$tool" "$ROWS" "${SECS[$tool]}" \
      "$(( ${RSS[$tool]} / 1024 ))" "$(echo "${SECS[$tool]} / ${SECS[rubric]}" | bc -l)"
  done
} | tee "$work/report.md"
cp "$work/report.md" "$BENCH_DIR/out/xlsx-report.md"
