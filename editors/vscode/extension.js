// The peie extension: highlighting comes from package.json's grammar; this starts the
// language server, `peie lsp`, for rule files (diagnostics, hover, go to definition,
// completion, outline, formatting). Plain JavaScript: no build step.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate() {
  const settings = vscode.workspace.getConfiguration("peie");
  const language = settings.get("language");
  const server = {
    command: settings.get("command") || "peie",
    args: [...(language ? ["--lang", language] : []), "lsp"],
  };
  client = new LanguageClient("peie", "peie rules", { run: server, debug: server }, {
    documentSelector: [
      { scheme: "file", language: "peie" },
      { scheme: "untitled", language: "peie" },
    ],
  });
  return client.start();
}

function deactivate() {
  return client === undefined ? undefined : client.stop();
}

module.exports = { activate, deactivate };
