#!/usr/bin/env bash
# Installing Rubric without Rust (issue #26), as a user would, with the real tools:
#
#   1. the wheel: maturin builds `rubric` in release once (pyproject.toml, `bindings = "bin"`),
#      twice over to show the wheel is the same byte for byte; pip installs it into a fresh venv
#      whose PATH has no Rust toolchain; `rubric --version`, `rubric check` and `rubric run` on
#      examples; pip uninstalls it and `rubric` is gone;
#   2. pre-commit (from PyPI, in that venv) runs the hooks of .pre-commit-hooks.yaml on a
#      temporary git repository: a good scheme passes, a bad one fails the commit with Rubric's
#      diagnostics, an unformatted one fails `rubric-fmt` and is rewritten by `rubric-fmt-fix`;
#   3. the VS Code extension, packaged for linux-x64 with the binary taken out of the wheel
#      (the release binary is built once, for both): the .vsix holds it, executable, and the
#      extension unpacked from the .vsix finds it (bundled), shakes hands with it over LSP and
#      runs `rubric test` with it; in an untrusted workspace a workspace `rubric.server.path`
#      does not run.
#
#   bash tests/install/run.sh
#
# Installs what it needs: maturin into tests/install/.venv, pre-commit from PyPI into the
# throwaway venv, the extension's npm packages into a copy of editors/vscode (so that it never
# races editors/ci.sh over editors/vscode/node_modules). The last line is
# `install: N passed, N failed`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
t0=$(date +%s)
passed=0
failed=0
elapsed() { echo "$(($(date +%s) - t0))s"; }
log() { echo "== $* ($(elapsed))"; }
pass() {
  passed=$((passed + 1))
  echo "PASS $*"
}
fail() {
  failed=$((failed + 1))
  echo "FAIL $*"
}
# check WHAT COMMAND...: runs COMMAND and counts it
check() {
  local what=$1
  shift
  if "$@"; then pass "$what"; else fail "$what"; fi
}

MATURIN_VERSION=1.16.0
PRE_COMMIT_VERSION=4.7.0

if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "installing python3-venv"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq python3-venv >/dev/null
fi
tools="$here/.venv"
# (a venv left half-made, or copied without its links, is made again)
if ! "$tools/bin/python" -c '' 2>/dev/null || [[ ! -x "$tools/bin/pip" ]]; then
  rm -rf "$tools"
  python3 -m venv "$tools"
fi
"$tools/bin/pip" install -q --disable-pip-version-check "maturin==$MATURIN_VERSION"

work="$(mktemp -d "${TMPDIR:-/tmp}/rubric-install.XXXXXX")"
trap 'rm -rf "$work"' EXIT
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$root/Cargo.toml" | head -n1)"

# ---------------------------------------------------------------------------------------------
# 1. the wheel
log "maturin build --release (the one release build of rubric in this suite)"
# (SOURCE_DATE_EPOCH is left as it is: maturin dates the wheel's files 1980-01-01 without it, and
# the C code that cc compiles tracks it, so setting it here alone would rebuild most of the tree
# that other suites' `cargo build --release` share; docs/install.md)
build_wheel() {
  (cd "$root" && "$tools/bin/maturin" build --release --locked --out "$1" 2>&1) |
    grep -v '^ *\(Compiling\|Downloaded\|Downloading\)' || true
  ls "$1"/rubric_cli-*.whl >/dev/null 2>&1
}
if ! build_wheel "$work/wheel"; then
  fail "maturin builds the wheel"
  echo "install: $passed passed, $failed failed"
  exit 1
fi
wheel="$(ls "$work"/wheel/rubric_cli-*.whl)"
pass "maturin builds $(basename "$wheel") ($(wc -c <"$wheel") bytes)"

log "the wheel holds the binary and its metadata, nothing else"
listing="$("$tools/bin/python" -m zipfile -l "$wheel" | awk 'NR > 1 { print $1 }' | sort)"
echo "$listing" | sed 's/^/    /'
expected="$(printf '%s\n' "rubric_cli-$version.data/scripts/rubric" "rubric_cli-$version.dist-info/METADATA" \
  "rubric_cli-$version.dist-info/RECORD" "rubric_cli-$version.dist-info/WHEEL" | sort)"
check "the wheel is rubric_cli-$version.data/scripts/rubric and its dist-info" [ "$listing" = "$expected" ]
mkdir -p "$work/from-wheel"
"$tools/bin/python" - "$wheel" "$work/from-wheel/rubric" <<'EOF'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    name = next(n for n in z.namelist() if n.endswith(".data/scripts/rubric"))
    open(sys.argv[2], "wb").write(z.read(name))
EOF
chmod 755 "$work/from-wheel/rubric"
sections="$(readelf -S "$work/from-wheel/rubric" 2>/dev/null || true)"
check "the binary in the wheel is stripped (no symbol table, no line tables)" \
  bash -c '! grep -q "\.symtab\|\.debug_line" <<<"$1"' _ "$sections"

