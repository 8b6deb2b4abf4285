"""Generates the sample order file of example 28 (deterministic: the same bytes every run).

One row per order, as a shop exports it: customer, order date, items, amount. Returns are
negative amounts; a few amounts are missing (an unpriced sample); one order names a customer
that is not in customers.csv (it is rejected as `no such customer`), and two customers in
customers.csv never ordered (they still get a row).
"""
import csv
import datetime
import random

rng = random.Random(28)
start = datetime.date(1997, 1, 1)
end = datetime.date(1998, 6, 30)
span = (end - start).days
customers = [f"C{n:04d}" for n in range(1, 61)]
rows = []
for c in customers[:58]:
    # a few heavy buyers, many occasional ones
    k = rng.choice([1, 1, 1, 2, 2, 3, 4, 6, 9, 14])
    first = rng.randrange(span)
    for _ in range(k):
        day = start + datetime.timedelta(days=min(span, first + rng.randrange(span - first + 1)))
        items = rng.choice([1, 1, 1, 2, 2, 3, 5])
        amount = round(items * rng.uniform(9.5, 24.99), 2)
        rows.append([c, day.isoformat(), items, f"{amount:.2f}"])
# returns: negative amounts
for i in range(0, len(rows), 23):
    c, day, items, amount = rows[i]
    rows.append([c, day, -1, f"-{float(amount) / items:.2f}"])
# unpriced samples
for i in (5, 40, 77):
    rows[i][3] = ""
# an order of a customer who is not in customers.csv
rows.append(["C9999", "1998-05-01", 1, "15.00"])
rows.sort(key=lambda r: (r[1], r[0]))
with open("orders.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["客户编号", "下单日期", "数量", "金额"])
    w.writerows(rows)
with open("customers.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["客户编号"])
    for c in customers:
        w.writerow([c])
