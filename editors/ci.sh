#!/usr/bin/env bash
# CI for editors/: the VS Code extension (compile, grammar and unit tests, .vsix, the scheme snippet
# against the real CLI) and the Neovim end-to-end test against the real `rubric lsp`.
#
#   RUBRIC_BIN=target/debug/rubric editors/ci.sh
#
# Installs what it needs: the extension's npm packages (npm ci) and Debian's neovim if `nvim` is
# missing. RUBRIC_BIN defaults to target/debug/rubric, built with `cargo build -p rubric-cli` if absent.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
t0=$(date +%s)
passed=0
current=''

elapsed() { echo "$(($(date +%s) - t0))s"; }
on_error() {
  trap - ERR
  echo "FAIL $current (after $(elapsed))"
  echo "editors: $passed passed, 1 failed"
  exit 1
}
trap on_error ERR

begin() {
  current=$1
  echo
  echo "== $current ($(elapsed))"
}
ok() {
  passed=$((passed + 1))
  echo "PASS $current"
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

# ---------------------------------------------------------------------------------------------
cd "$here/vscode"

begin "vscode: npm ci"
npm ci --no-audit --no-fund
ok

begin "vscode: compile"
npm run compile
ok

begin "vscode: grammar tests, and every grammar scope asserted by one"
npm run test:grammar
npm run test:scopes
ok

begin "vscode: the grammar takes every scheme in examples/ without an invalid token"
node scripts/check-examples.js "$repo/examples"
ok

begin "vscode: unit tests (server discovery, test summary)"
node --test out/test/
ok

begin "vscode: package the .vsix"
rm -f ./*.vsix
npx @vscode/vsce package </dev/null
vsix=$(ls ./*.vsix)
# the package holds the compiled extension, its grammar, snippets, icon and the language client
listing=$(python3 -m zipfile -l "$vsix")
for f in extension/package.json extension/out/extension.js extension/out/server.js \
  extension/syntaxes/rubric.tmLanguage.json extension/snippets/rubric.json \
  extension/language-configuration.json extension/images/icon.png \
  extension/node_modules/vscode-languageclient/package.json; do
  grep -q " *$f " <<<"$listing" || grep -q "^$f" <<<"$listing" || {
    echo "$vsix lacks $f"
    false
  }
done
if grep -q 'extension/out/test/\|extension/src/\|extension/tests/' <<<"$listing"; then
  echo "$vsix ships test or source files"
  false
fi
echo "$vsix: $(wc -c <"$vsix") bytes"
ok

# ---------------------------------------------------------------------------------------------
begin "rubric binary"
bin=${RUBRIC_BIN:-target/debug/rubric}
if [[ $bin != /* ]]; then
  if [[ -e $bin ]]; then bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin"); else bin=$repo/$bin; fi
fi
if [[ ! -x $bin ]]; then
  echo "no rubric binary at $bin; building it"
  (cd "$repo" && cargo build -p rubric-cli)
  bin=$repo/target/debug/rubric
fi
"$bin" --version
ok

begin "vscode: the scheme snippet checks clean and its test passes (read as Run tests reads it)"
work=$(mktemp -d "${TMPDIR:-/tmp}/rubric-editors-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT
node scripts/expand-snippet.js scheme >"$work/scheme.rubric"
"$bin" check "$work/scheme.rubric"
code=0
"$bin" test "$work" >"$work/test.out" 2>&1 || code=$?
cat "$work/test.out"
node -e '
  const { outcomeMessage } = require("./out/summary");
  const o = outcomeMessage(require("fs").readFileSync(process.argv[1], "utf8"), Number(process.argv[2]));
  console.log(`notification: [${o.level}] ${o.message}`);
  if (o.level !== "info" || o.message !== "Rubric tests: 1 passed, 0 failed") process.exit(1);
' "$work/test.out" "$code"
ok

# ---------------------------------------------------------------------------------------------
begin "neovim: install"
if ! command -v nvim >/dev/null 2>&1; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim
fi
nvim --version | head -n1
ok

begin "neovim: e2e against rubric lsp"
RUBRIC_BIN=$bin "$here/neovim/e2e.sh"
ok

trap - ERR
echo
echo "editors: all steps passed in $(elapsed)"
echo "editors: $passed passed, 0 failed"
