"""Order data for the events benchmark: N orders of about N/10 customers, one row per order.

`python3 gen.py N OUT.csv` writes `客户编号,下单日期,数量,金额` rows, deterministic for a given
N: order dates over 1997-01-01..1998-06-30, 1–5 items, amounts with cents, one order in 50 a
return (a negative amount) and one in 200 unpriced (an empty amount), customers in random order.
"""
import datetime
import random
import sys

n = int(sys.argv[1])
out = sys.argv[2]
rng = random.Random(n)
customers = max(1, n // 10)
start = datetime.date(1997, 1, 1).toordinal()
days = [datetime.date.fromordinal(start + d).isoformat() for d in range(546)]
with open(out, "w", encoding="utf-8", newline="") as f:
    f.write("客户编号,下单日期,数量,金额\n")
    rand = rng.random
    randrange = rng.randrange
    buf = []
    for i in range(n):
        c = randrange(customers)
        items = 1 + int(rand() * rand() * 5)
        cents = randrange(500, 2500) * items
        r = randrange(200)
        if r == 0:
            amount = ""
        elif r < 5:
            amount = f"-{cents // 100}.{cents % 100:02d}"
        else:
            amount = f"{cents // 100}.{cents % 100:02d}"
        buf.append(f"C{c:07d},{days[randrange(546)]},{items},{amount}\n")
        if len(buf) >= 100000:
            f.write("".join(buf))
            buf.clear()
    f.write("".join(buf))
