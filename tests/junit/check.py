"""Reads `rubric test --format junit` with junitparser, as a CI dashboard would, and compares
it with the human run: the same cases, passed and failed, and every failure's message."""

import os
import subprocess
import sys
import tempfile

from junitparser import Failure, JUnitXml

rubric = sys.argv[1]
checks = 0


def run(*args):
    r = subprocess.run([rubric, "test", *args], capture_output=True, text=True,
                       env={**os.environ, "CI": "true", "NO_COLOR": "1"})
    return r.returncode, r.stdout, r.stderr


def same_as_human(path):
    global checks
    code, human, _ = run(path)
    jcode, xml_text, jerr = run(path, "--format", "junit")
    assert code == jcode, (path, code, jcode)
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False, encoding="utf-8") as f:
        f.write(xml_text)
    suites = JUnitXml.fromfile(f.name)
    os.unlink(f.name)
    cases = [case for suite in suites for case in suite]
    failed = [c for c in cases if any(isinstance(r, Failure) for r in c.result)]
    summary = human.strip().splitlines()[-1]
    want = f"{len(cases) - len(failed)} passed, {len(failed)} failed"
    assert summary == want, (path, summary, want)
    assert jerr.strip().splitlines()[-1] == want, (path, jerr)
    assert suites.tests == len(cases) and suites.failures == len(failed), path
    for c in failed:
        r = c.result[0]
        assert r.message and r.text and c.classname, (path, c.name)
    checks += 1
    return cases, failed


for name in sorted(os.listdir("examples")):
    path = os.path.join("examples", name)
    if os.path.isdir(path):
        cases, failed = same_as_human(path)
        assert cases and not failed, (path, [c.name for c in failed])

with tempfile.TemporaryDirectory() as tmp:
    scheme = os.path.join(tmp, "t.rubric")
    with open(scheme, "w", encoding="utf-8") as f:
        f.write('scheme "t"\nas_of 2024-06-30\ninput {\n  id text key\n  revenue decimal\n}\n'
                'grade tier "等级" { gold when revenue >= 100, other otherwise }\n'
                'test "big is gold" {\n  given { id: "a", revenue: 150 }\n  expect tier == gold\n}\n'
                'test "small & <not> gold" {\n  given { id: "b", revenue: 50 }\n'
                '  expect tier == gold\n}\n')
    cases, failed = same_as_human(scheme)
    assert [c.name for c in failed] == ["small & <not> gold"], [c.name for c in failed]
    assert failed[0].result[0].message.endswith(":14: expect tier == gold"), failed[0].result[0].message

print(f"junit: {checks} passed, 0 failed")
