"""CDNOW graded by `rubric run --events` and by DuckDB, compared customer by customer.

DuckDB computes, in its own SQL, what examples/28-orders-rfm/rfm.rubric says: per customer the
last order, the paid orders, the net spend, the spend of the last 90 days and the active
months; then ABC by cumulative share of net spend, the R, F and M scores and the segment.
"""
import csv
import glob
import os
import subprocess
import sys
import zipfile
from decimal import Decimal

import duckdb

rubric, scheme, work = sys.argv[1], sys.argv[2], sys.argv[3]

wheel = glob.glob(os.path.join(work, "*ifetimes-0.11.3-*.whl"))[0]
raw = zipfile.ZipFile(wheel).read("lifetimes/datasets/CDNOW_master.txt").decode()
orders = os.path.join(work, "cdnow_orders.csv")
with open(orders, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["客户编号", "下单日期", "数量", "金额"])
    n = 0
    for line in raw.splitlines()[1:]:
        parts = line.split()
        if not parts:
            continue
        cid, day, cds, amount = parts
        w.writerow([cid, f"{day[:4]}-{day[4:6]}-{day[6:]}", cds, amount])
        n += 1
assert n == 69659, n

out = os.path.join(work, "rubric.csv")
rejects = os.path.join(work, "rubric.rejects.csv")
if os.path.exists(rejects):
    os.remove(rejects)
run = subprocess.run(
    [rubric, "run", scheme, "--events", f"orders={orders}", "--all", "--out", out,
     "--rejects", rejects, "--summary", "json"],
    capture_output=True, text=True)
assert run.returncode == 0, run.stderr
assert '"read": 69659' in run.stderr and '"used": 69659' in run.stderr, run.stderr
assert not os.path.exists(rejects), "no order is rejected"

con = duckdb.connect()
con.execute(f"""
CREATE TABLE o AS SELECT
  "客户编号" AS customer_id, CAST("下单日期" AS DATE) AS order_date,
  CAST("数量" AS INTEGER) AS items, CAST("金额" AS DECIMAL(18, 2)) AS amount
FROM read_csv('{orders}', header = true, all_varchar = true)
""")
expected = con.execute("""
WITH agg AS (
  SELECT customer_id,
    MAX(order_date) AS last_order,
    COUNT(*) FILTER (WHERE amount > 0) AS frequency,
    COALESCE(SUM(amount), 0) AS spend,
    COALESCE(SUM(amount) FILTER (WHERE order_date BETWEEN DATE '1998-06-30' - INTERVAL 90 DAY
                                                     AND DATE '1998-06-30'), 0) AS spend_90d,
    COUNT(DISTINCT date_trunc('month', order_date)) AS active_months
  FROM o GROUP BY customer_id
), pop AS (
  SELECT *,
    DATE '1998-06-30' - last_order AS recency_days,
    SUM(spend) OVER (ORDER BY spend DESC RANGE UNBOUNDED PRECEDING) AS cum,
    SUM(spend) OVER () AS total,
    CUME_DIST() OVER (ORDER BY spend DESC) AS top
  FROM agg
), scored AS (
  SELECT *,
    CASE WHEN cum * 100 <= total * 70 THEN 'A' WHEN cum * 100 <= total * 90 THEN 'B' ELSE 'C' END AS abc,
    CASE WHEN recency_days <= 90 THEN 3 WHEN recency_days <= 365 THEN 2 ELSE 1 END AS r_score,
    CASE WHEN frequency >= 5 THEN 3 WHEN frequency >= 2 THEN 2 ELSE 1 END AS f_score,
    CASE WHEN top <= 0.2 THEN 3 WHEN top <= 0.5 THEN 2 ELSE 1 END AS m_score
  FROM pop
)
SELECT customer_id, CAST(last_order AS VARCHAR), frequency, spend, spend_90d, active_months, abc,
  CASE WHEN r_score = 3 AND f_score >= 2 AND m_score = 3 THEN 'champion'
       WHEN f_score >= 2 AND r_score >= 2 THEN 'loyal'
       WHEN f_score >= 2 THEN 'at_risk'
       WHEN r_score = 3 THEN 'new'
       ELSE 'dormant' END AS segment
FROM scored
""").fetchall()
want = {r[0]: r for r in expected}

with open(out, encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
assert len(rows) == 23570 == len(want), (len(rows), len(want))
bad = []
for r in rows:
    e = want[r["客户编号"]]
    got = (r["客户编号"], r["last_order"], int(r["frequency"]), Decimal(r["spend"]),
           Decimal(r["spend_90d"]), int(r["active_months"]), r["abc"], r["segment"])
    exp = (e[0], e[1], e[2], Decimal(e[3]), Decimal(e[4]), e[5], e[6], e[7])
    if got != exp:
        bad.append((got, exp))
assert not bad, f"{len(bad)} customers differ, e.g. {bad[:3]}"
# the same scheme compiled to SQL: the warehouse aggregates the orders itself
con.execute('CREATE TABLE orders ("客户编号" VARCHAR, "下单日期" DATE, "数量" INTEGER, "金额" DECIMAL(18, 2))')
con.execute('INSERT INTO orders SELECT customer_id, order_date, items, amount FROM o')
sql = subprocess.run(
    [rubric, "sql", scheme, "--dialect", "duckdb", "--events", "orders=orders", "--all"],
    capture_output=True, text=True)
assert sql.returncode == 0, sql.stderr
cur = con.execute(sql.stdout)
names = [c[0] for c in cur.description]
by_sql = {}
for row in cur.fetchall():
    r = dict(zip(names, row))
    by_sql[r["客户编号"]] = r
assert len(by_sql) == 23570, len(by_sql)
bad = []
for r in rows:
    s = by_sql[r["客户编号"]]
    got = (str(s["last_order"]), int(s["frequency"]), Decimal(s["spend"]), Decimal(s["spend_90d"]),
           int(s["active_months"]), s["abc"], s["segment"])
    exp = (r["last_order"], int(r["frequency"]), Decimal(r["spend"]), Decimal(r["spend_90d"]),
           int(r["active_months"]), r["abc"], r["segment"])
    if got != exp:
        bad.append((got, exp))
assert not bad, f"rubric sql differs from rubric run on {len(bad)} customers, e.g. {bad[:3]}"
counts = {}
for r in rows:
    counts[r["abc"]] = counts.get(r["abc"], 0) + 1
print(f"cdnow: 69659 orders, 23570 customers agree with duckdb on every aggregate and grade; rubric sql --events in duckdb agrees with rubric run; abc {dict(sorted(counts.items()))}")
