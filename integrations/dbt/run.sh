#!/usr/bin/env bash
# The dbt example built and tested by real dbt (dbt-duckdb from PyPI, in integrations/dbt/.venv):
# the model and schema tests must be what `rubric sql` writes today, `dbt build` (seed, model,
# tests) must pass, and the model's rows must be `rubric run`'s (the example's snapshot).
#   RUBRIC_BIN=target/debug/rubric integrations/dbt/run.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${RUBRIC_BIN:-$repo/target/debug/rubric}
start=$(date +%s)
venv="$here/.venv"
if ! "$venv/bin/python" -c '' 2>/dev/null || [[ ! -x "$venv/bin/pip" ]]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check 'dbt-duckdb==1.10.1' 'dbt-core==1.10.23'

# 1. the checked-in model and schema.yml are what rubric writes now
RUBRIC_BIN="$bin" bash "$here/generate.sh"
if ! git -C "$repo" diff --quiet -- integrations/dbt/models; then
  git -C "$repo" diff --stat -- integrations/dbt/models >&2
  echo "integrations/dbt/run.sh: the models are stale: commit what generate.sh wrote" >&2
  exit 1
fi

# 2. dbt build: the seed, the model, the unique / not_null / accepted_values tests
cd "$here"
export DBT_SEND_ANONYMOUS_USAGE_STATS=false
rm -f target/rubric_example.duckdb
"$venv/bin/dbt" build --project-dir "$here" --profiles-dir "$here" --no-use-colors

# 3. the model's rows are rubric run's
"$venv/bin/python" - "$repo/examples/27-pareto/pareto.snapshot.csv" <<'PY'
import csv, sys, duckdb
with open(sys.argv[1], encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, expected = rows[0], sorted(tuple(r) for r in rows[1:])
con = duckdb.connect("target/rubric_example.duckdb", read_only=True)
cols = ", ".join('"' + c + '"' for c in header)
actual = sorted(tuple("" if v is None else str(v) for v in r) for r in con.execute(f"SELECT {cols} FROM rubric_pareto").fetchall())
if actual != expected:
    bad = [(e, a) for e, a in zip(expected, actual) if e != a][:5]
    sys.exit(f"the dbt model differs from rubric run: {len(actual)} rows against {len(expected)}; first differences {bad}")
print(f"the dbt model's {len(actual)} rows are rubric run's")
PY
# 4. the tests catch what they are for: a code no grade has, a key twice
"$venv/bin/python" - <<'PY'
import duckdb
con = duckdb.connect("target/rubric_example.duckdb")
con.execute("UPDATE rubric_pareto SET pareto = 'platinum' WHERE \"客户编号\" = (SELECT min(\"客户编号\") FROM rubric_pareto)")
con.execute("INSERT INTO rubric_pareto SELECT * FROM rubric_pareto LIMIT 1")
PY
if out=$("$venv/bin/dbt" test --project-dir "$here" --profiles-dir "$here" --no-use-colors 2>&1); then
  echo "$out" >&2
  echo "integrations/dbt/run.sh: dbt test passed a model with a foreign code and a repeated key" >&2
  exit 1
fi
if ! grep -q "FAIL 1 accepted_values_rubric_pareto__pareto" <<<"$out" || ! grep -q "FAIL 1 unique_rubric_pareto" <<<"$out" \
  || ! grep -q "PASS=2 " <<<"$out"; then
  echo "$out" >&2
  echo "integrations/dbt/run.sh: expected exactly the accepted_values and unique tests to fail" >&2
  exit 1
fi
echo "dbt test fails on a foreign code and a repeated key, as it should"
echo "integrations/dbt/run.sh: $(( $(date +%s) - start ))s"
