#!/usr/bin/env python3
"""Runs the SQL that `rubric sql --dialect duckdb` compiles from the scheme in DuckDB, CSV -> CSV.

    python benches/peers/rubric_sql_duckdb.py --rubric target/release/rubric \\
        --scheme benches/rfm/rfm.rubric --data customers.csv --out scores.csv --as-of 2024-06-30

This is not a hand-written peer: it checks that `rubric sql` is faithful to `rubric run` on the
benchmark data (ties, missing values, exact decimals), and times it. The steps:

1. `rubric sql --create-table` gives the table the query reads; the CSV is loaded into it with
   `read_csv` using exactly those column types (nothing sniffed).
2. `rubric sql` gives one SELECT; it runs inside `COPY (...) TO` with DuckDB's CSV writer.
3. Output formatting, the one thing SQL does not settle: DECIMAL columns are printed normalised
   (trailing zeros and a bare point removed), as Rubric prints decimals; NULL is the empty cell.
4. Row order: the SELECT carries no input order, so the rows are sorted by the key. The
   benchmark's ids are zero-padded row numbers, so this is the input order for
   `benches/gen_data.py` data, not in general.
"""

import argparse
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rubric", required=True, help="the rubric binary")
    parser.add_argument("--scheme", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--key", default="id", help="the key column, for the row order")
    args = parser.parse_args()

    base = [args.rubric, "sql", args.scheme, "--dialect", "duckdb", "--table", "customers",
            "--as-of", args.as_of]
    create = subprocess.run(base + ["--create-table"], check=True, capture_output=True, text=True)
    query = subprocess.run(base, check=True, capture_output=True, text=True)

    import duckdb

    def q(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    def ident(s: str) -> str:
        return '"' + s.replace('"', '""') + '"'

    con = duckdb.connect(":memory:")
    con.execute(create.stdout)
    columns = con.execute("DESCRIBE customers").fetchall()
    spec = ", ".join(f"{q(name)}: {q(typ)}" for name, typ, *_ in columns)
    con.execute(
        f"INSERT INTO customers SELECT * FROM read_csv({q(args.data)}, header = true, "
        f"delim = ',', quote = '\"', escape = '\"', auto_detect = false, columns = {{{spec}}}, "
        f"dateformat = '%Y-%m-%d')"
    )

    select = query.stdout.strip().rstrip(";")
    outputs = con.execute(f"DESCRIBE {select}").fetchall()
    cols = []
    for name, typ, *_ in outputs:
        c = ident(name)
        if typ.upper().startswith("DECIMAL"):
            text = f"CAST({c} AS VARCHAR)"
            c = (
                f"CASE WHEN contains({text}, '.') THEN rtrim(rtrim({text}, '0'), '.') "
                f"ELSE {text} END AS {ident(name)}"
            )
        cols.append(c)
    con.execute(
        f"COPY (SELECT {', '.join(cols)} FROM ({select}) AS rubric ORDER BY {ident(args.key)}) "
        f"TO {q(args.out)} (FORMAT csv, HEADER true, DELIMITER ',')"
    )
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
