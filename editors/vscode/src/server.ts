// Finding the `rubric` binary that serves `rubric lsp`. This module knows nothing of the VS Code API,
// so the discovery order can be tested with plain Node.

import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Where a candidate binary came from, in the order they are tried. */
export type Source = 'setting' | 'bundled' | 'PATH';

export interface Candidate {
  source: Source;
  path: string;
  /** Why this candidate is not even tried. */
  refused?: string;
}

/** A candidate that was tried, with what `--version` said or why it failed. */
export interface Attempt extends Candidate {
  ok: boolean;
  detail: string;
}

export interface Found {
  path: string;
  source: Source;
  version: string;
  attempts: Attempt[];
}

export interface NotFound {
  attempts: Attempt[];
}

export interface DiscoveryOptions {
  /** The `rubric.server.path` setting, if any (may start with `~`, may be relative). */
  configured?: string | null;
  /** The folder that a relative `rubric.server.path` is resolved against. */
  baseDir?: string;
  /**
   * Whether the workspace is trusted (default true). In an untrusted workspace a relative
   * `rubric.server.path` is refused: resolved against the workspace folder, it would run a binary
   * that the workspace chose.
   */
  trusted?: boolean;
  /** The extension's install folder: the bundled binary is `<dir>/server/rubric[.exe]`. */
  extensionDir: string;
  platform?: NodeJS.Platform;
  env?: NodeJS.ProcessEnv;
  /** How long `<bin> --version` may take, in milliseconds. */
  timeoutMs?: number;
}

export const INSTALL_HINT =
  'install the extension built for your platform, which bundles it, or install the CLI ' +
  '(`pip install` the rubric-cli wheel, or `cargo install --path crates/rubric-cli` in the Rubric repository) ' +
  'or set `rubric.server.path` to the `rubric` binary';

export function binaryName(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'rubric.exe' : 'rubric';
}

/** Expands a leading `~` and resolves a relative path against `baseDir`. */
export function resolveConfiguredPath(configured: string, baseDir?: string): string {
  let p = configured.trim();
  if (p === '~' || p.startsWith('~/') || p.startsWith('~\\')) {
    p = path.join(os.homedir(), p.slice(1));
  }
  if (!path.isAbsolute(p) && baseDir && (p.includes('/') || p.includes('\\'))) {
    p = path.resolve(baseDir, p);
  }
  return p;
}

/** The first executable file named `name` in the PATH of `env`, if any. */
export function searchPath(name: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  const raw = env.PATH ?? env.Path ?? '';
  const sep = platform === 'win32' ? ';' : ':';
  for (const dir of raw.split(sep)) {
    if (!dir) continue;
    const full = path.join(dir, name);
    if (isExecutableFile(full, platform)) return full;
  }
  return undefined;
}

function isExecutableFile(p: string, platform: NodeJS.Platform): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    if (platform !== 'win32') fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The candidates in discovery order: the setting, the bundled binary, then `PATH`. */
export function candidates(opts: DiscoveryOptions): Candidate[] {
  const platform = opts.platform ?? process.platform;
  const env = opts.env ?? process.env;
  const out: Candidate[] = [];
  if (opts.configured && opts.configured.trim() !== '') {
    const trusted = opts.trusted ?? true;
    const p = resolveConfiguredPath(opts.configured, trusted ? opts.baseDir : undefined);
    if (!trusted && !path.isAbsolute(p) && (p.includes('/') || p.includes('\\'))) {
      out.push({ source: 'setting', path: p, refused: 'a relative path is not used in an untrusted workspace' });
    } else {
      // a bare name such as `rubric-nightly` is looked up on PATH, as a shell would
      const onPath = !p.includes('/') && !p.includes('\\') ? searchPath(p, env, platform) : undefined;
      out.push({ source: 'setting', path: onPath ?? p });
    }
  }
  out.push({ source: 'bundled', path: path.join(opts.extensionDir, 'server', binaryName(platform)) });
  const fromPath = searchPath(binaryName(platform), env, platform);
  if (fromPath) out.push({ source: 'PATH', path: fromPath });
  return out;
}

/** Runs `<bin> --version`; resolves to the first line of its output, or rejects with the reason. */
export function probeVersion(bin: string, timeoutMs = 10_000, env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(bin, ['--version'], { timeout: timeoutMs, env: env ?? process.env, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(new Error('no such file'));
        if (code === 'EACCES') return reject(new Error('not executable'));
        if (err.killed) return reject(new Error(`\`--version\` did not answer within ${timeoutMs} ms`));
        const said = (stderr || stdout).trim().split(/\r?\n/)[0] ?? '';
        return reject(new Error(`\`--version\` failed${said ? `: ${said}` : ''}`));
      }
      const line = stdout.trim().split(/\r?\n/)[0] ?? '';
      if (line === '') return reject(new Error('`--version` printed nothing'));
      resolve(line);
    });
  });
}

/** Tries every candidate in order and returns the first whose `--version` works. */
export async function findServer(opts: DiscoveryOptions): Promise<Found | NotFound> {
  const platform = opts.platform ?? process.platform;
  const attempts: Attempt[] = [];
  for (const c of candidates(opts)) {
    if (c.refused) {
      const { refused, ...candidate } = c;
      attempts.push({ ...candidate, ok: false, detail: refused });
      continue;
    }
    if (c.source === 'bundled' && !isExecutableFile(c.path, platform)) {
      attempts.push({ ...c, ok: false, detail: 'not bundled' });
      continue;
    }
    try {
      const version = await probeVersion(c.path, opts.timeoutMs, opts.env);
      attempts.push({ ...c, ok: true, detail: version });
      return { path: c.path, source: c.source, version, attempts };
    } catch (e) {
      attempts.push({ ...c, ok: false, detail: e instanceof Error ? e.message : String(e) });
    }
  }
  if (!attempts.some((a) => a.source === 'PATH')) {
    attempts.push({ source: 'PATH', path: binaryName(platform), ok: false, detail: 'not found on PATH' });
  }
  return { attempts };
}

export function isFound(r: Found | NotFound): r is Found {
  return (r as Found).path !== undefined;
}

/** A multi-line account of the discovery, for the output channel. */
export function describeAttempts(attempts: Attempt[]): string {
  return attempts.map((a) => `  ${a.ok ? 'ok  ' : 'fail'} ${a.source}: ${a.path} (${a.detail})`).join('\n');
}
