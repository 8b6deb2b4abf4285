#!/usr/bin/env python3
"""Scale: how `rubric check` and the language server's re-check grow with the size of a scheme.

For N rules (default 1,000, 10,000 and 100,000) it writes two schemes and times, with the release
binary:

- `rubric check` on the whole file (wall clock, median of --runs);
- `rubric lsp`: the document is opened, then edited --runs times (one threshold changes); each
  edit is timed from the `didChange` sent to the `publishDiagnostics` of that version received,
  over the real protocol on stdio, median.

The shapes: `grade` is one grade of N rules on two fields (every rule reachable: the analysis of
unreachable rules and gaps runs over all of them); `lets` is N `let`s, each reading the one
before, with a grade over the last (names, types and the dependency order at scale).

A check or re-check that grows faster than n·log n shows here first. `--max-growth G` fails
(exit 1) when, for a shape, ten times the rules cost more than G times the CPU time (linear is
10, quadratic 100; CPU time, so that other work on the machine does not move it);
`--max-seconds S` when a check at 10,000 rules or fewer takes more than S seconds of CPU. `--smoke` (1,000 and 10,000 rules, one run, growth at most 30) is what CI runs, with
any build. Prints a Markdown table and ends with `N passed, N failed`.

    benches/scale.py                      # 1k, 10k, 100k; 3 runs; builds target/release/rubric
    benches/scale.py --sizes 1000,10000 --runs 1 --no-build
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def grade_scheme(n: int) -> str:
    rules = "\n".join(
        f'  c{i} "第{i}档" when revenue >= {n - i}00 and orders >= {i % 7}' for i in range(n)
    )
    return (
        'scheme "scale"\nas_of 2024-06-30\ninput {\n  id text key "客户编号"\n'
        '  revenue decimal "营业额"\n  orders int\n}\n'
        f'grade tier "等级" {{\n{rules}\n  other otherwise\n}}\n'
    )


def lets_scheme(n: int) -> str:
    lets = "\n".join(
        f"let v{i} = {'revenue' if i == 0 else f'v{i - 1}'} + {i % 10}" for i in range(n)
    )
    return (
        'scheme "scale"\nas_of 2024-06-30\ninput {\n  id text key\n  revenue decimal\n}\n'
        f"{lets}\ngrade tier {{\n  a when v{n - 1} >= 1000\n  b otherwise\n}}\n"
    )


SHAPES = {"grade": grade_scheme, "lets": lets_scheme}


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_check(rubric: str, path: str, runs: int) -> tuple:
    """Median wall time and median CPU time (user + system) of `rubric check`."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), children_cpu()
        r = subprocess.run([rubric, "check", path], capture_output=True)
        walls.append(time.perf_counter() - start)
        cpus.append(children_cpu() - cpu)
        if r.returncode != 0:
            sys.exit(f"rubric check {path} failed:\n{r.stderr.decode()[-2000:]}")
    return statistics.median(walls), statistics.median(cpus)


