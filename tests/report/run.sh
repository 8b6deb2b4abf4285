#!/usr/bin/env bash
# The report check: pages written by `rubric report` and `rubric diff --html`, loaded in
# Debian's headless Chromium by playwright-core (tests/report/check.mjs): every chart drew, the
# labels (Chinese too) are on the page, no script failed, and nothing was fetched but the file.
# Installs chromium and a CJK font from apt when missing, and playwright-core from npm into
# tests/report/node_modules (no browser download: it drives /usr/bin/chromium). The rubric
# binary is RUBRIC_BIN (as `cargo test` sets it), else target/debug/rubric, built here.
#
#   bash tests/report/run.sh                # the checks
#   bash tests/report/run.sh --screenshot   # also writes docs/report.png
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v node >/dev/null || need+=(nodejs npm)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [[ ${#need[@]} -gt 0 ]]; then
  echo "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [[ ! -d "$here/node_modules/playwright-core" ]]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

rubric="${RUBRIC_BIN:-}"
if [[ -z "$rubric" ]]; then
  (cd "$root" && cargo build -q -p rubric-cli)
  rubric="$root/target/debug/rubric"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cd "$root"

# 1. the IBM tiers with a baseline whose diamond line was at 45%
#    (tests/fixtures/report/tiers-old.rubric: one customer moves from gold to diamond)
ex=examples/01-ibm-value-tiers
"$rubric" report "$ex/tiers.rubric" --data "$ex/customers.csv" --measure revenue \
  --baseline tests/fixtures/report/tiers-old.rubric --out "$out/tiers.html"
shot=""
if [[ "${1:-}" == "--screenshot" ]]; then
  shot="$root/docs/report.png"
fi
node "$here/check.mjs" "$out/tiers.html" "$shot" \
  "客户等级" "钻石级" "黄金级" "白银级" "帕累托曲线" "diamond 钻石级 cumulative_share ≤ 50.0%" \
  "迁移 Migration" "变动客户"

# 2. `rubric diff --html`: a score's histogram, a grade added and one removed
d=tests/fixtures/diff
"$rubric" diff "$d/old.rubric" "$d/new.rubric" --data "$d/customers.csv" --measure revenue \
  --html "$out/diff.html" >/dev/null || [[ $? -eq 1 ]]
node "$here/check.mjs" "$out/diff.html" "" \
  "价值分" "规模" "仅在基准中" "gold 黄金级" "3 位客户变动"

# 3. a run with rejected rows lists them
printf '客户编号,营业额,订单数\nc1,2500,12\nc2,abc,3\n合计,2500,15\n' > "$out/bad.csv"
"$rubric" report "$d/new.rubric" --data "$out/bad.csv" --out "$out/bad.html" >/dev/null \
  || [[ $? -eq 1 ]]
node "$here/check.mjs" "$out/bad.html" "" "拒绝的行" "totals row"
