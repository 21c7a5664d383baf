-- The plugin end to end against the real `pact lsp`, run headless (tests/nvim_plugin.rs):
--
--   PACT_BIN=target/debug/pact PACT_FILE=<broken interface.json> PACT_OUT=<result.json> \
--   nvim --headless -u NONE -i NONE -n --cmd 'set rtp+=editors/nvim' -c 'luafile editors/nvim/tests/e2e.lua'
--
-- Opens the broken contract, waits for the server's diagnostics, runs :PactValidate, then fixes
-- the contract in the buffer (unsaved) and waits for the diagnostic to go. Everything observed
-- goes to PACT_OUT as JSON for the Rust test to judge; this script asserts nothing itself.

local bin = assert(os.getenv('PACT_BIN'), 'PACT_BIN')
local file = assert(os.getenv('PACT_FILE'), 'PACT_FILE')
local out = assert(os.getenv('PACT_OUT'), 'PACT_OUT')
local timeout = tonumber(os.getenv('PACT_TIMEOUT_MS') or '20000')

local result = { steps = {}, notes = {} }
local v = vim.version()
result.nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch)

vim.notify = function(msg, level)
  table.insert(result.notes, { msg = msg, level = level })
end

local function step(name)
  table.insert(result.steps, name)
end

local function unresolved(buf)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == 'unresolved-type' then
      table.insert(found, d)
    end
  end
  return found
end

local function plain(diags)
  local list = {}
  for _, d in ipairs(diags) do
    table.insert(list, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      code = d.code,
      message = d.message,
      severity = d.severity,
      source = d.source,
    })
  end
  return list
end

local ok, err = pcall(function()
  local pact = require('pact')
  pact.setup({ cmd = { bin, 'lsp' }, progress = 'notify' })
  step('setup')

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  result.root = pact.find_root(file)
  result.component = pact.component_of(result.root, file)
  result.attached = vim.wait(timeout, function()
    return vim.tbl_count(pact.clients) > 0
  end, 20)
  step('edit')

  result.diagnostics_arrived = vim.wait(timeout, function()
    return #unresolved(buf) > 0
  end, 50)
  result.diagnostics = plain(vim.diagnostic.get(buf))
  step('diagnostics')

  pact.results = {}
  vim.cmd('PactValidate')
  result.validate_answered = vim.wait(timeout, function()
    return pact.results['pact.validate'] ~= nil
  end, 50)
  local r = pact.results['pact.validate'] or {}
  result.validate = { err = r.err, result = r.result, args = r.args }
  step('validate')

  -- Fix the contract in the buffer only: the diagnostic must go without a save.
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  for i, line in ipairs(lines) do
    lines[i] = line:gsub('"Percentage"', '"str"')
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  result.cleared_after_fix = vim.wait(timeout, function()
    return #unresolved(buf) == 0
  end, 50)
  result.diagnostics_after_fix = plain(vim.diagnostic.get(buf))
  step('fix')

  for _, id in pairs(pact.clients) do
    vim.lsp.stop_client(id)
  end
  result.stopped = vim.wait(5000, function()
    return vim.tbl_count(pact.clients) == 0
  end, 20)
  step('stop')
end)

result.error = not ok and tostring(err) or nil
local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd('qa!')
