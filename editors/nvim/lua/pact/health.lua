-- :checkhealth pact — the Neovim version, the server binary, and the clients running now.
local M = {}

local health = vim.health or require('health')
local start = health.start or health.report_start
local ok = health.ok or health.report_ok
local warn = health.warn or health.report_warn
local err = health.error or health.report_error
local info = health.info or health.report_info

function M.check()
  local pact = require('pact')
  start('pact')
  local v = vim.version()
  local version = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  if vim.lsp.config ~= nil then
    ok('Neovim ' .. version .. ': vim.lsp.start + vim.lsp.config')
  elseif vim.lsp.start ~= nil then
    ok('Neovim ' .. version .. ': vim.lsp.start')
  elseif vim.lsp.start_client ~= nil then
    ok('Neovim ' .. version .. ': vim.lsp.start_client + vim.lsp.buf_attach_client')
  else
    err('Neovim ' .. version .. ' has no built-in LSP client (0.7 or later needed)')
  end

  local exe = pact.config.cmd and pact.config.cmd[1]
  if exe and vim.fn.executable(exe) == 1 then
    local out = vim.fn.system({ exe, '--version' })
    ok(string.format('server: %s (%s)', vim.fn.exepath(exe), vim.trim(out)))
  else
    err(string.format("server: '%s' is not executable", tostring(exe)), {
      'Install it: cargo install --locked --path server/cli (from a Pact checkout)',
      "Or point the plugin at it: require('pact').setup{ cmd = { '/path/to/pact', 'lsp' } }",
    })
  end

  local root = pact.current_project()
  if root then
    info('project here: ' .. root)
  else
    warn('no Pact project here (a directory holding .pact/ or pact.yaml)')
  end
  local n = 0
  for r, id in pairs(pact.clients) do
    n = n + 1
    info(string.format('client %d for %s', id, r))
  end
  if n == 0 then
    info('no pact client running')
  end
end

return M
