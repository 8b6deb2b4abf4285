import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import { candidates, findServer, Found, isFound, NotFound, resolveConfiguredPath } from '../server';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rubric-discovery-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** Writes an executable shell script standing in for a `rubric` binary. */
function fakeBinary(dir: string, name: string, body: string, mode = 0o755): string {
  fs.mkdirSync(dir, { recursive: true });
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, mode);
  return p;
}

const good = (label: string) => `if [ "$1" = --version ]; then echo "rubric 0.1.0 (${label})"; exit 0; fi; exit 3`;
const broken = 'echo "error: this build is broken" >&2; exit 1';

function found(r: Found | NotFound): Found {
  assert.ok(isFound(r), `expected a server, got attempts ${JSON.stringify(r.attempts)}`);
  return r;
}

describe('server discovery', () => {
  const ext = path.join(root, 'ext');
  const pathDir = path.join(root, 'bin');
  const onPath = fakeBinary(pathDir, 'rubric', good('path'));
  const env = { PATH: `${path.join(root, 'empty')}:${pathDir}` };

  it('tries the setting, then the bundled binary, then PATH', () => {
    const list = candidates({ configured: '/opt/rubric', extensionDir: ext, platform: 'linux', env });
    assert.deepEqual(
      list.map((c) => [c.source, c.path]),
      [
        ['setting', '/opt/rubric'],
        ['bundled', path.join(ext, 'server', 'rubric')],
        ['PATH', onPath],
      ],
    );
  });

  it('bundles rubric.exe on windows', () => {
    const list = candidates({ extensionDir: ext, platform: 'win32', env: { PATH: '' } });
    assert.deepEqual(list, [{ source: 'bundled', path: path.join(ext, 'server', 'rubric.exe') }]);
  });

  it('uses PATH when nothing else is there', async () => {
    const r = found(await findServer({ extensionDir: ext, platform: 'linux', env }));
    assert.equal(r.source, 'PATH');
    assert.equal(r.path, onPath);
    assert.equal(r.version, 'rubric 0.1.0 (path)');
    assert.deepEqual(
      r.attempts.map((a) => [a.source, a.ok, a.detail]),
      [
        ['bundled', false, 'not bundled'],
        ['PATH', true, 'rubric 0.1.0 (path)'],
      ],
    );
  });

  it('prefers a bundled binary to PATH', async () => {
    const ext2 = path.join(root, 'ext2');
    const bundled = fakeBinary(path.join(ext2, 'server'), 'rubric', good('bundled'));
    const r = found(await findServer({ extensionDir: ext2, platform: 'linux', env }));
    assert.equal(r.source, 'bundled');
    assert.equal(r.path, bundled);
  });

  it('prefers the setting to everything else', async () => {
    const mine = fakeBinary(path.join(root, 'mine'), 'rubric-dev', good('setting'));
    const r = found(await findServer({ configured: mine, extensionDir: ext, platform: 'linux', env }));
    assert.equal(r.source, 'setting');
    assert.equal(r.version, 'rubric 0.1.0 (setting)');
  });

  it('resolves a relative setting against the workspace folder', async () => {
    const ws = path.join(root, 'ws');
    fakeBinary(path.join(ws, 'target', 'debug'), 'rubric', good('workspace'));
    const r = found(
      await findServer({ configured: 'target/debug/rubric', baseDir: ws, extensionDir: ext, platform: 'linux', env }),
    );
    assert.equal(r.path, path.join(ws, 'target', 'debug', 'rubric'));
    assert.equal(r.version, 'rubric 0.1.0 (workspace)');
  });

  it('refuses a relative setting in an untrusted workspace, and uses the next candidate', async () => {
    const ws = path.join(root, 'ws-untrusted');
    fakeBinary(path.join(ws, 'bin'), 'rubric', good('from the workspace'));
    const r = found(
      await findServer({ configured: 'bin/rubric', baseDir: ws, extensionDir: ext, platform: 'linux', env, trusted: false }),
    );
    assert.equal(r.source, 'PATH');
    assert.deepEqual(r.attempts[0], {
      source: 'setting',
      path: 'bin/rubric',
      ok: false,
      detail: 'a relative path is not used in an untrusted workspace',
    });
  });

  it('expands ~ in the setting', () => {
    assert.equal(resolveConfiguredPath('~/bin/rubric'), path.join(os.homedir(), 'bin', 'rubric'));
  });

  it('skips a setting whose --version fails and says why', async () => {
    const bad = fakeBinary(path.join(root, 'bad'), 'rubric', broken);
    const r = found(await findServer({ configured: bad, extensionDir: ext, platform: 'linux', env }));
    assert.equal(r.source, 'PATH');
    const first = r.attempts[0];
    assert.equal(first.source, 'setting');
    assert.equal(first.ok, false);
    assert.match(first.detail, /--version` failed: error: this build is broken/);
  });

  it('rejects a file that is not executable', async () => {
    const plain = fakeBinary(path.join(root, 'plain'), 'rubric', good('plain'), 0o644);
    const r = await findServer({ configured: plain, extensionDir: ext, platform: 'linux', env: { PATH: '' } });
    assert.ok(!isFound(r));
    assert.equal(r.attempts[0].detail, 'not executable');
  });

  it('reports every attempt when nothing works', async () => {
    const r = await findServer({
      configured: path.join(root, 'nowhere', 'rubric'),
      extensionDir: ext,
      platform: 'linux',
      env: { PATH: path.join(root, 'empty') },
    });
    assert.ok(!isFound(r));
    assert.deepEqual(
      r.attempts.map((a) => [a.source, a.ok, a.detail]),
      [
        ['setting', false, 'no such file'],
        ['bundled', false, 'not bundled'],
        ['PATH', false, 'not found on PATH'],
      ],
    );
  });

  it('gives up on a binary that hangs', async () => {
    const slow = fakeBinary(path.join(root, 'slow'), 'rubric', 'exec /bin/sleep 30');
    const r = await findServer({ configured: slow, extensionDir: ext, platform: 'linux', env: { PATH: '' }, timeoutMs: 300 });
    assert.ok(!isFound(r));
    assert.match(r.attempts[0].detail, /did not answer within 300 ms/);
  });
});
