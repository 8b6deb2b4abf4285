#!/usr/bin/env python3
"""The window plan against the histogram plan of whole-population `top_share` and
`cumulative_share` (examples/27-pareto), at 5,000,000 generated customers, in Spark local[2] and
DuckDB, the two plans alternating (the first of a round turning) so that both meet the same
machine load. Not part of CI; Spark's defaults otherwise (adaptive execution on).

    cargo build -p rubric-cli
    python3 -m venv /tmp/pp && /tmp/pp/bin/pip install pyspark==3.5.3 duckdb==2.0.0
    /tmp/pp/bin/python benches/population_plan.py [--rows 5000000] [--rounds 2]

(tests/sql/.venv, which tests/sql/run.sh installs, holds both packages.) Prints a markdown table
of wall-clock seconds per run; each query's full result is computed and written to Spark's `noop`
sink, or counted in DuckDB, and both plans' rows are checked to agree (a digest of every row).
"""

import argparse
import pathlib
import subprocess
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
SCHEME = ROOT / "examples" / "27-pareto" / "pareto.rubric"
RUBRIC = ROOT / "target" / "debug" / "rubric"

# revenue in cents below 100,000 (about as many distinct values as rows); profit in whole yuan
# below 20,000 (few distinct values); ids unique
GEN = {
    "spark": "SELECT CAST(id AS STRING) AS `客户编号`, 'x' AS `客户名称`, "
    "CAST(((id * 7919) % 10000000) / 100 AS DECIMAL(38,6)) AS `销售额(元)`, "
    "CAST((id * 104729) % 20000 AS DECIMAL(38,6)) AS `毛利(元)` FROM range({n})",
    "duckdb": "SELECT CAST(range AS VARCHAR) AS \"客户编号\", 'x' AS \"客户名称\", "
    "CAST(((range * 7919) % 10000000) / 100 AS DECIMAL(38,6)) AS \"销售额(元)\", "
    "CAST((range * 104729) % 20000 AS DECIMAL(38,6)) AS \"毛利(元)\" FROM range({n})",
}


def query(dialect: str, plan: str) -> str:
    out = subprocess.run(
        [str(RUBRIC), "sql", str(SCHEME), "--dialect", dialect, "--table", "customers", "--population-plan", plan],
        capture_output=True, text=True, check=True,
    )
    return out.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    results = []

    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]").appName("rubric-population-plan")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    # the customers cached in memory: the plans are timed, not the generator
    spark.sql(GEN["spark"].format(n=args.rows)).cache().createOrReplaceTempView("customers")
    spark.sql("SELECT COUNT(*) FROM customers").collect()
    digests = {}
    # (the order turns each round, so that neither plan always runs first on a cold JVM)
    order = lambda r: ("window", "histogram") if r % 2 == 0 else ("histogram", "window")  # noqa: E731
    for r in range(args.rounds):
        for plan in order(r):
            q = query("spark", plan)
            t = time.time()
            spark.sql(q).write.format("noop").mode("overwrite").save()
            results.append(("spark local[2]", plan, r + 1, time.time() - t))
            print(results[-1], flush=True)
            if r == 0:
                # (a digest of every row, outside the timing)
                digests[plan] = tuple(spark.sql(q).selectExpr("sum(hash(`客户编号`, pareto, abc))", "count(*)").collect()[0])
    assert digests["window"] == digests["histogram"], digests
    spark.stop()

    import duckdb

    con = duckdb.connect()
    con.execute(f"CREATE TABLE customers AS {GEN['duckdb'].format(n=args.rows)}")
    ddig = {}
    for r in range(args.rounds):
        for plan in order(r):
            q = query("duckdb", plan)
            t = time.time()
            row = con.execute(f'SELECT SUM(hash("客户编号", pareto, abc)), COUNT(*) FROM ({q}) AS x').fetchone()
            results.append(("duckdb", plan, r + 1, time.time() - t))
            print(results[-1], flush=True)
            ddig[plan] = row
    assert ddig["window"] == ddig["histogram"], ddig

    print(f"\n{args.rows:,} customers; seconds per run (wall clock)\n")
    print("| engine | plan | " + " | ".join(f"run {i + 1}" for i in range(args.rounds)) + " |")
    print("|---|---|" + "---|" * args.rounds)
    for eng in ("spark local[2]", "duckdb"):
        for plan in ("window", "histogram"):
            times = [f"{s:.1f}" for e, p, _, s in results if e == eng and p == plan]
            print(f"| {eng} | {plan} | " + " | ".join(times) + " |")


if __name__ == "__main__":
    main()
