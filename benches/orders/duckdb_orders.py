#!/usr/bin/env python3
"""examples/28-orders-rfm/rfm.rubric as DuckDB SQL over the order file (events benchmark).

    python benches/orders/duckdb_orders.py ORDERS.csv OUT.csv

The same job as `rubric run rfm.rubric --events orders=ORDERS.csv`: one GROUP BY per customer
(last order, paid orders, net spend), then ABC by cumulative share of net spend (cross-multiplied
in exact decimals, as benches/peers/duckdb_rfm.py explains) and the segment from R, F and M
scores (M by CUME_DIST). Output `客户编号,abc,segment`, sorted by key (the harness compares
sorted outputs; Rubric writes the customers in first-seen order).
"""
import sys

import duckdb

orders, out = sys.argv[1], sys.argv[2]
q = lambda s: "'" + s.replace("'", "''") + "'"
sql = f"""
COPY (
WITH o AS (
  SELECT * FROM read_csv({q(orders)}, header = true, auto_detect = false,
    columns = {{'客户编号': 'VARCHAR', '下单日期': 'DATE', '数量': 'BIGINT', '金额': 'DECIMAL(18,2)'}})
), agg AS (
  SELECT "客户编号" AS id,
    MAX("下单日期") AS last_order,
    COUNT(*) FILTER (WHERE "金额" > 0) AS frequency,
    COALESCE(SUM("金额"), 0) AS spend
  FROM o GROUP BY 1
), pop AS (
  SELECT *,
    DATE '1998-06-30' - last_order AS recency_days,
    SUM(spend) OVER (ORDER BY spend DESC RANGE UNBOUNDED PRECEDING) AS cum,
    SUM(spend) OVER () AS total,
    CUME_DIST() OVER (ORDER BY spend DESC) AS top
  FROM agg
), scored AS (
  SELECT id,
    CASE WHEN (total > 0 AND cum * 100 <= total * 70) OR (total < 0 AND cum * 100 >= total * 70) THEN 'A'
         WHEN (total > 0 AND cum * 100 <= total * 90) OR (total < 0 AND cum * 100 >= total * 90) THEN 'B'
         ELSE 'C' END AS abc,
    CASE WHEN recency_days <= 90 THEN 3 WHEN recency_days <= 365 THEN 2 ELSE 1 END AS r,
    CASE WHEN frequency >= 5 THEN 3 WHEN frequency >= 2 THEN 2 ELSE 1 END AS f,
    CASE WHEN top <= 0.2 THEN 3 WHEN top <= 0.5 THEN 2 ELSE 1 END AS m
  FROM pop
)
SELECT id AS "客户编号", abc,
  CASE WHEN r = 3 AND f >= 2 AND m = 3 THEN 'champion'
       WHEN f >= 2 AND r >= 2 THEN 'loyal'
       WHEN f >= 2 THEN 'at_risk'
       WHEN r = 3 THEN 'new'
       ELSE 'dormant' END AS segment
FROM scored ORDER BY 1
) TO {q(out)} (FORMAT csv, HEADER true)
"""
duckdb.connect().execute(sql)
