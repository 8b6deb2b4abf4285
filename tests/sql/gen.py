"""Seeded generator of random, well-typed Rubric schemes and matching data for the differential
test (`diff.py --random N`). Each seed gives one scheme (lets, points, scores, grades with
attributes, tags, population functions with and without `within`) and 15–60 customers with
missing cells, ties, zeros, negative numbers and month-end dates around the evaluation date.

The expressions stay where `rubric sql` promises exact agreement: a quotient is never
multiplied by, or divided by, another quotient, and every product keeps at most 38 places (the
query's static scales, tracked here as `Expr.scale`, as rubric-sql computes them or more): where
it would have more, an operand is rounded first, as `rubric sql` asks a user to.
"""

from __future__ import annotations

import csv
import datetime
import pathlib
import random

AS_OFS = ["2024-03-31", "2024-02-29", "2024-06-30", "2023-12-31", "2024-05-15", "2025-01-31"]
TEXTS = ["north", "south", "北京", "上海", "a'b", "x\"y", "Mixed Case"]

# name, type, optional, header
FIELDS = [
    ("id", "text", False, "客户 编号"),
    ("n1", "int", True, None),
    ("n2", "int", False, "订单数"),
    ("x1", "decimal", True, "营业额"),
    ("x2", "decimal", True, None),
    ("x3", "decimal", False, None),
    ("d1", "date", True, None),
    ("d2", "date", False, "首次下单"),
    ("t1", "text", True, "区域"),
    ("b1", "bool", True, None),
]


# The places of a `decimal` field in the query (`rubric sql --decimal-places`, default 6), of a
# quotient, and the most a product may have.
FIELD_SCALE, DIV_SCALE, MAX_SCALE = 6, 16, 38


class Expr:
    def __init__(self, text: str, ty: str, div: bool = False, scale: int = 0):
        self.text = text
        self.ty = ty  # int decimal bool date text grade:<name> tags:<name>
        self.div = div  # holds a quotient
        self.scale = scale  # the places of a number in the query (an upper bound)


def lit_scale(text: str) -> int:
    """The places of a number literal: `12.5` 1, `35%` (0.35) 2, `7` 0."""
    if text.endswith("%"):
        return lit_scale(text[:-1]) + 2
    return len(text.split(".")[1]) if "." in text else 0


def rounded(e: Expr, places: int) -> Expr:
    """`e` rounded to at most `places` places, when it has more."""
    if e.scale <= places:
        return e
    return Expr(f"round({e.text}, {places})", "decimal", e.div, places)


def product(a: Expr, b: Expr) -> Expr:
    """`a * b`, an operand rounded first where the places would exceed MAX_SCALE."""
    if a.scale + b.scale > MAX_SCALE:
        if a.scale >= b.scale:
            a = rounded(a, max(0, min(6, MAX_SCALE - b.scale)))
        else:
            b = rounded(b, max(0, min(6, MAX_SCALE - a.scale)))
    ty = "int" if a.ty == b.ty == "int" else "decimal"
    return Expr(f"({a.text} * {b.text})", ty, a.div or b.div, a.scale + b.scale)


