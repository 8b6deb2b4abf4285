#!/usr/bin/env bash
# Peer benchmark (issue 8): Rubric vs DuckDB vs Polars vs a hand-written Rust baseline on the
# RFM workload of benches/rfm/rfm.rubric.
#
#   benches/compare.sh [--rows 1000000,10000000] [--runs 3] [--smoke] [--as-of 2024-06-30]
#                      [--no-build] [--require-rubric] [--keep]
#                      [--tools rubric,rubric-sql,duckdb,polars,baseline]
#
#   --rows LIST       comma-separated row counts (default 1000000)
#   --runs R          timed runs per tool and row count (default 3); tools alternate per run
#   --smoke           N=20000, one run; still checks agreement (for CI)
#   --as-of DATE      evaluation date given to every tool (default 2024-06-30)
#   --no-build        use the binaries already built
#   --require-rubric  fail when the rubric binary cannot be built or has no `run`
#   --tools LIST      which tools to run (default: all five)
#   --keep            keep every output CSV (default: only those of a row count that disagrees)
#
# rubric-sql is not a peer but a check of `rubric sql`: the SELECT it compiles from the scheme,
# run in DuckDB (benches/peers/rubric_sql_duckdb.py). It needs the rubric binary.
#
# Data is generated once per row count into benches/data/ (cached). Each invocation works in its
# own directory benches/out/run.XXXXXX/ (N/TOOL.csv, .log, .rss; results.tsv; report.md with the
# table, the machine and the tool versions), so concurrent runs (say, `cargo test` while a
# benchmark runs) do not mix; the finished report is also copied to benches/out/report.md.
# Python deps (benches/requirements.txt) are installed into benches/.venv.
# The rubric binary is target/release/rubric (built with `cargo build --release -p rubric-cli`)
# unless RUBRIC=/path/to/rubric (or RUBRIC_BIN, as `cargo test` sets it) names one; a binary named
# that way is not built and must work (as with --require-rubric).
#
# Correctness: every tool's output must equal the baseline's byte for byte. The tools themselves
# print decimals normalised, missing as the empty cell and rows in input order; the only
# adjustment is in rubric-sql's wrapper (DECIMAL columns printed normalised, rows sorted by the
# key, as the SELECT has no row order). Any difference fails the run. Timing: wall clock of the
# whole process (interpreter start-up included for the Python tools), warm page cache, median of
# R runs; CPU time (user + system, all threads) and peak RSS from `/usr/bin/time` (Debian package
# `time`): median CPU, largest RSS.
set -euo pipefail

ARGS="$*"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)

ROWS=1000000
RUNS=3
AS_OF=2024-06-30
BUILD=1
REQUIRE_RUBRIC=0
TOOLS=rubric,rubric-sql,duckdb,polars,baseline
KEEP=0

