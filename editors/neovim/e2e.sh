#!/usr/bin/env bash
# End-to-end test of `rubric lsp` in headless Neovim: diagnostics, completion, hover, rename, signature
# help, and the syntax file's numbers.
#
#   RUBRIC_BIN=target/debug/rubric editors/neovim/e2e.sh
#
# RUBRIC_BIN defaults to target/debug/rubric (relative paths are taken from the current folder,
# then from the repository root). Needs `nvim` (Debian: apt-get install -y neovim; 0.7 or later).
# Prints one PASS/FAIL line per check and exits non-zero if any check fails.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

bin=${RUBRIC_BIN:-target/debug/rubric}
if [[ $bin != /* ]]; then
  if [[ -e $bin ]]; then bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin"); else bin=$repo/$bin; fi
fi

die() {
  echo "FAIL setup: $*"
  echo "e2e: 0 passed, 1 failed"
  exit 1
}

command -v nvim >/dev/null 2>&1 || die "nvim is not installed (Debian: apt-get install -y neovim)"
[[ -x $bin ]] || die "no rubric binary at $bin; build it with \`cargo build -p rubric-cli\` or set RUBRIC_BIN"
version=$("$bin" --version 2>&1) || die "\`$bin --version\` failed: $version"
if ! "$bin" help lsp >/dev/null 2>&1; then
  die "\`$bin\` has no \`lsp\` subcommand yet (\`rubric help lsp\` failed); the language server is not built in"
fi
echo "using $bin ($version), $(nvim --version | head -n1)"

work=$(mktemp -d "${TMPDIR:-/tmp}/rubric-nvim-e2e.XXXXXX")
trap 'rm -rf "$work"' EXIT
# a private Neovim home, so no user config or plugin gets in the way
for d in config data state cache; do mkdir -p "$work/xdg/$d"; done
export XDG_CONFIG_HOME=$work/xdg/config XDG_DATA_HOME=$work/xdg/data
export XDG_STATE_HOME=$work/xdg/state XDG_CACHE_HOME=$work/xdg/cache

# the scheme of LANGUAGE.md section 1, with the first `cumulative_share(revenue)` misspelt
mkdir -p "$work/project"
sed '0,/cumulative_share(revenue)/s//cumulative_share(revnue)/' "$here/fixtures/tiers.rubric" >"$work/project/tiers.rubric"
grep -q 'cumulative_share(revnue)' "$work/project/tiers.rubric" || die "could not plant the mistake in the fixture"

status=0
RUBRIC_BIN=$bin RUBRIC_E2E_FILE=$work/project/tiers.rubric \
  timeout "${RUBRIC_E2E_DEADLINE:-300}" \
  nvim --headless -n -i NONE -u "$here/init.lua" -c "luafile $here/test/e2e.lua" </dev/null || status=$?

if [[ $status -ne 0 ]]; then
  if [[ $status -eq 124 ]]; then echo "FAIL deadline: Neovim did not finish in time"; fi
  for log in "$XDG_STATE_HOME/nvim/lsp.log" "$XDG_CACHE_HOME/nvim/lsp.log"; do
    if [[ -s $log ]]; then
      echo "--- last lines of $log"
      tail -n 40 "$log"
    fi
  done
  echo "neovim e2e failed (exit $status)"
  exit 1
fi
