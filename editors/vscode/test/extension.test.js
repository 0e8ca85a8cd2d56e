// The extension's manifest and its client wiring, with stand-ins for the `vscode` API and
// vscode-languageclient (which need a running VS Code): activation starts `fence lsp` over
// stdio for Fence documents, with the settings as initializationOptions.
'use strict';

const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('fs');
const path = require('path');
const Module = require('module');

const EXTENSION = path.resolve(__dirname, '..');

test('package.json registers .fence, the grammar and the language configuration', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(EXTENSION, 'package.json'), 'utf8'));
  const lang = pkg.contributes.languages.find((l) => l.id === 'fence');
  assert.deepStrictEqual(lang.extensions, ['.fence']);
  const grammar = pkg.contributes.grammars.find((g) => g.language === 'fence');
  assert.strictEqual(grammar.scopeName, 'source.fence');
  const tm = JSON.parse(fs.readFileSync(path.join(EXTENSION, grammar.path), 'utf8'));
  assert.strictEqual(tm.scopeName, 'source.fence');
  const conf = JSON.parse(fs.readFileSync(path.join(EXTENSION, lang.configuration), 'utf8'));
  assert.strictEqual(conf.comments.lineComment, '#');
  for (const pair of [['{', '}'], ['[', ']'], ['(', ')']]) {
    assert.ok(conf.brackets.some((b) => b[0] === pair[0] && b[1] === pair[1]), `bracket ${pair}`);
    assert.ok(conf.autoClosingPairs.some((p) => p.open === pair[0] && p.close === pair[1]), `auto-closing ${pair}`);
  }
  assert.ok(conf.autoClosingPairs.some((p) => p.open === '"'));
  // Every version is pinned exactly.
  for (const deps of [pkg.dependencies, pkg.devDependencies]) {
    for (const [name, version] of Object.entries(deps)) assert.match(version, /^\d+\.\d+\.\d+$/, `${name}@${version}`);
  }
  assert.strictEqual(pkg.main, './extension.js');
});

test('activation starts `fence lsp` for Fence documents with the settings', async () => {
  const started = [];
  const settings = { path: '/opt/fence/bin/fence', target: 'k8s', environment: 'prod', allowL4Fallback: true };
  const stubs = {
    vscode: {
      workspace: {
        getConfiguration: (section) => {
          assert.strictEqual(section, 'fence');
          return { get: (key, fallback) => (key in settings ? settings[key] : fallback) };
        },
        onDidChangeConfiguration: () => ({ dispose() {} }),
      },
    },
    'vscode-languageclient/node': {
      TransportKind: { stdio: 0, ipc: 1 },
      LanguageClient: class {
        constructor(id, name, server, client) {
          Object.assign(this, { id, name, server, client });
        }
        start() {
          started.push(this);
          return Promise.resolve();
        }
        stop() {
          return Promise.resolve();
        }
      },
    },
  };
  const resolve = Module._resolveFilename;
  Module._resolveFilename = function (request, ...rest) {
    return request in stubs ? request : resolve.call(this, request, ...rest);
  };
  for (const [name, exports] of Object.entries(stubs)) {
    require.cache[name] = { id: name, filename: name, loaded: true, exports };
  }
  try {
    const ext = require(path.join(EXTENSION, 'extension.js'));
    const context = { subscriptions: [] };
    await ext.activate(context);
    assert.strictEqual(started.length, 1);
    const c = started[0];
    assert.deepStrictEqual(c.server, { command: '/opt/fence/bin/fence', args: ['lsp'], transport: 0 });
    assert.deepStrictEqual(c.client.documentSelector, [
      { scheme: 'file', language: 'fence' },
      { scheme: 'untitled', language: 'fence' },
    ]);
    assert.deepStrictEqual(c.client.initializationOptions, { target: 'k8s', environment: 'prod', allowL4Fallback: true });
    assert.strictEqual(context.subscriptions.length, 1);
    await ext.deactivate();
  } finally {
    Module._resolveFilename = resolve;
  }
});
