#!/usr/bin/env bash
# CI for editors/: the VS Code extension (compile, grammar and unit tests, .vsix, the scheme snippet
# against the real CLI) and the Neovim end-to-end test against the real `rubric lsp`.
#
#   RUBRIC_BIN=target/debug/rubric editors/ci.sh
#
# Installs what it needs: the extension's npm packages (npm ci) and Debian's neovim if `nvim` is
# missing. RUBRIC_BIN defaults to target/debug/rubric, built with `cargo build -p rubric-cli` if absent.
# Every step runs even when an earlier one failed; the last line is `editors: N passed, N failed`
# and the exit status is non-zero if any step failed.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
t0=$(date +%s)
passed=0
failed=0
failures=()

elapsed() { echo "$(($(date +%s) - t0))s"; }

# step NAME FUNCTION: runs FUNCTION in a subshell with `set -e`, so its first failing command fails it
step() {
  local name=$1
  echo
  echo "== $name ($(elapsed))"
  (
    set -e
    "$2"
  )
  local status=$?
  if [[ $status -eq 0 ]]; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAIL $name (exit $status)"
  fi
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

work=$(mktemp -d "${TMPDIR:-/tmp}/rubric-editors-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT

bin=${RUBRIC_BIN:-target/debug/rubric}
if [[ $bin != /* ]]; then
  if [[ -e $bin ]]; then bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin"); else bin=$repo/$bin; fi
fi

# ---------------------------------------------------------------------------------------------
cd "$here/vscode" || exit 1

npm_ci() { npm ci --no-audit --no-fund; }
compile() { npm run compile; }
grammar() {
  npm run test:grammar
  npm run test:scopes
}
examples() { node scripts/check-examples.js "$repo/examples"; }
unit() { node --test out/test/; }
package() {
  rm -f ./*.vsix
  npx @vscode/vsce package </dev/null
  local vsix listing f
  vsix=$(ls ./*.vsix)
  # the package holds the compiled extension, its grammar, snippets, icon and the language client
  listing=$(python3 -m zipfile -l "$vsix")
  for f in extension/package.json extension/out/extension.js extension/out/server.js \
    extension/syntaxes/rubric.tmLanguage.json extension/snippets/rubric.json \
    extension/language-configuration.json extension/images/icon.png \
    extension/node_modules/vscode-languageclient/package.json; do
    grep -q "^$f " <<<"$listing" || {
      echo "$vsix lacks $f"
      return 1
    }
  done
  if grep -q '^extension/\(out/test\|src\|tests\)/' <<<"$listing"; then
    echo "$vsix ships test or source files"
    return 1
  fi
  echo "$vsix: $(wc -c <"$vsix") bytes"
}
binary() {
  if [[ ! -x $bin ]]; then
    echo "no rubric binary at $bin; building it"
    (cd "$repo" && cargo build -p rubric-cli)
  fi
  "$bin" --version
}
snippet() {
  # the expanded `scheme` snippet is a valid scheme whose test passes, and the compiled extension
  # (outside VS Code, through tests/fake-vscode) shakes hands with `rubric lsp` and runs that test
  # with its Run tests command
  mkdir -p "$work/snippet"
  node scripts/expand-snippet.js scheme >"$work/snippet/scheme.rubric"
  "$bin" check "$work/snippet/scheme.rubric"
  node tests/real-server.js "$bin" "$work/snippet" "Rubric tests: 1 passed, 0 failed"
}
neovim_install() {
  if ! command -v nvim >/dev/null 2>&1; then
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim
  fi
  nvim --version | head -n1
}
neovim_e2e() { RUBRIC_BIN=$bin "$here/neovim/e2e.sh"; }

step "vscode: npm ci" npm_ci
step "vscode: compile" compile
step "vscode: grammar tests, and every grammar scope asserted by one" grammar
step "vscode: the grammar takes every scheme in examples/ without an invalid token" examples
step "vscode: unit tests (server discovery, test summary, manifest)" unit
step "vscode: package the .vsix" package
step "rubric binary" binary
if [[ ! -x $bin && -x $repo/target/debug/rubric ]]; then bin=$repo/target/debug/rubric; fi
step "vscode: the extension against rubric (LSP handshake; Run tests over the scheme snippet)" snippet
step "neovim: install" neovim_install
step "neovim: e2e against rubric lsp" neovim_e2e

echo
for f in "${failures[@]}"; do echo "failed: $f"; done
echo "editors: done in $(elapsed)"
echo "editors: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
