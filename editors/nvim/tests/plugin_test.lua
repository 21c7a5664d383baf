-- Tests of the Neovim plugin against a stand-in server (fake_pact_lsp.py), run headless:
--
--   PACT_TEST_PROJECT=<copy of the sample project> PACT_TEST_OUT=<result.json> \
--   FAKE_PACT_LOG=<log.jsonl> nvim --headless -u NONE -i NONE -n \
--     --cmd 'set rtp+=editors/nvim' -c 'luafile editors/nvim/tests/plugin_test.lua'
--
-- Writes {passed, failed, failures, nvim} to PACT_TEST_OUT, prints "N passed, M failed" and
-- exits non-zero on a failure. Runs on Neovim 0.7 and current releases.

local project = assert(os.getenv('PACT_TEST_PROJECT'), 'PACT_TEST_PROJECT')
local out = assert(os.getenv('PACT_TEST_OUT'), 'PACT_TEST_OUT')
local log_file = assert(os.getenv('FAKE_PACT_LOG'), 'FAKE_PACT_LOG')
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*)/') or '.'
local server = { os.getenv('PYTHON') or 'python3', here .. '/fake_pact_lsp.py' }

local passed, failed, failures = 0, 0, {}

local function buf_clients(b)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = b })
  end
  return vim.tbl_values(vim.lsp.buf_get_clients(b))
end

local function check(name, ok, detail)
  if ok then
    passed = passed + 1
  else
    failed = failed + 1
    table.insert(failures, name .. (detail and (': ' .. detail) or ''))
  end
end

local function eq(name, got, want)
  check(name, vim.deep_equal(got, want), 'got ' .. vim.inspect(got) .. ', want ' .. vim.inspect(want))
end

local function finish()
  local f = io.open(out, 'w')
  f:write(vim.fn.json_encode({
    passed = passed,
    failed = failed,
    failures = failures,
    nvim = tostring(vim.version().major) .. '.' .. tostring(vim.version().minor) .. '.' .. tostring(vim.version().patch),
  }))
  f:close()
  io.stdout:write(string.format('\n%d passed, %d failed\n', passed, failed))
  for _, f in ipairs(failures) do
    io.stdout:write('FAILED ' .. f .. '\n')
  end
  vim.cmd(failed == 0 and 'qa!' or 'cquit!')
end

--- The messages the stand-in server received, decoded.
local function server_log()
  local msgs = {}
  local f = io.open(log_file, 'r')
  if not f then
    return msgs
  end
  for line in f:lines() do
    table.insert(msgs, vim.fn.json_decode(line))
  end
  f:close()
  return msgs
end

local function received(method)
  local found = {}
  for _, m in ipairs(server_log()) do
    if m.method == method then
      table.insert(found, m)
    end
  end
  return found
end

local function commands_sent()
  local found = {}
  for _, m in ipairs(received('workspace/executeCommand')) do
    table.insert(found, { m.params.command, m.params.arguments[1] })
  end
  return found
end

-- Everything the plugin says goes through vim.notify: keep it.
local notes = {}
vim.notify = function(msg, level)
  table.insert(notes, { msg = msg, level = level })
end
local function noted(pattern)
  for _, n in ipairs(notes) do
    if n.msg:find(pattern) then
      return n
    end
  end
  return nil
end

