#!/usr/bin/env python3
"""The benchmark's input workbook: benches/gen_data.py's CSV as an .xlsx, as Excel would save it
(one sheet, a header row, dates as date cells, counts and amounts as numbers, the zero-padded
key as text), written with openpyxl in write-only mode. Same CSV, same cells.

    python benches/xlsx/make_input.py customers.csv customers.xlsx
"""

import csv
import datetime as dt
import sys


def main() -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    src, dst = sys.argv[1], sys.argv[2]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("customers")
    with open(src, newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        header = next(rows)
        ws.append(header)
        date_fmt = "yyyy-mm-dd"
        for id_, first, last, orders, units, revenue in rows:
            first_cell = WriteOnlyCell(ws, value=dt.date.fromisoformat(first))
            first_cell.number_format = date_fmt
            last_cell = WriteOnlyCell(ws, value=dt.date.fromisoformat(last) if last else None)
            last_cell.number_format = date_fmt
            ws.append([id_, first_cell, last_cell, int(orders), int(units), float(revenue)])
    wb.save(dst)
    return 0


if __name__ == "__main__":
    sys.exit(main())
