-- End-to-end test of `rubric lsp` through Neovim's built-in LSP client. Run by ../e2e.sh, which
-- loads ../init.lua, copies fixtures/tiers.rubric with one field misspelt (`revnue`) to
-- $RUBRIC_E2E_FILE and exits with this script's status.
--
-- Each check prints `PASS name` or `FAIL name: why`; the script exits 1 if any check failed.

local file = assert(vim.env.RUBRIC_E2E_FILE, 'RUBRIC_E2E_FILE is not set')
local TIMEOUT = tonumber(vim.env.RUBRIC_E2E_TIMEOUT_MS or '30000')

-- Neovim 0.11 changed a few signatures; the test runs on 0.7 (Debian 12) and later
local new_api = vim.fn.has('nvim-0.11') == 1
local uv = vim.uv or vim.loop
local function all_clients()
  return (vim.lsp.get_clients or vim.lsp.get_active_clients)()
end
local function stop_client(c)
  if new_api then
    c:stop()
  else
    c.stop()
  end
end
local function client_stopped(c)
  if new_api then
    return c:is_stopped()
  end
  return c.is_stopped()
end
--- A byte column as a column in `enc` ('utf-8', 'utf-16' or 'utf-32').
local function utf_index(s, byte_col, enc)
  if enc == 'utf-8' then
    return byte_col
  end
  if new_api then
    return vim.str_utfindex(s, enc, byte_col, false)
  end
  local utf32, utf16 = vim.str_utfindex(s, byte_col)
  return enc == 'utf-32' and utf32 or utf16
end
--- A column in `enc` as a byte column.
local function byte_index(s, col, enc)
  if enc == 'utf-8' then
    return col
  end
  if new_api then
    return vim.str_byteindex(s, enc, col, false)
  end
  return vim.str_byteindex(s, col, enc == 'utf-16')
end

local failures = 0
local passes = 0
local function out(s)
  io.stdout:write(s .. '\n')
  io.stdout:flush()
end
local function pass(name, detail)
  passes = passes + 1
  out('PASS ' .. name .. (detail and (': ' .. detail) or ''))
end
local function fail(name, why)
  failures = failures + 1
  out('FAIL ' .. name .. ': ' .. why)
end
local function info(s)
  out('     ' .. s)
end
local function finish()
  for _, c in pairs(all_clients()) do
    stop_client(c)
  end
  out(string.format('e2e: %d passed, %d failed', passes, failures))
  if failures == 0 then
    vim.cmd('qall!')
  else
    vim.cmd('cquit 1')
  end
end

-- Raw publishDiagnostics notifications, to check the protocol positions before Neovim converts them.
local raw_diagnostics = {}
local publish_count = 0
local last_publish = 0
local publish = vim.lsp.handlers['textDocument/publishDiagnostics']
vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
  if result then
    raw_diagnostics[result.uri] = result.diagnostics
    publish_count = publish_count + 1
    last_publish = uv.now()
  end
  return publish(err, result, ctx, config)
end

--- Waits for the diagnostics that follow an edit: at least one new publication, then a quiet 400 ms.
local function settle(since)
  return vim.wait(TIMEOUT, function()
    return publish_count > since and uv.now() - last_publish >= 400
  end, 50)
end

local function errors(list)
  local out = {}
  for _, d in ipairs(list or {}) do
    if d.severity == 1 then
      table.insert(out, d)
    end
  end
  return out
end

local function summary(list)
  local parts = {}
  for _, d in ipairs(list or {}) do
    table.insert(parts, string.format('%s %s at %d:%d', tostring(d.code), (d.message:gsub('\n.*', '')), d.range.start.line, d.range.start.character))
  end
  return #parts == 0 and 'none' or table.concat(parts, '; ')
end

local function buf_clients(buf)
  if vim.lsp.get_clients then
    return vim.lsp.get_clients({ bufnr = buf })
  end
  return vim.lsp.buf_get_clients(buf)
end

-- notice a server that dies instead of waiting for the timeout
local server_exit
require('rubric').config.on_exit = function(code, signal)
  server_exit = string.format('exit code %s, signal %s', tostring(code), tostring(signal))
end

