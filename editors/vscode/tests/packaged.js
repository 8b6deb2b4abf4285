#!/usr/bin/env node
// The extension as installed from its platform .vsix, outside VS Code (through the stand-in
// `vscode` module): EXTENSION_DIR is the .vsix's `extension/` folder, unpacked, with its compiled
// code, its node_modules and its bundled `server/rubric`.
//
// 1. With no setting and no `rubric` on PATH, activation finds the bundled server, completes the
//    LSP handshake with it, and Rubric: Run tests over FOLDER ends with the notification EXPECTED.
// 2. In an untrusted workspace whose settings name a binary inside the workspace (and extra
//    arguments), that binary never runs: the bundled server does, without those arguments.
//
// Usage: node tests/packaged.js EXTENSION_DIR FOLDER "Rubric tests: 3 passed, 0 failed"
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const Module = require('module');

const [extensionDir, folder, expected] = process.argv.slice(2);
if (!extensionDir || !folder || !expected) {
  console.error('usage: packaged.js EXTENSION_DIR FOLDER EXPECTED_NOTIFICATION');
  process.exit(2);
}
const fakeVscode = path.join(__dirname, 'fake-vscode', 'vscode', 'index.js');
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? fakeVscode : resolve.call(this, request, ...rest);
};
const fake = require('vscode').__fake;
const extDir = path.resolve(extensionDir);
const extension = require(path.join(extDir, 'out', 'extension.js'));
const bundled = path.join(extDir, 'server', 'rubric');

// no `rubric` anywhere on PATH: only the bundled one can be found
process.env.PATH = '/usr/bin:/bin';

function check(ok, what) {
  console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  if (!ok) process.exitCode = 1;
}
const log = () =>
  fake.recorded
    .filter((r) => r.kind === 'output' && r.channel === 'Rubric Language Server')
    .map((r) => r.text)
    .join('');
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function workspace(dir) {
  const uri = { scheme: 'file', path: dir, fsPath: dir, toString: () => `file://${dir}` };
  return [{ uri, name: path.basename(dir), index: 0 }];
}

(async () => {
  // 1. the bundled server
  Object.assign(fake.config, { 'rubric.trace.server': 'messages' });
  const dir = path.resolve(folder);
  fake.state.workspaceFolders = workspace(dir);
  await extension.activate({ subscriptions: [], extensionPath: extDir });
  check(
    new RegExp(`using ${esc(bundled)} \\(bundled\\): rubric \\d`).test(log()),
    `finds the bundled server at ${bundled}`,
  );
  check(/Received response 'initialize - \(0\)'/.test(log()), 'the language client completes the handshake with the bundled `rubric lsp`');
  fake.recorded.length = 0;
  await fake.commands.get('rubric.runTests')();
  const notes = fake.recorded.filter((r) => r.kind === 'notification').map((r) => `[${r.level}] ${r.message}`);
  check(notes.length === 1 && notes[0] === `[info] ${expected}`, `Run tests with it notifies "${expected}" (got ${JSON.stringify(notes)})`);
  await extension.deactivate();

  // 2. an untrusted workspace that names its own binary
  const cloned = fs.mkdtempSync(path.join(os.tmpdir(), 'rubric-untrusted-'));
  const marker = path.join(cloned, 'planted-binary-ran');
  const planted = path.join(cloned, 'tools', 'rubric');
  fs.mkdirSync(path.dirname(planted));
  fs.writeFileSync(planted, `#!/bin/sh\ntouch '${marker}'\necho 'rubric 6.6.6'\n`);
  fs.chmodSync(planted, 0o755);
  fake.recorded.length = 0;
  Object.assign(fake.config, { 'rubric.server.path': 'tools/rubric', 'rubric.server.extraArgs': ['--log', '/tmp/x'] });
  fake.state.workspaceFolders = workspace(cloned);
  fake.state.isTrusted = false;
  await extension.activate({ subscriptions: [], extensionPath: extDir });
  check(!fs.existsSync(marker), 'in an untrusted workspace, the binary its settings name never runs');
  check(
    new RegExp(`using ${esc(bundled)} \\(bundled\\)`).test(log()) && /Received response 'initialize - \(0\)'/.test(log()),
    'the bundled server runs instead, without the workspace\'s extra arguments',
  );
  await extension.deactivate();
  fs.rmSync(cloned, { recursive: true, force: true });
  console.log(log().replace(/^/gm, '    '));
  process.exit(process.exitCode ?? 0);
})().catch((e) => {
  console.log(`FAIL ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