class Gen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)
        self.items: list[tuple[str, str, bool]] = []  # name, type, holds a quotient
        self.scales: dict[str, int] = {}  # the places of each numeric item
        self.grades: dict[str, list[str]] = {}
        self.attrs: dict[str, list[tuple[str, str]]] = {}
        self.tags: dict[str, list[str]] = {}
        self.n = 0

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    # --- leaves -----------------------------------------------------------------------------

    def num_leaf(self) -> Expr:
        r = self.r
        c = r.random()
        if c < 0.45:
            name, ty, _, _ = r.choice([f for f in FIELDS if f[1] in ("int", "decimal")])
            return Expr(name, ty, scale=FIELD_SCALE if ty == "decimal" else 0)
        nums = [(n, t, d) for n, t, d in self.items if t in ("int", "decimal")]
        if c < 0.65 and nums:
            n, t, d = r.choice(nums)
            return Expr(n, t, d, self.scales.get(n, MAX_SCALE))
        k = r.random()
        if k < 0.4:
            return Expr(str(r.randint(0, 20)), "int")
        if k < 0.7:
            return Expr(f"{r.randint(0, 9)}.{r.randint(0, 99):02d}", "decimal", scale=2)
        return Expr(f"{r.choice([5, 10, 25, 50, 75, 100])}%", "decimal", scale=2)

    def date_leaf(self) -> Expr:
        r = self.r
        c = r.random()
        if c < 0.7:
            return Expr(r.choice(["d1", "d2"]), "date")
        if c < 0.85:
            return Expr("today", "date")
        return Expr(r.choice(["2024-02-29", "2024-01-31", "2023-03-31"]), "date")

    def duration_lit(self) -> str:
        r = self.r
        return r.choice([f"{r.randint(0, 90)}d", f"{r.randint(1, 8)}w", f"{r.randint(1, 14)}mo", f"{r.randint(1, 3)}y"])

    def duration(self, depth: int = 0) -> str:
        """A duration literal, or (with depth) one computed per customer: `if` over two, whose
        condition may be missing (the else branch then applies)."""
        r = self.r
        if depth > 0 and r.random() < 0.3:
            cond = self.cond(depth - 1).text
            return f"(if {cond} then {self.duration_lit()} else {self.duration_lit()})"
        return self.duration_lit()

    # --- typed expressions ------------------------------------------------------------------

    def num(self, depth: int) -> Expr:
        r = self.r
        if depth <= 0 or r.random() < 0.3:
            return self.num_leaf()
        if r.random() < 0.08:
            return self.num_v2(depth)
        c = r.randrange(16)
        if c < 3:
            a, b = self.num(depth - 1), self.num(depth - 1)
            op = r.choice(["+", "-"])
            ty = "int" if a.ty == b.ty == "int" else "decimal"
            return Expr(f"({a.text} {op} {b.text})", ty, a.div or b.div, max(a.scale, b.scale))
        if c == 3:
            a, b = self.num(depth - 1), self.num(depth - 1)
            if a.div and b.div:
                b = self.num_leaf_plain()
            return product(a, b)
        if c == 4:
            a, b = self.num(depth - 1), self.num_plain(depth - 1)
            return Expr(f"({a.text} / {b.text})", "decimal", True, DIV_SCALE)
        if c == 5:
            a = self.num(depth - 1)
            return Expr(f"(-{a.text})", a.ty, a.div, a.scale)
        if c == 6:
            a = self.num(depth - 1)
            return Expr(f"abs({a.text})", a.ty, a.div, a.scale)
        if c == 7:
            a, n = self.num(depth - 1), r.randint(0, 3)
            return Expr(f"round({a.text}, {n})", "decimal", a.div, min(n, a.scale))
        if c == 8:
            a, b = self.num(depth - 1), self.num(depth - 1)
            ty = "int" if a.ty == b.ty == "int" else "decimal"
            return Expr(f"{r.choice(['min', 'max'])}({a.text}, {b.text})", ty, a.div or b.div, max(a.scale, b.scale))
        if c == 9:
            a, b = self.num(depth - 1), self.num(depth - 1)
            ty = "int" if a.ty == b.ty == "int" else "decimal"
            return Expr(f"({a.text} ?? {b.text})", ty, a.div or b.div, max(a.scale, b.scale))
        if c == 10:
            cond, a, b = self.cond(depth - 1), self.num(depth - 1), self.num(depth - 1)
            ty = "int" if a.ty == b.ty == "int" else "decimal"
            return Expr(f"(if {cond.text} then {a.text} else {b.text})", ty, a.div or b.div, max(a.scale, b.scale))
        if c == 11:
            d = self.date(depth - 1)
            f = r.choice(["days_since", "months_since", "years_since", "year"])
            return Expr(f"{f}({d.text})", "int")
        if c == 12:
            a, b = self.date(depth - 1), self.date(depth - 1)
            return Expr(f"({a.text} - {b.text})", "int")
        if c == 13:
            return Expr(f"len({self.text(depth - 1).text})", "int")
        return self.pop(depth - 1)

    def num_v2(self, depth: int) -> Expr:
        """The v2 additions that give numbers: `count_true(…)` and `missing` in an `if`."""
        r = self.r
        if r.random() < 0.5:
            conds = ", ".join(self.cond(depth - 1).text for _ in range(r.randint(1, 3)))
            return Expr(f"count_true({conds})", "int")
        cond, a = self.cond(depth - 1), self.num(depth - 1)
        if r.random() < 0.5:
            return Expr(f"(if {cond.text} then missing else {a.text})", a.ty, a.div, a.scale)
        return Expr(f"(if {cond.text} then {a.text} else missing)", a.ty, a.div, a.scale)

    def num_plain(self, depth: int) -> Expr:
        """A number without a quotient in it."""
        for _ in range(20):
            e = self.num(depth)
            if not e.div:
                return e
        return self.num_leaf_plain()

    def num_leaf_plain(self) -> Expr:
        for _ in range(20):
            e = self.num_leaf()
            if not e.div:
                return e
        return Expr("n2", "int")

    def pop(self, depth: int, allow_date: bool = False) -> Expr:
        r = self.r
        f = r.choice(["total", "mean", "min_of", "max_of", "count", "rank", "top_share", "cumulative_share"])
        within = ""
        if r.random() < 0.4:
            parts = ["t1", "b1", "n1"] + [g for g in self.grades]
            within = f" within {r.choice(parts)}"
        if f == "count":
            return Expr(f"count(){within}", "int")
        if f in ("min_of", "max_of") and allow_date and r.random() < 0.3:
            return Expr(f"{f}({self.date(depth).text}){within}", "date")
        arg = self.num_plain(depth)
        ty = {"rank": "int", "total": arg.ty, "min_of": arg.ty, "max_of": arg.ty}.get(f, "decimal")
        div = f in ("mean", "top_share", "cumulative_share")
        scale = DIV_SCALE if div else 0 if f == "rank" else arg.scale
        return Expr(f"{f}({arg.text}){within}", ty, div, scale)

    def date(self, depth: int) -> Expr:
        r = self.r
        if depth <= 0 or r.random() < 0.5:
            return self.date_leaf()
        c = r.randrange(4)
        if c < 2:
            d = self.date(depth - 1)
            return Expr(f"({d.text} {r.choice(['+', '-'])} {self.duration(depth - 1)})", "date")
        if c == 2:
            a, b = self.date(depth - 1), self.date(depth - 1)
            if r.random() < 0.3:
                return Expr(f"{r.choice(['min_of', 'max_of'])}({a.text})", "date")
            return Expr(f"{r.choice(['min', 'max'])}({a.text}, {b.text})", "date")
        a, b = self.date(depth - 1), self.date(depth - 1)
        return Expr(f"({a.text} ?? {b.text})", "date")

    def text(self, depth: int) -> Expr:
        r = self.r
        c = r.random()
        if c < 0.6 or depth <= 0:
            return Expr(r.choice(["t1", "id"]), "text")
        if c < 0.7:
            return Expr(f"{r.choice(['lower', 'upper'])}({self.text(depth - 1).text})", "text")
        if c < 0.8:
            # `substr`: constant and computed positions, before 1 and past the end
            start = str(r.randint(-2, 5)) if r.random() < 0.6 else "n1"
            length = str(r.randint(-1, 4)) if r.random() < 0.7 else "n2"
            return Expr(f"substr({self.text(depth - 1).text}, {start}, {length})", "text")
        return Expr(f"({self.text(depth - 1).text} ?? {lit_text(r.choice(TEXTS))})", "text")

    def cond(self, depth: int) -> Expr:
        r = self.r
        c = r.randrange(17 if depth > 0 else 9)
        if c < 3:
            a, b = self.num(depth - 1), self.num(depth - 1)
            return Expr(f"({a.text} {r.choice(['==', '!=', '<', '<=', '>', '>='])} {b.text})", "bool")
        if c == 3:
            a, b = self.date(depth - 1), self.date(depth - 1)
            return Expr(f"({a.text} {r.choice(['==', '<', '>='])} {b.text})", "bool")
        if c == 4:
            window = r.choice(["within", "within", "within next"])
            return Expr(f"({self.date(depth - 1).text} {window} {self.duration(depth - 1)})", "bool")
        if c == 5:
            what = r.choice(["x1", "x2", "n1", "d1", "t1", "b1"] + [n for n, _, _ in self.items])
            return Expr(f"({what} is {r.choice(['missing', 'present'])})", "bool")
        if c == 6:
            vals = ", ".join(lit_text(t) for t in r.sample(TEXTS, r.randint(1, 3)))
            return Expr(f"({self.text(depth - 1).text} {r.choice(['in', 'not in'])} [{vals}])", "bool")
        if c == 7:
            return Expr("b1" if r.random() < 0.7 else "(b1 ?? false)", "bool")
        if c == 8:
            if self.grades and r.random() < 0.6:
                g = r.choice(list(self.grades))
                codes = self.grades[g]
                if r.random() < 0.5:
                    return Expr(f"({g} {r.choice(['==', '!='])} {r.choice(codes)})", "bool")
                pick = ", ".join(r.sample(codes, r.randint(1, len(codes))))
                return Expr(f"({g} {r.choice(['in', 'not in'])} [{pick}])", "bool")
            if self.tags:
                t = r.choice(list(self.tags))
                return Expr(f"({t} has {r.choice(self.tags[t])})", "bool")
            return Expr(f"(n2 {r.choice(['in', 'not in'])} [1, 2, 3])", "bool")
        if c < 11:
            a, b = self.cond(depth - 1), self.cond(depth - 1)
            return Expr(f"({a.text} {r.choice(['and', 'or'])} {b.text})", "bool")
        if c == 11:
            return Expr(f"(not {self.cond(depth - 1).text})", "bool")
        if c == 12:
            a, lo, hi = self.num(depth - 1), self.num(depth - 1), self.num(depth - 1)
            return Expr(f"({a.text} between {lo.text} and {hi.text})", "bool")
        if c == 13:
            f = r.choice(["starts_with", "ends_with", "contains"])
            return Expr(f"{f}({self.text(depth - 1).text}, {lit_text(r.choice(['n', '北', 'a', '']))})", "bool")
        if c == 14:
            return Expr(f"({self.num(depth - 1).text} {r.choice(['in', 'not in'])} [0, 1, 2.5, 10])", "bool")
        if c == 15:
            bools = [n for n, t, _ in self.items if t == "bool"]
            if bools:
                return Expr(r.choice(bools), "bool")
        if self.grades:
            g = r.choice(list(self.grades))
            if self.attrs.get(g):
                key, ty = r.choice(self.attrs[g])
                if ty == "num":
                    return Expr(f"({g}.{key} >= {r.randint(0, 5)})", "bool")
                return Expr(f"({g}.{key} == {lit_text('gold')})", "bool")
        return Expr(f"({self.num(depth - 1).text} > 0)", "bool")

    def by_cond(self, subject_ty: str) -> str:
        r = self.r
        if subject_ty == "date":
            c = r.randrange(4)
            if c == 0:
                return f"within {self.duration()}"
            if c == 1:
                return f"is {r.choice(['missing', 'present'])}"
            return f"{r.choice(['<', '>=', '=='])} {self.date(1).text}"
        c = r.randrange(7)
        if c < 3:
            return f"{r.choice(['>=', '>', '<', '<=', '==', '!='])} {r.choice([0, 1, 2, 5, 10, '2.5', '50%', -1])}"
        if c == 3:
            return f"between {r.randint(-2, 3)} and {r.randint(3, 12)}"
        if c == 4:
            return f"{r.choice(['in', 'not in'])} [0, 1, 2, 5]"
        if c == 5:
            return f"is {r.choice(['missing', 'present'])}"
        return self.cond(1).text

    # --- declarations -----------------------------------------------------------------------

    def decl(self) -> str:
        r = self.r
        kind = r.choices(["let", "points", "score", "grade", "tags"], [4, 2, 2, 3, 1])[0]
        if kind == "let":
            name = self.fresh("v")
            c = r.random()
            e = self.num(3) if c < 0.6 else (self.cond(2) if c < 0.8 else self.date(2))
            self.items.append((name, e.ty, e.div))
            self.scales[name] = e.scale
            return f"let {name} = {e.text}"
        if kind == "points":
            name = self.fresh("p")
            by = ""
            subject_ty = None
            if r.random() < 0.8:
                s = self.num(2) if r.random() < 0.8 else self.date(1)
                by = f" by {s.text}"
                subject_ty = s.ty
            rules = []
            for _ in range(r.randint(1, 4)):
                v = r.choice(["100", "90", "60", "0", "12.5", "-5", "35%"])
                cond = self.by_cond(subject_ty) if subject_ty else self.cond(2).text
                rules.append(f"{v} when {cond}")
            if r.random() < 0.6:
                rules.append(f"{r.choice(['10', '0', '1.5'])} otherwise")
            self.items.append((name, "decimal", False))
            self.scales[name] = 2
            return f"points {name}{by} {{\n  " + ",\n  ".join(rules) + "\n}"
        if kind == "score":
            name = self.fresh("s")
            weights = r.choice([["100%"], ["50%", "50%"], ["30%", "70%"], ["20%", "30%", "50%"], ["0.25", "0.75"]])
            terms = []
            div = False
            wholes = r.randint(0, 2)
            # a term's places, plus 2 for its weight, 2 for its bonus, 2 for each bonus of the
            # whole score, stay within MAX_SCALE
            room = MAX_SCALE - 4 - 2 * wholes
            scale = 0
            for w in weights:
                t = self.num(2)
                if t.scale > room:
                    t = rounded(t, 6)
                div = div or t.div
                scale = max(scale, t.scale + 4 + 2 * wholes)
                bonus = f" bonus {r.choice(['1.05', '1.2', '0.9'])} when {self.cond(1).text}" if r.random() < 0.3 else ""
                terms.append(f"{t.text} weight {w}{bonus}")
            whole = "".join(f" bonus {r.choice(['1.1', '1.05'])} when {self.cond(1).text}" for _ in range(wholes))
            self.items.append((name, "decimal", div))
            self.scales[name] = scale
            return f"score {name} {{\n  " + ",\n  ".join(terms) + "\n}" + whole
        is_tags = kind == "tags"
        name = self.fresh("tg" if is_tags else "g")
        codes = [f"{name}_{c}" for c in r.sample(["a", "b", "c", "d", "e"], r.randint(2, 4))]
        by = ""
        subject_ty = None
        if r.random() < 0.5:
            s = self.num(2) if r.random() < 0.8 else self.date(1)
            by = f" by {s.text}"
            subject_ty = s.ty
        with_attrs = not is_tags and r.random() < 0.4
        rules = []
        for i, c in enumerate(codes):
            last = i == len(codes) - 1
            cond = "otherwise" if last and r.random() < 0.6 else (
                "when " + (self.by_cond(subject_ty) if subject_ty else self.cond(2).text))
            attrs = ""
            if with_attrs:
                attrs = f" {{ level: {r.randint(0, 9)}, owner: {lit_text(r.choice(['gold', '客户经理', '']))} }}"
            rules.append(f"{c} {lit_text('标签 ' + c)} {cond}{attrs}")
        kw = "tags" if is_tags else "grade"
        if is_tags:
            self.tags[name] = codes
            self.items.append((name, "tags", False))
        else:
            self.grades[name] = codes
            if with_attrs:
                self.attrs[name] = [("level", "num"), ("owner", "text")]
            self.items.append((name, "grade", False))
        return f"{kw} {name}{by} {{\n  " + "\n  ".join(rules) + "\n}"


