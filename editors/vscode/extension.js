// The Fence extension: the grammar and language configuration are declared in package.json;
// this file starts `fence lsp` and connects it to the editor.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

// What the server reads from initializationOptions (see docs/editors.md).
function initializationOptions(config) {
  const options = {
    target: config.get('target', 'k8s'),
    allowL4Fallback: config.get('allowL4Fallback', false),
  };
  const environment = config.get('environment', '');
  if (environment) options.environment = environment;
  return options;
}

function activate(context) {
  const config = vscode.workspace.getConfiguration('fence');
  const command = config.get('path', 'fence') || 'fence';
  // TransportKind.stdio makes the client add --stdio, which `fence lsp` accepts.
  const serverOptions = { command, args: ['lsp'], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'fence' },
      { scheme: 'untitled', language: 'fence' },
    ],
    initializationOptions: initializationOptions(config),
  };
  client = new LanguageClient('fence', 'Fence', serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('fence') && client) {
        client.restart();
      }
    }),
  );
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate, initializationOptions };
