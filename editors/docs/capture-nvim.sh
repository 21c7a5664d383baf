#!/usr/bin/env bash
# Captures the screen of a real Neovim (TUI in tmux) showing `pact lsp` diagnostics on a broken
# contract, for editors/README.md. Usage: editors/docs/capture-nvim.sh [pact binary] [nvim]
# Needs tmux; writes editors/docs/nvim-diagnostics.txt.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
pact="${1:-$repo/target/debug/pact}"
nvim="${2:-nvim}"
work="$(mktemp -d /tmp/pact-demo.XXXXXX)"
trap 'tmux kill-session -t pact-demo 2>/dev/null || true; rm -rf "$work"' EXIT

cp -r "$repo/tests/fixtures/reference/sample" "$work/sample"
python3 - "$work/sample/.pact/contracts/formatter/interface.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d["types"][0]["fields"].append({"name": "ratio", "type_ref": "Percentage", "required": True})
json.dump(d, open(p, "w"), indent=2)
PY

cat > "$work/init.lua" <<LUA
vim.opt.runtimepath:append('$repo/editors/nvim')
vim.opt.number = true
vim.opt.signcolumn = 'yes'
vim.opt.laststatus = 2
vim.opt.shortmess:append('I')
vim.opt.statusline = " %f %m%=%{v:lua.require'pact'.statusline()} %l:%c "
vim.cmd('syntax on')
vim.diagnostic.config({
  virtual_text = true, signs = true, underline = true,
  float = { border = 'single', source = 'always', format = function(d) return d.message .. ' [' .. d.code .. ']' end },
})
require('pact').setup({ cmd = { '$pact', 'lsp' } })
-- Show the first diagnostic in a float as soon as it arrives.
vim.api.nvim_create_autocmd('DiagnosticChanged', { once = true, callback = function()
  vim.schedule(function() vim.cmd('normal! zz') vim.diagnostic.open_float() end)
end })
LUA

line="$(grep -n '"Percentage"' "$work/sample/.pact/contracts/formatter/interface.json" | cut -d: -f1)"
cd "$work/sample"
tmux new-session -d -s pact-demo -x 120 -y 32 \
  "$nvim -u $work/init.lua -i NONE -n +$line .pact/contracts/formatter/interface.json"
sleep 4
tmux capture-pane -t pact-demo -p | sed -e 's/[[:space:]]*$//' -e "s#$work#/tmp/pact-demo#g" \
  > "$here/nvim-diagnostics.txt"
tmux send-keys -t pact-demo ':qa!' Enter
cat "$here/nvim-diagnostics.txt"