vim.cmd('edit ' .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local uri = vim.uri_from_bufnr(buf)

if vim.bo[buf].filetype == 'rubric' then
  pass('filetype', '`.rubric` opens as filetype rubric')
else
  fail('filetype', string.format('expected `rubric`, got `%s`', vim.bo[buf].filetype))
end

local client
vim.wait(TIMEOUT, function()
  if server_exit then
    return true
  end
  local list = buf_clients(buf)
  for _, c in pairs(list) do
    if c.name == 'rubric' and c.initialized ~= false and c.server_capabilities then
      client = c
      return true
    end
  end
  return false
end, 50)
if not client then
  if server_exit then
    fail('server starts', '`rubric lsp` exited at once (' .. server_exit .. '); its stderr is in the LSP log below')
  else
    fail('server starts', 'no `rubric` client attached within ' .. TIMEOUT .. ' ms (see the LSP log below)')
  end
  return finish()
end
local caps = client.server_capabilities or {}
pass('server starts', string.format('offset encoding %s', client.offset_encoding))

local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

--- The 0-based line and byte column of the `nth` occurrence of `needle` as a whole word.
local function find(needle, nth, from_line)
  nth = nth or 1
  local seen = 0
  for i = (from_line or 1), #lines do
    -- code only: skip comment lines and everything after a trailing `//`
    local code = lines[i]:match('^%s*//') and '' or (lines[i]:match('^(.-)%s//') or lines[i])
    local start = 1
    while true do
      local s, e = code:find(needle, start, true)
      if not s then
        break
      end
      local before = s > 1 and code:sub(s - 1, s - 1) or ''
      local after = code:sub(e + 1, e + 1)
      if not before:match('[%w_]') and not after:match('[%w_]') then
        seen = seen + 1
        if seen == nth then
          return i - 1, s - 1
        end
      end
      start = e + 1
    end
  end
  return nil
end

--- A byte column on a line, in the client's offset encoding (UTF-16 unless the server chose otherwise).
local function encode_col(line, byte_col)
  return utf_index(lines[line + 1], byte_col, client.offset_encoding)
end

local function position(line, byte_col)
  return { line = line, character = encode_col(line, byte_col) }
end

local function request(method, params)
  local responses, err = vim.lsp.buf_request_sync(buf, method, params, TIMEOUT)
  if not responses then
    return nil, 'no answer: ' .. tostring(err)
  end
  for _, r in pairs(responses) do
    if r.err then
      return nil, 'error: ' .. vim.inspect(r.err)
    end
    return r.result
  end
  return nil, 'no answer'
end

-- 1. diagnostics: the misspelt field is reported where it is, on a line with Chinese text before it
local typo_line, typo_col = find('revnue')
assert(typo_line, 'the fixture copy has no `revnue`')
local want_char = encode_col(typo_line, typo_col)

local got = vim.wait(TIMEOUT, function()
  return raw_diagnostics[uri] ~= nil and #raw_diagnostics[uri] > 0
end, 50)
if not got then
  fail('diagnostics', 'no diagnostics published for the misspelt field within ' .. TIMEOUT .. ' ms')
else
  local d
  settle(0)
  for _, x in ipairs(raw_diagnostics[uri]) do
    if tostring(x.message):find('revnue', 1, true) then
      d = x
    end
  end
  if not d then
    fail('diagnostics', 'no diagnostic mentions `revnue`: ' .. vim.inspect(raw_diagnostics[uri]))
  else
    info('message: ' .. d.message:gsub('\n', ' | '))
    local r = d.range
    local problems = {}
    local errs = errors(raw_diagnostics[uri])
    if #errs ~= 1 then
      table.insert(problems, string.format('expected exactly 1 error, got %d: %s', #errs, summary(errs)))
    end
    if d.code ~= 'unknown-name' then
      table.insert(problems, string.format('code is %s, expected `unknown-name`', vim.inspect(d.code)))
    end
    if d.severity ~= 1 then
      table.insert(problems, string.format('severity is %s, expected 1 (error)', vim.inspect(d.severity)))
    end
    if r.start.line ~= typo_line or r.start.character ~= want_char then
      table.insert(
        problems,
        string.format('starts at %d:%d, expected %d:%d', r.start.line, r.start.character, typo_line, want_char)
      )
    end
    if r['end'].line ~= typo_line or r['end'].character ~= want_char + 6 then
      table.insert(
        problems,
        string.format('ends at %d:%d, expected %d:%d', r['end'].line, r['end'].character, typo_line, want_char + 6)
      )
    end
    if #problems == 0 then
      pass(
        'diagnostics',
        string.format('`unknown-name` error at %d:%d-%d (byte column %d)', typo_line, want_char, want_char + 6, typo_col)
      )
    else
      fail('diagnostics', table.concat(problems, '; '))
    end
  end
  -- the same diagnostic as Neovim shows it, in byte columns
  local shown = vim.diagnostic.get(buf, { severity = vim.diagnostic.severity.ERROR })
  local ok = #shown == 1 and shown[1].lnum == typo_line and shown[1].col == typo_col and shown[1].end_col == typo_col + 6
  if ok then
    pass('diagnostics in the buffer', string.format('squiggle under `revnue` at byte column %d', typo_col))
  else
    fail('diagnostics in the buffer', 'vim.diagnostic.get gave ' .. vim.inspect(shown))
  end
end

-- 2. completion: field names are offered inside an expression
if not caps.completionProvider then
  fail('completion', 'the server does not advertise completion')
else
  local result, err = request('textDocument/completion', {
    textDocument = { uri = uri },
    position = position(typo_line, typo_col + 3), -- after `rev` in `revnue`
    context = { triggerKind = 1 },
  })
  local items = result and (result.items or result) or {}
  local labels = {}
  local revenue_item
  for _, it in ipairs(items) do
    table.insert(labels, it.label)
    if it.label == 'revenue' then
      revenue_item = it
    end
  end
  if revenue_item then
    pass(
      'completion',
      string.format('%d items, `revenue` among them (kind %s)', #items, tostring(revenue_item.kind))
    )
  else
    fail('completion', (err or 'no `revenue` item') .. '; labels: ' .. table.concat(labels, ', '))
  end
end

-- 3. hover: a field use shows the field's type
local use_line, use_col = find('revenue', 1, (find('let')) + 1) -- `let margin = profit / revenue`
if not caps.hoverProvider then
  fail('hover', 'the server does not advertise hover')
elseif not use_line then
  fail('hover', 'fixture has no `revenue` after the first `let`')
else
  local result, err = request('textDocument/hover', {
    textDocument = { uri = uri },
    position = position(use_line, use_col + 2),
  })
  local text = ''
  if result and result.contents then
    local c = result.contents
    if type(c) == 'string' then
      text = c
    elseif c.value then
      text = c.value
    else
      for _, part in ipairs(c) do
        text = text .. '\n' .. (type(part) == 'string' and part or part.value or '')
      end
    end
  end
  if text:find('decimal', 1, true) and text:find('revenue', 1, true) then
    pass('hover', 'mentions `revenue` and its type `decimal`')
    info('hover: ' .. text:gsub('\n', ' | '))
  else
    fail('hover', (err or 'hover text lacks `revenue` or `decimal`') .. ': ' .. vim.inspect(result))
  end
end

-- 4. fixing the typo clears the error (warnings such as unused names may remain)
local before_fix = publish_count
vim.api.nvim_buf_set_text(buf, typo_line, typo_col, typo_line, typo_col + 6, { 'revenue' })
lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
settle(before_fix)
if #errors(raw_diagnostics[uri]) == 0 and not summary(raw_diagnostics[uri]):find('revnue', 1, true) then
  pass('error clears after the fix', 'no error once `revnue` is corrected')
  info('other diagnostics: ' .. summary(raw_diagnostics[uri]))
else
  fail('error clears after the fix', 'still: ' .. summary(raw_diagnostics[uri]))
end

-- 5. rename: the field, from its declaration, everywhere it is used
local decl_line, decl_col = find('revenue') -- `revenue     decimal   "营业额"` in input
local uses = {}
for n = 1, 100 do
  local l, c = find('revenue', n)
  if not l then
    break
  end
  table.insert(uses, { l, c })
end
if not caps.renameProvider then
  fail('rename', 'the server does not advertise rename')
else
  local edit, err = request('textDocument/rename', {
    textDocument = { uri = uri },
    position = position(decl_line, decl_col + 1),
    newName = 'turnover',
  })
  if not edit then
    fail('rename', err or 'no workspace edit')
  else
    local edits = {}
    if edit.changes then
      edits = edit.changes[uri] or {}
    elseif edit.documentChanges then
      for _, dc in ipairs(edit.documentChanges) do
        if dc.textDocument and dc.textDocument.uri == uri then
          vim.list_extend(edits, dc.edits)
        end
      end
    end
    -- every edit replaces exactly one whole-word `revenue` with `turnover`
    local problems = {}
    local edited = {}
    for _, e in ipairs(edits) do
      local l = e.range.start.line
      local text = lines[l + 1] or ''
      local byte_start = byte_index(text, e.range.start.character, client.offset_encoding)
      local byte_end = byte_index(text, e.range['end'].character, client.offset_encoding)
      local old = text:sub(byte_start + 1, byte_end)
      if old ~= 'revenue' or e.newText ~= 'turnover' then
        table.insert(problems, string.format('line %d: replaces `%s` with `%s`', l, old, e.newText))
      end
      edited[l .. ':' .. byte_start] = true
    end
    -- the declaration, `let margin`, the three grade rules; test records may or may not be renamed
    local must = { { decl_line, decl_col }, { use_line, use_col } }
    for _, u in ipairs(uses) do
      if lines[u[1] + 1]:find('cumulative_share', 1, true) then
        table.insert(must, u)
      end
    end
    for _, m in ipairs(must) do
      if not edited[m[1] .. ':' .. m[2]] then
        table.insert(problems, string.format('`revenue` at %d:%d is not renamed: %s', m[1], m[2], vim.trim(lines[m[1] + 1])))
      end
    end
    if #must < 5 then
      table.insert(problems, 'fixture changed: expected 3 grade rules using `revenue`')
    end
    if #problems == 0 then
      pass('rename', string.format('%d edits, all `revenue` -> `turnover`, covering the declaration and every use', #edits))
      info(string.format('%d of the %d occurrences in code renamed', #edits, #uses))
      -- apply it and check the scheme still checks clean
      local before_rename = publish_count
      vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding)
      local applied = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n')
      local settled = settle(before_rename)
      local errs = errors(raw_diagnostics[uri])
      if not applied:find('profit / turnover', 1, true) then
        fail('rename keeps the scheme valid', 'the edit did not apply: no `profit / turnover` in the buffer')
      elseif not settled then
        fail('rename keeps the scheme valid', 'no diagnostics published after the rename')
      elseif #errs > 0 then
        fail('rename keeps the scheme valid', 'errors after the rename: ' .. summary(errs))
      else
        pass('rename keeps the scheme valid', 'no errors after applying the rename')
      end
    else
      fail('rename', table.concat(problems, '; '))
    end
  end
end

-- 6. signature help inside a call, from Neovim's own request (the edits above were sent as
-- incremental changes)
do
  lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local l, c = find('cumulative_share')
  if not l then
    fail('signature help', 'no `cumulative_share` in the fixture')
  else
    local result, err = request('textDocument/signatureHelp', {
      textDocument = { uri = uri },
      position = position(l, c + #'cumulative_share('),
    })
    local sig = result and result.signatures and result.signatures[(result.activeSignature or 0) + 1]
    if not sig then
      fail('signature help', 'no signature: ' .. tostring(err or vim.inspect(result)))
    elseif sig.label ~= 'cumulative_share(x: number) -> decimal' then
      fail('signature help', 'unexpected signature ' .. vim.inspect(sig.label))
    else
      pass('signature help', sig.label)
    end
  end
end

-- 7. syntax: numbers with 万/亿 and full-width digits are numbers; names with digits are not
do
  local text = {
    'let a = 5万 + 1.5亿 + ５０００ + ５万 + 50% + ５０％ + 30d + ３０d',
    'let b = 50万元 + 营业额5万 + x5 + 12abc',
  }
  local expect = {
    { 1, '5万', 0, 'rubricNumber' },
    { 1, '5万', #'5', 'rubricNumber' },
    { 1, '1.5亿', #'1.5', 'rubricNumber' },
    { 1, '５０００', 0, 'rubricNumber' },
    { 1, '５０００', #'５００', 'rubricNumber' },
    { 1, '５万', #'５', 'rubricNumber' },
    { 1, '50%', #'50', 'rubricPercent' },
    { 1, '５０％', #'５０', 'rubricPercent' },
    { 1, '30d', 0, 'rubricDuration' },
    { 1, '３０d', #'３０', 'rubricDuration' },
    { 2, '50万元', 0, 'rubricNumber' },
    { 2, '50万元', #'50', '' },
    { 2, '营业额5万', #'营业额', '' },
    { 2, 'x5', 1, '' },
    { 2, '12abc', 0, '' },
  }
  local sbuf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(sbuf, 0, -1, false, text)
  local win = vim.api.nvim_get_current_win()
  vim.api.nvim_win_set_buf(win, sbuf)
  vim.bo[sbuf].syntax = 'rubric'
  local wrong = {}
  for _, e in ipairs(expect) do
    local line, needle, off, want = e[1], e[2], e[3], e[4]
    local s = text[line]:find(needle, 1, true)
    local got = vim.fn.synIDattr(vim.fn.synID(line, s + off, 1), 'name')
    if got ~= want then
      table.insert(wrong, string.format('%q byte %d: %q, expected %q', needle, off, got, want))
    end
  end
  vim.api.nvim_win_set_buf(win, buf)
  if #wrong == 0 then
    pass('syntax: numbers', string.format('%d tokens (万/亿, full-width digits)', #expect))
  else
    fail('syntax: numbers', table.concat(wrong, '; '))
  end
end

-- 8. the server shuts down when asked
-- (Neovim sends `shutdown`, then `exit`, and keeps the server's stdin open until the process ends)
local stop_started = uv.now()
stop_client(client)
local stopped = vim.wait(TIMEOUT, function()
  return client_stopped(client)
end, 50)
if stopped then
  pass('shutdown', string.format('the server exits on shutdown/exit (%d ms)', uv.now() - stop_started))
else
  fail(
    'shutdown',
    string.format(
      'the server is still running %d ms after shutdown/exit; it must exit on `exit` while its stdin is still open',
      uv.now() - stop_started
    )
  )
end

finish()
