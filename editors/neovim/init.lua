-- A minimal Neovim config for Rubric. Try it with
--   nvim -u editors/neovim/init.lua examples/some/scheme.rubric
-- or copy the two lines at the bottom into your own init.lua, with editors/neovim on the runtimepath.
local here = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h')
vim.opt.runtimepath:prepend(here)
vim.cmd('filetype plugin indent on')
vim.cmd('syntax on')

require('rubric').setup({
  -- cmd = { '/path/to/rubric', 'lsp' },   -- default: { $RUBRIC_BIN or 'rubric', 'lsp' }
})
