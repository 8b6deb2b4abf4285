#!/usr/bin/env bash
# Before/after check of an engine change: two rubric binaries on compare.sh's RFM workload,
# run alternately on the same data, with their outputs compared byte for byte.
#
#   benches/ab.sh OLD_BINARY NEW_BINARY [--rows 1000000,10000000] [--runs 5] [--threads N]
#
# Build the old binary from the commit before the change (e.g. `git worktree add /tmp/old
# HEAD~1 && cargo build --release -p rubric-cli --manifest-path /tmp/old/Cargo.toml`). Data is
# compare.sh's (benches/data/customers-N.csv, generated when missing). Prints per row count the
# median wall time, median CPU time and largest peak RSS of each binary and the new/old ratio
# of the medians; exits 1 when the two outputs differ. Timing needs /usr/bin/time (Debian
# package `time`). Run it on an idle machine: on a busy one the ratio is noise.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -lt 2 ]; then
  sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  exit 2
fi
OLD=$1
NEW=$2
shift 2
ROWS=1000000
RUNS=5
THREADS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --threads) THREADS=(--threads "$2"); shift 2 ;;
    *) echo "ab.sh: unknown option \`$1\`" >&2; exit 2 ;;
  esac
done
for b in "$OLD" "$NEW"; do
  [ -x "$b" ] || { echo "ab.sh: \`$b\` is not an executable" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "ab.sh: needs /usr/bin/time (apt install time)" >&2; exit 2; }

SCHEME=$BENCH_DIR/rfm/rfm.rubric
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

status=0
printf '| rows | old wall | new wall | new/old | old CPU | new CPU | old RSS MB | new RSS MB |\n'
printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
IFS=',' read -r -a ROW_LIST <<<"$ROWS"
for n in "${ROW_LIST[@]}"; do
  data=$BENCH_DIR/data/customers-$n.csv
  if [ ! -s "$data" ]; then
    python3 "$BENCH_DIR/gen_data.py" "$n" --out "$data.tmp.$$"
    mv "$data.tmp.$$" "$data"
  fi
  cat "$data" >/dev/null
  for run in $(seq 1 "$RUNS"); do
    # alternate which binary goes first
    if [ $((run % 2)) = 1 ]; then order="old new"; else order="new old"; fi
    for who in $order; do
      bin=$OLD
      [ "$who" = new ] && bin=$NEW
      /usr/bin/time -f '%e %U %S %M' -o "$WORK/$who.$n.$run.time" \
        "$bin" run "$SCHEME" --data "$data" --out "$WORK/$who.$n.csv" --as-of 2024-06-30 \
        "${THREADS[@]}" >/dev/null 2>"$WORK/$who.$n.log" || {
        echo "ab.sh: $who failed on $n rows (see below)" >&2
        cat "$WORK/$who.$n.log" >&2
        exit 1
      }
    done
  done
  if ! cmp -s "$WORK/old.$n.csv" "$WORK/new.$n.csv"; then
    echo "ab.sh: the outputs differ at $n rows" >&2
    status=1
  fi
  stat() { # who field(1 wall, 2 cpu, 3 rss)
    for f in "$WORK/$1.$n".*.time; do
      tail -n 1 "$f" | awk -v k="$2" '{ if (k == 1) print $1; else if (k == 2) print $2 + $3; else print $4 / 1024 }'
    done
  }
  ow=$(stat old 1 | median); nw=$(stat new 1 | median)
  oc=$(stat old 2 | median); nc=$(stat new 2 | median)
  orss=$(stat old 3 | sort -g | tail -n 1); nrss=$(stat new 3 | sort -g | tail -n 1)
  printf '| %s | %.2f s | %.2f s | %.3f | %.2f s | %.2f s | %.0f | %.0f |\n' \
    "$n" "$ow" "$nw" "$(awk -v a="$nw" -v b="$ow" 'BEGIN { print a / b }')" "$oc" "$nc" "$orss" "$nrss"
done
exit $status
