#!/usr/bin/env python3
"""Checks that two graded workbooks agree: the same `结果` sheet (header and every cell of
every row, read with python-calamine) and the same `汇总` counts. Exits 1 on the first
difference.

    python benches/xlsx/agree.py rubric.xlsx pandas.xlsx
"""

import sys


def sheet(path, name):
    from python_calamine import CalamineWorkbook

    return CalamineWorkbook.from_path(path).get_sheet_by_name(name).to_python()


def norm(v):
    # the empty cell: calamine gives "" for both an empty cell and a missing one
    return None if v == "" else v


def main() -> int:
    a, b = sys.argv[1], sys.argv[2]
    for name in ["结果", "汇总"]:
        ra, rb = sheet(a, name), sheet(b, name)
        if name == "汇总":
            # the counts only: shares are the same numbers, the measure columns absent
            ra = [r[:3] for r in ra if any(norm(c) is not None for c in r)]
            rb = [r[:3] for r in rb if any(norm(c) is not None for c in r)]
        if len(ra) != len(rb):
            print(f"{name}: {len(ra)} rows in {a}, {len(rb)} in {b}")
            return 1
        for i, (x, y) in enumerate(zip(ra, rb)):
            x = [norm(c) for c in x]
            y = [norm(c) for c in y]
            while x and x[-1] is None:
                x.pop()
            while y and y[-1] is None:
                y.pop()
            if x != y:
                print(f"{name} row {i + 1}:\n  {a}: {x}\n  {b}: {y}")
                return 1
    print(f"agree: {len(sheet(a, '结果')) - 1} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
