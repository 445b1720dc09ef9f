"""`peie lsp`: a language server for rule files (docs/editors.md): the checker's
diagnostics as a file changes, hover, go to definition, completion, document symbols and
formatting through `fmt`. Only the cli imports it, in its `lsp` command, so that no other
command loads pygls."""

from __future__ import annotations

from .server import serve

__all__ = ["serve"]
