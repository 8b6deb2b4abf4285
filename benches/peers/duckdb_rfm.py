#!/usr/bin/env python3
"""benches/rfm/rfm.rubric as DuckDB SQL, CSV -> CSV (peer benchmark, issue 8).

    python benches/peers/duckdb_rfm.py --data customers.csv --out scores.csv [--as-of 2024-06-30]
    python benches/peers/duckdb_rfm.py --print-sql        # show the SQL that runs

Semantics, matched to LANGUAGE.md and to benches/baseline/src/main.rs:
- Types are explicit, nothing is sniffed: `id` VARCHAR (so `000123` stays `000123`), dates
  DATE, ints BIGINT, `revenue` DECIMAL(18,2) (exact; the generated data has 2 decimal places and
  DuckDB would round more places, so use DECIMAL(38,10) for other data). Empty cells are NULL =
  Rubric's missing.
- `days_since(d)` is `as_of - d` (DATE - DATE = days). `d within 90d` is
  `d >= as_of - 90 AND d <= as_of`; the date bounds are computed here and inlined as literals.
- Population functions, exactly as LANGUAGE.md's table says:
  rank = RANK() OVER (ORDER BY revenue DESC); top_share = CUME_DIST() OVER (ORDER BY revenue
  DESC); cumulative_share = SUM(revenue) OVER (ORDER BY revenue DESC RANGE UNBOUNDED PRECEDING)
  / SUM(revenue) OVER (). DuckDB turns DECIMAL / DECIMAL into DOUBLE, so the share comparison
  `cum / total <= 0.8` is written cross-multiplied in exact decimals (`cum * 100 <= total * 80`
  when total > 0, reversed when total < 0, never true when total = 0, where the share is
  missing). CUME_DIST is a DOUBLE count / count, which compares exactly with 0.1 and 0.3:
  division is correctly rounded and two different ratios k/n differ by far more than a rounding
  step.
- The score is DECIMAL arithmetic, printed normalised: trailing zeros and a bare point removed
  (`4.1500` -> `4.15`, `4.0000` -> `4`), as Rubric prints decimals.
- A CASE without ELSE gives NULL, which COPY writes as the empty cell (Rubric's missing);
  `loyal` uses SQL's three-valued AND, so a NULL activity does not make it fire.
- Rows come out in input order (ORDER BY the table's rowid, which follows the file order because
  preserve_insertion_order is on); header `id,rfm,abc,top,activity,segment`, `\\n` line ends.
"""

import argparse
import datetime as dt
import sys


def build_sql(data: str, out: str, as_of: dt.date) -> list[str]:
    def lit(d: dt.date) -> str:
        return f"DATE '{d.isoformat()}'"

    def days_before(n: int) -> str:
        return lit(as_of - dt.timedelta(days=n))

    def q(s: str) -> str:
        return "'" + s.replace("'", "''") + "'"

    def share_le(pct: int) -> str:
        # cumulative_share(revenue) <= pct%, exactly
        return (
            f"((total_rev > 0 AND cum_rev * 100 <= total_rev * {pct}) OR "
            f"(total_rev < 0 AND cum_rev * 100 >= total_rev * {pct}))"
        )

    load = f"""
CREATE TABLE customers AS
SELECT * FROM read_csv({q(data)},
    header = true, delim = ',', quote = '"', escape = '"', auto_detect = false,
    columns = {{'id': 'VARCHAR', 'first_order': 'DATE', 'last_order': 'DATE',
               'orders': 'BIGINT', 'units': 'BIGINT', 'revenue': 'DECIMAL(18,2)'}},
    dateformat = '%Y-%m-%d')"""

    query = f"""
COPY (
  WITH pop AS (
    SELECT
      rowid AS rn, id, first_order, last_order, orders, units,
      CASE
        WHEN {lit(as_of)} - last_order <= 30 THEN 5
        WHEN {lit(as_of)} - last_order <= 90 THEN 4
        WHEN {lit(as_of)} - last_order <= 180 THEN 3
        WHEN {lit(as_of)} - last_order <= 365 THEN 2
        ELSE 1
      END AS r_pts,
      CASE
        WHEN orders >= 20 THEN 5 WHEN orders >= 10 THEN 4 WHEN orders >= 5 THEN 3
        WHEN orders >= 2 THEN 2 ELSE 1
      END AS f_pts,
      CASE
        WHEN revenue >= 10000 THEN 5 WHEN revenue >= 2000 THEN 4 WHEN revenue >= 500 THEN 3
        WHEN revenue >= 100 THEN 2 ELSE 1
      END AS m_pts,
      RANK() OVER by_revenue AS rev_rank,
      CUME_DIST() OVER by_revenue AS rev_top_share,
      SUM(revenue) OVER (ORDER BY revenue DESC RANGE UNBOUNDED PRECEDING) AS cum_rev,
      SUM(revenue) OVER () AS total_rev
    FROM customers
    WINDOW by_revenue AS (ORDER BY revenue DESC)
  ),
  graded AS (
    SELECT
      rn, id, first_order, orders,
      (r_pts * 0.4
        + f_pts * 0.3 * (CASE WHEN units >= 100 THEN 1.1 ELSE 1 END)
        + m_pts * 0.3)
        * (CASE WHEN first_order < DATE '2017-01-01' THEN 1.05 ELSE 1 END) AS rfm,
      CASE
        WHEN {share_le(80)} THEN 'a'
        WHEN {share_le(95)} THEN 'b'
        ELSE 'c'
      END AS abc,
      CASE
        WHEN rev_rank <= 100 THEN 'top100'
        WHEN rev_top_share <= 0.1 THEN 'top10'
        WHEN rev_top_share <= 0.3 THEN 'top30'
        ELSE 'rest'
      END AS top,
      CASE
        WHEN last_order >= {days_before(90)} AND last_order <= {lit(as_of)} THEN 'active'
        WHEN last_order >= {days_before(365)} AND last_order <= {lit(as_of)} THEN 'lapsing'
        WHEN last_order < {days_before(365)} THEN 'lost'
      END AS activity
    FROM pop
  )
  SELECT
    id,
    CASE WHEN contains(CAST(rfm AS VARCHAR), '.')
      THEN rtrim(rtrim(CAST(rfm AS VARCHAR), '0'), '.')
      ELSE CAST(rfm AS VARCHAR)
    END AS rfm,
    abc,
    top,
    activity,
    CASE
      WHEN rfm >= 4.5 THEN 'champion'
      WHEN first_order >= {days_before(90)} AND first_order <= {lit(as_of)} THEN 'newcomer'
      WHEN rfm >= 3.5 AND activity <> 'lost' THEN 'loyal'
      WHEN activity = 'lost' AND orders >= 5 THEN 'at_risk'
      WHEN activity = 'lost' THEN 'hibernating'
      ELSE 'regular'
    END AS segment
  FROM graded
  ORDER BY rn
) TO {q(out)} (FORMAT csv, HEADER true, DELIMITER ',')"""
    return [load, query]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="customers.csv")
    parser.add_argument("--out", default="scores.csv")
    parser.add_argument("--as-of", default="2024-06-30", type=dt.date.fromisoformat)
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--print-sql", action="store_true")
    args = parser.parse_args()

    statements = build_sql(args.data, args.out, args.as_of)
    if args.print_sql:
        print(";\n".join(s.strip() for s in statements) + ";")
        return 0

    import duckdb

    con = duckdb.connect(":memory:")
    if args.threads:
        con.execute(f"SET threads = {args.threads}")
    for statement in statements:
        con.execute(statement)
    con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
