import { spawn } from 'child_process';
import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';
import { describeAttempts, findServer, Found, INSTALL_HINT, isFound } from './server';
import { outcomeMessage } from './summary';

let client: LanguageClient | undefined;
let serverLog: vscode.OutputChannel;
let testLog: vscode.OutputChannel;
let testRunning = false;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  serverLog = vscode.window.createOutputChannel('Rubric Language Server');
  testLog = vscode.window.createOutputChannel('Rubric Tests');
  context.subscriptions.push(serverLog, testLog);

  context.subscriptions.push(
    vscode.commands.registerCommand('rubric.runTests', () => runTests(context)),
    vscode.commands.registerCommand('rubric.restartServer', () => restart(context)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rubric.server')) void restart(context);
    }),
    // once trusted, the workspace's own `rubric.server.*` settings count
    vscode.workspace.onDidGrantWorkspaceTrust(() => void restart(context)),
  );

  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}

interface ServerSettings {
  configured: string | null | undefined;
  extraArgs: string[];
  trusted: boolean;
}

/**
 * The `rubric.server.*` settings, which choose the program that runs. In an untrusted workspace
 * (Restricted Mode) only the user's own values and the defaults count, never the workspace's:
 * package.json declares both settings in `capabilities.untrustedWorkspaces.restrictedConfigurations`,
 * so VS Code withholds the workspace's values, and this reads the user's values itself as well.
 */
function serverSettings(): ServerSettings {
  const config = vscode.workspace.getConfiguration('rubric');
  const trusted = vscode.workspace.isTrusted !== false;
  if (trusted) {
    return {
      configured: config.get<string | null>('server.path'),
      extraArgs: config.get<string[]>('server.extraArgs') ?? [],
      trusted,
    };
  }
  const own = <T>(key: string): T | undefined => {
    const i = config.inspect<T>(key);
    if (i && (i.workspaceValue !== undefined || i.workspaceFolderValue !== undefined)) {
      serverLog.appendLine(`the workspace's \`rubric.${key}\` is not used: the workspace is not trusted`);
    }
    return i ? (i.globalValue ?? i.defaultValue) : undefined;
  };
  return { configured: own<string | null>('server.path'), extraArgs: own<string[]>('server.extraArgs') ?? [], trusted };
}

/** Finds a working `rubric` binary, or tells the user how to get one and returns undefined. */
async function locateServer(context: vscode.ExtensionContext, settings = serverSettings()): Promise<Found | undefined> {
  const result = await findServer({
    configured: settings.configured,
    baseDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    extensionDir: context.extensionPath,
    trusted: settings.trusted,
  });
  if (isFound(result)) {
    serverLog.appendLine(`using ${result.path} (${result.source}): ${result.version}`);
    const failedSetting = result.attempts.find((a) => a.source === 'setting' && !a.ok);
    if (failedSetting) {
      serverLog.appendLine(`rubric.server.path does not work: ${failedSetting.path} (${failedSetting.detail})`);
      void vscode.window.showWarningMessage(
        `Rubric: \`rubric.server.path\` (${failedSetting.path}) does not work (${failedSetting.detail}); using ${result.path} instead`,
      );
    }
    return result;
  }
  serverLog.appendLine('no working `rubric` binary found; tried:');
  serverLog.appendLine(describeAttempts(result.attempts));
  // not awaited: activation must not wait for the user to dismiss the notification
  void vscode.window
    .showErrorMessage(`Rubric: no working \`rubric\` binary found; ${INSTALL_HINT}`, 'Open Settings', 'Show Details')
    .then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'rubric.server.path');
      } else if (choice === 'Show Details') {
        serverLog.show(true);
      }
    });
  return undefined;
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const settings = serverSettings();
  const found = await locateServer(context, settings);
  if (!found) return;
  const executable = { command: found.path, args: ['lsp', ...settings.extraArgs], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'rubric' },
      { scheme: 'untitled', language: 'rubric' },
    ],
    outputChannel: serverLog,
    synchronize: {
      fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.rubric,rubric.toml}'),
    },
  };
  // the id `rubric` makes the client read the `rubric.trace.server` setting
  client = new LanguageClient('rubric', 'Rubric Language Server', serverOptions, clientOptions);
  try {
    await client.start();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    serverLog.appendLine(`\`${found.path} lsp\` failed to start: ${why}`);
    void vscode.window.showErrorMessage(`Rubric: the language server failed to start: ${why}`);
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (c) {
    try {
      await c.stop();
    } catch {
      // the server may already be gone; nothing left to stop
    }
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stopClient();
  await startClient(context);
}

/** The workspace folder to test: the active file's folder, the only folder, or one the user picks. */
async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const active = vscode.window.activeTextEditor?.document.uri;
  const owner = active ? vscode.workspace.getWorkspaceFolder(active) : undefined;
  if (owner) return owner;
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder to run `rubric test` in' });
}

async function runTests(context: vscode.ExtensionContext): Promise<void> {
  if (testRunning) {
    void vscode.window.showInformationMessage('Rubric: tests are already running');
    return;
  }
  const folder = await pickFolder();
  if (!folder) {
    void vscode.window.showErrorMessage('Rubric: open a folder to run its tests');
    return;
  }
  const found = await locateServer(context);
  if (!found) return;

  await vscode.workspace.saveAll(false);
  const dir = folder.uri.fsPath;
  testLog.clear();
  testLog.show(true);
  testLog.appendLine(`$ ${found.path} test ${dir}`);
  testRunning = true;
  try {
    const { output, code, signal } = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Rubric: running tests' },
      () =>
        new Promise<{ output: string; code: number | null; signal: string | null }>((resolve) => {
          let output = '';
          const child = spawn(found.path, ['test', dir], { cwd: dir, windowsHide: true });
          const take = (chunk: Buffer) => {
            const text = chunk.toString('utf8');
            output += text;
            testLog.append(text);
          };
          child.stdout.on('data', take);
          child.stderr.on('data', take);
          child.on('error', (e) => {
            testLog.appendLine(`cannot run ${found.path}: ${e.message}`);
            resolve({ output, code: null, signal: null });
          });
          child.on('close', (code, signal) => resolve({ output, code, signal }));
        }),
    );
    const outcome = outcomeMessage(output, code, signal);
    testLog.appendLine(`[exit code ${code ?? signal ?? 'unknown'}]`);
    if (outcome.level === 'info') {
      void vscode.window.showInformationMessage(outcome.message);
    } else {
      const choice = await vscode.window.showErrorMessage(outcome.message, 'Show Output');
      if (choice === 'Show Output') testLog.show(false);
    }
  } finally {
    testRunning = false;
  }
}