while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --smoke) ROWS=20000; RUNS=1; shift ;;
    --as-of) AS_OF=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --require-rubric) REQUIRE_RUBRIC=1; shift ;;
    --tools) TOOLS=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown argument \`$1\`" >&2; exit 2 ;;
  esac
done
case "$RUNS" in ''|*[!0-9]*|0) echo "compare.sh: \`--runs\` needs a positive number" >&2; exit 2 ;; esac

log() { echo "== $*" >&2; }

# --- tools ------------------------------------------------------------------------------------

TIME_BIN=/usr/bin/time
if [ ! -x "$TIME_BIN" ]; then
  log "/usr/bin/time not found (apt-get install time): peak RSS will not be measured"
  TIME_BIN=""
fi

VENV="$BENCH_DIR/.venv"
PY="$VENV/bin/python"
if ! "$PY" -c 'import duckdb, polars' 2>/dev/null; then
  log "installing Python deps into benches/.venv"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$BENCH_DIR/requirements.txt"
fi

BASELINE="$BENCH_DIR/baseline/target/release/rfm-baseline"
if [ "$BUILD" = 1 ]; then
  log "building the baseline (release)"
  cargo build --quiet --release --manifest-path "$BENCH_DIR/baseline/Cargo.toml"
fi

RUBRIC=${RUBRIC:-${RUBRIC_BIN:-}}
RUBRIC_GIVEN=1
if [ -z "$RUBRIC" ]; then
  RUBRIC=$ROOT/target/release/rubric
  RUBRIC_GIVEN=0
else
  REQUIRE_RUBRIC=1
fi
RUBRIC_OK=1
RUBRIC_WHY=""
if [ "$BUILD" = 1 ] && [ "$RUBRIC_GIVEN" = 0 ]; then
  log "building rubric (cargo build --release -p rubric-cli)"
  if ! (cd "$ROOT" && cargo build --quiet --release -p rubric-cli) >"$BENCH_DIR/.rubric-build.log" 2>&1; then
    RUBRIC_OK=0
    RUBRIC_WHY="cargo build --release -p rubric-cli failed (see benches/.rubric-build.log)"
  fi
fi
if [ "$RUBRIC_OK" = 1 ] && [ ! -x "$RUBRIC" ]; then
  RUBRIC_OK=0
  RUBRIC_WHY="no binary at $RUBRIC"
fi
if [ "$RUBRIC_OK" = 1 ]; then
  run_help=$("$RUBRIC" run --help 2>&1 || true)
  case "$run_help" in
    *--data*) ;;
    *) RUBRIC_OK=0; RUBRIC_WHY="\`rubric run\` does not exist yet (its --help names no \`--data\`)" ;;
  esac
fi
RUBRIC_SQL_OK=0
if [ "$RUBRIC_OK" = 1 ]; then
  case "$("$RUBRIC" sql --help 2>&1 || true)" in
    *--dialect*) RUBRIC_SQL_OK=1 ;;
    *) log "\`rubric sql\` unavailable: skipping rubric-sql" ;;
  esac
fi
if [ "$RUBRIC_OK" = 0 ]; then
  if [ "$REQUIRE_RUBRIC" = 1 ]; then
    echo "compare.sh: rubric unavailable: $RUBRIC_WHY" >&2
    exit 1
  fi
  log "rubric unavailable: $RUBRIC_WHY; comparing the peers with each other"
fi

SCHEME="$BENCH_DIR/rfm/rfm.rubric"

# Prints the command for TOOL reading $1 and writing $2, one word per line.
command_for() {
  local tool=$1 data=$2 out=$3
  case "$tool" in
    rubric) printf '%s\n' "$RUBRIC" run "$SCHEME" --data "$data" --out "$out" --as-of "$AS_OF" ;;
    rubric-sql) printf '%s\n' "$PY" "$BENCH_DIR/peers/rubric_sql_duckdb.py" --rubric "$RUBRIC" \
      --scheme "$SCHEME" --data "$data" --out "$out" --as-of "$AS_OF" ;;
    duckdb) printf '%s\n' "$PY" "$BENCH_DIR/peers/duckdb_rfm.py" --data "$data" --out "$out" --as-of "$AS_OF" ;;
    polars) printf '%s\n' "$PY" "$BENCH_DIR/peers/polars_rfm.py" --data "$data" --out "$out" --as-of "$AS_OF" ;;
    baseline) printf '%s\n' "$BASELINE" --data "$data" --out "$out" --as-of "$AS_OF" ;;
  esac
}

ACTIVE=()
IFS=',' read -r -a WANTED <<<"$TOOLS"
for tool in "${WANTED[@]}"; do
  case "$tool" in
    rubric) [ "$RUBRIC_OK" = 1 ] && ACTIVE+=(rubric) ;;
    rubric-sql) [ "$RUBRIC_SQL_OK" = 1 ] && ACTIVE+=(rubric-sql) ;;
    duckdb|polars|baseline) ACTIVE+=("$tool") ;;
    *) echo "compare.sh: unknown tool \`$tool\`" >&2; exit 2 ;;
  esac
done
if [ ${#ACTIVE[@]} -eq 0 ]; then
  echo "compare.sh: no tool to run" >&2
  exit 1
fi

# --- runs -------------------------------------------------------------------------------------

mkdir -p "$BENCH_DIR/out" "$BENCH_DIR/data"
WORK=$(mktemp -d "$BENCH_DIR/out/run.XXXXXX")
log "outputs and logs in ${WORK#"$ROOT"/}"
RESULTS="$WORK/results.tsv"
printf 'rows\ttool\trun\tseconds\tcpu_seconds\trss_kb\tstatus\n' >"$RESULTS"
AGREE="$WORK/agreement.tsv"
printf 'rows\ttool\tstatus\n' >"$AGREE"

IFS=',' read -r -a ROW_LIST <<<"$ROWS"
for n in "${ROW_LIST[@]}"; do
  case "$n" in ''|*[!0-9]*) echo "compare.sh: bad row count \`$n\`" >&2; exit 2 ;; esac
  data="$BENCH_DIR/data/customers-$n.csv"
  if [ ! -s "$data" ]; then
    log "generating $n rows into benches/data/customers-$n.csv"
    python3 "$BENCH_DIR/gen_data.py" "$n" --out "$data.tmp.$$"
    mv "$data.tmp.$$" "$data"
  fi
  cat "$data" >/dev/null # warm the page cache for everyone
  outdir="$WORK/$n"
  mkdir -p "$outdir"

  for run in $(seq 1 "$RUNS"); do
    # Alternate the order between runs so that no tool always goes first.
    order=("${ACTIVE[@]}")
    shift_by=$(( (run - 1) % ${#order[@]} ))
    order=("${order[@]:shift_by}" "${order[@]:0:shift_by}")
    for tool in "${order[@]}"; do
      out="$outdir/$tool.csv"
      rm -f "$out"
      mapfile -t cmd < <(command_for "$tool" "$data" "$out")
      start=$(date +%s%N)
      status=ok
      if [ -n "$TIME_BIN" ]; then
        "$TIME_BIN" -f '%M %U %S' -o "$outdir/$tool.rss" "${cmd[@]}" >"$outdir/$tool.log" 2>&1 \
          || status=failed
        read -r rss user sys < <(tail -n 1 "$outdir/$tool.rss")
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
      else
        "${cmd[@]}" >"$outdir/$tool.log" 2>&1 || status=failed
        rss=""
        cpu=""
      fi
      end=$(date +%s%N)
      secs=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", (e - s) / 1e9 }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$tool" "$run" "$secs" "$cpu" "$rss" "$status" \
        >>"$RESULTS"
      log "N=$n run $run $tool: ${secs}s $status"
      if [ "$status" = failed ]; then
        sed 's/^/   | /' "$outdir/$tool.log" | tail -n 20 >&2
      fi
    done
  done

  # Agreement: everyone against the baseline if it ran, else against the first tool.
  ref_tool=${ACTIVE[0]}
  for tool in "${ACTIVE[@]}"; do [ "$tool" = baseline ] && ref_tool=baseline; done
  ref="$outdir/$ref_tool.csv"
  all_agree=1
  for tool in "${ACTIVE[@]}"; do
    out="$outdir/$tool.csv"
    if [ ! -f "$out" ] || [ ! -f "$ref" ]; then
      status="no output"
    elif cmp -s "$ref" "$out"; then
      status=agrees
    else
      status="differs from $ref_tool"
      log "N=$n $tool differs from $ref_tool; first differences (< $ref_tool, > $tool):"
      diff "$ref" "$out" | head -n 10 | sed 's/^/   | /' >&2 || true
    fi
    printf '%s\t%s\t%s\n' "$n" "$tool" "$status" >>"$AGREE"
    [ "$status" = agrees ] || all_agree=0
  done
  if [ "$KEEP" = 0 ] && [ "$all_agree" = 1 ]; then
    rm -f "$outdir"/*.csv
  fi
done

# --- report -----------------------------------------------------------------------------------

machine() {
  echo "- command: \`benches/compare.sh $ARGS\`"
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before the runs: $LOAD"
  echo "- CPU: $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1), $(nproc) cores" \
    "($(lscpu 2>/dev/null | sed -n 's/^Thread(s) per core: *//p') thread(s) per core)"
  echo "- memory: $(free -g | awk '/^Mem:/ { print $2 }') GiB; kernel $(uname -r)"
  echo "- repository HEAD: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown);" \
    "rubric binary: $RUBRIC$([ "$RUBRIC_GIVEN" = 1 ] && echo " (given, not built here: it may be of another commit)")"
  echo "- rustc: $(rustc --version 2>/dev/null | cut -d' ' -f2);" \
    "rubric: $([ "$RUBRIC_OK" = 1 ] && "$RUBRIC" --version 2>/dev/null | head -n 1 || echo unavailable);" \
    "duckdb $("$PY" -c 'import duckdb; print(duckdb.__version__)');" \
    "polars $("$PY" -c 'import polars; print(polars.__version__)');" \
    "Python $("$PY" -c 'import platform; print(platform.python_version())')"
}
REPORT="$WORK/report.md"
machine >"$REPORT"
echo >>"$REPORT"

rc=0
"$PY" - "$RESULTS" "$AGREE" "$RUBRIC_OK" "$RUBRIC_WHY" "$REPORT" <<'EOF' || rc=$?
import csv, statistics, sys

results, agree, rubric_ok, rubric_why = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
report = sys.argv[5]
runs = {}
for r in csv.DictReader(open(results), delimiter="\t"):
    runs.setdefault((int(r["rows"]), r["tool"]), []).append(r)
status = {(int(r["rows"]), r["tool"]): r["status"] for r in csv.DictReader(open(agree), delimiter="\t")}

def median(key):
    rs = runs[key]
    if any(r["status"] != "ok" for r in rs):
        return None
    return statistics.median(float(r["seconds"]) for r in rs)

lines = [
    "| rows | tool | median wall (s) | vs rubric | vs baseline | median CPU (s) | peak RSS (MB) | output |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
]
order = {"rubric": 0, "baseline": 1, "duckdb": 2, "polars": 3, "rubric-sql": 4}
for key in sorted(runs, key=lambda k: (k[0], order.get(k[1], 9))):
    n, tool = key
    m = median(key)
    def ratio(other):
        ref = median((n, other)) if (n, other) in runs else None
        return f"{m / ref:.2f}x" if m is not None and ref else "–"
    rss = [int(r["rss_kb"]) for r in runs[key] if r["rss_kb"]]
    cpus = [float(r["cpu_seconds"]) for r in runs[key] if r["cpu_seconds"]]
    cpu = f"{statistics.median(cpus):.2f}" if cpus else "–"
    rss_mb = f"{max(rss) / 1024:.0f}" if rss else "–"
    wall = f"{m:.2f}" if m is not None else "failed"
    lines.append(
        f"| {n:,} | {tool} | {wall} | {ratio('rubric')} | {ratio('baseline')} | {cpu} | {rss_mb} "
        f"| {status.get(key, '–')} |"
    )
if not rubric_ok:
    lines.append(f"| – | rubric | unavailable | – | – | – | – | {rubric_why} |")
print("\n".join(lines))
with open(report, "a", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")

failed = sum(1 for s in status.values() if s != "agrees")
failed += sum(1 for k in runs if median(k) is None and status.get(k) == "agrees")
passed = len(status) - failed
print()
print(f"report: {report}")
print(f"agreement: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
EOF
cp "$REPORT" "$BENCH_DIR/out/report.md"
exit "$rc"
