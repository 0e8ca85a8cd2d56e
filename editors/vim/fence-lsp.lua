-- Neovim: start `fence lsp` for Fence files (diagnostics, hover, go to definition, completion,
-- document symbols, formatting). Works with Neovim 0.7 (Debian bookworm's) and later.
--
-- Put editors/vim on 'runtimepath' for file detection, highlighting and settings, then load this
-- file from init.lua, e.g.:
--   vim.opt.runtimepath:prepend('/path/to/fence/editors/vim')
--   dofile('/path/to/fence/editors/vim/fence-lsp.lua')
-- Settings: vim.g.fence_lsp = { cmd = { 'fence', 'lsp' }, target = 'k8s', environment = 'prod' }
local settings = vim.g.fence_lsp or {}
local cmd = settings.cmd or { 'fence', 'lsp' }
local init_options = { target = settings.target or 'k8s', environment = settings.environment, allowL4Fallback = settings.allow_l4_fallback }

local clients = {} -- one server per project directory

local function start(bufnr)
  vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc' -- completion with <C-x><C-o>
  local name = vim.api.nvim_buf_get_name(bufnr)
  local root = vim.fn.fnamemodify(name ~= '' and name or vim.fn.getcwd(), ':p:h')
  local git = vim.fn.finddir('.git', root .. ';')
  if git ~= '' then
    root = vim.fn.fnamemodify(git, ':p:h:h')
  end
  if vim.lsp.start then -- Neovim 0.8 and later
    vim.lsp.start({ name = 'fence', cmd = cmd, root_dir = root, init_options = init_options }, { bufnr = bufnr })
    return
  end
  local id = clients[root]
  if not id or not vim.lsp.get_client_by_id(id) then
    id = vim.lsp.start_client({ name = 'fence', cmd = cmd, root_dir = root, init_options = init_options })
    clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'fence',
  callback = function(args)
    start(args.buf)
  end,
})
