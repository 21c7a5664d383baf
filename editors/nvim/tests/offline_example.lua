-- The plugin against the real `pact lsp` on the offline example (examples/wordfreq, planned with
-- `pact run --plan-only`; its model answers replay from session.jsonl), run headless by
-- tests/nvim_plugin.rs:
--
--   PACT_CASE=broken|build PACT_BIN=target/debug/pact PACT_FILE=<interface.json> \
--   PACT_OUT=<result.json> nvim --headless -u NONE -i NONE -n \
--     --cmd 'set rtp+=editors/nvim' -c 'luafile editors/nvim/tests/offline_example.lua'
--
-- broken: opens the (broken) contract and waits, bounded, until the diagnostics over the whole
--   project reach the counts PACT_EXPECT_ERRORS / PACT_EXPECT_WARNINGS (`pact validate --json`'s),
--   then for a moment more; reports every diagnostic Neovim holds and the quickfix list.
-- build: opens the contract, waits for its code lenses, runs the `Build` lens the way a user does
--   (cursor on the line, vim.lsp.codelens.run(), `Build` picked from the choices) and waits for
--   the job's end; then breaks the implementation (PACT_BREAK_FILE: PACT_BREAK_FROM →
--   PACT_BREAK_TO) and runs the `Run tests` lens, which must fail.
--
-- Everything observed goes to PACT_OUT as JSON for the Rust test to judge, including every
-- notification (vim.notify) in order; this script asserts nothing itself.

local case = assert(os.getenv('PACT_CASE'), 'PACT_CASE')
local bin = assert(os.getenv('PACT_BIN'), 'PACT_BIN')
local file = assert(os.getenv('PACT_FILE'), 'PACT_FILE')
local out = assert(os.getenv('PACT_OUT'), 'PACT_OUT')
local timeout = tonumber(os.getenv('PACT_TIMEOUT_MS') or '30000')
-- A job may provision Pact's own pytest first (about 10 s, up to a minute or more on a slow
-- machine), then build with real test runs.
local job_timeout = tonumber(os.getenv('PACT_JOB_TIMEOUT_MS') or '240000')

local result = { case = case, steps = {}, notes = {} }
local v = vim.version()
result.nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch)
local started = vim.loop.hrtime()
local function ms()
  return math.floor((vim.loop.hrtime() - started) / 1e6)
end

vim.notify = function(msg, level)
  table.insert(result.notes, { msg = msg, level = level, at_ms = ms() })
end

local function step(name)
  table.insert(result.steps, { name = name, at_ms = ms() })
end

local function notes_since(n)
  local list = {}
  for i = n + 1, #result.notes do
    table.insert(list, result.notes[i])
  end
  return list
end

--- Every diagnostic Neovim holds (all buffers: the server publishes for files not open too).
local function all_diagnostics()
  local list = {}
  for _, d in ipairs(vim.diagnostic.get()) do
    table.insert(list, {
      file = vim.api.nvim_buf_get_name(d.bufnr),
      lnum = d.lnum,
      col = d.col,
      code = d.code,
      severity = d.severity,
      source = d.source,
      message = d.message,
    })
  end
  return list
end

local function counts()
  local errors, warnings = 0, 0
  for _, d in ipairs(vim.diagnostic.get()) do
    if d.severity == vim.diagnostic.severity.ERROR then
      errors = errors + 1
    elseif d.severity == vim.diagnostic.severity.WARN then
      warnings = warnings + 1
    end
  end
  return errors, warnings
end

local function lens_list(buf)
  local list = {}
  for i, l in ipairs(vim.lsp.codelens.get(buf)) do
    table.insert(list, {
      index = i,
      line = l.range.start.line,
      title = l.command and l.command.title,
      command = l.command and l.command.command,
      arguments = l.command and l.command.arguments,
    })
  end
  table.sort(list, function(a, b) -- by line, in the server's order on a line
    return a.line < b.line or (a.line == b.line and a.index < b.index)
  end)
  return list
end

