#!/usr/bin/env python3
"""Generate the sample customer data of every example in this folder.

    python3 examples/generate.py

Everything is deterministic: each example draws from its own `random.Random(seed)`, rows are
written in a fixed order, and the XLSX file is written with fixed timestamps, so running the
script twice gives byte-identical files. Only the XLSX example needs a third-party package
(`pip install openpyxl`); the generated files are committed, so CI does not need to run this.

Each dataset starts with hand-placed boundary rows (exact thresholds, dates exactly N months
before `as_of`, empty optional cells, ties for population functions, keys with leading zeros)
and is filled up with random but plausible customers.
"""

from __future__ import annotations

import calendar
import csv
import io
import json
import random
import runpy
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
AS_OF = date(2024, 6, 30)


# ------------------------------------------------------------------------------------------------
# helpers


def add_months(d: date, n: int) -> date:
    """Calendar months, clamped to the month end: 2024-03-31 - 1 month = 2024-02-29."""
    y, m = divmod(d.month - 1 + n, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def months_ago(n: int, d: date = AS_OF) -> date:
    return add_months(d, -n)


def iso(d: date | None) -> str:
    return "" if d is None else d.isoformat()


def money(cents: int) -> str:
    """Exact decimal text for an amount in cents: 123456 -> 1234.56, 100 -> 1.00."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def rand_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def fixed_sum(rng: random.Random, n: int, total: int, lo: int, hi: int) -> list[int]:
    """n distinct integers in [lo, hi] that add up to exactly `total` (no accidental ties)."""
    for _ in range(10_000):
        raw = [rng.uniform(lo, hi) for _ in range(n)]
        s = sum(raw)
        vals = [int(v * total / s) for v in raw]
        for i in range(total - sum(vals)):
            vals[i % n] += 1
        if sum(vals) == total and all(lo <= v <= hi for v in vals) and len(set(vals)) == n:
            return vals
    raise RuntimeError("fixed_sum: no solution")


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉建国志红梅斌宇浩凯秀兰博文"
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "南京", "苏州", "成都", "重庆", "武汉", "西安", "天津",
          "长沙", "郑州", "青岛", "厦门", "宁波", "合肥", "济南", "沈阳", "大连", "昆明", "福州", "无锡"]
WORDS = ["华信", "远航", "恒泰", "金桥", "瑞丰", "宏达", "新创", "博远", "鼎盛", "汇通", "天成", "永安",
         "德润", "联合", "中科", "海纳", "星辰", "长城", "东方", "盛世", "嘉禾", "锦程", "立信", "启明"]
SUFFIXES = ["科技有限公司", "贸易有限公司", "实业有限公司", "集团股份有限公司", "电子有限公司", "物流有限公司",
            "制造有限公司", "信息技术有限公司", "商贸有限公司", "医药有限公司"]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def company_name(rng: random.Random) -> str:
    return rng.choice(CITIES) + rng.choice(WORDS) + rng.choice(SUFFIXES)


def check_keys(path: Path, rows: list[list]) -> None:
    keys = [r[0] for r in rows]
    assert len(set(keys)) == len(keys), f"duplicate keys in {path}"
    assert all(isinstance(k, str) and k for k in keys), f"keys must be non-empty text in {path}"


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> None:
    check_keys(path, rows)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    path.write_bytes(buf.getvalue().encode(encoding))


def write_json(path: Path, header: list[str], rows: list[list]) -> None:
    check_keys(path, rows)
    objs = [dict(zip(header, r)) for r in rows]
    path.write_text(json.dumps(objs, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_jsonl(path: Path, header: list[str], rows: list[list]) -> None:
    check_keys(path, rows)
    lines = [json.dumps(dict(zip(header, r)), ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_xlsx(path: Path, sheet: str, header: list[str], rows: list[list]) -> None:
    """An Excel workbook with real date and number cells, written byte-reproducibly."""
    from datetime import datetime

    import openpyxl  # generation only: pip install openpyxl

    check_keys(path, rows)

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(header)
    for r in rows:
        ws.append(r)
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    fixed = datetime(2024, 6, 30, 0, 0, 0)
    wb.properties.creator = "examples/generate.py"
    wb.properties.created = fixed
    wb.properties.modified = fixed
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps the save time into docProps/core.xml and the zip entries; rewrite both.
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            data = src.read(name)
            if name == "docProps/core.xml":
                text = data.decode("utf-8")
                import re

                text = re.sub(r"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)",
                              r"\g<1>2024-06-30T00:00:00Z\g<2>", text)
                text = re.sub(r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              r"\g<1>2024-06-30T00:00:00Z\g<2>", text)
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=(2024, 6, 30, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data)
    path.write_bytes(out.getvalue())


def shuffled(rng: random.Random, rows: list[list]) -> list[list]:
    rows = list(rows)
    rng.shuffle(rows)
    return rows


REGIONS = ["华北", "华东", "华南", "华中", "西南", "西北", "东北"]


# ------------------------------------------------------------------------------------------------
# 01 IBM value tiers: cumulative_share(revenue) lands exactly on 50% / 75% / 95%


def ex01() -> None:
    rng = random.Random(101)
    # revenue per tier in cents; every tier's smallest customer is above the next tier's largest,
    # so the running share is exactly 50%, 75% and 95% at the last customer of each tier
    buckets = [
        (8, 5_000_000_00, 450_000_00, 800_000_00),
        (22, 2_500_000_00, 80_000_00, 150_000_00),
        (70, 2_000_000_00, 16_000_00, 40_000_00),
        (98, 500_000_00 - 2 * 3_456_00, 1_000_00, 9_000_00),
    ]
    revenues: list[int] = []
    for n, total, lo, hi in buckets:
        revenues += fixed_sum(rng, n, total, lo, hi)
    revenues += [3_456_00, 3_456_00]  # a tie inside "other"
    revenues += [0, 0]  # two customers without revenue in the period (margin is missing)
    rows = []
    for i, rev in enumerate(revenues):
        margin_bp = rng.randint(-500, 3000)  # -5% .. 30%
        profit = rev * margin_bp // 10_000
        if rev == 0:
            profit = -rng.randint(100_00, 5_000_00)
        key = f"{i * 37 % 1000 + 1:05d}"
        rows.append([key, company_name(rng), rng.choice(REGIONS), money(rev), money(profit)])
    keys = [r[0] for r in rows]
    assert len(set(keys)) == len(keys)
    header = ["客户编号", "客户名称", "区域", "营业额", "利润"]
    write_csv(HERE / "01-ibm-value-tiers" / "customers.csv", header, shuffled(rng, rows))


# ------------------------------------------------------------------------------------------------
# 02 HP account tiers: rank(revenue) <= 100 worldwide, rank(revenue) within country <= 70


def ranks(values: list[int]) -> list[int]:
    """SQL RANK() over values descending: ties share a rank."""
    return [1 + sum(1 for w in values if w > v) for v in values]


def ex02() -> None:
    rng = random.Random(202)
    countries = [("中国", 160), ("美国", 130), ("德国", 110), ("日本", 80)]
    cust = []  # [country, revenue in units of 0.01 万美元]
    for country, n in countries:
        for _ in range(n):
            cust.append([country, int(rng.lognormvariate(11.0, 1.1))])
    # make revenues distinct first, then place the ties on purpose
    seen = set()
    for c in cust:
        while c[1] in seen:
            c[1] += 1
        seen.add(c[1])
    order = sorted(range(len(cust)), key=lambda i: -cust[i][1])
    cust[order[100]][1] = cust[order[99]][1]  # world ranks 100 and 101 tie -> both rank 100
    china = [i for i in order if cust[i][0] == "中国"]
    cust[china[70]][1] = cust[china[69]][1]  # China's 70th and 71st tie -> both country rank 70
    revs = [c[1] for c in cust]
    world = ranks(revs)
    assert sorted(world)[99] == 100 and sorted(world)[100] == 100 and sorted(world)[101] == 102
    cn = [i for i in range(len(cust)) if cust[i][0] == "中国"]
    cn_rank = ranks([revs[i] for i in cn])
    assert cn_rank.count(70) == 2 and all(world[cn[j]] > 101 for j in range(len(cn)) if cn_rank[j] >= 70)
    rows = []
    for i, (country, rev) in enumerate(cust):
        named = "是" if rng.random() < 0.18 else "否"
        key = f"HP{i + 1:04d}" if i % 3 else f"{i + 1:06d}"
        rows.append([key, company_name(rng), country, money(rev), named])
    header = ["客户编号", "客户名称", "国家", "年营业额(万美元)", "本地指名"]
    write_csv(HERE / "02-hp-account-tiers" / "customers.csv", header, shuffled(rng, rows))


# ------------------------------------------------------------------------------------------------
# 03 China Mobile star levels (GB18030 CSV, as exported by Excel on Chinese Windows)


def ex03() -> None:
    rng = random.Random(303)
    cities = ["广州", "深圳", "佛山", "东莞", "珠海", "汕头", "惠州", "中山", "江门", "湛江"]
    rows = []
    # boundary rows: tenure and spend thresholds, exactly-half steady spending, tiny arrears
    fixed = [
        (120, 30000, 15000, 0), (119, 29999, 20000, 0), (60, 15000, 7500, 0), (59, 14999, 9000, 0),
        (36, 8800, 4400, 0), (35, 8799, 5000, 0), (12, 3800, 1900, 0), (11, 3799, 1899, 0),
        (200, 50000, 40000, 1), (200, 50000, 40000, 12345), (80, 20000, 9999, 0), (80, 20000, 10000, 0),
        (0, 0, 0, 0), (3, 1800, 0, 0),
    ]
    for tenure, avg, mn, arrears in fixed:
        rows.append([tenure, avg, mn, arrears])
    while len(rows) < 300:
        tenure = rng.choice([rng.randint(0, 24), rng.randint(12, 96), rng.randint(60, 240)])
        avg = int(rng.lognormvariate(4.6, 0.7) * 100)
        steady = rng.random() < 0.8
        mn = rng.randint(avg // 2, avg) if steady else rng.randint(0, max(avg // 2 - 1, 0))
        arrears = 0 if rng.random() < 0.88 else rng.randint(1, 50000)
        rows.append([tenure, avg, mn, arrears])
    out = []
    used = set()
    for tenure, avg, mn, arrears in rows:
        while True:
            phone = rng.choice(["138", "139", "135", "136", "150", "187", "188"]) + f"{rng.randint(0, 99_999_999):08d}"
            if phone not in used:
                used.add(phone)
                break
        out.append([phone, rng.choice(cities), tenure, money(avg), money(mn), money(arrears)])
    header = ["手机号码", "地市", "网龄(月)", "近6月月均消费(元)", "近6月最低月消费(元)", "欠费金额(元)"]
    write_csv(HERE / "03-china-mobile-stars" / "customers.gb18030.csv", header, shuffled(rng, out), encoding="gb18030")


# ------------------------------------------------------------------------------------------------
# 04 Bank of Communications queue classes


def ex04() -> None:
    rng = random.Random(404)
    levels = ["白金卡"] * 3 + ["金卡"] * 10 + ["银卡"] * 25 + ["普通卡"] * 40 + [None] * 22
    rows = []
    ids = rng.sample(range(1, 10_000_000), 120)
    for i in range(120):
        level = levels[i] if i < len(levels) else rng.choice(levels)
        rows.append([f"{ids[i]:07d}", person_name(rng), level])
    keys = [r[0] for r in rows]
    assert len(set(keys)) == len(keys)
    header = ["客户号", "姓名", "卡等级"]
    write_csv(HERE / "04-bocom-queue-classes" / "customers.csv", header, shuffled(rng, rows))


# ------------------------------------------------------------------------------------------------
# 05 bank five-level risk classes


def ex05() -> None:
    rng = random.Random(505)
    prefs = ["保本", "稳健收益", "均衡", "增长", "高收益"]
    rows = []
    # every questionnaire threshold, the age cap at 69/70, no experience, missing and odd preferences
    for q in [81, 80, 61, 60, 41, 40, 21, 20, 0, 100]:
        rows.append([40, q, "高收益", 5])
    rows += [[70, 90, "高收益", 30], [69, 90, "高收益", 30], [25, 90, "增长", 0], [25, 90, "增长", 1],
             [35, 70, None, 3], [35, 70, "不知道", 3], [35, 95, "稳健收益", 10], [18, 55, "保本", 0]]
    while len(rows) < 150:
        age = rng.randint(18, 85)
        q = max(0, min(100, int(rng.gauss(55, 20))))
        pref = rng.choice(prefs + [None])
        exp = 0 if rng.random() < 0.15 else rng.randint(1, min(40, max(1, age - 18)))
        rows.append([age, q, pref, exp])
    out = [[f"6222{i + 1:06d}", *r[:2], r[2], r[3]] for i, r in enumerate(rows)]
    header = ["客户号", "年龄", "风险测评得分", "投资偏好", "投资经验(年)"]
    write_csv(HERE / "05-bank-risk-classes" / "clients.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 06 hotel A/B/C


def ex06() -> None:
    rng = random.Random(606)
    rows = [
        # nights, room revenue (cents), f&b revenue (cents), average rate (cents)
        [200, 180_000_00, 20_000_00, 600_00], [199, 180_000_00, 20_000_00, 600_00],
        [100, 80_000_00, 0, 450_00], [100, 79_999_99, 0, 450_00], [500, 450_000_00, 50_000_00, 800_00],
        [499, 450_000_00, 49_999_99, 799_99], [30, 15_000_00, 5_000_00, 450_00], [29, 15_000_00, 4_999_99, 449_99],
        [0, 0, 3_500_00, 0],
    ]
    while len(rows) < 160:
        nights = int(rng.lognormvariate(4.3, 1.0))
        rate = rng.randint(300_00, 1_100_00)
        room = nights * rate
        fb = int(room * rng.uniform(0, 0.35))
        rows.append([nights, room, fb, rate])
    out = []
    for i, (nights, room, fb, rate) in enumerate(rows):
        out.append([f"XY{2024}{i + 1:04d}", company_name(rng), nights, money(room), money(fb), money(rate)])
    header = ["协议编号", "协议单位", "年间夜数", "客房收入(元)", "餐饮收入(元)", "平均房价(元)"]
    write_csv(HERE / "06-hotel-abc" / "accounts.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 07 key / major / ordinary (20/70/10) by top_share(revenue)


def ex07() -> None:
    rng = random.Random(707)
    revs = sorted({int(rng.paretovariate(1.2) * 50_000_00) for _ in range(400)}, reverse=True)[:200]
    assert len(revs) == 200
    # 200 customers: the 40th is exactly the top 20%; the 180th and 181st tie, so both sit at
    # 181/200 = 90.5% and are ordinary; a tie at 100/101 stays inside "major"
    revs[180] = revs[179]
    revs[100] = revs[99]
    revs[199] = 0
    rows = [[f"AD{i * 7 % 200 + 1:05d}", company_name(rng), money(r)] for i, r in enumerate(revs)]
    header = ["客户编号", "客户名称", "年广告投放额(元)"]
    write_csv(HERE / "07-key-major-ordinary" / "customers.csv", header, shuffled(rng, rows))


# ------------------------------------------------------------------------------------------------
# 08 frequency x amount quadrant


def ex08() -> None:
    rng = random.Random(808)
    rows = [[6, 100_000_00], [5, 100_000_00], [3, 500_000_00], [3, 499_999_99], [6, 500_000_00],
            [5, 500_000_00], [6, 499_999_99], [0, 0], [1, 20_000_00], [40, 3_000_000_00]]
    while len(rows) < 120:
        orders = rng.choice([rng.randint(1, 5), rng.randint(6, 30)])
        per_order = int(rng.lognormvariate(11.2, 1.0) * 100)
        rows.append([orders, orders * per_order])
    out = [[f"GG{i + 1:04d}", company_name(rng), o, money(a)] for i, (o, a) in enumerate(rows)]
    header = ["客户编号", "客户名称", "近12月投放次数", "近12月投放金额(元)"]
    write_csv(HERE / "08-frequency-amount" / "advertisers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 09 consumption level and membership


def ex09() -> None:
    rng = random.Random(909)
    rows = [[20_000_00, 10, date(2020, 1, 1)], [20_000_00, 9, date(2020, 1, 1)], [19_999_99, 12, None],
            [5_000_00, 6, None], [5_000_00, 5, date(2022, 3, 15)], [4_999_99, 12, None],
            [100_00, 1, AS_OF], [30_000_00, 12, None], [0, 0, None]]
    while len(rows) < 200:
        months = rng.randint(0, 12)
        spend = int(rng.lognormvariate(8.3, 1.1) * 100) if months else rng.randint(0, 500_00)
        joined = rand_date(rng, date(2015, 1, 1), AS_OF) if rng.random() < 0.6 else None
        rows.append([spend, months, joined])
    out = [[f"{i * 13 % 1000 + 1:08d}", person_name(rng), money(s), m, iso(j)] for i, (s, m, j) in enumerate(rows)]
    header = ["会员卡号", "姓名", "累计消费(元)", "近12月有消费的月数", "入会日期"]
    write_csv(HERE / "09-consumption-level" / "shoppers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 10 pipeline A-E


def ex10() -> None:
    rng = random.Random(1010)
    after = lambda n: add_months(AS_OF, n)  # noqa: E731
    rows = [
        ["明确", after(1)], ["明确", after(1) + timedelta(days=1)], ["明确", after(3)],
        ["明确", after(3) + timedelta(days=1)], ["明确", after(6)], ["明确", after(6) + timedelta(days=1)],
        ["明确", AS_OF], ["明确", date(2024, 6, 1)], ["明确", None], ["潜在", after(1)], ["潜在", None],
        ["无", after(1)], ["无", None],
    ]
    while len(rows) < 180:
        need = rng.choices(["明确", "潜在", "无"], weights=[5, 3, 2])[0]
        close = None if rng.random() < 0.15 else rand_date(rng, AS_OF - timedelta(days=20), after(12))
        rows.append([need, close])
    sales = [person_name(rng) for _ in range(6)]
    out = [[f"L{i + 1:05d}", company_name(rng), n, iso(d), rng.choice(sales)] for i, (n, d) in enumerate(rows)]
    header = ["客户编号", "客户名称", "需求", "预计成交日期", "销售"]
    write_csv(HERE / "10-pipeline-a-to-e" / "leads.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 11 deal stage


def ex11() -> None:
    rng = random.Random(1111)
    statuses = ["已联系", "需求调研", "谈判中", "已报价", "已签约", "已交付", None]
    rows = [
        [date(2024, 4, 1), None, None, None, "谈判中"], [date(2024, 4, 1), None, date(2024, 4, 20), None, "谈判中"],
        [date(2024, 4, 1), None, None, None, "已联系"], [AS_OF, None, None, None, None],
        [date(2023, 1, 10), date(2023, 2, 1), date(2023, 3, 1), date(2023, 5, 1), "已交付"],
    ]
    while len(rows) < 150:
        first = rand_date(rng, date(2021, 1, 1), AS_OF)
        depth = rng.choices([0, 1, 2, 3], weights=[4, 3, 2, 2])[0]
        quoted = signed = delivered = None
        if depth >= 1:
            quoted = min(AS_OF, first + timedelta(days=rng.randint(3, 60)))
        if depth >= 2:
            signed = min(AS_OF, quoted + timedelta(days=rng.randint(5, 90)))
        if depth >= 3:
            delivered = min(AS_OF, signed + timedelta(days=rng.randint(10, 120)))
        rows.append([first, quoted, signed, delivered, rng.choice(statuses)])
    out = [[f"K{i + 1:05d}", company_name(rng), *[iso(d) for d in r[:4]], r[4]] for i, r in enumerate(rows)]
    header = ["客户编号", "客户名称", "首次接触日期", "报价日期", "签约日期", "交付日期", "CRM状态"]
    write_csv(HERE / "11-deal-stage" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 12 government accounts per product line (bool cells as 1/0)


def ex12() -> None:
    rng = random.Random(1212)
    lines = ["彩信", "城管通", "警务通", "数字城市", "智能交通", "应急指挥", "智慧旅游"]
    agencies = ["公安局", "城管局", "交通运输局", "应急管理局", "文化和旅游局", "大数据局", "住建局", "政务服务中心"]
    rows = []
    # hand-placed: the worked example (84 / 81.75), the 30% share boundary, every band boundary,
    # each missing project element
    full = [1, 1, 1, 1]
    fixed = [
        ("数字城市", full, 1_200_000_00, 2_500_000_00, "0.35"),
        ("数字城市", full, 1_200_000_00, 2_500_000_00, "0.30"),
        ("数字城市", full, 1_200_000_00, 2_500_000_00, "0.2999"),
        ("智能交通", full, 3_000_000_00, 2_000_000_00, "0"),
        ("智能交通", full, 3_000_000_00, 999_999_00, "0"),
        ("警务通", full, 100_000_00, 1_000_000_00, "0"),
        ("警务通", full, 99_999_00, 5_000_000_00, "0.10"),
        ("彩信", [0, 1, 1, 1], 5_000_000_00, 6_000_000_00, "0.60"),
        ("彩信", [1, 0, 1, 1], 5_000_000_00, 6_000_000_00, "0.60"),
        ("彩信", [1, 1, 0, 1], 5_000_000_00, 6_000_000_00, "0.60"),
        ("彩信", [1, 1, 1, 0], 5_000_000_00, 6_000_000_00, "0.60"),
    ]
    n_customer = 0
    for line, flags, hist, fc, share in fixed:
        n_customer += 1
        city = rng.choice(CITIES)
        rows.append([f"G{n_customer:04d}-{lines.index(line) + 1:02d}", city + "市" + rng.choice(agencies), line,
                     *flags, money(hist), money(fc), share])
    while len(rows) < 220:
        n_customer += 1
        city = rng.choice(CITIES)
        name = city + "市" + rng.choice(agencies)
        for line in rng.sample(lines, rng.randint(1, 4)):
            flags = [1 if rng.random() < 0.85 else 0 for _ in range(4)]
            hist = 0 if rng.random() < 0.2 else int(rng.lognormvariate(13.3, 1.3)) * 100
            fc = int(rng.lognormvariate(14.3, 0.9)) * 100
            share = f"{rng.randint(0, 80) / 100:.2f}"
            rows.append([f"G{n_customer:04d}-{lines.index(line) + 1:02d}", name, line, *flags, money(hist), money(fc), share])
    header = ["客户产品编号", "客户名称", "产品线", "有需求", "今年预算匹配", "今年有时间表", "决策人明确",
              "近两年历史销售额(元)", "预测销售额(元)", "近两年份额"]
    write_csv(HERE / "12-government-accounts" / "opportunities.csv", header, shuffled(rng, rows[:220]))


# ------------------------------------------------------------------------------------------------
# 13 shipping attention A/B/C


def ex13() -> None:
    rng = random.Random(1313)
    regions = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]
    base = dict(region="西北", first=False, vol=100, qty=10, serious=None, complaint=None, sensitive=False, req=0)
    fixed = [
        dict(first=True), dict(qty=30_000, vol=30_000), dict(qty=29_999, vol=29_999), dict(qty=10_000, vol=10_000),
        dict(qty=9_999, vol=9_999), dict(vol=200_000, qty=500), dict(vol=199_999, qty=500), dict(region="华南"),
        dict(region="华东"), dict(serious=months_ago(2)), dict(serious=months_ago(2) - timedelta(days=1)),
        dict(serious=months_ago(6)), dict(serious=months_ago(6) - timedelta(days=1)),
        dict(complaint=months_ago(2)), dict(complaint=months_ago(2) - timedelta(days=1)),
        dict(complaint=AS_OF + timedelta(days=1)), dict(sensitive=True), dict(req=3), dict(req=2), dict(),
    ]
    rows = [{**base, **f} for f in fixed]
    while len(rows) < 250:
        qty = int(rng.lognormvariate(7.5, 1.3))
        rows.append(dict(
            region=rng.choice(regions), first=rng.random() < 0.06, vol=qty * rng.randint(1, 30), qty=qty,
            serious=rand_date(rng, date(2023, 1, 1), AS_OF) if rng.random() < 0.12 else None,
            complaint=rand_date(rng, date(2023, 6, 1), AS_OF) if rng.random() < 0.25 else None,
            sensitive=rng.random() < 0.15, req=rng.choice([0, 0, 0, 1, 1, 2, 3, 4, 5])))
    out = []
    for i, r in enumerate(rows):
        out.append([f"SH{i + 1:04d}", company_name(rng), r["region"], "true" if r["first"] else "false", r["vol"], r["qty"],
                    iso(r["serious"]), iso(r["complaint"]), "yes" if r["sensitive"] else "no", r["req"]])
    header = ["客户编号", "客户名称", "区域", "首次下单", "年发货量(件)", "单笔最大订货量(件)", "最近严重投诉日期",
              "最近投诉日期", "物流敏感", "物流特殊要求数"]
    write_csv(HERE / "13-shipping-attention" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 14 time-series classes


def ex14() -> None:
    rng = random.Random(1414)
    rows = [
        [None, None], [months_ago(6), date(2024, 6, 1)], [months_ago(6) - timedelta(days=1), date(2024, 6, 1)],
        [date(2015, 3, 1), months_ago(12)], [date(2015, 3, 1), months_ago(12) - timedelta(days=1)],
        [date(2019, 1, 1), None], [AS_OF, AS_OF], [date(2021, 6, 30), AS_OF], [date(2021, 7, 1), AS_OF],
    ]
    while len(rows) < 200:
        kind = rng.choices(["potential", "new", "old"], weights=[2, 2, 6])[0]
        if kind == "potential":
            rows.append([None, None])
        elif kind == "new":
            first = rand_date(rng, months_ago(6), AS_OF)
            rows.append([first, rand_date(rng, first, AS_OF)])
        else:
            first = rand_date(rng, date(2012, 1, 1), months_ago(7))
            rows.append([first, rand_date(rng, first, AS_OF)])
    out = [[f"{i * 11 % 1000:06d}", company_name(rng), iso(f), iso(l)] for i, (f, l) in enumerate(rows)]
    header = ["客户编号", "客户名称", "首次成交日期", "最近成交日期"]
    write_csv(HERE / "14-time-series" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 15 lifecycle


def ex15() -> None:
    rng = random.Random(1515)
    rows = [
        [date(2024, 1, 15), 3, 0, 800_00, 0], [date(2020, 1, 1), 6, 5, 11_000_00, 10_000_00],
        [date(2020, 1, 1), 6, 5, 10_999_00, 10_000_00], [date(2020, 1, 1), 5, 5, 20_000_00, 10_000_00],
        [date(2019, 5, 1), 0, 4, 0, 6_000_00], [date(2018, 1, 1), 2, 0, 900_00, 0],
        [months_ago(6), 1, 0, 100_00, 0], [months_ago(6) - timedelta(days=1), 1, 1, 100_00, 100_00],
    ]
    while len(rows) < 220:
        first = rand_date(rng, date(2016, 1, 1), AS_OF)
        if first > months_ago(6):
            cur = rng.randint(1, 6)
            rows.append([first, cur, 0, cur * rng.randint(100_00, 3_000_00), 0])
            continue
        prev = rng.randint(0, 12)
        trend = rng.choice([-1, 0, 1])
        cur = max(0, prev + trend * rng.randint(0, 4)) if rng.random() > 0.1 else 0
        ticket = rng.randint(200_00, 5_000_00)
        rows.append([first, cur, prev, cur * ticket * rng.randint(90, 120) // 100, prev * ticket])
    out = [[f"LC{i + 1:04d}", company_name(rng), iso(f), c, p, money(ac), money(ap)] for i, (f, c, p, ac, ap) in enumerate(rows)]
    header = ["客户编号", "客户名称", "首单日期", "本期订单数", "上期订单数", "本期金额(元)", "上期金额(元)"]
    write_csv(HERE / "15-lifecycle" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 16 loyalty


def ex16() -> None:
    rng = random.Random(1616)
    rows = [[20, 12, 2, 1], [20, 11, 2, 1], [20, 12, 1, 1], [20, 12, 2, 2], [10, 1, 0, 0], [10, 2, 0, 0],
            [10, 5, 0, 3], [10, 5, 0, 2], [0, 0, 0, 0], [1, 1, 1, 0]]
    while len(rows) < 180:
        orders = rng.choice([0, rng.randint(1, 8), rng.randint(5, 40)])
        repeat = rng.randint(0, orders)
        refs = rng.randint(0, max(0, orders // 4))
        compl = rng.choice([0, 0, 0, rng.randint(0, max(0, orders // 2))])
        rows.append([orders, repeat, refs, compl])
    out = [[f"LY{i + 1:04d}", person_name(rng), *r] for i, r in enumerate(rows)]
    header = ["客户编号", "客户名称", "近12月订单数", "复购订单数", "推荐新客数", "投诉次数"]
    write_csv(HERE / "16-loyalty" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 17 RFM from the purchase history (JSON Lines)


def ex17() -> None:
    # one row per purchase: generated by the example's own gen.py (as 28's orders are)
    runpy.run_path(str(HERE / "17-rfm-activity" / "gen.py"))


# ------------------------------------------------------------------------------------------------
# 18 transactional versus relational


def ex18() -> None:
    rng = random.Random(1818)
    rows = [[False, 2, 10_00, 10_00], [False, 3, 10_00, 10_00], [True, 0, 10_00, 10_00],
            [True, 4, 11_000_00, 10_000_00], [True, 4, 10_999_00, 10_000_00], [True, 4, 500_00, 0],
            [True, 4, 300_00, -200_00], [True, 6, -5_000_00, 1_000_00]]
    while len(rows) < 240:
        framework = rng.random() < 0.3
        years = rng.randint(0, 12)
        prev = int(rng.lognormvariate(11.5, 1.2)) * (1 if rng.random() > 0.05 else -1)
        cur = int(prev * rng.uniform(0.6, 1.4)) if rng.random() > 0.05 else -rng.randint(0, 5_000_00)
        rows.append([framework, years, cur, prev])
    out = [[f"{i + 1:05d}", company_name(rng), "true" if f else "false", y, money(c), money(p)]
           for i, (f, y, c, p) in enumerate(rows)]
    header = ["客户编号", "客户名称", "签订框架协议", "合作年限", "近12月利润(元)", "上年同期利润(元)"]
    write_csv(HERE / "18-transactional-relational" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 19 customer type


def ex19() -> None:
    rng = random.Random(1919)
    rows = [["内部", "经销商", 40], ["企业", "分销商", 3], ["企业", "代理商", 0], ["个人", "经销商", 1],
            ["企业", "服务商", 1], ["企业", None, 2], ["个人", None, 2], ["个人", None, 0], ["企业", None, 0]]
    while len(rows) < 160:
        party = rng.choices(["个人", "企业", "内部"], weights=[6, 4, 1])[0]
        role = rng.choice(["分销商", "代理商", "经销商", None]) if party == "企业" and rng.random() < 0.4 else None
        orders = 0 if rng.random() < 0.3 else rng.randint(1, 60)
        rows.append([party, role, orders])
    out = []
    for i, (party, role, orders) in enumerate(rows):
        name = person_name(rng) if party == "个人" else company_name(rng)
        out.append([f"C{i + 1:05d}", name, party, role, orders])
    header = ["客户编号", "客户名称", "主体类型", "渠道角色", "累计订单数"]
    write_csv(HERE / "19-customer-type" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 20 Lenovo segmentation tree (JSON array of objects)


def ex20() -> None:
    rng = random.Random(2020)
    roles = ["分销商", "区域分销商", "代理商", "经销商", "专卖店"]
    rows = [[r, None, 30, False, False, True] for r in roles]
    rows += [
        ["最终用户", "商用", 0, False, False, False], ["最终用户", "消费", 3, False, False, False],
        ["最终用户", None, 1, False, False, False], ["最终用户", "商用", 2, True, False, False],
        ["最终用户", "商用", 1, True, False, False], ["最终用户", "商用", 0, True, False, False],
        ["最终用户", "商用", 0, False, True, True], ["最终用户", "商用", 8, False, True, True],
        ["最终用户", "商用", 8, False, True, False], ["最终用户", "商用", 8, False, False, True],
    ]
    while len(rows) < 150:
        if rng.random() < 0.25:
            rows.append([rng.choice(roles), None, rng.randint(5, 200), False, False, True])
            continue
        utype = rng.choices(["商用", "消费", None], weights=[6, 3, 1])[0]
        orders = rng.choice([0, 0, 1, rng.randint(2, 40)])
        rows.append(["最终用户", utype, orders, rng.random() < 0.3, rng.random() < 0.2, rng.random() < 0.5])
    out = []
    for i, (role, utype, orders, opp, named, direct) in enumerate(rows):
        name = person_name(rng) if utype == "消费" else company_name(rng)
        out.append([f"LN{i + 1:05d}", name, role, utype, orders, opp, named, direct])
    header = ["客户编号", "客户名称", "客户角色", "用户类型", "近24月订单数", "有在谈商机", "指名大客户", "直接签约"]
    write_json(HERE / "20-lenovo-tree" / "customers.json", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 21 enterprise customer grade (XLSX with real date and number cells)


def ex21() -> None:
    rng = random.Random(2121)
    industries = ["制造业", "零售", "物流", "医药", "能源", "软件", "建筑"]
    ratings = ["AAA", "AA", "A", "BBB", "BB", "B"]
    d = date
    rows = [
        # employees, revenue (万元, cents), share (basis points), founded, cooperation start, demand, rating, growth (bp)
        [50, 1_000_00, 1000, d(2010, 1, 1), None, "中端", "A", 500],
        [1000, 40_000_00, 100, d(2000, 1, 1), months_ago(36), "高端", "AA", 1500],
        [999, 40_000_00, 999, d(2000, 1, 1), months_ago(36) + timedelta(days=1), "中端", "BBB", 0],
        [100, 2_000_00, 0, d(2021, 6, 30), months_ago(12), "低端", "BB", 2000],
        [99, 80_000_00, 0, d(2021, 7, 1), None, "低端", "B", -500],
        [300, 5_000_00, 1500, d(2014, 6, 30), d(2023, 1, 1), "高端", "AAA", 3000],
        [300, 5_000_00, 1490, d(2014, 7, 1), d(2023, 1, 1), "中端", "AA", 2500],
        [20_000, 900_000_00, 2200, d(1995, 3, 1), d(2010, 5, 1), "高端", "AAA", 3000],
        [20, 300_00, 10, d(2023, 1, 1), None, "低端", "C", -500],
    ]
    while len(rows) < 150:
        emp = int(rng.lognormvariate(5.5, 1.6)) + 3
        rev = int(emp * rng.uniform(20, 150) * 100)
        share = min(3000, int(rng.expovariate(1 / 300)))
        founded = rand_date(rng, d(1985, 1, 1), AS_OF - timedelta(days=30))
        coop = rand_date(rng, max(founded, d(2008, 1, 1)), AS_OF) if rng.random() < 0.7 else None
        rows.append([emp, rev, share, founded, coop, rng.choice(["高端", "中端", "低端"]),
                     rng.choices(ratings, weights=[1, 3, 4, 3, 2, 1])[0], rng.randint(-3000, 6000)])
    out = []
    for i, (emp, rev, share, founded, coop, demand, rating, growth) in enumerate(rows):
        out.append([f"{i * 17 % 1000 + 1:06d}", company_name(rng), rng.choice(industries), emp,
                    float(Decimal(money(rev))), float(Decimal(share) / 10_000), founded, coop, demand, rating,
                    float(Decimal(growth) / 10_000)])
    header = ["企业编号", "企业名称", "行业", "员工人数", "年营业收入(万元)", "市场占有率", "成立日期", "合作开始日期",
              "需求层次", "信用等级", "营收增长率"]
    write_xlsx(HERE / "21-enterprise-grade" / "enterprises.xlsx", "企业客户", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 22 influence and behaviour tags (JSON array of objects)


def ex22() -> None:
    rng = random.Random(2222)
    titles = ["主任医师", "科室主任", "设备科科长", "采购处长", "院长", "教授", "护士长", "信息科主任", "财务处长"]
    pct = lambda bp: float(Decimal(bp) / 10_000)  # noqa: E731
    rows = [
        # expert, veto, days, unplanned, unreasonable, quotes, discount, same brand, premium, emotional
        [True, True, 10, 0, 0, 3, 0, 0, 0, False],
        [False, False, 1, 5000, 0, 1, 0, 0, 0, False],
        [False, False, 3, 4990, 1, 2, 5990, 7990, 4990, False],
        [False, False, 7, 0, 2, 3, 6000, 8000, 5000, True],
        [True, False, 2, 0, 0, 0, 0, 0, 0, False],
        [False, True, 30, 1000, 0, 6, 2000, 3000, 1000, False],
    ]
    while len(rows) < 100:
        rows.append([rng.random() < 0.15, rng.random() < 0.12, rng.choice([0, 1, 2, 3, 5, 7, 10, 14, 30]),
                     rng.randint(0, 8000), rng.choice([0, 0, 0, 1, 2, 3]), rng.randint(0, 6), rng.randint(0, 9000),
                     rng.randint(0, 10000), rng.randint(0, 8000), rng.random() < 0.2])
    out = []
    for i, (exp, veto, days, unpl, unre, quotes, disc, same, prem, emo) in enumerate(rows):
        out.append([f"P{i + 1:04d}", person_name(rng), rng.choice(titles), exp, veto, days, pct(unpl), unre, quotes,
                    pct(disc), pct(same), pct(prem), emo])
    header = ["联系人编号", "姓名", "职务", "专家或学术权威", "有准入否决权", "平均决策天数", "计划外购买占比", "无理投诉次数",
              "比价次数", "使用优惠占比", "重复购买同品牌占比", "高端品占比", "销售标注:重感情"]
    write_json(HERE / "22-influence-tags" / "contacts.json", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 23 ten dimensions of a customer file


PROVINCE_CITIES = {
    "北京": ["北京"], "上海": ["上海"], "天津": ["天津"], "重庆": ["重庆"], "广东": ["广州", "深圳", "东莞", "佛山", "汕头"],
    "浙江": ["杭州", "宁波", "温州"], "江苏": ["南京", "苏州", "无锡", "徐州"], "四川": ["成都", "绵阳"],
    "湖北": ["武汉", "宜昌"], "陕西": ["西安", "宝鸡"], "河南": ["郑州", "洛阳"], "山东": ["青岛", "济南", "烟台"],
    "辽宁": ["沈阳", "大连"], "黑龙江": ["哈尔滨"], "福建": ["厦门", "福州"], "湖南": ["长沙"], "安徽": ["合肥"],
    "云南": ["昆明"], "广西": ["南宁"], "新疆": ["乌鲁木齐"], "内蒙古": ["呼和浩特"], "河北": ["石家庄"],
}


def ex23() -> None:
    rng = random.Random(2323)
    abroad = [("新加坡", "Singapore"), ("美国", "Seattle"), ("德国", "München"), ("日本", "大阪")]
    channels = ["官网", "天猫", "京东", "小程序", "门店", "经销商", "展会"]
    rows = []
    fixed = [
        dict(country="中国", province="上海", city="上海", orders=12, amount=10_000_00),
        dict(country="中国", province=None, city="绵阳", orders=12, amount=9_999_99),
        dict(country="新加坡", province=None, city="Singapore", orders=11, amount=10_000_00),
        dict(country="中国", province=None, city=None, orders=11, amount=9_999_99),
        dict(first=None, last=None, orders=0, amount=0),
        dict(first=months_ago(6), last=months_ago(6)),
        dict(last=months_ago(6) - timedelta(days=1)), dict(last=months_ago(12)),
        dict(last=months_ago(12) - timedelta(days=1)),
        dict(online=5000, pos=2, neg=2, contacts=6, channel="京东", tier="高端", need="技术"),
        dict(online=4999, pos=0, neg=1, contacts=5, channel="门店", tier="低端", need=None),
    ]
    for i in range(230):
        f = fixed[i] if i < len(fixed) else {}
        if "country" in f:
            country, province, city = f["country"], f["province"], f["city"]
        elif rng.random() < 0.1:
            country, city = rng.choice(abroad)
            province = None
        else:
            country = "中国"
            province = rng.choice(sorted(PROVINCE_CITIES))
            city = rng.choice(PROVINCE_CITIES[province]) if rng.random() > 0.05 else None
        orders = f.get("orders", rng.choice([rng.randint(0, 11), rng.randint(12, 60)]))
        amount = f.get("amount", orders * rng.randint(50_00, 2_000_00))
        if "first" in f or "last" in f:
            first = f.get("first", date(2020, 1, 1))
            last = f.get("last")
        elif orders == 0 and rng.random() < 0.5:
            first = last = None
        else:
            first = rand_date(rng, date(2015, 1, 1), AS_OF)
            last = rand_date(rng, first, AS_OF)
        rows.append([
            f"{i * 7 % 1000 + 1:04d}", company_name(rng) if rng.random() < 0.5 else person_name(rng),
            rng.choice(["个人", "企业"]), country, province, city, orders, money(amount), iso(first), iso(last),
            f.get("tier", rng.choice(["高端", "中端", "低端"])), f.get("need", rng.choice(["售前", "售后", "技术", None])),
            float(Decimal(f.get("online", rng.randint(0, 10000))) / 10_000),
            f.get("pos", rng.randint(0, 5)), f.get("neg", rng.choice([0, 0, 1, 2])),
            f.get("channel", rng.choice(channels)), f.get("contacts", rng.randint(0, 12)),
        ])
    header = ["客户编号", "客户名称", "客户类型", "国家", "省份", "城市", "近12月订单数", "近12月消费金额(元)", "首单日期",
              "最近下单日期", "主购产品档次", "主要服务需求", "线上互动占比", "好评数", "差评数", "成交渠道", "近90天互动次数"]
    write_csv(HERE / "23-ten-dimensions" / "customers.csv", header, shuffled(rng, rows))


# ------------------------------------------------------------------------------------------------
# 24 age bands


def ex24() -> None:
    rng = random.Random(2424)
    d = date
    rows = [d(1979, 12, 31), d(1980, 1, 1), d(1989, 12, 31), d(1990, 1, 1), d(1959, 12, 31), d(2010, 1, 1),
            d(2009, 12, 31), d(1960, 1, 1), d(2006, 6, 30), d(2006, 7, 1), d(2000, 2, 29), None, None,
            d(1964, 6, 30), d(1964, 7, 1), d(1994, 6, 30), d(1979, 6, 30), d(1979, 7, 1)]
    while len(rows) < 300:
        rows.append(None if rng.random() < 0.05 else rand_date(rng, d(1945, 1, 1), d(2014, 12, 31)))
    out = [[f"{i * 29 % 1000 + 1:08d}", person_name(rng), iso(b)] for i, b in enumerate(rows)]
    header = ["会员号", "姓名", "出生日期"]
    # dates written with slashes, as many Chinese spreadsheets export them
    out = [[k, n, b.replace("-", "/")] for k, n, b in out]
    write_csv(HERE / "24-age-bands" / "members.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 25 lead qualification from an inquiry


def ex25() -> None:
    rng = random.Random(2525)
    countries = ["美国", "德国", "英国", "巴西", "印度", "阿联酋", "澳大利亚", "波兰", "墨西哥", "越南"]
    industries = ["家居零售", "汽配", "服装", "电子", "建材", "五金", "医疗器械", "户外用品"]
    targets = ["中高端家庭", "修理厂", "连锁超市", "电商卖家", "工程承包商", "医院", "批发商"]
    details = ["Family-owned chain of 40 home stores", "Importer and wholesaler since 1998", "Online retailer on Amazon and eBay",
               "贸易公司", "Distributor covering 12 states", "0123456789", "Small shop"]
    sites = ["www.{}.com", "{}.de", "shop.{}.co.uk", "无", "n/a", "{}-trading.com"]
    rows = [
        ["家居零售", 12, "中高端家庭", 25_000_000_00, "Family-owned chain of 40 home stores in Bavaria", "www.example-home.de"],
        ["汽配", 3, "修理厂", 800_000_00, None, None], ["汽配", 3, "修理厂", None, None, None],
        ["服装", None, None, None, None, "shop.example.com"], ["服装", None, None, None, None, None],
        [None, None, None, None, None, None], ["电子", 0, None, None, "贸易公司", "无"],
        [None, None, None, None, "0123456789", None], [None, None, None, None, "012345678", None],
    ]
    while len(rows) < 140:
        p = rng.uniform(0.2, 0.95)
        slug = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 9)))
        rows.append([
            rng.choice(industries) if rng.random() < p else None,
            rng.randint(0, 40) if rng.random() < p else None,
            rng.choice(targets) if rng.random() < p else None,
            rng.randint(50_000, 50_000_000) * 100 if rng.random() < p else None,
            rng.choice(details) if rng.random() < p else None,
            rng.choice(sites).format(slug) if rng.random() < p else None,
        ])
    out = []
    for i, (ind, yrs, tgt, sales, det, site) in enumerate(rows):
        out.append([f"INQ-{2024_0000 + i * 3:08d}", "Buyer " + str(i + 1), rng.choice(countries), ind, yrs, tgt,
                    None if sales is None else money(sales), det, site])
    header = ["询盘编号", "买家", "国家", "买家行业", "经营年限", "目标客户", "年销售额(美元)", "公司介绍", "网站"]
    write_csv(HERE / "25-lead-qualification" / "inquiries.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 26 four-level industry codes


def ex26() -> None:
    rng = random.Random(2626)
    fixed = ["A012", "B01", "C03", "D02", "E11", "F25", "G01", "H04", "I01", "J02", "K01", "L99", "A011", "A016",
             "A019", "A021", "A0121", "A010", "a016", "Z01", None, "A02", "A0129", "F10", "A0"]
    sections = "ABCDEFGHIJKL"
    codes = list(fixed)
    while len(codes) < 200:
        s = rng.choice(sections)
        if s == "A":
            code = "A" + rng.choice(["011", "012", "012", "016", "019", "010", "021", "022", "029"])
            if rng.random() < 0.3:
                code += str(rng.randint(0, 9))
        else:
            code = s + f"{rng.randint(1, 12):02d}" + (str(rng.randint(0, 9)) if rng.random() < 0.4 else "")
        codes.append(code if rng.random() > 0.04 else None)
    out = [[f"{i * 9 % 1000 + 1:05d}", company_name(rng), c] for i, c in enumerate(codes)]
    header = ["客户编号", "客户名称", "行业代码"]
    write_csv(HERE / "26-industry-codes" / "customers.csv", header, shuffled(rng, out))


# ------------------------------------------------------------------------------------------------
# 27 Pareto: top_share(profit) and cumulative_share(revenue) ABC


def ex27() -> None:
    rng = random.Random(2727)
    # revenue: A holds exactly 70% of 20,000,000.00, B 20%, C 10%
    revenue = (fixed_sum(rng, 45, 14_000_000_00, 200_000_00, 450_000_00)
               + fixed_sum(rng, 75, 4_000_000_00, 40_000_00, 70_000_00)
               + fixed_sum(rng, 180, 2_000_000_00, 1_000_00, 20_000_00))
    profit = [r * rng.randint(-800, 4000) // 10_000 for r in revenue]
    seen: set[int] = set()
    for i, p in enumerate(profit):
        while p in seen:
            p += 1
        seen.add(p)
        profit[i] = p
    order = sorted(range(len(profit)), key=lambda i: -profit[i])
    profit[order[150]] = profit[order[149]]  # a tie in the middle, away from the 20% line
    # exactly 60 of 300 customers (20%) are strictly above the 61st, so the 60th sits at exactly 20%
    assert profit[order[59]] > profit[order[60]]
    rows = [[f"P{i * 7 % 300 + 1:05d}", company_name(rng), money(r), money(p)] for i, (r, p) in enumerate(zip(revenue, profit))]
    header = ["客户编号", "客户名称", "销售额(元)", "毛利(元)"]
    write_csv(HERE / "27-pareto" / "customers.csv", header, shuffled(rng, rows))


# ------------------------------------------------------------------------------------------------
# 29 hysteresis: last period's tier as a grade-typed field, margin points from a shared file


def ex29() -> None:
    rng = random.Random(2929)
    # revenue in cents, total 10,000,000.00: the first four hold exactly 50%; the next three sit
    # at 52.5%, 54.9% and 57.2% (kept diamond, not kept, dropped: see the scheme's tests)
    top = [2_000_000_00, 1_500_000_00, 1_000_000_00, 500_000_00, 250_000_00, 240_000_00, 230_000_00]
    top_tiers = ["diamond", "钻石级", "gold", "", "钻石级", "gold", "diamond"]
    rest = fixed_sum(rng, 53, 10_000_000_00 - sum(top), 20_000_00, 150_000_00)
    tiers = ["", "", "gold", "黄金级", "silver", "白银级", "other", "其他", "diamond"]
    rows = []
    for i, r in enumerate(top + rest):
        tier = top_tiers[i] if i < len(top) else rng.choice(tiers)
        profit = r * rng.randint(-500, 4500) // 10_000
        rows.append([f"H{i * 13 % 100 + 1:04d}", company_name(rng), money(r), money(profit), tier])
    header = ["客户编号", "客户名称", "营业额", "利润", "上期等级"]
    write_csv(HERE / "29-hysteresis-tiers" / "customers.csv", header, shuffled(rng, rows))


# ------------------------------------------------------------------------------------------------


def main() -> None:
    for n in range(1, 30):
        make = globals().get(f"ex{n:02d}")
        if make is not None:
            make()


if __name__ == "__main__":
    main()
