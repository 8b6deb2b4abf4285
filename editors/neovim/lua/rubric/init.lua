-- Rubric support for Neovim: the `rubric` filetype and the `rubric lsp` language server, started
-- with the built-in client. Works on Neovim 0.7 (Debian bookworm) and later: `vim.lsp.start` is
-- used where it exists (0.8+), `vim.lsp.start_client` + `vim.lsp.buf_attach_client` before that.
--
--   require('rubric').setup({
--     cmd = { 'rubric', 'lsp' },          -- default: { $RUBRIC_BIN or 'rubric', 'lsp' }
--     root_markers = { 'rubric.toml', '.git' },
--     on_attach = function(client, bufnr) end,
--   })

local M = {}

M.config = {
  cmd = nil,
  root_markers = { 'rubric.toml', '.git' },
  on_attach = nil,
  on_exit = nil,
  capabilities = nil,
  settings = nil,
}

-- clients started through the 0.7 fallback, by root folder
local fallback_clients = {}

local function default_cmd()
  local bin = vim.env.RUBRIC_BIN
  if bin == nil or bin == '' then
    bin = 'rubric'
  end
  return { bin, 'lsp' }
end

--- The folder that holds the nearest root marker above the buffer's file, else the file's folder.
function M.root_dir(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local dir = name ~= '' and vim.fn.fnamemodify(name, ':p:h') or vim.fn.getcwd()
  for _, marker in ipairs(M.config.root_markers) do
    local hit = vim.fn.findfile(marker, dir .. ';')
    if hit == '' then
      hit = vim.fn.finddir(marker, dir .. ';')
    end
    if hit ~= '' then
      local root = vim.fn.fnamemodify(hit, ':p:h'):gsub('/%.git/?$', '')
      return root
    end
  end
  return dir
end

local function client_config(bufnr)
  local cmd = M.config.cmd or default_cmd()
  return {
    name = 'rubric',
    cmd = cmd,
    root_dir = M.root_dir(bufnr),
    on_attach = M.config.on_attach,
    on_exit = M.config.on_exit,
    capabilities = M.config.capabilities or vim.lsp.protocol.make_client_capabilities(),
    settings = M.config.settings,
  }
end

--- Starts (or reuses) the server for the buffer and attaches it. Returns the client id, or nil.
function M.start(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local config = client_config(bufnr)
  if vim.fn.executable(config.cmd[1]) ~= 1 then
    vim.notify(
      string.format(
        'rubric: cannot run `%s`; install the CLI (`cargo install --path crates/rubric-cli`) or set $RUBRIC_BIN',
        config.cmd[1]
      ),
      vim.log.levels.ERROR
    )
    return nil
  end
  if vim.lsp.start then
    return vim.lsp.start(config, { bufnr = bufnr })
  end
  local id = fallback_clients[config.root_dir]
  local client = id and vim.lsp.get_client_by_id(id)
  if not client or client.is_stopped() then
    id = vim.lsp.start_client(config)
    if not id then
      return nil
    end
    fallback_clients[config.root_dir] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  if vim.filetype and vim.filetype.add then
    vim.filetype.add({ extension = { rubric = 'rubric' } })
  end
  local group = vim.api.nvim_create_augroup('rubric', { clear = true })
  -- Neovim 0.7 still detects filetypes with filetype.vim, which does not know `.rubric`
  vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
    group = group,
    pattern = '*.rubric',
    command = 'setfiletype rubric',
  })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = 'rubric',
    callback = function(args)
      M.start(args.buf)
    end,
  })
end

return M
