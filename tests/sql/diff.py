#!/usr/bin/env python3
"""Differential test of `rubric sql`: every case is evaluated by rubric (the `rubric_eval`
library, through `crates/rubric-sql/examples/sqldiff_case.rs`) and by real SQL engines running
the query `rubric sql --all` prints, and the two are compared row by row, cell by cell.

Cases: every `[[snapshot]]` of every `rubric.toml` under `examples/`, every `[[case]]` of
`tests/fixtures/sql/cases.toml`, every `[[load]]` of `tests/fixtures/sql/constraints.toml` (a file
loaded into the table of `rubric sql --create-table`, which refuses it exactly when `rubric run`
rejects a row of it), every `tests/fixtures/eval/NAME/` (scheme, data and `rubric run`
arguments), every `test` block of every scheme under `examples/` and `tests/fixtures/` (its
`given` records as the population, its `as_of` as the date), plus `--random N` generated schemes
with generated data (on the engines `--random-engines` names).

Each case also runs the other `--population-plan` where the scheme has a whole-population
`rank`, `top_share` or `cumulative_share`, and each case of a data file runs the warehouse
variants (`variants`): `--from`/`--column`/`--events-from`/`--as-of-expr` against renamed
columns, and `--emit view`, `table` (twice) and `insert`, read back from what they made (in
Spark for the cases named in `WAREHOUSE_SPARK`).

Cells are compared as `rubric run` prints them: decimals normalised (no trailing zeros),
dates ISO, bools `true`/`false`, missing as the empty cell, tags `;`-joined. Every cell must be
equal: there is no tolerance and no excused cell (a quotient is rounded to 16 places on both
sides, and both sides hold 38 digits).

Run through `tests/sql/run.sh`, which installs the engines and starts PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
import tomllib

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASE_BIN = ROOT / "target" / "debug" / "examples" / "sqldiff_case"
MAX_SHOWN = 5

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import gen  # noqa: E402  (the random scheme generator beside this file)


# ---------------------------------------------------------------------------------------------
# cases


def manifest_cases(roots: list[pathlib.Path]):
    for root in roots:
        if not root.exists():
            continue
        for toml_path in sorted([*root.rglob("rubric.toml"), *root.rglob("cases.toml")]):
            with open(toml_path, "rb") as f:
                manifest = tomllib.load(f)
            for snap in manifest.get("snapshot", []) + manifest.get("case", []):
                base = toml_path.parent
                label = str((base / snap["scheme"]).relative_to(ROOT))
                if snap.get("as_of"):
                    label += f" (as_of {snap['as_of']})"
                yield {
                    "name": label,
                    "scheme": base / snap["scheme"],
                    # without `data`, the customers are the keys of the events
                    "data": base / snap["data"] if "data" in snap else "-",
                    "events": {n: base / f for n, f in snap.get("events", {}).items()},
                    "as_of": snap.get("as_of"),
                    "encoding": snap.get("encoding"),
                }


def eval_fixture_cases(root: pathlib.Path):
    """`tests/fixtures/eval/NAME/`: `scheme.rubric`, `data.*` and the `rubric run` arguments."""
    if not root.exists():
        return
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        scheme = d / "scheme.rubric"
        data = sorted(d.glob("data.*"))
        if not scheme.exists() or not data:
            continue
        args = (d / "args").read_text(encoding="utf-8").split() if (d / "args").exists() else []
        opt = {a: args[i + 1] for i, a in enumerate(args[:-1]) if a.startswith("--")}
        yield {
            "name": str(scheme.relative_to(ROOT)),
            "scheme": scheme,
            "data": data[0],
            "as_of": opt.get("--as-of"),
            "encoding": opt.get("--encoding"),
        }


def schemes_with_tests(roots: list[pathlib.Path]):
    # (tests/fixtures/fuzz holds the fuzzer's inputs, some not even UTF-8: rubric-fuzz replays
    # them for robustness; they are not semantics to hold the warehouse to)
    fuzz = ROOT / "tests" / "fixtures" / "fuzz"
    for root in roots:
        if root.exists():
            yield from sorted(p for p in root.rglob("*.rubric") if fuzz not in p.parents)


def evaluate(case) -> dict:
    cmd = [str(CASE_BIN), str(case["scheme"]), str(case["data"])]
    if case.get("as_of"):
        cmd += ["--as-of", str(case["as_of"])]
    if case.get("encoding"):
        cmd += ["--encoding", case["encoding"]]
    for name, path in case.get("events", {}).items():
        cmd += ["--events", f"{name}={path}"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"sqldiff_case failed on {case['name']}: {out.stderr.strip()}")
    return json.loads(out.stdout)


# ---------------------------------------------------------------------------------------------
# values


def sql_type(ty: str, dialect: str) -> str:
    if ty == "text":
        return {"duckdb": "VARCHAR", "postgres": "TEXT", "spark": "STRING"}[dialect]
    if ty == "int":
        return "BIGINT"
    if ty == "decimal":
        return "NUMERIC" if dialect == "postgres" else "DECIMAL(38,6)"
    if ty == "bool":
        return "BOOLEAN"
    if ty == "date":
        return "DATE"
    raise ValueError(ty)


def text_lit(s: str, dialect: str) -> str:
    if dialect == "spark":
        s = s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
        return f"'{s}'"
    return "'" + s.replace("'", "''") + "'"


def literal(v, ty: str, dialect: str) -> str:
    t = sql_type(ty, dialect)
    if v is None:
        return f"CAST(NULL AS {t})"
    if ty == "text":
        return text_lit(v, dialect)
    if ty in ("int", "decimal"):
        return f"CAST('{v}' AS {t})"
    if ty == "bool":
        return "TRUE" if v else "FALSE"
    if ty == "date":
        return f"DATE '{v}'"
    raise ValueError(ty)


def fmt_decimal(d: decimal.Decimal) -> str:
    if d == 0:
        return "0"
    # normalize() rounds to the context's precision (28 digits by default): engines return up
    # to 38, so normalise in a context that holds them all
    s = format(d.normalize(decimal.Context(prec=100)), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def norm(v) -> str:
    """A value from an engine, printed as `rubric run` prints it."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, decimal.Decimal):
        return fmt_decimal(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"FLOAT:{v!r}"  # never equal to a rubric cell: no engine may fall back to floats
    if isinstance(v, datetime.datetime):
        return v.date().isoformat() if v.time() == datetime.time() else v.isoformat()
    if isinstance(v, datetime.date):
        return v.isoformat()
    return str(v)


def compare(name: str, dialect: str, columns, expected, actual_rows, failures: list[str]) -> bool:
    exp = {row[0]: row for row in expected}
    act = {}
    for row in actual_rows:
        cells = [norm(v) for v in row]
        act[cells[0]] = cells
    problems = []
    if set(exp) != set(act):
        only_e = sorted(set(exp) - set(act))[:MAX_SHOWN]
        only_a = sorted(set(act) - set(exp))[:MAX_SHOWN]
        problems.append(f"keys differ: only in rubric {only_e}, only in {dialect} {only_a}")
    if len(actual_rows) != len(expected):
        problems.append(f"{len(expected)} rows from rubric, {len(actual_rows)} from {dialect}")
    for key in sorted(set(exp) & set(act)):
        e, a = exp[key], act[key]
        for i, col in enumerate(columns):
            if i >= len(a) or e[i] != a[i]:
                problems.append(f"key {key!r}, column {col!r}: rubric {e[i]!r}, {dialect} {a[i] if i < len(a) else None!r}")
    if problems:
        shown = problems[:MAX_SHOWN]
        more = len(problems) - len(shown)
        failures.append(f"MISMATCH {name} [{dialect}]\n  " + "\n  ".join(shown) + (f"\n  ... and {more} more" if more else ""))
        return False
    return True


# ---------------------------------------------------------------------------------------------
# engines


def values_rows(case: dict, dialect: str) -> list[str]:
    tys = [f["ty"] for f in case["fields"]]
    return ["(" + ", ".join(literal(v, t, dialect) for v, t in zip(row, tys)) + ")" for row in case["rows"]]


def insert_events(case: dict, dialect: str, execute) -> None:
    """Creates and fills the table of each events block of the case (`rubric sql --events`)."""
    for ev in case.get("events", []):
        execute(ev["ddl"][dialect])
        rows = values_rows(ev, dialect)
        for i in range(0, len(rows), 500):
            execute(f'INSERT INTO "{ev["table"]}" VALUES ' + ",\n".join(rows[i : i + 500]))


def spark_view(spark, name: str, table: dict) -> None:
    """A temporary view `name` holding the rows of `table` (its fields and rows)."""
    fields = table["fields"]
    cols = ", ".join(f"col{i}" for i in range(len(fields)))
    names = ", ".join(f"col{i} AS `{f['column'].replace('`', '``')}`" for i, f in enumerate(fields))
    rows = values_rows(table, "spark")
    if rows:
        view = f"SELECT {names} FROM VALUES " + ",\n".join(rows) + f" AS t({cols})"
    else:
        nulls = ", ".join(
            f"CAST(NULL AS {sql_type(f['ty'], 'spark')}) AS `{f['column']}`" for f in fields
        )
        view = f"SELECT {nulls} WHERE 1 = 0"
    spark.sql(f"CREATE OR REPLACE TEMPORARY VIEW `{name}` AS {view}")


class DuckDB:
    name = "duckdb"

    def __init__(self):
        import duckdb

        self.duckdb = duckdb

    def run(self, case: dict, sql: str | None = None, before: list[str] = ()):
        """Loads the case's tables, runs the statements `before`, then `sql` (default: the
        case's query) and returns its rows."""
        con = self.duckdb.connect()
        try:
            con.execute(case["ddl"]["duckdb"])
            rows = values_rows(case, "duckdb")
            for i in range(0, len(rows), 500):
                con.execute('INSERT INTO "input" VALUES ' + ",\n".join(rows[i : i + 500]))
            insert_events(case, "duckdb", con.execute)
            for stmt in before:
                con.execute(stmt)
            return con.execute(sql or case["sql"]["duckdb"]).fetchall()
        finally:
            con.close()


    def load(self, case: dict, path: pathlib.Path, constrained: bool):
        """Loads the CSV file `path` with DuckDB's own reader into the table of `rubric sql
        --create-table` (`constrained`) or the same table without constraints. Returns the
        constraint error, or None and the rows the check queries find."""
        con = self.duckdb.connect()
        try:
            con.execute(case["ddl" if constrained else "plain_ddl"]["duckdb"])
            lit = "'" + str(path).replace("'", "''") + "'"
            try:
                con.execute(f'COPY "input" FROM {lit} (FORMAT csv, HEADER true)')
            except self.duckdb.ConstraintException as e:
                return str(e).splitlines()[0], 0
            return None, sum(len(con.execute(q).fetchall()) for q in case["checks"]["duckdb"])
        finally:
            con.close()


class Postgres:
    name = "postgres"

    def __init__(self, dsn: str):
        import psycopg

        # (no prepared statements: `SELECT * FROM "rubric_out_table"` reads a table of other
        # column types in each case, which a cached plan refuses)
        self.conn = psycopg.connect(dsn, autocommit=True, prepare_threshold=None)
        # A schema of its own, so that two runs against one server do not meet.
        self.schema = f"rubric_diff_{os.getpid()}"
        with self.conn.cursor() as cur:
            cur.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
            cur.execute(f'CREATE SCHEMA "{self.schema}"')
            cur.execute(f'SET search_path TO "{self.schema}"')

    def run(self, case: dict, sql: str | None = None, before: list[str] = ()):
        with self.conn.cursor() as cur:
            # (CASCADE: the views of `--emit view` read these tables)
            for t in ("input", "wh_input", "rubric_out_table", *(ev["table"] for ev in case.get("events", []))):
                cur.execute(f'DROP TABLE IF EXISTS "{t}" CASCADE')
            cur.execute(case["ddl"]["postgres"])
            rows = values_rows(case, "postgres")
            for i in range(0, len(rows), 500):
                cur.execute('INSERT INTO "input" VALUES ' + ",\n".join(rows[i : i + 500]))
            insert_events(case, "postgres", cur.execute)
            for stmt in before:
                cur.execute(stmt)
            cur.execute(sql or case["sql"]["postgres"])
            return cur.fetchall()

    def load(self, case: dict, path: pathlib.Path, constrained: bool):
        """As `DuckDB.load`, with PostgreSQL's `COPY … FROM STDIN (FORMAT csv)`."""
        import psycopg

        with self.conn.cursor() as cur:
            cur.execute('DROP TABLE IF EXISTS "input"')
            cur.execute(case["ddl" if constrained else "plain_ddl"]["postgres"])
            try:
                with cur.copy('COPY "input" FROM STDIN WITH (FORMAT csv, HEADER true)') as cp:
                    cp.write(path.read_bytes())
            except psycopg.errors.IntegrityError as e:
                return str(e).splitlines()[0], 0
            found = 0
            for q in case["checks"]["postgres"]:
                cur.execute(q)
                found += len(cur.fetchall())
            return None, found


class Spark:
    name = "spark"

    def __init__(self):
        import atexit
        import shutil

        from pyspark.sql import SparkSession

        self.warehouse = tempfile.mkdtemp(prefix="rubric-spark-warehouse-")
        atexit.register(shutil.rmtree, self.warehouse, True)
        self.spark = (
            SparkSession.builder.master("local[2]")
            .appName("rubric-sql-diff")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.decimalOperations.allowPrecisionLoss", "false")
            .config("spark.sql.ansi.enabled", "true")
            .config("spark.driver.memory", "1g")
            # the tables of `--emit table` and `--emit view`: the default data source (Spark 4's
            # default; Spark 3 would make Hive tables), in a directory of this run
            .config("spark.sql.legacy.createHiveTableByDefault", "false")
            .config("spark.sql.warehouse.dir", self.warehouse)
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")

    def run(self, case: dict, sql: str | None = None, before: list[str] = ()):
        tables = ["input", *(ev["table"] for ev in case.get("events", []))]
        for t in ("rubric_out_view", "rubric_out_table", *tables):
            self.spark.catalog.dropTempView(t)
            kind = {"VIEW": "VIEW", "MANAGED": "TABLE", "EXTERNAL": "TABLE"}
            for tab in self.spark.catalog.listTables():
                if tab.name == t and not tab.isTemporary:
                    self.spark.sql(f"DROP {kind.get(tab.tableType, 'TABLE')} `{t}`")
        if before:
            # a view that is kept must read tables that are kept: the case's tables become
            # tables of the catalog, not temporary views
            for t, rows in zip(tables, [case, *case.get("events", [])]):
                spark_view(self.spark, f"{t}__src", rows)
                self.spark.sql(f"CREATE TABLE `{t}` AS SELECT * FROM `{t}__src`")
                self.spark.catalog.dropTempView(f"{t}__src")
        else:
            spark_view(self.spark, "input", case)
            for ev in case.get("events", []):
                spark_view(self.spark, ev["table"], ev)
        for stmt in before:
            self.spark.sql(stmt)
        return [tuple(r) for r in self.spark.sql(sql or case["sql"]["spark"]).collect()]


    def load(self, case: dict, path: pathlib.Path, constrained: bool):
        """Spark enforces no constraint: reads the file with its CSV reader into the view `input`
        and returns the rows the check queries find (`constrained` is ignored)."""
        fields = case["fields"]
        schema = ", ".join(f"`{f['column'].replace('`', '``')}` {sql_type(f['ty'], 'spark')}" for f in fields)
        df = self.spark.read.csv(str(path), header=True, schema=schema, mode="FAILFAST")
        df.createOrReplaceTempView("input")
        return None, sum(len(self.spark.sql(q).collect()) for q in case["checks"]["spark"])


# ---------------------------------------------------------------------------------------------


def load_cases(path: pathlib.Path):
    """The `[[load]]` entries of `tests/fixtures/sql/constraints.toml`."""
    if not path.exists():
        return
    with open(path, "rb") as f:
        manifest = tomllib.load(f)
    for load in manifest.get("load", []):
        yield {
            "name": f"load {load['data']}",
            "scheme": path.parent / load["scheme"],
            "data": path.parent / load["data"],
            "rejected": load["rejected"],
            "refused": load["refused"],
        }


def run_load(load: dict, engines, failures: list[str], counts: dict) -> None:
    """A file that `rubric run` rejects rows of cannot be loaded into the table of `rubric sql
    --create-table` (DuckDB, PostgreSQL); without the constraints it loads, and the check
    queries find rows exactly when the constrained table refuses it (every engine, Spark too)."""
    name = load["name"]
    try:
        case = evaluate(load)
    except Exception as e:  # noqa: BLE001
        failures.append(f"ERROR {name}: {e}")
        counts["failed"] += 1
        return
    problems = []
    if case["rejected"] != load["rejected"]:
        problems.append(f"rubric rejects {case['rejected']} rows, constraints.toml says {load['rejected']}")
    for eng in engines:
        try:
            if eng.name != "spark":
                refused, _ = eng.load(case, load["data"], True)
                if bool(refused) != load["refused"]:
                    problems.append(f"[{eng.name}] the --create-table table {'refused' if refused else 'took'} the file: {refused or ''}")
            refused, found = eng.load(case, load["data"], False)
            if refused:
                problems.append(f"[{eng.name}] the table without constraints refused the file: {refused}")
            elif bool(found) != load["refused"]:
                problems.append(f"[{eng.name}] the check queries found {found} rows")
        except Exception as e:  # noqa: BLE001
            problems.append(f"[{eng.name}] {' / '.join(str(e).strip().splitlines()[:2])}")
    if problems:
        failures.append(f"MISMATCH {name}\n  " + "\n  ".join(problems))
        counts["failed"] += 1
    else:
        counts["passed"] += 1


# Engine errors that mean "this value needs more than 38 digits" (see docs/warehouse.md).
OVERFLOW = ("Overflow in multiplication of DECIMAL", "ARITHMETIC_OVERFLOW", "NUMERIC_VALUE_OUT_OF_RANGE",
            "DECIMAL_PRECISION_EXCEEDS_MAX_PRECISION", "Overflow in cast")
notes: list[str] = []


def run_case(case_def: dict, engines, failures: list[str], counts: dict, case: dict | None = None, warehouse: bool = False) -> None:
    if case is None:
        try:
            case = evaluate(case_def)
        except Exception as e:  # noqa: BLE001
            failures.append(f"ERROR {case_def['name']}: {e}")
            counts["failed"] += 1
            return
    for eng in engines:
        sql = case["sql"][eng.name]
        if sql.startswith("ERROR:"):
            failures.append(f"ERROR {case_def['name']} [{eng.name}]: rubric sql: {sql[6:].strip()}")
            counts["failed"] += 1
            continue
        if eng.name == "postgres" and case.get("overflowed"):
            # A documented difference: rows past 38 digits overflow in `rubric run` (and in
            # DuckDB and Spark), while PostgreSQL's NUMERIC is exact at any size and grades them.
            notes.append(f"OVERFLOW {case_def['name']} [{eng.name}]: {case['overflowed']} rows past 38 digits; NUMERIC grades them")
            counts["skipped"] += 1
            continue
        try:
            rows = eng.run(case)
        except Exception as e:  # noqa: BLE001
            msg = str(e).strip().splitlines()
            if any(m in str(e) for m in OVERFLOW):
                # A documented limit of 38-digit decimals: the engine refuses, it never rounds.
                notes.append(f"OVERFLOW {case_def['name']} [{eng.name}]: {' / '.join(msg[:1])}")
                counts["skipped"] += 1
                continue
            failures.append(f"ERROR {case_def['name']} [{eng.name}]: {' / '.join(msg[:3])}")
            counts["failed"] += 1
            if os.environ.get("RUBRIC_SQL_DUMP"):
                print(sql, file=sys.stderr)
            continue
        if compare(case_def["name"], eng.name, case["columns"], case["expected"], rows, failures):
            counts["passed"] += 1
        else:
            counts["failed"] += 1
            if os.environ.get("RUBRIC_SQL_DUMP"):
                print(sql, file=sys.stderr)
            continue
        spark_too = any(n in case_def["name"] for n in WAREHOUSE_SPARK)
        wide = warehouse and (eng.name != "spark" or spark_too)
        for label, query, before in variants(case, eng.name, wide, alt_spark=warehouse):
            try:
                rows = eng.run(case, query, before)
            except Exception as e:  # noqa: BLE001
                msg = str(e).strip().splitlines()
                failures.append(f"ERROR {case_def['name']} [{eng.name}, {label}]: {' / '.join(msg[:3])}")
                counts["failed"] += 1
                continue
            if compare(case_def["name"], f"{eng.name}, {label}", case["columns"], case["expected"], rows, failures):
                counts["passed"] += 1
            else:
                counts["failed"] += 1


# The cases whose `--emit`, `--from`, `--column` and `--as-of-expr` variants run in Spark too
# (DuckDB and PostgreSQL run them for every case of a data file): Chinese headers, population
# functions; each variant costs Spark a few seconds.
WAREHOUSE_SPARK = ("01-ibm-value-tiers", "27-pareto")


def variants(case: dict, dialect: str, warehouse: bool, alt_spark: bool = False):
    """The other ways the case's rows are computed, each (label, query, statements before it):
    the other plan of whole-population ranks and shares (where it differs), and with `warehouse`
    the query of `--from`, `--column` and `--as-of-expr` and the three `--emit` modes (the table
    built twice, to show that it rebuilds; the insert into the emptied table)."""
    q = '"{}"' if dialect != "spark" else "`{}`"
    # (Spark's default is the histogram plan, run in every case; its window plan, the form
    # proven before the histogram existed, runs for the cases of a data file only)
    if dialect in case.get("sql_alt", {}) and (alt_spark or dialect != "spark"):
        yield "other population plan", case["sql_alt"][dialect], []
    if not warehouse:
        return
    if dialect in case.get("sql_warehouse", {}):
        yield "--from --column --as-of-expr", case["sql_warehouse"][dialect], [case["wh_setup"][dialect]]
    modes = case.get("emit", {}).get(dialect, {})
    if "view" in modes:
        yield "--emit view", f"SELECT * FROM {q.format('rubric_out_view')}", modes["view"]
    if "table" in modes:
        yield "--emit table", f"SELECT * FROM {q.format('rubric_out_table')}", modes["table"] * 2
    if "table" in modes and "insert" in modes:
        empty = f"TRUNCATE TABLE {q.format('rubric_out_table')}"
        yield "--emit insert", f"SELECT * FROM {q.format('rubric_out_table')}", [*modes["table"], empty, *modes["insert"]]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--engines", default="duckdb,postgres,spark")
    ap.add_argument("--pg", default=os.environ.get("RUBRIC_PG_DSN", ""))
    ap.add_argument("--random", type=int, default=0, help="generated schemes to test")
    ap.add_argument("--random-engines", default="duckdb")
    ap.add_argument("--random-spark", type=int, default=0, help="of the generated schemes, the first N run on Spark too")
    ap.add_argument("--seed", type=int, default=20241122)
    ap.add_argument("--only", default="", help="run the cases whose name contains this")
    ap.add_argument("--no-test-blocks", action="store_true", help="skip the cases made of test blocks")
    args = ap.parse_args()
    started = time.time()

    wanted = set(args.engines.split(",")) | set(args.random_engines.split(","))
    if args.random and args.random_spark:
        wanted.add("spark")
    wanted.discard("")
    engines = {}
    for name in ("duckdb", "postgres", "spark"):
        if name not in wanted:
            continue
        t = time.time()
        if name == "duckdb":
            engines[name] = DuckDB()
        elif name == "postgres":
            engines[name] = Postgres(args.pg)
        else:
            engines[name] = Spark()
        print(f"{name}: ready in {time.time() - t:.1f}s", flush=True)

    failures: list[str] = []
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    roots = [ROOT / "examples", ROOT / "tests" / "fixtures" / "eval", ROOT / "tests" / "fixtures" / "sql"]
    fixed = [e for n, e in engines.items() if n in args.engines.split(",")]
    data_cases = [*manifest_cases(roots), *eval_fixture_cases(ROOT / "tests" / "fixtures" / "eval")]
    for case in data_cases:
        if args.only and args.only not in case["name"]:
            continue
        t = time.time()
        before = counts["failed"]
        run_case(case, fixed, failures, counts, warehouse=True)
        status = "ok" if counts["failed"] == before else "FAILED"
        print(f"{case['name']}: {status} ({time.time() - t:.1f}s)", flush=True)

    # Files loaded into the table of `rubric sql --create-table`.
    for load in load_cases(ROOT / "tests" / "fixtures" / "sql" / "constraints.toml"):
        if args.only and args.only not in load["name"]:
            continue
        t = time.time()
        before = counts["failed"]
        run_load(load, fixed, failures, counts)
        status = "ok" if counts["failed"] == before else "FAILED"
        print(f"{load['name']}: {status} ({time.time() - t:.1f}s)", flush=True)

    # Every test block of every scheme: its `given` records are a small population.
    if not args.no_test_blocks:
        for scheme in schemes_with_tests([ROOT / "examples", ROOT / "tests" / "fixtures"]):
            rel = str(scheme.relative_to(ROOT))
            if args.only and args.only not in rel:
                continue
            out = subprocess.run([str(CASE_BIN), "--tests", str(scheme)], capture_output=True, text=True)
            if out.returncode != 0:
                failures.append(f"ERROR {rel}: sqldiff_case --tests: {out.stderr.strip()}")
                counts["failed"] += 1
                continue
            blocks = json.loads(out.stdout)
            if not blocks:
                continue
            t = time.time()
            before = counts["failed"]
            for block in blocks:
                name = f"{rel} test {block['name']!r}"
                run_case({"name": name}, fixed, failures, counts, case=block)
            status = "ok" if counts["failed"] == before else "FAILED"
            print(f"{rel}: {len(blocks)} test blocks {status} ({time.time() - t:.1f}s)", flush=True)

    if args.random:
        rnd_engines = [e for n, e in engines.items() if n in args.random_engines.split(",")]
        with tempfile.TemporaryDirectory(prefix="rubric-sql-random-") as tmp:
            t = time.time()
            for i in range(args.random):
                case = gen.write_case(pathlib.Path(tmp), args.seed + i)
                before = counts["failed"]
                these = rnd_engines
                if i < args.random_spark and "spark" not in args.random_engines.split(","):
                    these = [*rnd_engines, engines["spark"]]
                run_case(case, these, failures, counts)
                if counts["failed"] != before:
                    keep = ROOT / "target" / "rubric-sql-random" / f"seed-{args.seed + i}"
                    keep.mkdir(parents=True, exist_ok=True)
                    for p in (case["scheme"], case["data"]):
                        (keep / p.name).write_bytes(p.read_bytes())
                    failures.append(f"  (kept in {keep.relative_to(ROOT)})")
            print(f"random: {args.random} schemes from seed {args.seed} ({time.time() - t:.1f}s)", flush=True)

    for n in notes:
        print(n, file=sys.stderr)
    for f in failures:
        print(f, file=sys.stderr)
    print(f"diff.py: {time.time() - started:.0f}s", flush=True)
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
