-- Pact for Neovim. Nothing starts until `require('pact').setup{}` is called (from Lua), or, for
-- Vimscript configurations, when g:pact_setup holds the options: `let g:pact_setup = {}`.
if vim.g.loaded_pact then
  return
end
vim.g.loaded_pact = true

if type(vim.g.pact_setup) == 'table' then
  require('pact').setup(vim.g.pact_setup)
end
