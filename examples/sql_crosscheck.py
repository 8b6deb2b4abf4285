#!/usr/bin/env python3
"""Cross-check `rubric sql` against the stored snapshots of every example, in DuckDB.

    pip install duckdb openpyxl
    cargo build -p rubric-cli
    python3 examples/sql_crosscheck.py [path/to/rubric]

For each `[[snapshot]]` of each `examples/*/rubric.toml`, the example's data is loaded into a
DuckDB table typed after the scheme's `input` block (bool cells such as `是/否`, `yes/no`, `1/0`
and dates written `2024/05/16` are converted the way `rubric run` reads them), the SQL from
`rubric sql --dialect duckdb` is run over it, and every output cell is compared with the snapshot
that `rubric test` checks. Exits 1 on any difference.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import tomllib
from decimal import Decimal
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
SQL_TYPES = {"text": "VARCHAR", "int": "BIGINT", "decimal": "DECIMAL(38,10)", "bool": "BOOLEAN", "date": "DATE"}
BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False, "是": True, "否": False}


def input_fields(src: str) -> list[tuple[str, str, str]]:
    """(name, type, column header) of each field of the scheme's `input { … }` block."""
    body = re.search(r"^input\s*\{(.*?)^\}", src, re.S | re.M)
    assert body, "no input block"
    fields = []
    for line in body.group(1).split("\n"):
        line = line.split("//")[0].strip()
        m = re.match(r'(\w+)\s+(text|int|decimal|bool|date)\??((?:\s+(?:key|"[^"]*"))*)', line)
        if m:
            header = re.search(r'"([^"]*)"', m.group(3))
            fields.append((m.group(1), m.group(2), header.group(1) if header else m.group(1)))
    return fields


def cell(value, ty: str):
    if value is None or value == "":
        return None
    if ty == "bool":
        return value if isinstance(value, bool) else BOOLS[str(value).lower()]
    if ty == "date":
        return str(value)[:10].replace("/", "-")
    if ty in ("int", "decimal"):
        return repr(value) if isinstance(value, float) else str(value)
    return value


def read_rows(path: Path, encoding: str) -> list[dict]:
    if path.suffix == ".xlsx":
        import openpyxl

        rows = openpyxl.load_workbook(path).active.iter_rows(values_only=True)
        header = next(rows)
        out = []
        for r in rows:
            out.append({h: (v.date().isoformat() if hasattr(v, "date") else v) for h, v in zip(header, r)})
        return out
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    if path.suffix == ".json":
        return json.loads(path.read_text(encoding="utf-8"))
    return list(csv.DictReader(path.open(encoding=encoding, newline="")))


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(value)
    if isinstance(value, (int, float, Decimal)):
        return format(Decimal(str(value)).normalize(), "f")
    try:
        return format(Decimal(value).normalize(), "f")
    except Exception:
        return str(value)


def main() -> int:
    rubric = sys.argv[1] if len(sys.argv) > 1 else str(HERE.parent / "target" / "debug" / "rubric")
    failed = 0
    for toml in sorted(HERE.glob("*/rubric.toml")):
        for snap in tomllib.loads(toml.read_text(encoding="utf-8"))["snapshot"]:
            folder = toml.parent
            scheme = folder / snap["scheme"]
            fields = input_fields(scheme.read_text(encoding="utf-8"))
            rows = read_rows(folder / snap["data"], snap.get("encoding", "utf-8"))
            con = duckdb.connect()
            con.execute("CREATE TABLE customers (" + ", ".join(f'"{h}" {SQL_TYPES[t]}' for _, t, h in fields) + ")")
            con.executemany(f"INSERT INTO customers VALUES ({', '.join('?' for _ in fields)})",
                            [[cell(r.get(h), t) for _, t, h in fields] for r in rows])
            cmd = [rubric, "sql", "--dialect", "duckdb", "--table", "customers", str(scheme)]
            if "as_of" in snap:
                cmd += ["--as-of", snap["as_of"]]
            sql = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            got = {str(r[0]): [text(v) for v in r[1:]] for r in con.execute(sql).fetchall()}
            expected = list(csv.reader((folder / snap["output"]).open(encoding="utf-8", newline="")))[1:]
            diffs = [(e[0], e[1:], got.get(e[0])) for e in expected if [text(v) for v in e[1:]] != got.get(e[0])]
            if len(got) != len(expected):
                diffs.append(("row count", len(expected), len(got)))
            status = "ok" if not diffs else f"{len(diffs)} differences, first: {diffs[0]}"
            print(f"{folder.name}: {len(expected)} customers, {status}")
            failed += bool(diffs)
    print(f"{failed} example(s) differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
