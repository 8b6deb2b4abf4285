"""Generates the purchase history of example 17 (deterministic: the same bytes every run).

One JSON object per purchase, as a member system exports them, in date order: member, date,
amount. Each member of the club has bought over several years; the scheme reads the last
purchase, and the purchases and spend of the last 12 months (to 2024-06-30), from them. A few
members have not bought in the last 12 months at all.
"""
import datetime
import os
import random

rng = random.Random(17)
as_of = datetime.date(2024, 6, 30)
window = datetime.date(2023, 7, 1)  # the first day `within 12mo` of as_of holds
history = datetime.date(2021, 1, 1)


def day(lo, hi):
    return lo + datetime.timedelta(days=rng.randrange((hi - lo).days + 1))


def split(cents, n):
    """`cents` in `n` positive parts."""
    if n == 1:
        return [cents]
    cuts = sorted(rng.sample(range(1, cents), n - 1)) if cents > n else list(range(1, n))
    return [b - a for a, b in zip([0] + cuts, cuts + [cents])]


rows = []
for m in range(1, 401):
    member = f"M{m:06d}"
    last = day(datetime.date(2023, 1, 1), as_of)
    if last >= window:
        n = max(1, int(rng.expovariate(1 / 8)))
        cents = rng.randrange(30_00, 600_00) * n // 3
        dates = [last] + [day(window, last) for _ in range(n - 1)]
        for d, c in zip(dates, split(cents, n)):
            rows.append((d, member, c))
    else:
        # no purchase in the last 12 months
        rows.append((last, member, rng.randrange(20_00, 300_00)))
    # older purchases: the member's history before the window
    for _ in range(rng.randrange(4)):
        rows.append((day(history, min(last, window) - datetime.timedelta(days=1)), member, rng.randrange(20_00, 300_00)))
rows.sort()
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "purchases.jsonl"), "w", encoding="utf-8", newline="\n") as f:
    for d, member, cents in rows:
        amount = f"{cents // 100}.{cents % 100:02d}"
        f.write(f'{{"会员号": "{member}", "购买日期": "{d.isoformat()}", "金额(元)": {amount}}}\n')