local function line_of(buf, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    if line:find(needle, 1, true) then
      return i - 1
    end
  end
  return nil
end

--- Runs the lens on `line` whose title `pick(title)` accepts, as a user does: cursor on the line,
--- vim.lsp.codelens.run(), the choice made in vim.ui.select. Returns the titles offered.
local function run_lens(line, pick)
  local offered = {}
  local select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    local chosen
    for _, item in ipairs(items) do
      local title = opts.format_item and opts.format_item(item) or tostring(item)
      table.insert(offered, title)
      if not chosen and pick(title) then
        chosen = item
      end
    end
    on_choice(chosen)
  end
  vim.api.nvim_win_set_cursor(0, { line + 1, 0 })
  local ok, err = pcall(vim.lsp.codelens.run)
  vim.ui.select = select
  if not ok then
    error('vim.lsp.codelens.run: ' .. tostring(err))
  end
  return offered
end

--- Waits for the answer to `command` (a job's comes at its end); returns it and the notes
--- made from `before` until a moment after it.
local function wait_result(pact, command, before, limit)
  local answered = vim.wait(limit, function()
    return pact.results[command] ~= nil
  end, 100)
  vim.wait(500) -- anything said after the answer counts too
  local r = pact.results[command] or {}
  return {
    answered = answered,
    err = r.err,
    result = r.result,
    args = r.args,
    notes = notes_since(before),
  }
end

local ok, err = pcall(function()
  local pact = require('pact')
  pact.setup({ cmd = { bin, 'lsp' } })
  step('setup')

  vim.cmd('edit ' .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  result.root = pact.find_root(file)
  result.component = pact.component_of(result.root, file)
  result.attached = vim.wait(timeout, function()
    return vim.tbl_count(pact.clients) > 0
  end, 20)
  step('edit')

  if case == 'broken' then
    local want_e = tonumber((assert(os.getenv('PACT_EXPECT_ERRORS'), 'PACT_EXPECT_ERRORS')))
    local want_w = tonumber((assert(os.getenv('PACT_EXPECT_WARNINGS'), 'PACT_EXPECT_WARNINGS')))
    result.buffer_diagnostics = vim.wait(timeout, function()
      return #vim.diagnostic.get(buf) > 0
    end, 50)
    result.counts_reached = vim.wait(timeout, function()
      local e, w = counts()
      return e == want_e and w == want_w
    end, 50)
    step('diagnostics')
    vim.wait(1500) -- nothing more arrives
    result.errors, result.warnings = counts()
    result.diagnostics = all_diagnostics()
    vim.diagnostic.setqflist({ open = false })
    result.quickfix = #vim.fn.getqflist()
    step('counted')
  elseif case == 'build' then
    local cid = result.component
    -- The lenses come without asking: the plugin refreshes them on attach and once the server
    -- has checked the project.
    result.lenses_shown = vim.wait(timeout, function()
      return #vim.lsp.codelens.get(buf) > 0
    end, 50)
    result.lenses = lens_list(buf)
    result.component_id_line = line_of(buf, '"component_id"')
    step('lenses')

    pact.results = {}
    local before = #result.notes
    result.build_offered = run_lens(result.component_id_line or 0, function(t)
      return t == 'Build'
    end)
    result.build = wait_result(pact, 'pact.build', before, job_timeout)
    step('build')
    -- The job's end refreshes the lenses: the results show.
    result.lens_refreshed = vim.wait(timeout, function()
      for _, l in ipairs(lens_list(buf)) do
        if (l.title or ''):find(' passed', 1, true) and not (l.title or ''):find('0 passed', 1, true) then
          return true
        end
      end
      return false
    end, 100)
    result.lenses_after_build = lens_list(buf)
    step('lens refreshed')

    -- Break the implementation; the `Run tests` lens must report the failure, once.
    local target = assert(os.getenv('PACT_BREAK_FILE'), 'PACT_BREAK_FILE')
    local from = assert(os.getenv('PACT_BREAK_FROM'), 'PACT_BREAK_FROM')
    local to = assert(os.getenv('PACT_BREAK_TO'), 'PACT_BREAK_TO')
    local f = io.open(target, 'r')
    local text = f and f:read('*a') or ''
    if f then
      f:close()
    end
    local s, e = text:find(from, 1, true)
    result.broken = s ~= nil
    if s then
      f = assert(io.open(target, 'w'))
      f:write(text:sub(1, s - 1) .. to .. text:sub(e + 1))
      f:close()
    end
    vim.api.nvim_set_current_buf(buf)
    pact.results = {}
    before = #result.notes
    result.tests_offered = run_lens(result.component_id_line or 0, function(t)
      return t:find('^Run tests') ~= nil
    end)
    result.tests = wait_result(pact, 'pact.runTests', before, job_timeout)
    result.test_failed_diagnostics = vim.wait(timeout, function()
      for _, d in ipairs(vim.diagnostic.get()) do
        if d.code == 'test-failed' then
          return true
        end
      end
      return false
    end, 100)
    step('tests')
    result.component_checked = cid
  else
    error('unknown PACT_CASE ' .. case)
  end

  for _, id in pairs(pact.clients) do
    vim.lsp.stop_client(id)
  end
  result.stopped = vim.wait(10000, function()
    return vim.tbl_count(pact.clients) == 0
  end, 20)
  step('stop')
end)

result.error = not ok and tostring(err) or nil
result.elapsed_ms = ms()
local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode(result))
f:close()
vim.cmd('qa!')
