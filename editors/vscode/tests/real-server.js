#!/usr/bin/env node
// The compiled extension against the real `rubric` binary, outside VS Code (through the stand-in
// `vscode` module): activation must complete the LSP handshake with `rubric lsp`, and the command
// Rubric: Run tests over FOLDER must end with the notification EXPECTED.
// Usage: node tests/real-server.js RUBRIC_BIN FOLDER "Rubric tests: 1 passed, 0 failed"
'use strict';
const path = require('path');
const Module = require('module');

const [bin, folder, expected] = process.argv.slice(2);
if (!bin || !folder || !expected) {
  console.error('usage: real-server.js RUBRIC_BIN FOLDER EXPECTED_NOTIFICATION');
  process.exit(2);
}
const fakeVscode = path.join(__dirname, 'fake-vscode', 'vscode', 'index.js');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? fakeVscode : resolve.call(this, request, ...rest);
};
const fake = require('vscode').__fake;
const extension = require('../out/extension');

function check(ok, what) {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}

(async () => {
  Object.assign(fake.config, { 'rubric.server.path': path.resolve(bin), 'rubric.trace.server': 'messages' });
  const dir = path.resolve(folder);
  const uri = { scheme: 'file', path: dir, fsPath: dir, toString: () => `file://${dir}` };
  fake.state.workspaceFolders = [{ uri, name: path.basename(dir), index: 0 }];
  await extension.activate({ subscriptions: [], extensionPath: path.join(__dirname, '..') });
  const log = () => fake.recorded.filter((r) => r.kind === 'output').map((r) => r.text).join('');
  check(/Received response 'initialize - \(0\)'/.test(log()), 'the language client completes the handshake with `rubric lsp`');

  fake.recorded.length = 0;
  await fake.commands.get('rubric.runTests')();
  const notes = fake.recorded.filter((r) => r.kind === 'notification').map((r) => `[${r.level}] ${r.message}`);
  console.log(log().replace(/^/gm, '    '));
  check(notes.length === 1 && notes[0] === `[info] ${expected}`, `Run tests notifies "${expected}" (got ${JSON.stringify(notes)})`);

  await extension.deactivate();
  process.exit(process.exitCode ?? 0);
})().catch((e) => {
  console.log(`FAIL ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
