#!/usr/bin/env bash
# The extension end to end in a real VS Code (vscode_e2e.py says what it checks).
#
# Installs what it needs once, as a user installs VS Code by hand: code-server (VS Code served
# to a browser, from the npm registry), Chromium and Playwright, with install-code-server.sh,
# into $PACT_E2E_CODE_SERVER (default: ~/.cache/pact-vscode-e2e/code-server). Nothing of Pact's
# own: Pact provisions its test runner (pytest) itself, into a cache dir of the test's.
#
# Uses $PACT_BIN, else builds `${CARGO_TARGET_DIR:-target}/debug/pact` (cargo build -p
# pact-cli), and packages the extension (npm run package) first.
#
# usage: e2e/run.sh [--keep]        (or: npm run test:e2e)
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1
here="$(cd "$(dirname "$0")" && pwd)"
ext="$(dirname "$here")"
repo="$(cd "$ext/../.." && pwd)"

cs="${PACT_E2E_CODE_SERVER:-${XDG_CACHE_HOME:-$HOME/.cache}/pact-vscode-e2e/code-server}"
entry="$cs/package/out/node/entry.js"
ready() {
  [ -f "$entry" ] && command -v chromium >/dev/null &&
    node "$entry" --version >/dev/null 2>&1 &&
    "$cs/pw/bin/python" -c "import playwright" 2>/dev/null
}
if [ ! -f "$cs/.ready" ] || ! ready; then
  echo "== e2e: installing code-server, Chromium and Playwright into $cs"
  bash "$here/install-code-server.sh" "$cs" >/dev/null
  ready || { echo "e2e: the code-server install in $cs does not work" >&2; exit 1; }
  touch "$cs/.ready"
fi

if [ -n "${PACT_BIN:-}" ]; then
  pact="$PACT_BIN"
else
  echo "== e2e: cargo build -p pact-cli"
  (cd "$repo" && cargo build -q -p pact-cli)
  pact="${CARGO_TARGET_DIR:-$repo/target}/debug/pact"
fi

echo "== e2e: packaging the extension"
(cd "$ext" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm run -s package >/dev/null)

echo "== e2e: VS Code $(node "$entry" --version | head -1) with pact-vscode.vsix and $pact"
exec "$cs/pw/bin/python" "$here/vscode_e2e.py" \
  --code-server "$entry" --pact "$pact" --vsix "$ext/pact-vscode.vsix" \
  --example "$repo/examples/wordfreq" "$@"
