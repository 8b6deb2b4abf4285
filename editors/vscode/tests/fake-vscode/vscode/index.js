'use strict';
// A stand-in for the `vscode` module, enough for the extension and vscode-languageclient to
// activate, start a server and run commands outside VS Code. What the extension shows the user
// (notifications, output channel lines, registered commands) is recorded in `recorded`.
// Anything not modelled below is a harmless catch-all stub.

const recorded = [];
const config = {};
const commands = new Map();

function stub(name) {
  const fn = function () {};
  return new Proxy(fn, {
    get(target, prop) {
      if (prop === 'then') return undefined; // a stub is not a promise
      if (prop === Symbol.iterator) return function* () {};
      if (prop === Symbol.toPrimitive) return () => `[${name}]`;
      if (prop === 'prototype') return target.prototype;
      if (typeof prop === 'symbol') return undefined;
      return stub(`${name}.${prop}`);
    },
    apply: () => stub(`${name}()`),
    construct: () => stub(`new ${name}`),
  });
}

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  dispose() {
    if (this.callOnDispose) this.callOnDispose();
  }
  static from(...items) {
    return new Disposable(() => items.forEach((d) => d && typeof d.dispose === 'function' && d.dispose()));
  }
}

class EventEmitter {
  constructor() {
    this.listeners = [];
    this.event = (listener) => {
      this.listeners.push(listener);
      return new Disposable(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      });
    };
  }
  fire(e) {
    this.listeners.forEach((l) => l(e));
  }
  dispose() {
    this.listeners = [];
  }
}

const noEvent = () => new Disposable();

function outputChannel(name) {
  return {
    name,
    append: (text) => recorded.push({ kind: 'output', channel: name, text }),
    appendLine: (text) => recorded.push({ kind: 'output', channel: name, text: `${text}\n` }),
    replace() {},
    clear() {},
    show() {},
    hide() {},
    dispose() {},
  };
}

// notifications resolve to `notificationAnswer` (undefined: dismissed); tests may make them hang
// `userConfig` holds the user's settings; `config` the workspace's, which win over them (as VS
// Code's `get` does); `isTrusted` is the workspace's trust
const userConfig = {};
const state = { notificationAnswer: () => Promise.resolve(undefined), workspaceFolders: undefined, isTrusted: true };
function notify(level) {
  return (message, ...items) => {
    recorded.push({ kind: 'notification', level, message, items: items.filter((i) => typeof i === 'string') });
    return state.notificationAnswer();
  };
}

const vscode = {
  Disposable,
  EventEmitter,
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  version: '1.82.0',
  env: { language: 'en', appName: 'fake-vscode', machineId: 'fake', sessionId: 'fake', uiKind: 1 },
  window: {
    createOutputChannel: outputChannel,
    showErrorMessage: notify('error'),
    showWarningMessage: notify('warning'),
    showInformationMessage: notify('info'),
    showWorkspaceFolderPick: () => Promise.resolve(state.workspaceFolders && state.workspaceFolders[0]),
    withProgress: (_options, task) => task({ report() {} }, stub('token')),
    activeTextEditor: undefined,
    visibleTextEditors: [],
    onDidChangeActiveTextEditor: noEvent,
    onDidChangeVisibleTextEditors: noEvent,
    tabGroups: { all: [], onDidChangeTabs: noEvent, onDidChangeTabGroups: noEvent },
  },
  commands: {
    registerCommand(name, callback) {
      recorded.push({ kind: 'command', name });
      commands.set(name, callback);
      return new Disposable(() => commands.delete(name));
    },
    executeCommand(name, ...args) {
      const cb = commands.get(name);
      return Promise.resolve(cb ? cb(...args) : undefined);
    },
  },
  workspace: {
    getConfiguration: (section) => ({
      get: (key, fallback) => {
        const k = section ? `${section}.${key}` : key;
        const v = config[k] !== undefined ? config[k] : userConfig[k];
        return v === undefined ? fallback : v;
      },
      has: (key) => {
        const k = section ? `${section}.${key}` : key;
        return config[k] !== undefined || userConfig[k] !== undefined;
      },
      inspect: (key) => {
        const k = section ? `${section}.${key}` : key;
        return { key: k, defaultValue: undefined, globalValue: userConfig[k], workspaceValue: config[k] };
      },
      update: () => Promise.resolve(),
    }),
    get workspaceFolders() {
      return state.workspaceFolders;
    },
    get isTrusted() {
      return state.isTrusted;
    },
    getWorkspaceFolder: () => undefined,
    textDocuments: [],
    notebookDocuments: [],
    saveAll: () => Promise.resolve(true),
    createFileSystemWatcher: () => ({ onDidCreate: noEvent, onDidChange: noEvent, onDidDelete: noEvent, dispose() {} }),
  },
  // test controls, not part of the real API
  __fake: { recorded, config, userConfig, commands, state },
};
for (const name of [
  'onDidChangeConfiguration', 'onDidOpenTextDocument', 'onDidCloseTextDocument', 'onDidChangeTextDocument',
  'onDidSaveTextDocument', 'onWillSaveTextDocument', 'onDidChangeWorkspaceFolders', 'onDidCreateFiles',
  'onDidRenameFiles', 'onDidDeleteFiles', 'onWillCreateFiles', 'onWillRenameFiles', 'onWillDeleteFiles',
  'onDidGrantWorkspaceTrust', 'onDidOpenNotebookDocument', 'onDidCloseNotebookDocument', 'onDidChangeNotebookDocument', 'onDidSaveNotebookDocument',
]) {
  vscode.workspace[name] = noEvent;
}

module.exports = new Proxy(vscode, {
  get(target, prop) {
    if (prop in target) return target[prop];
    if (typeof prop === 'symbol') return undefined;
    return stub(String(prop));
  },
});