class Lsp:
    def __init__(self, rubric: str):
        self.p = subprocess.Popen(
            [rubric, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0

    def send(self, msg: dict) -> None:
        body = json.dumps(msg).encode()
        self.p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.p.stdin.flush()

    def read(self) -> dict:
        length = 0
        while True:
            line = self.p.stdout.readline()
            if not line:
                sys.exit("the language server stopped")
            line = line.strip()
            if not line:
                break
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        return json.loads(self.p.stdout.read(length))

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        while True:
            m = self.read()
            if m.get("id") == self.next_id and "method" not in m:
                return m
            self.answer(m)

    def answer(self, m: dict) -> None:
        # a request from the server (work done progress, code lens refresh): answer it
        if "id" in m and "method" in m:
            self.send({"jsonrpc": "2.0", "id": m["id"], "result": None})

    def diagnostics(self, version: int) -> None:
        while True:
            m = self.read()
            self.answer(m)
            if m.get("method") == "textDocument/publishDiagnostics" and (
                m["params"].get("version") in (version, None)
            ):
                return

    def cpu(self) -> float:
        """The server's CPU time so far (user + system), from /proc."""
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        try:
            self.request("shutdown", {})
            self.send({"jsonrpc": "2.0", "method": "exit"})
            self.p.wait(timeout=10)
        except Exception:
            self.p.kill()


def time_lsp(rubric: str, text: str, runs: int) -> tuple:
    """Median wall time and median server CPU time of a re-check after an edit."""
    lsp = Lsp(rubric)
    lsp.request("initialize", {"capabilities": {}})
    lsp.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    uri = "file:///scale.rubric"
    lsp.send({
        "jsonrpc": "2.0", "method": "textDocument/didOpen",
        "params": {"textDocument": {"uri": uri, "languageId": "rubric", "version": 1, "text": text}},
    })
    lsp.diagnostics(1)
    times, cpus = [], []
    for run in range(runs):
        version = run + 2
        edited = text.replace(">= 1000", f">= {1000 + version}", 1)
        start, cpu = time.perf_counter(), lsp.cpu()
        lsp.send({
            "jsonrpc": "2.0", "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"text": edited}],
            },
        })
        lsp.diagnostics(version)
        times.append(time.perf_counter() - start)
        cpus.append(lsp.cpu() - cpu)
    lsp.close()
    return statistics.median(times), statistics.median(cpus)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--max-growth", type=float, default=None)
    args = ap.parse_args()
    if args.smoke:
        args.sizes, args.runs = "1000,10000", 1
        args.max_seconds = args.max_seconds or 60.0
        args.max_growth = args.max_growth or 30.0
    rubric = os.environ.get("RUBRIC", os.path.join(ROOT, "target", "release", "rubric"))
    if not args.no_build and "RUBRIC" not in os.environ:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "rubric-cli"], cwd=ROOT, check=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    rows, passed, failed = [], 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for shape, make in SHAPES.items():
            for n in sizes:
                text = make(n)
                path = os.path.join(tmp, f"{shape}-{n}.rubric")
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
                check, check_cpu = time_check(rubric, path, args.runs)
                lsp, lsp_cpu = time_lsp(rubric, text, args.runs)
                ok = args.max_seconds is None or n > 10_000 or max(check_cpu, lsp_cpu) <= args.max_seconds
                passed, failed = passed + ok, failed + (not ok)
                rows.append((shape, n, len(text), check, lsp, ok, check_cpu, lsp_cpu))
                print(f"{shape} {n}: check {check:.3f} s ({check_cpu:.3f} s cpu), "
                      f"lsp re-check {lsp:.3f} s ({lsp_cpu:.3f} s cpu)", file=sys.stderr)
    print("| shape | rules | bytes | `rubric check` wall | cpu | LSP re-check wall | cpu |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for shape, n, size, check, lsp, ok, check_cpu, lsp_cpu in rows:
        mark = "" if ok else " **(over budget)**"
        print(f"| {shape} | {n:,} | {size:,} | {check:.3f} s | {check_cpu:.3f} s | {lsp:.3f} s | {lsp_cpu:.3f} s{mark} |")
    if args.max_growth is not None:
        for shape in SHAPES:
            # CPU time: what the work costs, whatever else the machine runs meanwhile
            mine = {n: (cc, lc) for s, n, _, _, _, _, cc, lc in rows if s == shape}
            for n in mine:
                if 10 * n in mine:
                    for what, i in (("check", 0), ("lsp re-check", 1)):
                        # (at least 50 ms: /proc counts CPU in 10 ms ticks)
                        growth = mine[10 * n][i] / max(mine[n][i], 0.05)
                        ok = growth <= args.max_growth
                        passed, failed = passed + ok, failed + (not ok)
                        verdict = "ok" if ok else f"over {args.max_growth:g}"
                        print(f"{shape} {what}: {n:,} -> {10 * n:,} rules costs {growth:.1f}x ({verdict})")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
