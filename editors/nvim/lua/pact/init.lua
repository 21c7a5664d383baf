-- Pact for Neovim: starts `pact lsp` for buffers inside a Pact project (a directory holding
-- `.pact/` or `pact.yaml`), adds :Pact* commands mapped to the server's commands, shows the
-- server's work-done progress and code lenses. Works on Neovim 0.7 (vim.lsp.start_client) and on
-- current releases (vim.lsp.start, and vim.lsp.config where present). See :help pact.
--
-- Messages: the server tells the outcome of every command (a job's end or refusal, validate,
-- status, stop) in exactly one `window/showMessage`, worded for Neovim. The plugin shows those
-- (through vim.notify) and never a message of its own for the same outcome; it only speaks for
-- what the server cannot: a request the server rejected, a missing binary, no project here.

local M = {}

local uv = vim.uv or vim.loop

--- Defaults; `setup()` merges the user's options over these.
M.defaults = {
  -- The server command line. `pact` must be on PATH, or give the full path.
  cmd = { 'pact', 'lsp' },
  -- Sent to the server under the key `pact` (initializationOptions and
  -- workspace/didChangeConfiguration): backend, model, budget, trace.
  settings = {},
  -- Called as on_attach(client, bufnr) when the server attaches to a buffer.
  on_attach = nil,
  -- Client capabilities (default: Neovim's own).
  capabilities = nil,
  -- Filetypes whose buffers are attached when they lie inside a Pact project.
  filetypes = { 'json', 'jsonc', 'python', 'typescript', 'javascript', 'typescriptreact', 'javascriptreact', 'yaml' },
  -- Progress display while a job runs: 'echo' (command line), 'notify' (vim.notify), or false.
  -- How the job ended is the server's message (one per job), whatever this says.
  progress = 'echo',
  -- Show the server's code lenses (Build · Run tests · Rebuild on contracts and tests) and keep
  -- them fresh: on attach, BufEnter, InsertLeave, BufWritePost and when a job ends.
  codelens = true,
  -- Agents for a competitive build (:PactBuild!).
  agents = 2,
  -- Create the :Pact* user commands.
  commands = true,
}

M.config = vim.deepcopy(M.defaults)

--- Language server client ids by project root.
M.clients = {}
--- Running jobs from `$/progress`, by "<client id>:<token>".
M.progress = {}
--- The last answer of each server command: { command, result, err, args, project }. Jobs are
--- sent with `wait = true`, so a job's answer ({ outcome, token, message }) arrives when it ends.
M.results = {}

local NAME = 'pact'
local ROOT_MARKERS = { '.pact', 'pact.yaml' }
local has_start = vim.lsp.start ~= nil -- 0.8+
local has_config = type(vim.lsp.config) == 'table' or type(vim.lsp.config) == 'function' -- 0.11+
local missing_reported = false

-- ---------------------------------------------------------------------------------------------
-- Paths and projects
-- ---------------------------------------------------------------------------------------------

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function is_dir(path)
  local st = uv.fs_stat(path)
  return st ~= nil and st.type == 'directory'
end

local function split_path(path)
  local parts = {}
  for part in string.gmatch(path, '[^/\\]+') do
    table.insert(parts, part)
  end
  return parts
end

local function normalize(path)
  local p = vim.fn.fnamemodify(path, ':p')
  if #p > 1 then
    p = p:gsub('[/\\]+$', '')
  end
  return p
end

local function parent(dir)
  local p = vim.fn.fnamemodify(dir, ':h')
  return p
end

local function basename(path)
  return vim.fn.fnamemodify(path, ':t')
end

--- The nearest directory at or above `path` (a file or directory) holding `.pact` or
--- `pact.yaml`; nil outside any project. A path inside `.pact/` gives the directory holding it.
function M.find_root(path)
  if path == nil or path == '' then
    return nil
  end
  local dir = normalize(path)
  if not is_dir(dir) then
    dir = parent(dir)
  end
  while true do
    if basename(dir) ~= '.pact' then
      for _, marker in ipairs(ROOT_MARKERS) do
        if exists(dir .. '/' .. marker) then
          return dir
        end
      end
    end
    local up = parent(dir)
    if up == dir or up == '' then
      return nil
    end
    dir = up
  end
end

local function is_component_id(s)
  return s ~= nil and s:match('^[A-Za-z0-9_.-]+$') ~= nil and s ~= '.' and s ~= '..'
end

--- The component a file belongs to, in both layouts: `.pact/contracts/<cid>/…`,
--- `.pact/implementations/<cid>/…`, `contracts/<cid>/…`, `tests/<cid>/…`, `src/<cid>/…`.
function M.component_of(root, file)
  if root == nil or file == nil or file == '' then
    return nil
  end
  root = normalize(root)
  file = normalize(file)
  if file:sub(1, #root + 1) ~= root .. '/' then
    return nil
  end
  local rest = split_path(file:sub(#root + 2))
  local kinds
  if rest[1] == '.pact' then
    table.remove(rest, 1)
    kinds = { contracts = true, implementations = true, compositions = true }
  else
    kinds = { contracts = true, tests = true, src = true, implementations = true }
  end
  if not kinds[rest[1] or ''] then
    return nil
  end
  local cid = rest[2]
  if not is_component_id(cid) then
    return nil
  end
  -- `src/main.py` is a file in src/, not a component directory.
  if #rest == 2 and rest[1] ~= 'contracts' and not is_dir(file) then
    return nil
  end
  return cid
end

--- Component ids of a project (its contract directories, both layouts), sorted.
function M.components(root)
  local seen, out = {}, {}
  for _, dir in ipairs({ root .. '/.pact/contracts', root .. '/contracts' }) do
    local handle = uv.fs_scandir(dir)
    while handle do
      local name, kind = uv.fs_scandir_next(handle)
      if not name then
        break
      end
      if kind == 'directory' and is_component_id(name) and not seen[name] then
        seen[name] = true
        table.insert(out, name)
      end
    end
  end
  table.sort(out)
  return out
end

-- ---------------------------------------------------------------------------------------------
-- Messages and progress
-- ---------------------------------------------------------------------------------------------

local function notify(msg, level)
  vim.notify('[pact] ' .. msg, level or vim.log.levels.INFO)
end

local function echo(msg)
  vim.api.nvim_echo({ { '[pact] ' .. msg, 'Comment' } }, false, {})
end

local function fire(pattern)
  -- `User` autocommands for statuslines and scripts: PactProgress, PactResult.
  pcall(vim.api.nvim_exec_autocmds, 'User', { pattern = pattern, modeline = false })
end

local function job_text(job)
  local s = job.title or 'working'
  if job.message and job.message ~= '' then
    s = s .. ': ' .. job.message
  end
  if job.percentage then
    s = s .. string.format(' (%d%%)', job.percentage)
  end
  return s
end

--- A compact status for statuslines: the running job(s), or ''.
function M.statusline()
  local jobs = {}
  for _, job in pairs(M.progress) do
    table.insert(jobs, job)
  end
  if #jobs == 0 then
    return ''
  end
  table.sort(jobs, function(a, b)
    return a.started < b.started
  end)
  local last = jobs[#jobs]
  local more = #jobs > 1 and string.format(' (+%d)', #jobs - 1) or ''
  return 'Pact: ' .. job_text(last) .. more
end

local function show_progress(job)
  local mode = M.config.progress
  if mode == 'notify' then
    notify(job_text(job))
  elseif mode then
    echo(job_text(job))
  end
end

local MESSAGE_LEVELS = {
  [1] = vim.log.levels.ERROR,
  [2] = vim.log.levels.WARN,
  [3] = vim.log.levels.INFO,
  [4] = vim.log.levels.DEBUG,
}

--- `window/showMessage`: the server's one message per outcome, through vim.notify (on every
--- release; 0.7's default handler writes to the command line only) with the plugin's prefix.
function M._on_show_message(_, result)
  if type(result) ~= 'table' or type(result.message) ~= 'string' then
    return vim.NIL
  end
  local msg = result.message:gsub('^Pact: ', '')
  notify(msg, MESSAGE_LEVELS[result.type] or vim.log.levels.INFO)
  return vim.NIL
end

--- Code lenses of `bufnr` (default: the current buffer), when that buffer is the current one
--- (0.7 refreshes only the current buffer) and the option is on.
local lens_enabled = {}
local function refresh_lenses(bufnr)
  if not M.config.codelens then
    return
  end
  local cur = vim.api.nvim_get_current_buf()
  bufnr = (bufnr == nil or bufnr == 0) and cur or bufnr
  if bufnr ~= cur or not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  local codelens = vim.lsp.codelens
  if type(codelens.enable) == 'function' then
    -- Releases that keep lenses fresh themselves once enabled for a buffer.
    if not lens_enabled[bufnr] then
      lens_enabled[bufnr] = pcall(codelens.enable, true, { bufnr = bufnr })
    end
    if lens_enabled[bufnr] then
      return
    end
  end
  pcall(codelens.refresh, { bufnr = bufnr })
end
M._refresh_lenses = refresh_lenses

local function attached_to(bufnr, client_id)
  return client_id ~= nil and vim.lsp.buf_is_attached(bufnr, client_id)
end

--- Applies one `$/progress` notification (begin / report / end) to M.progress.
function M._on_progress(client_id, params)
  if type(params) ~= 'table' or type(params.value) ~= 'table' then
    return
  end
  local key = tostring(client_id) .. ':' .. tostring(params.token)
  local value = params.value
  if value.kind == 'begin' then
    M.progress[key] = {
      client_id = client_id,
      token = params.token,
      -- "Pact: Build tokenizer" → "Build tokenizer": the display adds its own prefix.
      title = type(value.title) == 'string' and value.title:gsub('^Pact: ', '') or value.title,
      message = value.message,
      percentage = value.percentage,
      cancellable = value.cancellable == true,
      started = uv.hrtime(),
    }
    show_progress(M.progress[key])
  elseif value.kind == 'report' then
    local job = M.progress[key]
    if job then
      if value.message ~= nil then
        job.message = value.message
      end
      if value.percentage ~= nil then
        job.percentage = value.percentage
      end
      if value.cancellable ~= nil then
        job.cancellable = value.cancellable
      end
      show_progress(job)
    end
  elseif value.kind == 'end' then
    -- No message here: the server's showMessage tells how the job ended (one per job).
    M.progress[key] = nil
    if M.config.progress == 'echo' then
      vim.api.nvim_echo({ { '' } }, false, {}) -- the last step, no longer true
    end
    -- The job changed what the lenses show (results, scores); 0.7–0.9 are not told.
    if attached_to(vim.api.nvim_get_current_buf(), client_id) then
      refresh_lenses()
    end
  end
  fire('PactProgress')
end

local function progress_handler(err, result, ctx, config)
  local default = vim.lsp.handlers['$/progress']
  if default then
    -- 0.7's default errors on a report without a begin; the display must not depend on it.
    pcall(default, err, result, ctx, config)
  end
  M._on_progress(ctx.client_id, result)
end

-- ---------------------------------------------------------------------------------------------
-- The language server
-- ---------------------------------------------------------------------------------------------

local function get_client(id)
  return id and vim.lsp.get_client_by_id(id) or nil
end

local function call(client, method, ...)
  -- 0.11 made client functions methods (client:request); older releases use client.request.
  if vim.fn.has('nvim-0.11') == 1 then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function settings_payload()
  local s = M.config.settings or {}
  return {
    backend = s.backend or vim.NIL,
    model = s.model or vim.NIL,
    budget = s.budget or vim.NIL,
    trace = s.trace or 'off',
  }
end

--- Buffer-local autocommands that keep the lenses of `bufnr` fresh.
local function watch_lenses(bufnr)
  if not M.config.codelens then
    return
  end
  local group = vim.api.nvim_create_augroup('pact_lens_' .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ 'BufEnter', 'InsertLeave', 'BufWritePost' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      refresh_lenses(bufnr)
    end,
  })
  refresh_lenses(bufnr)
end

--- Client-side handlers of the server's commands: a code lens or code action (`pact.build`, …)
--- runs through M.execute like the :Pact* commands (M.results, `User PactResult`, jobs waited
--- for), on the client that offered it.
local function client_commands()
  local out = {}
  for _, spec in pairs(M.commands) do
    local command = spec[1]
    out[command] = function(cmd, ctx)
      local args = type(cmd) == 'table' and type(cmd.arguments) == 'table' and cmd.arguments[1] or nil
      args = type(args) == 'table' and vim.deepcopy(args) or {}
      M.execute(command, args, nil, ctx and ctx.client_id)
    end
  end
  return out
end

--- The client configuration for one project root.
function M.client_config(root)
  local cfg = {
    name = NAME,
    cmd = M.config.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = { pact = settings_payload() },
    settings = { pact = settings_payload() },
    handlers = {
      ['$/progress'] = progress_handler,
      ['window/showMessage'] = M._on_show_message,
      -- The first full check is published: lenses requested before it may have been empty.
      ['pact/checked'] = function(_, _, ctx)
        if attached_to(vim.api.nvim_get_current_buf(), ctx and ctx.client_id) then
          refresh_lenses()
        end
      end,
    },
    commands = client_commands(),
    capabilities = M.config.capabilities or vim.lsp.protocol.make_client_capabilities(),
    on_attach = M.config.on_attach,
    on_exit = function(code, signal, client_id)
      vim.schedule(function()
        for r, id in pairs(M.clients) do
          if id == client_id then
            M.clients[r] = nil
          end
        end
        for key, job in pairs(M.progress) do
          if job.client_id == client_id then
            M.progress[key] = nil
          end
        end
        if code ~= 0 and signal == 0 then
          notify(
            string.format('the language server exited with code %d (see %s)', code, vim.lsp.get_log_path()),
            vim.log.levels.WARN
          )
        end
      end)
    end,
  }
  if has_config then
    -- 0.11+: the user's vim.lsp.config('pact', {...}) overrides apply.
    local ok, user = pcall(function()
      return vim.lsp.config[NAME]
    end)
    if ok and type(user) == 'table' then
      cfg = vim.tbl_deep_extend('force', cfg, user, { root_dir = root, name = NAME })
    end
  end
  local user_attach = cfg.on_attach
  cfg.on_attach = function(client, bufnr)
    watch_lenses(bufnr)
    if user_attach then
      user_attach(client, bufnr)
    end
  end
  return cfg
end

--- Whether the server command can be run; reports a missing binary once (always if `loud`).
local function check_cmd(loud)
  local exe = M.config.cmd and M.config.cmd[1]
  if exe and vim.fn.executable(exe) == 1 then
    return true
  end
  if loud or not missing_reported then
    missing_reported = true
    notify(
      string.format(
        "cannot start the language server: '%s' is not an executable on PATH. Install it with "
          .. '`cargo install --locked --path server/cli` from a Pact checkout, or point setup{cmd = '
          .. "{'/path/to/pact', 'lsp'}} at the binary.",
        tostring(exe)
      ),
      vim.log.levels.ERROR
    )
  end
  return false
end

--- Starts (or reuses) the client for `root`; attaches `bufnr` if given. Returns the client id.
function M.start(root, bufnr)
  if not check_cmd() then
    return nil
  end
  local id = M.clients[root]
  if id and not get_client(id) then
    id = nil
  end
  if has_start then
    if bufnr then
      id = vim.lsp.start(M.client_config(root), { bufnr = bufnr })
    elseif not id then
      if has_config then
        id = vim.lsp.start(M.client_config(root), { attach = false })
      else
        id = vim.lsp.start_client(M.client_config(root))
      end
    end
  else
    if not id then
      id = vim.lsp.start_client(M.client_config(root))
    end
    if id and bufnr and not vim.lsp.buf_is_attached(bufnr, id) then
      vim.lsp.buf_attach_client(bufnr, id)
    end
  end
  if id then
    M.clients[root] = id
  end
  return id
end

--- Attaches the server to `bufnr` if its file lies inside a Pact project.
function M.attach(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= '' then
    return nil
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  local root = M.find_root(name)
  if not root then
    return nil
  end
  return M.start(root, bufnr)
end

--- Changes the server settings and pushes them to every running client.
function M.set_settings(settings)
  M.config.settings = vim.tbl_extend('force', M.config.settings or {}, settings or {})
  for _, id in pairs(M.clients) do
    local client = get_client(id)
    if client then
      client.config.settings = { pact = settings_payload() }
      call(client, 'notify', 'workspace/didChangeConfiguration', { settings = { pact = settings_payload() } })
    end
  end
end

-- ---------------------------------------------------------------------------------------------
-- Commands
-- ---------------------------------------------------------------------------------------------

--- The project a command applies to: the current buffer's, else the working directory's,
--- else the only one with a running server.
function M.current_project()
  local root = M.find_root(vim.api.nvim_buf_get_name(0)) or M.find_root(vim.fn.getcwd())
  if root then
    return root
  end
  local roots = vim.tbl_keys(M.clients)
  if #roots == 1 then
    return roots[1]
  end
  return nil
end

local function when_ready(id, fn, waited)
  local client = get_client(id)
  if not client then
    notify('the language server is not running', vim.log.levels.ERROR)
    return
  end
  if client.initialized then
    fn(client)
    return
  end
  waited = waited or 0
  if waited > 15000 then
    notify('the language server did not finish starting', vim.log.levels.ERROR)
    return
  end
  vim.defer_fn(function()
    when_ready(id, fn, waited + 50)
  end, 50)
end

--- Server commands that run as jobs (answered at once unless sent with `wait`).
local JOBS = {
  ['pact.decompose'] = true,
  ['pact.runPipeline'] = true,
  ['pact.build'] = true,
  ['pact.rebuild'] = true,
  ['pact.regenerateTests'] = true,
  ['pact.runTests'] = true,
}

--- Runs a server command (`workspace/executeCommand`) with one argument object. Jobs are sent
--- with `wait = true`: the answer comes when the job ends (`{outcome, token, message}`), or at
--- once when it cannot start (`{started = false, error}`). The answer is kept in
--- M.results[command] and announced with the `User PactResult` autocommand; the user is told
--- by the server's message (one per outcome), so the plugin adds none, except when the server
--- rejected the request itself. `on_result(err, result)` replaces that error report.
--- `client_id`: the client to ask (a code lens or action offered by it); default: the project's.
function M.execute(command, args, on_result, client_id)
  args = args or {}
  local root = args.project
  if not root then
    local file = args.uri or args.file or args.path
    if type(file) == 'string' then
      root = M.find_root(file:match('^file:') and vim.uri_to_fname(file) or file)
    end
  end
  if not root then
    notify('no Pact project here (a directory holding .pact/ or pact.yaml)', vim.log.levels.ERROR)
    return
  end
  if JOBS[command] and args.wait == nil then
    args.wait = true
  end
  local id = client_id and get_client(client_id) and client_id or nil
  if not id then
    if not check_cmd(true) then
      return
    end
    id = M.start(root, nil)
  end
  if not id then
    notify('the language server could not be started for ' .. root, vim.log.levels.ERROR)
    return
  end
  when_ready(id, function(client)
    local params = { command = command, arguments = { args } }
    call(client, 'request', 'workspace/executeCommand', params, function(err, result)
      M.results[command] = { command = command, err = err, result = result, args = args, project = root }
      if on_result then
        on_result(err, result)
      elseif err then
        notify(command .. ' failed: ' .. tostring(err.message or vim.inspect(err)), vim.log.levels.ERROR)
      end
      fire('PactResult')
    end)
  end)
end

--- Cancels running (cancellable) jobs of the current project's server.
function M.cancel()
  local n = 0
  for _, job in pairs(M.progress) do
    local client = get_client(job.client_id)
    if client and job.cancellable then
      call(client, 'notify', 'window/workDoneProgress/cancel', { token = job.token })
      n = n + 1
    end
  end
  if n > 0 then
    -- The server's message says how the job ended; this only acknowledges the request.
    echo(string.format('cancelling %d job(s)…', n))
  else
    notify('no cancellable job is running', vim.log.levels.WARN)
  end
end

local function project_or_error()
  local root = M.current_project()
  if not root then
    notify('no Pact project here (a directory holding .pact/ or pact.yaml)', vim.log.levels.ERROR)
  end
  return root
end

local function component_or_error(root, arg, what)
  local cid = (arg and arg ~= '') and arg or M.component_of(root, vim.api.nvim_buf_get_name(0))
  if not cid then
    notify(
      string.format(
        '%s: which component? Give one (%s) or run it from a contract or test file',
        what,
        table.concat(M.components(root), ', ')
      ),
      vim.log.levels.ERROR
    )
  end
  return cid
end

local function complete_components(arglead)
  local root = M.current_project()
  if not root then
    return {}
  end
  local out = {}
  for _, cid in ipairs(M.components(root)) do
    if cid:sub(1, #arglead) == arglead then
      table.insert(out, cid)
    end
  end
  return out
end

--- The user commands: name → { server command, takes a component?, description }.
M.commands = {
  PactDecompose = { 'pact.decompose', false, 'Decompose the task into components with contracts and tests' },
  PactRunPipeline = { 'pact.runPipeline', false, 'Run the pipeline from the current phase' },
  PactBuild = { 'pact.build', true, 'Build a component (! = competitively)' },
  PactRebuild = { 'pact.rebuild', true, 'Rebuild a component from its contract' },
  PactRegenerateTests = { 'pact.regenerateTests', true, "Regenerate a component's tests (asks; ! = no question)" },
  PactRunTests = { 'pact.runTests', true, "Run a component's contract tests" },
  PactValidate = { 'pact.validate', false, 'Validate the project' },
  PactStatus = { 'pact.status', false, "Show the run's phase, spend and components" },
  PactStop = { 'pact.stop', false, 'Stop the running pipeline' },
}

--- Runs a :Pact* command (`name` from M.commands) as typed: `arg` a component id or '',
--- `bang` true for :PactBuild! (competitive) and :PactRegenerateTests! (no question).
function M.run(name, arg, bang)
  local spec = M.commands[name]
  if not spec then
    notify('unknown command ' .. tostring(name), vim.log.levels.ERROR)
    return
  end
  local command, needs_component = spec[1], spec[2]
  local root = project_or_error()
  if not root then
    return
  end
  local args = { project = root }
  if needs_component then
    local cid = component_or_error(root, arg, ':' .. name)
    if not cid then
      return
    end
    args.component = cid
  end
  if command == 'pact.build' and bang then
    args.competitive = true
    args.agents = M.config.agents or 2
  end
  if command == 'pact.regenerateTests' then
    if not bang then
      local choice = vim.fn.confirm(
        string.format(
          'Regenerate the contract tests of "%s" from its contract? Tests are law: the current tests are replaced.',
          args.component
        ),
        '&Regenerate\n&Cancel',
        2
      )
      if choice ~= 1 then
        return
      end
    end
    args.confirmed = true
  end
  M.execute(command, args)
end

local function create_commands()
  for name, spec in pairs(M.commands) do
    local opts = { desc = spec[3], bang = true }
    if spec[2] then
      opts.nargs = '?'
      opts.complete = complete_components
    else
      opts.nargs = 0
    end
    vim.api.nvim_create_user_command(name, function(o)
      M.run(name, o.args, o.bang)
    end, opts)
  end
  vim.api.nvim_create_user_command('PactCancel', function()
    M.cancel()
  end, { desc = 'Cancel the running Pact job(s)', nargs = 0 })
end

-- ---------------------------------------------------------------------------------------------
-- Setup
-- ---------------------------------------------------------------------------------------------

--- Configures the plugin: `require('pact').setup{ cmd = {...}, settings = {...}, on_attach = fn }`.
function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts or {})
  if opts and opts.cmd then
    M.config.cmd = opts.cmd -- a list: replace, don't merge
  end
  if opts and opts.filetypes then
    M.config.filetypes = opts.filetypes
  end
  missing_reported = false

  if has_config then
    -- 0.11+: register the base configuration so `vim.lsp.config('pact', {...})` can extend it.
    -- Starting stays with this plugin (root detection below); don't also vim.lsp.enable('pact').
    pcall(vim.lsp.config, NAME, {
      cmd = M.config.cmd,
      filetypes = M.config.filetypes,
      root_markers = ROOT_MARKERS,
    })
  end

  local group = vim.api.nvim_create_augroup('pact', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = M.config.filetypes,
    callback = function(ev)
      M.attach(ev.buf)
    end,
  })
  -- The same files by name, for sessions without filetype detection (`nvim -u NONE`).
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
    group = group,
    pattern = { 'pact.yaml', '*.json', '*.py', '*.ts', '*.js', '*.tsx', '*.jsx' },
    callback = function(ev)
      M.attach(ev.buf)
    end,
  })

  if M.config.commands then
    create_commands()
  end

  -- Buffers already open when setup() runs.
  local fts = {}
  for _, ft in ipairs(M.config.filetypes) do
    fts[ft] = true
  end
  for _, buf in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(buf)
    local by_name = name:match('%.json$') or name:match('%.py$') or name:match('%.[jt]sx?$') or name:match('pact%.yaml$')
    if vim.api.nvim_buf_is_loaded(buf) and (fts[vim.bo[buf].filetype] or by_name) then
      M.attach(buf)
    end
  end
end

return M