def lit_text(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def scheme_text(g: Gen, as_of: str) -> str:
    lines = [f'scheme "random"', f"as_of {as_of}", "input {"]
    for name, ty, opt, header in FIELDS:
        key = " key" if name == "id" else ""
        h = f" {lit_text(header)}" if header else ""
        lines.append(f"  {name} {ty}{'?' if opt else ''}{key}{h}")
    lines.append("}")
    decls = [g.decl() for _ in range(g.r.randint(3, 9))]
    # at least one output column
    if not any(d.startswith(("score", "grade", "tags")) for d in decls):
        g.r.random()
        decls.append(g.decl_output())
    return "\n".join(lines) + "\n\n" + "\n\n".join(decls) + "\n"


def decl_output(self: Gen) -> str:
    name = self.fresh("g")
    codes = [f"{name}_hi", f"{name}_lo"]
    c = self.cond(2).text
    self.grades[name] = codes
    self.items.append((name, "grade", False))
    return f"grade {name} {{\n  {codes[0]} when {c}\n  {codes[1]} otherwise\n}}"


Gen.decl_output = decl_output


def data_rows(r: random.Random, as_of: str) -> list[list[str]]:
    base = datetime.date.fromisoformat(as_of)
    specials = [base, base.replace(day=1), datetime.date(2024, 2, 29), datetime.date(2024, 1, 31),
                datetime.date(2023, 3, 31), base - datetime.timedelta(days=30)]
    n = r.randint(15, 60)
    rows = []
    for i in range(n):
        def opt(v):
            return "" if r.random() < 0.2 else v

        def dec():
            c = r.random()
            if c < 0.15:
                return "0"
            if c < 0.3:
                return str(r.randint(-5, 5))
            return f"{r.choice(['', '-']) if r.random() < 0.2 else ''}{r.randint(0, 500)}.{r.randint(0, 9999):04d}"

        def date():
            if r.random() < 0.4:
                d = r.choice(specials)
            else:
                d = base - datetime.timedelta(days=r.randint(-40, 900))
            return d.isoformat()

        rows.append([
            f"{i:05d}",
            opt(str(r.randint(-3, 12))),
            str(r.choice([0, 1, 2, 3, 5, 8, 8, 13])),
            opt(dec()),
            opt(dec()),
            dec(),
            opt(date()),
            date(),
            opt(r.choice(TEXTS)),
            opt(r.choice(["true", "false", "1", "0"])),
        ])
    return rows


def write_case(tmp: pathlib.Path, seed: int) -> dict:
    r = random.Random(seed * 7919 + 1)
    as_of = r.choice(AS_OFS)
    g = Gen(seed)
    scheme = tmp / f"random-{seed}.rubric"
    data = tmp / f"random-{seed}.csv"
    scheme.write_text(scheme_text(g, as_of), encoding="utf-8")
    with open(data, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([h or n for n, _, _, h in FIELDS])
        w.writerows(data_rows(r, as_of))
    return {"name": f"random seed {seed}", "scheme": scheme, "data": data, "as_of": None, "encoding": None}