# mimalloc's C code embeds `__DATE__`, which the compiler takes from SOURCE_DATE_EPOCH
# (.cargo/config.toml sets it for every build, unless the environment already does)
stamp="$(LC_ALL=C date -u -d "@${SOURCE_DATE_EPOCH:-315532800}" '+%b %e %Y')"
today="$(LC_ALL=C date -u '+%b %e %Y')"
check "the binary's build date is the fixed one ($stamp), not today's" \
  bash -c 'grep -a -q -F "$2" "$1" && ! grep -a -q -F "$3" "$1"' _ "$work/from-wheel/rubric" "$stamp" "$today"
check "the binary names no path of this checkout (so where the clone is does not change it)" \
  bash -c '! grep -q -F "$1" "$2"' _ "$root" "$work/from-wheel/rubric"

log "the same sources give the same wheel, byte for byte"
build_wheel "$work/wheel-again" >/dev/null
again="$(ls "$work"/wheel-again/rubric_cli-*.whl)"
sha1="$(sha256sum <"$wheel" | cut -d' ' -f1)"
sha2="$(sha256sum <"$again" | cut -d' ' -f1)"
echo "    $sha1  $(basename "$wheel")"
echo "    $sha2  (built again)"
check "a second build gives the identical wheel" [ "$sha1" = "$sha2" ]

log "pip install into a fresh venv whose PATH has no Rust"
user="$work/user-venv"
python3 -m venv "$user"
# nothing but the venv and the system's own directories: no cargo, no rustc
export PATH="$user/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
check "no cargo on this PATH" bash -c '! command -v cargo'
# --no-index: the wheel installs as it is, nothing is fetched or built
"$user/bin/pip" install -q --disable-pip-version-check --no-index "$wheel"
check "pip puts rubric on the venv's PATH" [ "$(command -v rubric)" = "$user/bin/rubric" ]
got="$(rubric --version)"
echo "    rubric --version: $got"
check "rubric --version says $version" [ "$got" = "rubric $version" ]
ibm="$root/examples/01-ibm-value-tiers"
out="$(cd "$work" && rubric check "$ibm/tiers.rubric" 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "rubric check on the IBM example: exit 0, no errors" \
  bash -c '[ "$1" = 0 ] && grep -q "checked 1 file: 0 errors" <<<"$2"' _ "$status" "$out"
out="$(cd "$work" && rubric run "$ibm/tiers.rubric" --data "$ibm/customers.csv" --out graded.csv 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "rubric run grades the IBM example's 202 customers" \
  bash -c '[ "$1" = 0 ] && grep -q "read 202 rows: 202 written" <<<"$2"' _ "$status" "$out"
ent="$root/examples/21-enterprise-grade"
out="$(cd "$work" && rubric run "$ent/enterprise.rubric" --data "$ent/enterprises.xlsx" --keep 企业名称 --out graded.xlsx 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "the README's operator quick start writes graded.xlsx" \
  bash -c '[ "$1" = 0 ] && [ -s "$2/graded.xlsx" ]' _ "$status" "$work"

# ---------------------------------------------------------------------------------------------
# 2. pre-commit
log "pre-commit $PRE_COMMIT_VERSION from PyPI, beside the wheel"
"$user/bin/pip" install -q --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION"
export PRE_COMMIT_HOME="$work/pre-commit-cache"
export GIT_AUTHOR_NAME=ci GIT_AUTHOR_EMAIL=ci@example.invalid GIT_COMMITTER_NAME=ci GIT_COMMITTER_EMAIL=ci@example.invalid
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
# the hook repository: this checkout's .pre-commit-hooks.yaml, committed (pre-commit clones a rev)
hooks="$work/hooks-repo"
git init -q -b main "$hooks"
cp "$root/.pre-commit-hooks.yaml" "$hooks/"
git -C "$hooks" add .pre-commit-hooks.yaml
git -C "$hooks" commit -q -m hooks
rev="$(git -C "$hooks" rev-parse HEAD)"
proj="$work/project"
git init -q -b main "$proj"
cat >"$proj/.pre-commit-config.yaml" <<EOF
repos:
  - repo: $hooks
    rev: $rev
    hooks:
      - id: rubric-check
      - id: rubric-fmt
      - id: rubric-test
