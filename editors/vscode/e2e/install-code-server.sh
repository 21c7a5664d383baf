#!/usr/bin/env bash
# Installs code-server (a real VS Code served to a browser) from the npm registry on a machine
# with Node 20, npm 11 and no internet beyond the package registries, plus Chromium + Playwright
# to drive it. What stands in the way of a plain `npm install -g code-server`, and the fix here:
#  - code-server >= 4.103 wants Node 22/24: use 4.100.3 (VS Code 1.100.3, Node 20);
#  - npm 11 runs no install scripts unless allowed: install with --ignore-scripts, build by hand;
#  - node-gyp would download Node headers: use the system's (--nodedir=/usr, /usr/include/node);
#  - argon2's prebuilt binary is on GitHub: node-pre-gyp --build-from-source;
#  - @vscode/ripgrep downloads rg from GitHub: link Debian's ripgrep instead.
# usage: install-code-server.sh [DEST]  (default: a folder in the temp dir) → DEST/package/out/node/entry.js
set -euo pipefail
DEST="${1:-${TMPDIR:-/tmp}/code-server}"
VERSION="${CODE_SERVER_VERSION:-4.100.3}"
export npm_config_nodedir=/usr
GYP="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
command -v rg >/dev/null && command -v chromium >/dev/null && command -v g++ >/dev/null || {
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q ripgrep chromium libkrb5-dev g++ make; }
mkdir -p "$DEST" && cd "$DEST"
[ -f "code-server-$VERSION.tgz" ] || npm pack "code-server@$VERSION" >/dev/null
rm -rf package && tar xzf "code-server-$VERSION.tgz"
cd package
npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null
(cd node_modules/argon2 && ../.bin/node-pre-gyp rebuild --build-from-source --nodedir=/usr >/dev/null)
cd lib/vscode
npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null
for p in native-watchdog @vscode/deviceid node-pty @vscode/spdlog kerberos; do
  (cd "node_modules/$p" && node "$GYP" rebuild --nodedir=/usr -j 2 >/dev/null)
done
mkdir -p node_modules/@vscode/ripgrep/bin && ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
ln -sfn node_modules node_modules.asar
(cd bin/remote-cli && ln -sf code-linux.sh code-server)
(cd bin/helpers && ln -sf browser-linux.sh browser.sh)
(cd extensions && npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
# Playwright (Python) drives the system Chromium; it downloads no browser of its own here.
[ -x "$DEST/pw/bin/python" ] || { python3 -m venv "$DEST/pw" && "$DEST/pw/bin/pip" install -q "playwright==${PLAYWRIGHT_VERSION:-1.65.2}"; }
echo "$DEST/package/out/node/entry.js"
