#!/usr/bin/env python3
"""benches/rfm/rfm.rubric with pandas and openpyxl, workbook in -> workbook out (issue 20).

    python benches/xlsx/pandas_openpyxl.py --data customers.xlsx --out graded.xlsx [--as-of 2024-06-30]

What an analyst would write for the same job as `rubric run rfm.rubric --data customers.xlsx
--out graded.xlsx`: `pandas.read_excel` (openpyxl engine), the RFM grading in vectorised pandas
and numpy, and `DataFrame.to_excel` (openpyxl engine) into the same sheets: `结果` (key, score,
each grade's code and label column, the header frozen), `汇总` (customers and share per code of
each grade, one column chart per grade) and `拒绝` (empty: the generated data has no bad row).

Semantics as in benches/peers/polars_rfm.py (which cites LANGUAGE.md): revenue in exact cents,
the score in ten-thousandths of integers, rank = RANK, the rows at or above a customer = n *
CUME_DIST, cumulative share from the descending running sum at that position; comparisons with
a missing date are false, so a missing activity does not make `loyal` fire.
"""

import argparse
import datetime as dt
import sys


def grade(df, as_of):
    import numpy as np
    import pandas as pd

    today = pd.Timestamp(as_of)

    def before(n):
        return today - pd.Timedelta(days=n)

    last = df["last_order"]
    first = df["first_order"]
    orders = df["orders"].to_numpy()
    cents = np.rint(df["revenue"].to_numpy() * 100).astype(np.int64)

    days = (today - last).dt.days.to_numpy()  # NaN when missing
    with np.errstate(invalid="ignore"):
        r = np.select([days <= 30, days <= 90, days <= 180, days <= 365], [5, 4, 3, 2], 1)
    f = np.select([orders >= 20, orders >= 10, orders >= 5, orders >= 2], [5, 4, 3, 2], 1)
    m = np.select(
        [cents >= 1_000_000, cents >= 200_000, cents >= 50_000, cents >= 10_000], [5, 4, 3, 2], 1
    )
    score = 40 * r + np.where(df["units"].to_numpy() >= 100, 33, 30) * f + 30 * m
    score = score * np.where((first < pd.Timestamp(2017, 1, 1)).to_numpy(), 105, 100)

    s = pd.Series(cents)
    rank = s.rank(method="min", ascending=False).to_numpy()
    ge = s.rank(method="max", ascending=False).to_numpy().astype(np.int64)
    n = len(df)
    total = int(cents.sum())
    cum = np.cumsum(np.sort(cents)[::-1])[ge - 1]

    def share_le(pct):
        if total > 0:
            return cum * 100 <= total * pct
        if total < 0:
            return cum * 100 >= total * pct
        return np.zeros(n, dtype=bool)

    abc = np.select([share_le(80), share_le(95)], ["a", "b"], "c")
    top = np.select([rank <= 100, ge * 10 <= n, ge * 10 <= n * 3], ["top100", "top10", "top30"], "rest")
    in_90 = ((last >= before(90)) & (last <= today)).to_numpy()
    in_365 = ((last >= before(365)) & (last <= today)).to_numpy()
    lost = (last < before(365)).to_numpy()
    activity = np.select([in_90, in_365, lost], ["active", "lapsing", "lost"], None)
    has_activity = in_90 | in_365 | lost
    new = ((first >= before(90)) & (first <= today)).to_numpy()
    segment = np.select(
        [
            score >= 45_000,
            new,
            (score >= 35_000) & has_activity & ~lost,
            lost & (orders >= 5),
            lost,
        ],
        ["champion", "newcomer", "loyal", "at_risk", "hibernating"],
        "regular",
    )
    out = pd.DataFrame({"id": df["id"], "rfm": score / 10_000})
    grades = [
        ("abc", "Pareto class", abc, ["a", "b", "c"]),
        ("top", "Top customers", top, ["top100", "top10", "top30", "rest"]),
        ("activity", "Activity", activity, ["active", "lapsing", "lost"]),
        ("segment", "RFM segment", segment,
         ["champion", "newcomer", "loyal", "at_risk", "hibernating", "regular"]),
    ]
    for name, label, codes, _ in grades:
        out[name] = codes
        out[f"{label} 名称"] = codes  # no code of this scheme has a label: its label is its code
    return out, grades


def write(out, grades, path):
    import pandas as pd
    from openpyxl.chart import BarChart, Reference

    n = len(out)
    with pd.ExcelWriter(path, engine="openpyxl") as xw:
        out.to_excel(xw, sheet_name="结果", index=False)
        xw.sheets["结果"].freeze_panes = "A2"
        rows = []
        for name, label, codes, all_codes in grades:
            counts = pd.Series(codes).value_counts(dropna=False)
            rows.append([label, None, None, None])
            rows.append(["代码", "名称", "客户数", "占比"])
            for c in all_codes:
                k = int(counts.get(c, 0))
                rows.append([c, c, k, k / n if n else None])
            missing = n - sum(int(counts.get(c, 0)) for c in all_codes)
            if missing:
                rows.append(["(无)", "(无)", missing, missing / n])
            rows.append([None, None, None, None])
        pd.DataFrame(rows).to_excel(xw, sheet_name="汇总", index=False, header=False)
        ws = xw.sheets["汇总"]
        at = 1
        for i, (name, label, codes, all_codes) in enumerate(grades):
            k = len(all_codes)
            chart = BarChart()
            chart.title = label
            chart.add_data(Reference(ws, min_col=3, min_row=at + 2, max_row=at + 1 + k))
            chart.set_categories(Reference(ws, min_col=2, min_row=at + 2, max_row=at + 1 + k))
            chart.legend = None
            ws.add_chart(chart, f"G{1 + 16 * i}")
            while ws.cell(at, 1).value is not None:
                at += 1
            at += 1
        pd.DataFrame(columns=["line", "column", "key", "reason"]).to_excel(
            xw, sheet_name="拒绝", index=False
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--as-of", default="2024-06-30", type=dt.date.fromisoformat)
    args = parser.parse_args()

    import pandas as pd

    df = pd.read_excel(
        args.data,
        sheet_name=0,
        engine="openpyxl",
        dtype={"id": str, "orders": "int64", "units": "int64", "revenue": "float64"},
        parse_dates=["first_order", "last_order"],
    )
    out, grades = grade(df, args.as_of)
    write(out, grades, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