local ok, err = pcall(function()
  local pact = require('pact')
  local contract = project .. '/.pact/contracts/counter/interface.json'

  -- Projects and components -------------------------------------------------------------------
  eq('root from a contract', pact.find_root(contract), project)
  eq('root from .pact', pact.find_root(project .. '/.pact'), project)
  eq('root from the project dir', pact.find_root(project), project)
  eq('no root outside', pact.find_root(vim.fn.tempname()), nil)
  eq('component of a contract', pact.component_of(project, contract), 'counter')
  eq('component of a test', pact.component_of(project, project .. '/.pact/contracts/tokenizer/tests/contract_test.py'), 'tokenizer')
  eq('component of an implementation', pact.component_of(project, project .. '/.pact/implementations/formatter/src/formatter.py'), 'formatter')
  eq('component, root layout tests', pact.component_of(project, project .. '/tests/wordfreq/contract_test.py'), 'wordfreq')
  eq('component, root layout src', pact.component_of(project, project .. '/src/wordfreq/impl.py'), 'wordfreq')
  eq('no component for state.json', pact.component_of(project, project .. '/.pact/state.json'), nil)
  eq('no component for src/main.py', pact.component_of(project, project .. '/src/main.py'), nil)
  eq('components', pact.components(project), { 'counter', 'formatter', 'tokenizer', 'wordfreq' })

  -- Start, attach, diagnostics ----------------------------------------------------------------
  local attached = {}
  pact.setup({
    cmd = server,
    settings = { backend = 'replay', budget = 5 },
    on_attach = function(client, bufnr)
      table.insert(attached, { client.name, bufnr })
    end,
  })
  for _, name in ipairs({ 'PactBuild', 'PactRebuild', 'PactDecompose', 'PactValidate', 'PactStatus', 'PactStop' }) do
    check('command :' .. name, vim.fn.exists(':' .. name) == 2)
  end

  vim.cmd('edit ' .. vim.fn.fnameescape(contract))
  local buf = vim.api.nvim_get_current_buf()
  check('attached to the contract', vim.wait(10000, function()
    return #buf_clients(buf) > 0 or #attached > 0
  end, 20))
  eq('one client for the project', vim.tbl_count(pact.clients), 1)
  eq('on_attach called', attached[1] and attached[1][1], 'pact')

  -- Break the contract in the buffer: an unresolved type.
  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  for i, line in ipairs(lines) do
    if line:find('"type_ref": "int"') then
      lines[i] = line:gsub('"int"', '"Percentage"')
      break
    end
  end
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  check('diagnostics arrive', vim.wait(10000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20))
  local d = vim.diagnostic.get(buf)[1] or {}
  eq('diagnostic code', d.code, 'unresolved-type')

  local init = received('initialize')[1] or { params = {} }
  eq('initializationOptions', init.params.initializationOptions, {
    pact = { backend = 'replay', budget = 5, model = vim.NIL, trace = 'off' },
  })
  eq('rootUri', init.params.rootUri, vim.uri_from_fname(project))

  -- A second file of the same project shares the client; a file elsewhere gets none.
  vim.cmd('edit ' .. vim.fn.fnameescape(project .. '/.pact/contracts/tokenizer/tests/contract_test.py'))
  local buf2 = vim.api.nvim_get_current_buf()
  check('second buffer attached', vim.wait(5000, function()
    return #buf_clients(buf2) > 0
  end, 20))
  eq('still one client', vim.tbl_count(pact.clients), 1)
  local outside = vim.fn.tempname() .. '.json'
  vim.fn.writefile({ '{}' }, outside)
  vim.cmd('edit ' .. vim.fn.fnameescape(outside))
  vim.wait(300)
  eq('no client outside a project', #buf_clients(0), 0)

  -- Commands ----------------------------------------------------------------------------------
  -- Each outcome is told once: by the server's window/showMessage (through vim.notify, prefixed
  -- like the plugin's own), or by the plugin when the server rejected the request outright.
  vim.cmd('edit ' .. vim.fn.fnameescape(contract))
  local result_events = 0
  vim.api.nvim_create_autocmd('User', {
    pattern = 'PactResult',
    callback = function()
      result_events = result_events + 1
    end,
  })
  --- Runs `cmd` and waits for the answer to `command`; returns the notes it produced.
  local function run(cmd, command)
    pact.results[command] = nil
    local before = #notes
    vim.cmd(cmd)
    vim.wait(10000, function()
      return pact.results[command] ~= nil
    end, 20)
    vim.wait(200) -- anything said after the answer counts too
    local said = {}
    for i = before + 1, #notes do
      table.insert(said, notes[i])
    end
    return said
  end
  local function once(name, said, text, level)
    eq(name .. ': one notification', #said, 1)
    local n = said[1] or {}
    eq(name .. ': its text', n.msg, text)
    eq(name .. ': its level', n.level, level)
  end
  local levels = vim.log.levels

  pact.results = {}
  local said = run('PactValidate', 'pact.validate')
  local v = pact.results['pact.validate'] or {}
  eq(':PactValidate result', v.result and v.result.passed, false)
  once(':PactValidate', said, '[pact] validation failed: Contract validation failed with 1 error(s) — fake', levels.WARN)
  eq('PactResult fired', result_events, 1)

  said = run('PactBuild', 'pact.build')
  once(':PactBuild', said, '[pact] build counter: finished', levels.INFO)
  local b = pact.results['pact.build'] or {}
  eq(':PactBuild answered when the job ended', b.result and b.result.outcome, 'passed')
  eq('no job left running', vim.tbl_count(pact.progress), 0)
  run('PactBuild! tokenizer', 'pact.build')
  run('PactRebuild', 'pact.rebuild')
  run('PactRegenerateTests!', 'pact.regenerateTests')
  -- A failing job: the server's warning, and nothing from the plugin.
  said = run('PactRunTests formatter', 'pact.runTests')
  once(
    'a failing job',
    said,
    '[pact] runTests formatter: formatter: 3/4 contract tests pass; failing: test_tc002.',
    levels.WARN
  )
  eq('a failing job: its outcome', (pact.results['pact.runTests'] or { result = {} }).result.outcome, 'failed_tests')
  -- A job the server refuses to start.
  said = run('PactBuild busy', 'pact.build')
  once('a refused job', said, '[pact] build busy did not start: another job holds the project', levels.ERROR)
  run('PactDecompose', 'pact.decompose')
  said = run('PactStatus', 'pact.status')
  once(':PactStatus', said, '[pact] wordfreq: phase implement (paused) · spend $0.42 of $10.00', levels.INFO)
  -- Rejected by the server without a message: the plugin says it, once.
  said = run('PactStop', 'pact.stop')
  once(':PactStop rejected', said, '[pact] pact.stop failed: no run in progress', levels.ERROR)
  eq('commands sent', commands_sent(), {
    { 'pact.validate', { project = project } },
    { 'pact.build', { project = project, component = 'counter', wait = true } },
    { 'pact.build', { project = project, component = 'tokenizer', competitive = true, agents = 2, wait = true } },
    { 'pact.rebuild', { project = project, component = 'counter', wait = true } },
    { 'pact.regenerateTests', { project = project, component = 'counter', confirmed = true, wait = true } },
    { 'pact.runTests', { project = project, component = 'formatter', wait = true } },
    { 'pact.build', { project = project, component = 'busy', wait = true } },
    { 'pact.decompose', { project = project, wait = true } },
    { 'pact.status', { project = project } },
    { 'pact.stop', { project = project } },
  })

  -- Code lenses: shown on attach; running one goes through the plugin like :PactBuild.
  check('code lenses shown', vim.wait(10000, function()
    return #vim.lsp.codelens.get(buf) >= 3
  end, 20))
  local titles = {}
  for _, l in ipairs(vim.lsp.codelens.get(buf)) do
    table.insert(titles, l.command and l.command.title)
  end
  eq('lens titles', titles, { 'Build', 'Run tests · 4 tests · 4 passed · 0 failed', 'Rebuild' })
  local offered = {}
  local select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    for _, item in ipairs(items) do
      table.insert(offered, opts.format_item(item))
    end
    for _, item in ipairs(items) do
      if opts.format_item(item) == 'Build' then
        return on_choice(item)
      end
    end
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  pact.results['pact.build'] = nil
  local before = #notes
  vim.lsp.codelens.run()
  check('the Build lens ran through the plugin', vim.wait(10000, function()
    return pact.results['pact.build'] ~= nil
  end, 20))
  vim.ui.select = select
  vim.wait(200)
  eq('lenses offered on the line', offered, titles)
  local lb = pact.results['pact.build'] or {}
  eq('Build lens arguments', lb.args, { project = project, component = 'counter', wait = true })
  eq('Build lens outcome', lb.result and lb.result.outcome, 'passed')
  eq('Build lens: one notification', #notes - before, 1)

  -- Settings changes reach the server.
  pact.set_settings({ model = 'claude-opus-4-6' })
  check('didChangeConfiguration sent', vim.wait(5000, function()
    for _, m in ipairs(received('workspace/didChangeConfiguration')) do
      if m.params.settings.pact.model == 'claude-opus-4-6' and m.params.settings.pact.backend == 'replay' then
        return true
      end
    end
    return false
  end, 20))

  -- Progress bookkeeping and the statusline.
  local events = 0
  vim.api.nvim_create_autocmd('User', {
    pattern = 'PactProgress',
    callback = function()
      events = events + 1
    end,
  })
  pact._on_progress(99, { token = 't', value = { kind = 'begin', title = 'Build counter', cancellable = true } })
  pact._on_progress(99, { token = 't', value = { kind = 'report', message = 'attempt 1/3', percentage = 40 } })
  eq('statusline while running', pact.statusline(), 'Pact: Build counter: attempt 1/3 (40%)')
  pact._on_progress(99, { token = 't', value = { kind = 'end' } })
  eq('statusline when idle', pact.statusline(), '')
  eq('PactProgress events', events, 3)

  -- A command from a buffer outside any file of the project, with the project as working
  -- directory, starts a server of its own (no buffer to attach).
  for _, id in pairs(pact.clients) do
    vim.lsp.stop_client(id)
  end
  vim.wait(5000, function()
    return vim.tbl_count(pact.clients) == 0
  end, 20)
  vim.cmd('enew')
  vim.cmd('cd ' .. vim.fn.fnameescape(project))
  pact.results = {}
  vim.cmd('PactValidate')
  check(':PactValidate without a project buffer', vim.wait(10000, function()
    return pact.results['pact.validate'] ~= nil
  end, 20))
  eq('detached server has no buffer', #buf_clients(0), 0)

  check('no deprecation warnings', noted('deprecated') == nil, vim.inspect(notes))

  -- A missing binary is explained once, with an install hint.
  for _, id in pairs(pact.clients) do
    vim.lsp.stop_client(id)
  end
  pact.setup({ cmd = { '/nonexistent/pact', 'lsp' } })
  pact.clients = {}
  vim.cmd('edit ' .. vim.fn.fnameescape(project .. '/.pact/contracts/formatter/interface.json'))
  local miss = noted("'/nonexistent/pact' is not an executable")
  check('missing binary explained', miss ~= nil and miss.msg:find('cargo install') ~= nil, vim.inspect(notes))
  -- Explained again when a command needs the server.
  local before = #notes
  vim.cmd('PactValidate')
  local again = notes[before + 1]
  check('missing binary explained on a command', again ~= nil and again.msg:find('is not an executable') ~= nil, vim.inspect(notes))
end)

if not ok then
  check('no error', false, tostring(err))
end
finish()
