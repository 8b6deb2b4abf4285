#!/usr/bin/env python3
"""benches/rfm/rfm.rubric as a Polars lazy query, CSV -> CSV (peer benchmark, issue 8).

    python benches/peers/polars_rfm.py --data customers.csv --out scores.csv [--as-of 2024-06-30]

Semantics, matched to LANGUAGE.md and to benches/baseline/src/main.rs:
- Types are explicit (`schema=`), nothing is inferred: `id` String (`000123` stays), dates Date,
  ints Int64, `revenue` Decimal(18,2), which is exact for the generated data (2 places). Empty
  cells are null = Rubric's missing.
- Polars' Decimal multiplication rounds to the larger operand scale (`3.1395` comes out as
  `3.15`), so all arithmetic runs on exact integers instead: revenue in cents, and the score in
  ten-thousandths (`r*0.4 + f*0.3*1.1 + m*0.3` = `(40r + 33f + 30m) / 100`, times 105/100 for
  the score bonus), printed as a normalised decimal (`41500` -> `4.15`, `40000` -> `4`).
- `days_since(d)` = as_of - d in days; `d within 90d` = `d >= as_of - 90d and d <= as_of`.
- Population functions (the SQL of LANGUAGE.md, in Polars terms):
  rank = `rank("min", descending=True)` (SQL RANK); the number of rows with revenue >= this one's
  is `rank("max", descending=True)` = n * CUME_DIST, so `top_share <= 10%` is `ge * 10 <= n`;
  the cumulative revenue of those rows is the descending-sorted running sum taken at position
  `ge - 1` (SQL SUM OVER ORDER BY DESC RANGE UNBOUNDED PRECEDING), and `cumulative_share <= 80%`
  is `cum * 100 <= total * 80` for total > 0 (reversed for total < 0, never for total = 0).
- `when` chains without `otherwise` give null, written as the empty cell; `&` is Kleene logic,
  so a null activity does not make `loyal` fire.
- Rows keep the input order (window expressions in `with_columns` do not reorder), header
  `id,rfm,abc,top,activity,segment`, `\\n` line ends.

Streaming: the query ends in `sink_csv`, which runs on Polars' streaming engine (with
POLARS_VERBOSE=1 it reports sort, cum_sum, gather and rank nodes in its streaming graph, no
fallback). Those whole-column operations must see every row before they emit one, so the data is
held in memory at that point anyway; no `collect` is needed.
"""

import argparse
import datetime as dt
import sys


def build(data: str, as_of: dt.date):
    import polars as pl

    def days_before(n: int):
        return pl.lit(as_of - dt.timedelta(days=n))

    today = pl.lit(as_of)
    schema = {
        "id": pl.String,
        "first_order": pl.Date,
        "last_order": pl.Date,
        "orders": pl.Int64,
        "units": pl.Int64,
        "revenue": pl.Decimal(18, 2),
    }
    lf = pl.scan_csv(data, schema=schema, has_header=True, separator=",", quote_char='"')

    cents = pl.col("cents")
    ge = pl.col("ge")
    n = pl.len()
    total = pl.col("total")
    cum = pl.col("cum")

    def share_le(pct: int):
        return pl.when(total > 0).then(cum * 100 <= total * pct).otherwise(
            (total < 0) & (cum * 100 >= total * pct)
        )

    days_since = (today - pl.col("last_order")).dt.total_days()
    r_pts = (
        pl.when(days_since <= 30).then(5)
        .when(days_since <= 90).then(4)
        .when(days_since <= 180).then(3)
        .when(days_since <= 365).then(2)
        .otherwise(1)
    )
    orders = pl.col("orders")
    f_pts = (
        pl.when(orders >= 20).then(5)
        .when(orders >= 10).then(4)
        .when(orders >= 5).then(3)
        .when(orders >= 2).then(2)
        .otherwise(1)
    )
    m_pts = (
        pl.when(cents >= 1_000_000).then(5)
        .when(cents >= 200_000).then(4)
        .when(cents >= 50_000).then(3)
        .when(cents >= 10_000).then(2)
        .otherwise(1)
    )
    # score in ten-thousandths
    score_e2 = 40 * r_pts + pl.when(pl.col("units") >= 100).then(33).otherwise(30) * f_pts + 30 * m_pts
    score_e4 = score_e2 * pl.when(pl.col("first_order") < pl.lit(dt.date(2017, 1, 1))).then(105).otherwise(100)

    last = pl.col("last_order")
    activity = (
        pl.when((last >= days_before(90)) & (last <= today)).then(pl.lit("active"))
        .when((last >= days_before(365)) & (last <= today)).then(pl.lit("lapsing"))
        .when(last < days_before(365)).then(pl.lit("lost"))
    )
    score = pl.col("score_e4")
    first = pl.col("first_order")
    act = pl.col("activity")
    segment = (
        pl.when(score >= 45_000).then(pl.lit("champion"))
        .when((first >= days_before(90)) & (first <= today)).then(pl.lit("newcomer"))
        .when((score >= 35_000) & (act != "lost")).then(pl.lit("loyal"))
        .when((act == "lost") & (orders >= 5)).then(pl.lit("at_risk"))
        .when(act == "lost").then(pl.lit("hibernating"))
        .otherwise(pl.lit("regular"))
    )
    frac = (score % 10_000).cast(pl.String).str.zfill(4)
    score_text = (
        pl.format("{}.{}", score // 10_000, frac).str.strip_chars_end("0").str.strip_chars_end(".")
    )

    return (
        lf.with_columns(cents=(pl.col("revenue") * 100).cast(pl.Int64))
        .with_columns(
            rank=cents.rank("min", descending=True),
            ge=cents.rank("max", descending=True),
            total=cents.sum(),
            score_e4=score_e4,
            activity=activity,
        )
        # computed once, as a column: CSE does not share it between the two share tests
        .with_columns(cum=cents.sort(descending=True).cum_sum().gather(ge - 1))
        .with_columns(
            abc=pl.when(share_le(80)).then(pl.lit("a"))
            .when(share_le(95)).then(pl.lit("b"))
            .otherwise(pl.lit("c")),
            top=pl.when(pl.col("rank") <= 100).then(pl.lit("top100"))
            .when(ge * 10 <= n).then(pl.lit("top10"))
            .when(ge * 10 <= n * 3).then(pl.lit("top30"))
            .otherwise(pl.lit("rest")),
            segment=segment,
        )
        .select("id", score_text.alias("rfm"), "abc", "top", "activity", "segment")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="customers.csv")
    parser.add_argument("--out", default="scores.csv")
    parser.add_argument("--as-of", default="2024-06-30", type=dt.date.fromisoformat)
    parser.add_argument("--explain", action="store_true", help="print the optimised plan")
    args = parser.parse_args()

    lf = build(args.data, args.as_of)
    if args.explain:
        print(lf.explain())
        return 0
    lf.sink_csv(args.out, include_header=True, separator=",", line_terminator="\n", null_value="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