EOF
# the good scheme: the IBM example, with its rubric.toml, data and snapshot
mkdir -p "$proj/tiers"
cp "$ibm"/* "$proj/tiers/"
cd "$proj"
git add .
out="$(pre-commit run --all-files 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "pre-commit passes the good scheme: check, fmt and test" \
  bash -c '[ "$1" = 0 ] && grep -q "^rubric check\.*Passed" <<<"$2" && grep -q "^rubric fmt --check\.*Passed" <<<"$2" && grep -q "^rubric test\.*Passed" <<<"$2"' _ "$status" "$out"

log "a commit of a bad scheme fails with Rubric's diagnostics"
pre-commit install >/dev/null
git commit -q -m "the IBM tiers" 2>&1 | sed 's/^/    /'
check "the good scheme commits with the hook installed" [ "$(git rev-list --count HEAD)" = 1 ]
sed "s/cumulative_share(revenue)/cumulative_share(revnue)/" tiers/tiers.rubric >bad.rubric
git add bad.rubric
out="$(git commit -m "a typo" 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "git commit fails: rubric check reports unknown name \`revnue\` in bad.rubric, with its help" \
  bash -c '[ "$1" != 0 ] && grep -q "^rubric check\.*Failed" <<<"$2" && grep -q "unknown name \`revnue\`" <<<"$2" &&
    grep -q "bad.rubric:[0-9]*:[0-9]*" <<<"$2" && grep -q "did you mean \`revenue\`" <<<"$2"' _ "$status" "$out"
check "rubric test fails on it too, and the commit was not made" \
  bash -c 'grep -q "^rubric test\.*Failed" <<<"$1" && [ "$(git rev-list --count HEAD)" = 1 ]' _ "$out"
git rm -q -f bad.rubric

log "rubric-fmt fails on an unformatted scheme; rubric-fmt-fix rewrites it"
# the good scheme with its indentation and column alignment squashed
sed 's/^ *//; s/  */ /g' tiers/tiers.rubric >squashed.rubric
git add squashed.rubric
out="$(pre-commit run rubric-fmt --all-files 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "rubric-fmt fails and names the file" \
  bash -c '[ "$1" != 0 ] && grep -q "^rubric fmt --check\.*Failed" <<<"$2" && grep -q "squashed.rubric" <<<"$2"' _ "$status" "$out"
cat >>.pre-commit-config.yaml <<EOF
      - id: rubric-fmt-fix
EOF
git add .pre-commit-config.yaml
out="$(pre-commit run rubric-fmt-fix --all-files 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "rubric-fmt-fix rewrites it (pre-commit reports the change) into the canonical layout" \
  bash -c '[ "$1" != 0 ] && grep -q "files were modified by this hook" <<<"$2" && cmp -s squashed.rubric tiers/tiers.rubric' _ "$status" "$out"
git add squashed.rubric
check "then every hook passes and the commit goes through" git commit -q -m "formatted"
cd "$work"

log "pip uninstall"
"$user/bin/pip" uninstall -q -y rubric-cli
check "rubric is gone from the venv" bash -c '[ ! -e "$1/bin/rubric" ] && ! command -v rubric' _ "$user"

# ---------------------------------------------------------------------------------------------
# 3. the VS Code extension for linux-x64, carrying the binary from the wheel
log "the VS Code extension: npm ci in a copy of editors/vscode"
ext="$work/vscode"
mkdir -p "$ext"
(cd "$root/editors/vscode" && tar --exclude=./node_modules --exclude=./out --exclude=./server --exclude='./*.vsix' -cf - .) |
  (cd "$ext" && tar -xf -)
mkdir -p "$ext/server"
install -m 755 "$work/from-wheel/rubric" "$ext/server/rubric"
(cd "$ext" && npm ci --no-audit --no-fund --loglevel=error)
log "vsce package --target linux-x64"
(cd "$ext" && npx @vscode/vsce package --target linux-x64 </dev/null)
vsix="$ext/rubric-linux-x64-$version.vsix"
check "vsce writes $(basename "$vsix")" [ -f "$vsix" ]
echo "    $(wc -c <"$vsix") bytes"
"$tools/bin/python" - "$vsix" "$work/from-wheel/rubric" <<'EOF' && pass "the .vsix targets linux-x64 and holds the wheel's binary at extension/server/rubric, mode 755" || fail "the .vsix targets linux-x64 and holds the wheel's binary"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    manifest = z.read("extension.vsixmanifest").decode()
    assert 'TargetPlatform="linux-x64"' in manifest, "no TargetPlatform linux-x64 in extension.vsixmanifest"
    info = z.getinfo("extension/server/rubric")
    mode = (info.external_attr >> 16) & 0o777
    assert mode == 0o755, f"extension/server/rubric has mode {oct(mode)}"
    assert z.read(info) == open(sys.argv[2], "rb").read(), "extension/server/rubric is not the wheel's binary"
    bad = [n for n in z.namelist() if n.startswith(("extension/src/", "extension/tests/", "extension/out/test/"))]
    assert not bad, f"ships {bad}"
EOF

log "the extension unpacked from the .vsix finds its bundled server"
unpacked="$work/installed"
mkdir -p "$unpacked"
(cd "$unpacked" && "$tools/bin/python" -m zipfile -e "$vsix" .)
# zipfile does not restore modes; VS Code does (checked on the archive above)
chmod 755 "$unpacked/extension/server/rubric"
mkdir -p "$work/ws"
cp "$ibm"/* "$work/ws/"
n_tests="$(rubric_tests=$("$work/from-wheel/rubric" test "$work/ws" 2>&1 | tail -n1); echo "$rubric_tests")"
out="$(cd "$ext" && node tests/packaged.js "$unpacked/extension" "$work/ws" "Rubric tests: $n_tests" 2>&1)" && status=0 || status=$?
echo "$out" | sed 's/^/    /'
check "bundled server: found, LSP handshake, Run tests, and no untrusted workspace setting runs" \
  bash -c '[ "$1" = 0 ] && ! grep -q "^FAIL" <<<"$2"' _ "$status" "$out"

echo
echo "install: done in $(elapsed)"
echo "install: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
