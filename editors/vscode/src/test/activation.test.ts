// The extension as VS Code runs it, against a stand-in `vscode` module (tests/fake-vscode) and a
// stand-in `rubric` binary (tests/fake-rubric.js): activation, the language client's handshake with
// the server, the error when there is no server, and the Run tests command.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const Module = require('module');
const root = path.join(__dirname, '..', '..');
const fakeVscodePath = path.join(root, 'tests', 'fake-vscode', 'vscode', 'index.js');
const fakeRubric = path.join(root, 'tests', 'fake-rubric.js');

const originalResolve = Module._resolveFilename;
Module._resolveFilename = function (request: string, ...rest: unknown[]) {
  if (request === 'vscode') return fakeVscodePath;
  return originalResolve.call(this, request, ...rest);
};

interface Recorded {
  kind: string;
  level?: string;
  message?: string;
  items?: string[];
  name?: string;
  channel?: string;
  text?: string;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const vscode = require('vscode');
const fake: {
  recorded: Recorded[];
  config: Record<string, unknown>;
  userConfig: Record<string, unknown>;
  commands: Map<string, () => Promise<void>>;
  state: { notificationAnswer: () => Promise<unknown>; workspaceFolders: unknown; isTrusted: boolean };
} = vscode.__fake;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const extension = require('../extension');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'rubric-activation-'));
const context = () => ({ subscriptions: [] as { dispose(): void }[], extensionPath: path.join(tmp, 'ext') });

function reset(config: Record<string, unknown>) {
  fake.recorded.length = 0;
  for (const k of Object.keys(fake.config)) delete fake.config[k];
  for (const k of Object.keys(fake.userConfig)) delete fake.userConfig[k];
  Object.assign(fake.config, config);
  fake.state.isTrusted = true;
  fake.state.notificationAnswer = () => Promise.resolve(undefined);
  fake.state.workspaceFolders = undefined;
}
const output = (channel: string) =>
  fake.recorded
    .filter((r) => r.kind === 'output' && r.channel === channel)
    .map((r) => r.text)
    .join('');
const notifications = () => fake.recorded.filter((r) => r.kind === 'notification');

/** Resolves to the promise's value, or rejects if it takes longer than `ms`. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not done within ${ms} ms`)), ms))]);
}

before(() => fs.chmodSync(fakeRubric, 0o755));
after(() => {
  Module._resolveFilename = originalResolve;
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('activation', () => {
  it('starts the configured server and completes the LSP handshake', async () => {
    reset({ 'rubric.server.path': fakeRubric, 'rubric.trace.server': 'messages' });
    await within(10_000, extension.activate(context()));
    const commands = fake.recorded.filter((r) => r.kind === 'command').map((r) => r.name);
    assert.deepEqual(commands, ['rubric.runTests', 'rubric.restartServer']);
    const log = output('Rubric Language Server');
    assert.match(log, new RegExp(`using ${fakeRubric.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(setting\\): rubric 0\\.0\\.0-fake`));
    assert.match(log, /Received response 'initialize - \(0\)'/);
    assert.deepEqual(notifications(), []);
    await within(10_000, extension.deactivate());
  });

  it('in an untrusted workspace, runs the user\'s server, not the one the workspace settings name', async () => {
    const marker = path.join(tmp, 'workspace-binary-ran');
    const planted = path.join(tmp, 'planted', 'rubric');
    fs.mkdirSync(path.dirname(planted), { recursive: true });
    fs.writeFileSync(planted, `#!/bin/sh\ntouch '${marker}'\necho 'rubric 6.6.6'\n`);
    fs.chmodSync(planted, 0o755);
    reset({ 'rubric.server.path': planted, 'rubric.server.extraArgs': ['--not-an-option'], 'rubric.trace.server': 'messages' });
    fake.userConfig['rubric.server.path'] = fakeRubric;
    fake.state.isTrusted = false;
    await within(10_000, extension.activate(context()));
    const log = output('Rubric Language Server');
    assert.match(log, /the workspace's `rubric\.server\.path` is not used: the workspace is not trusted/);
    assert.match(log, /the workspace's `rubric\.server\.extraArgs` is not used/);
    assert.match(log, /\(setting\): rubric 0\.0\.0-fake/);
    assert.match(log, /Received response 'initialize - \(0\)'/);
    assert.ok(!fs.existsSync(marker), 'the binary the workspace named was run');
    assert.deepEqual(notifications(), []);
    await within(10_000, extension.deactivate());
  });

  it('says how to install the CLI when no server works, without holding up activation', async () => {
    const savedPath = process.env.PATH;
    process.env.PATH = path.join(tmp, 'empty');
    try {
      reset({ 'rubric.server.path': path.join(tmp, 'missing', 'rubric') });
      fake.state.notificationAnswer = () => new Promise(() => {}); // the user never answers
      await within(10_000, extension.activate(context()));
    } finally {
      process.env.PATH = savedPath;
    }
    const [n, ...rest] = notifications();
    assert.equal(rest.length, 0);
    assert.equal(n.level, 'error');
    assert.match(n.message ?? '', /no working `rubric` binary found/);
    assert.match(n.message ?? '', /cargo install --path crates\/rubric-cli/);
    assert.match(n.message ?? '', /rubric\.server\.path/);
    assert.deepEqual(n.items, ['Open Settings', 'Show Details']);
    const log = output('Rubric Language Server');
    assert.match(log, /fail setting: .*missing\/rubric \(no such file\)/);
    assert.match(log, /fail bundled: .*server\/rubric \(not bundled\)/);
    assert.match(log, /fail PATH: rubric \(not found on PATH\)/);
    await extension.deactivate();
  });
});

describe('Rubric: Run tests', () => {
  const dir = path.join(tmp, 'ws');
  const folder = { uri: { scheme: 'file', path: dir, fsPath: dir, toString: () => `file://${dir}` }, name: 'ws', index: 0 };
  before(() => fs.mkdirSync(folder.uri.fsPath, { recursive: true }));

  async function run(testOutput: string, code: number) {
    reset({ 'rubric.server.path': fakeRubric });
    fake.state.workspaceFolders = [folder];
    process.env.FAKE_RUBRIC_TEST_OUTPUT = testOutput;
    process.env.FAKE_RUBRIC_TEST_CODE = String(code);
    try {
      await within(10_000, extension.activate(context()));
      fake.recorded.length = 0;
      await within(10_000, fake.commands.get('rubric.runTests')!());
    } finally {
      delete process.env.FAKE_RUBRIC_TEST_OUTPUT;
      delete process.env.FAKE_RUBRIC_TEST_CODE;
      await extension.deactivate();
    }
  }

  it('runs `rubric test <folder>`, shows its output and notifies the failure count', async () => {
    await run('tiers.rubric: test "gold" failed\n  expect tier == gold: actual silver\n3 passed, 1 failed\n', 1);
    const shown = output('Rubric Tests');
    assert.ok(shown.startsWith(`$ ${fakeRubric} test ${folder.uri.fsPath}\n`), shown);
    assert.match(shown, /expect tier == gold: actual silver\n3 passed, 1 failed\n/);
    assert.deepEqual(
      notifications().map((n) => [n.level, n.message]),
      [['error', 'Rubric tests: 3 passed, 1 failed']],
    );
  });

  it('notifies success when everything passed', async () => {
    await run('4 passed, 0 failed\n', 0);
    assert.deepEqual(
      notifications().map((n) => [n.level, n.message]),
      [['info', 'Rubric tests: 4 passed, 0 failed']],
    );
  });
});
