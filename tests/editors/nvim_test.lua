-- Run by tests/editors/nvim_test.py in `nvim --headless --clean`, with editors/vim on the
-- runtimepath: checks the Vim syntax on the grammar fixture, then starts `fence lsp` through the
-- shipped snippet on the LSP fixture, waits for diagnostics, asks for hover and definition, formats
-- the buffer, and writes what arrived to $FENCE_OUT as JSON. Every wait is bounded.
local out = assert(os.getenv('FENCE_OUT'))
local result = { errors = {}, syntax = {}, diagnostics = {}, hover = {}, definition = nil }

local function finish(code)
  local f = io.open(out, 'w')
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd(code == 0 and 'qa!' or ('cquit ' .. code))
end

-- The syntax group at the first occurrence of `piece` on the first line containing `line_text`.
local function syntax_at(line_text, piece)
  for lnum = 1, vim.fn.line('$') do
    local l = vim.fn.getline(lnum)
    local s = l:find(line_text, 1, true)
    if s then
      local col = l:find(piece, 1, true)
      if not col then
        return '?no ' .. piece
      end
      return vim.fn.synIDattr(vim.fn.synID(lnum, col, 1), 'name')
    end
  end
  return '?no line ' .. line_text
end

local function hover_at(buf, lnum, piece)
  local col = vim.fn.getline(lnum):find(piece, 1, true) - 1
  vim.api.nvim_win_set_cursor(0, { lnum, col })
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/hover', vim.lsp.util.make_position_params(), 10000)
  for _, r in pairs(responses or {}) do
    if r.result and r.result.contents then
      return r.result.contents.value or vim.inspect(r.result.contents)
    end
    if r.err then
      return 'error: ' .. vim.inspect(r.err)
    end
  end
  return 'no reply'
end

local ok, err = pcall(function()
  dofile(assert(os.getenv('FENCE_SNIPPET')))

  -- Highlighting and settings on the grammar fixture.
  vim.cmd('edit ' .. vim.fn.fnameescape(assert(os.getenv('FENCE_SYNTAX_FIXTURE'))))
  result.filetype = vim.bo.filetype
  result.commentstring = vim.bo.commentstring
  local probes = {
    { 'namespace production', 'namespace' }, { 'namespace production', 'production' }, { 'postgres:5432', 'may' },
    { 'postgres:5432', '5432' }, { 'let stripe =', '203.0.113.0/24' }, { 'let api-v6', '2001:db8::/32' },
    { 'api.stripe.com', 'api.stripe.com' }, { 'pods[tier=db', 'tier' }, { 'pods[tier=db', '=db' },
    { '# Every construct', '#' }, { 'set label-key', '"app' }, { 'pods[tier=db', 'udp' }, { 'monitoring/prometheus', 'monitoring' },
    { 'let stripe =', 'stripe' }, { 'payments:8080', 'GET' },
  }
  for _, p in ipairs(probes) do
    result.syntax[p[1] .. ' | ' .. p[2]] = syntax_at(p[1], p[2])
  end

  -- The language server on the LSP fixture.
  vim.cmd('edit ' .. vim.fn.fnameescape(assert(os.getenv('FENCE_LSP_FIXTURE'))))
  local buf = vim.api.nvim_get_current_buf()
  local arrived = vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 50)
  if not arrived then
    error('no diagnostics within 20 s')
  end
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, severity = d.severity, message = d.message, code = code, source = d.source })
  end
  result.hover.partners = hover_at(buf, 7, 'partners')
  result.hover.postgres = hover_at(buf, 7, 'postgres')
  vim.api.nvim_win_set_cursor(0, { 7, vim.fn.getline(7):find('partners', 1, true) - 1 })
  local defs = vim.lsp.buf_request_sync(buf, 'textDocument/definition', vim.lsp.util.make_position_params(), 10000)
  for _, r in pairs(defs or {}) do
    if r.result then
      result.definition = r.result
    end
  end

  -- Formatting, the way a user asks for it.
  if vim.lsp.buf.format then -- Neovim 0.8 and later
    vim.lsp.buf.format({ bufnr = buf, timeout_ms = 10000 })
  else
    vim.lsp.buf.formatting_sync(nil, 10000)
  end
  result.formatted = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
end)

if not ok then
  table.insert(result.errors, tostring(err))
  finish(1)
else
  finish(0)
end
