#!/usr/bin/env python3
"""Deterministic customer data for the RFM benchmark (issue 8).

    python3 benches/gen_data.py N [--out FILE] [--seed S]

Writes a CSV with the header `id,first_order,last_order,orders,units,revenue` and N rows.
The same N and seed always give the same bytes (only `random.Random.random()` is used, whose
stream is stable across Python versions).

What the data holds, on purpose:
- `id`: zero-padded to at least 6 digits (`000123`), so a tool that reads it as a number fails
  the agreement check.
- `first_order`, `last_order`: ISO dates. `last_order` is empty for about 1% of rows (missing),
  is never before `first_order`, and is after the as_of date 2024-06-30 for a few rows (a
  future date: `within` is false for it and `days_since` is negative). About 2% of rows sit
  exactly on the edges of the scheme's date conditions (30, 90, 180, 365 days before as_of,
  one day either side, as_of itself, 2017-01-01).
- `orders`, `units`: small positive ints; `units >= 100` triggers the score bonus.
- `revenue`: 2 decimal places always (`100.10`, `0.00`), heavy-tailed, with many ties: low
  values repeat at cent granularity and about 3% of rows take one of a few round values that sit
  on the scheme's thresholds, so `rank`, `top_share` and `cumulative_share` must handle ties.
"""

import argparse
import datetime as dt
import sys

AS_OF = dt.date(2024, 6, 30)
FIRST_DAY = dt.date(2014, 1, 1)
LAST_DAY = AS_OF + dt.timedelta(days=15)
CHUNK = 100_000

# Revenue values that tie often and sit on the m_pts thresholds.
TIED_REVENUE = ["0.00", "99.99", "100.00", "500.00", "2000.00", "9999.99", "10000.00", "250.50"]
# Offsets (days before as_of) on the edges of `within 90d`, `within 365d`, `<= 30` ... points.
EDGE_OFFSETS = [0, 1, 29, 30, 31, 89, 90, 91, 179, 180, 181, 364, 365, 366, -1, -15]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, help="number of customers")
    parser.add_argument("--out", default="-", help="output file (default: stdout)")
    parser.add_argument("--seed", type=int, default=20240630)
    args = parser.parse_args()
    if args.rows < 0:
        parser.error("rows must be >= 0")

    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8", newline="")
    try:
        generate(args.rows, args.seed, out)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def generate(rows: int, seed: int, out) -> None:
    import random

    rng = random.Random(seed)
    rand = rng.random
    span = (LAST_DAY - FIRST_DAY).days  # day index range [0, span]
    dates = [(FIRST_DAY + dt.timedelta(days=d)).isoformat() for d in range(span + 1)]
    as_of_idx = (AS_OF - FIRST_DAY).days
    edge_idx = [as_of_idx - off for off in EDGE_OFFSETS]
    first_edges = [
        (dt.date(2016, 12, 31) - FIRST_DAY).days,
        (dt.date(2017, 1, 1) - FIRST_DAY).days,
        as_of_idx - 90,
        as_of_idx - 91,
        as_of_idx,
    ]
    width = max(6, len(str(rows)))
    n_tied = len(TIED_REVENUE)
    n_edge = len(EDGE_OFFSETS)
    n_first_edge = len(first_edges)

    out.write("id,first_order,last_order,orders,units,revenue\n")
    for start in range(0, rows, CHUNK):
        lines = []
        append = lines.append
        for i in range(start, min(rows, start + CHUNK)):
            u = rand()
            if u < 0.01:
                first = first_edges[min(n_first_edge - 1, int(u * 100 * n_first_edge))]
            else:
                first = int(rand() * (as_of_idx + 1))

            u = rand()
            if u < 0.01:
                last_s = ""
            elif u < 0.03:
                last = max(first, edge_idx[min(n_edge - 1, int((u - 0.01) * 50 * n_edge))])
                last_s = dates[last]
            elif u < 0.55:
                # recent buyers: the last 400 days, and a little past as_of
                last = max(first, as_of_idx - 400 + int(rand() * 416))
                last_s = dates[last]
            else:
                last = first + int(rand() * (span - first + 1))
                last_s = dates[last]

            u = rand()
            orders = 1 + int(40 * u * u * u)
            units = orders * (1 + int(rand() * 10))

            u = rand()
            if u < 0.03:
                revenue = TIED_REVENUE[min(n_tied - 1, int(u * (100 / 3) * n_tied))]
            else:
                cents = int(4000.0 * (1.0 - rand()) ** -0.75)
                revenue = f"{cents // 100}.{cents % 100:02d}"

            append(f"{i:0{width}d},{dates[first]},{last_s},{orders},{units},{revenue}\n")
        out.write("".join(lines))


if __name__ == "__main__":
    sys.exit(main())
