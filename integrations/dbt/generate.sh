#!/usr/bin/env bash
# Writes the model and its schema tests from the scheme with `rubric sql`:
#   integrations/dbt/generate.sh                  # RUBRIC_BIN, else target/debug/rubric
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${RUBRIC_BIN:-$repo/target/debug/rubric}
scheme=examples/27-pareto/pareto.rubric
cd "$repo"
# the customers are the seed, the date the project's `as_of` variable
"$bin" sql "$scheme" --dialect duckdb \
  --from "{{ ref('customers') }}" \
  --as-of-expr "'{{ var(\"as_of\") }}'" \
  > "$here/models/rubric_pareto.sql"
"$bin" sql "$scheme" --dialect duckdb --emit dbt-schema rubric_pareto > "$here/models/schema.yml"
