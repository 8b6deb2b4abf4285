"""Opens the workbooks `rubric run --out FILE.xlsx` writes with openpyxl, as a user's Python
would, and checks what an operator sees: sheets, headers, cell types, labels, the frozen header,
column widths, the summary's figures and formats, its charts, and the rejects.

    python check.py RUBRIC_BIN OUT_DIR
"""

import datetime
import os
import subprocess
import sys

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(rubric, out, *args):
    cmd = [rubric, "run", *args, "--out", out]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return done


def expect(what, got, want):
    if got != want:
        sys.exit(f"{what}: got {got!r}, want {want!r}")


def check_members(rubric, out_dir):
    out = os.path.join(out_dir, "members.xlsx")
    done = run(
        rubric,
        out,
        os.path.join(HERE, "members.rubric"),
        "--data",
        os.path.join(HERE, "members.csv"),
        "--keep-all",
        "--all",
        "--measure",
        "revenue",
    )
    expect("exit code (one row is rejected)", done.returncode, 1)
    wb = openpyxl.load_workbook(out)
    expect("sheets", wb.sheetnames, ["结果", "汇总", "拒绝"])
    expect("creation time (fixed: the scheme's as_of)", wb.properties.created, datetime.datetime(2024, 6, 30))

    ws = wb["结果"]
    header = [c.value for c in ws[1]]
    expect(
        "header",
        header,
        ["会员编号", "姓名", "门店", "消费金额", "入会日期", "是否VIP", "big", "value",
         "tier", "会员等级 名称", "tier.owner", "tier.visits", "flags", "标记 名称"],
    )
    expect("frozen header", ws.freeze_panes, "A2")
    row = {h: c for h, c in zip(header, ws[2])}
    expect("key stays text", row["会员编号"].value, "001")
    expect("amount is a number", row["消费金额"].value, 1234.5)
    expect("amount shows its own places", row["消费金额"].number_format, "0.0")
    expect("date is a date", row["入会日期"].value, datetime.datetime(2024, 3, 5))
    expect("date format", row["入会日期"].number_format, "yyyy-mm-dd")
    expect("bool is a bool", row["是否VIP"].value, True)
    expect("let is a bool", row["big"].value, True)
    expect("grade code", row["tier"].value, "gold")
    expect("grade label", row["会员等级 名称"].value, "金卡")
    expect("attribute", row["tier.owner"].value, "总监")
    expect("numeric attribute", row["tier.visits"].value, 4)
    expect("tag labels", row["标记 名称"].value, "会员;新客")
    big = {h: c for h, c in zip(header, ws[5])}
    expect("17 significant digits stay text", big["消费金额"].value, "12345678901234567.5")
    expect("rows", ws.max_row, 5)
    widths = {k: v.width for k, v in ws.column_dimensions.items()}
    if not widths.get("B") or widths["B"] < 6:
        sys.exit(f"column widths are not set: {widths}")

    s = wb["汇总"]
    expect("summary title", s["A1"].value, "会员等级")
    expect("summary header", [c.value for c in s[2]], ["代码", "名称", "客户数", "占比", "revenue", "revenue 占比"])
    expect("gold row", [c.value for c in s[3]][:4], ["gold", "金卡", 2, 0.5])
    expect("share format", s["D3"].number_format, "0.0%")
    expect("charts, one per grade and tags", len(s._charts), 2)

    r = wb["拒绝"]
    expect("rejects header", [c.value for c in r[1]][:4], ["line", "column", "key", "reason"])
    expect("reject line", r["A2"].value, 6)
    expect("reject key", r["C2"].value, "005")


def check_example_21(rubric, out_dir):
    ex = os.path.join(ROOT, "examples", "21-enterprise-grade")
    out = os.path.join(out_dir, "enterprise.xlsx")
    done = run(
        rubric,
        out,
        os.path.join(ex, "enterprise.rubric"),
        "--data",
        os.path.join(ex, "enterprises.xlsx"),
        "--keep",
        "企业名称",
    )
    expect("exit code", done.returncode, 0)
    wb = openpyxl.load_workbook(out)
    ws = wb["结果"]
    expect("rows", ws.max_row, 151)
    header = [c.value for c in ws[1]]
    expect("first columns", header[:5], ["企业编号", "企业名称", "size", "企业规模 名称", "position"])
    expect("charts", len(wb["汇总"]._charts), 5)


def main():
    rubric, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    check_members(rubric, out_dir)
    check_example_21(rubric, out_dir)
    print("xlsx: openpyxl reads every sheet, type, label and chart as expected")


if __name__ == "__main__":
    main()
