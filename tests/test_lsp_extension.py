"""The VS Code extension (editors/vscode/) starts `peie lsp`: its package declares the
client library and the entry point, and its `activate`, run by node with stand-ins for the
`vscode` API and the client library, starts the command the settings name with `lsp`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

VSCODE = Path(__file__).resolve().parent.parent / "editors" / "vscode"

# Loads extension.js with `vscode` and `vscode-languageclient/node` replaced, calls
# activate(), and prints what it handed the client.
_RUN = """
const Module = require("module");
const settings = JSON.parse(process.argv[2]);
const fakes = {
  "vscode": {workspace: {getConfiguration: (section) => ({get: (key) => settings[key]})}},
  "vscode-languageclient/node": {LanguageClient: class {
    constructor(id, name, server, options) { this.seen = {id, server, options}; }
    start() { console.log(JSON.stringify(this.seen)); return Promise.resolve(); }
    stop() { return Promise.resolve(); }
  }},
};
const load = Module._load;
Module._load = function (request, ...rest) {
  return request in fakes ? fakes[request] : load.call(this, request, ...rest);
};
require(process.argv[1]).activate();
"""


def _activated(settings: dict[str, str]) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    done = subprocess.run([node, "-e", _RUN, str(VSCODE / "extension.js"), json.dumps(settings)],
                          capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def test_the_package_declares_the_client_and_its_entry_point() -> None:
    package = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    assert (VSCODE / package["main"]).is_file()
    assert "vscode-languageclient" in package["dependencies"]
    assert package["activationEvents"] == ["onLanguage:peie"]
    settings = package["contributes"]["configuration"]["properties"]
    assert settings["peie.command"]["default"] == "peie"


def test_activate_starts_peie_lsp_for_rule_files() -> None:
    seen = _activated({})
    assert seen["server"]["run"] == {"command": "peie", "args": ["lsp"]}
    assert {"scheme": "file", "language": "peie"} in seen["options"]["documentSelector"]


def test_the_settings_name_the_command_and_the_language() -> None:
    seen = _activated({"command": "/opt/venv/bin/peie", "language": "zh"})
    assert seen["server"]["run"] == {"command": "/opt/venv/bin/peie",
                                     "args": ["--lang", "zh", "lsp"]}
