#!/usr/bin/env python3
"""examples/28-orders-rfm/rfm.rubric in Polars over the order file (events benchmark).

    python benches/orders/polars_orders.py ORDERS.csv OUT.csv

The same job as benches/orders/duckdb_orders.py. Amounts are read as Decimal(18, 2), so sums
and shares are exact; cumulative share is a running sum over spend descending with ties
(RANGE semantics: every tie gets the sum up to its last peer), top_share is CUME_DIST (the
count of customers with spend >= this one's, over all). Output sorted by key.
"""
import datetime
import sys

import polars as pl

orders, out = sys.argv[1], sys.argv[2]
as_of = datetime.date(1998, 6, 30)
o = pl.scan_csv(
    orders,
    schema={"客户编号": pl.String, "下单日期": pl.Date, "数量": pl.Int64, "金额": pl.Decimal(18, 2)},
)
agg = o.group_by("客户编号").agg(
    pl.col("下单日期").max().alias("last_order"),
    (pl.col("金额") > 0).sum().alias("frequency"),
    pl.col("金额").sum().fill_null(0).alias("spend"),
)
# running sums with RANGE ties: sum per distinct spend, cumulated in descending spend order
by_spend = (
    agg.group_by("spend")
    .agg(pl.col("spend").sum().alias("tie_sum"), pl.len().alias("tie_n"))
    .sort("spend", descending=True)
    .with_columns(
        pl.col("tie_sum").cum_sum().alias("cum"),
        pl.col("tie_n").cum_sum().alias("at_least"),
    )
)
total = pl.col("spend").sum()
res = (
    agg.join(by_spend.select("spend", "cum", "at_least"), on="spend", how="left")
    .with_columns(
        total.alias("total"),
        pl.len().alias("n"),
        (pl.lit(as_of) - pl.col("last_order")).dt.total_days().alias("recency"),
    )
    .with_columns(
        pl.when(((pl.col("total") > 0) & (pl.col("cum") * 100 <= pl.col("total") * 70))
                | ((pl.col("total") < 0) & (pl.col("cum") * 100 >= pl.col("total") * 70)))
        .then(pl.lit("A"))
        .when(((pl.col("total") > 0) & (pl.col("cum") * 100 <= pl.col("total") * 90))
              | ((pl.col("total") < 0) & (pl.col("cum") * 100 >= pl.col("total") * 90)))
        .then(pl.lit("B"))
        .otherwise(pl.lit("C"))
        .alias("abc"),
        pl.when(pl.col("recency") <= 90).then(3).when(pl.col("recency") <= 365).then(2).otherwise(1).alias("r"),
        pl.when(pl.col("frequency") >= 5).then(3).when(pl.col("frequency") >= 2).then(2).otherwise(1).alias("f"),
        pl.when(pl.col("at_least") * 5 <= pl.col("n")).then(3)
        .when(pl.col("at_least") * 2 <= pl.col("n")).then(2).otherwise(1).alias("m"),
    )
    .with_columns(
        pl.when((pl.col("r") == 3) & (pl.col("f") >= 2) & (pl.col("m") == 3)).then(pl.lit("champion"))
        .when((pl.col("f") >= 2) & (pl.col("r") >= 2)).then(pl.lit("loyal"))
        .when(pl.col("f") >= 2).then(pl.lit("at_risk"))
        .when(pl.col("r") == 3).then(pl.lit("new"))
        .otherwise(pl.lit("dormant"))
        .alias("segment")
    )
    .select("客户编号", "abc", "segment")
    .sort("客户编号")
)
res.sink_csv(out) if hasattr(res, "sink_csv") else res.collect().write_csv(out)
