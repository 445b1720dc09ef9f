"""`peie lsp`: the language server (peie.lsp, docs/editors.md) on standard input and
output, for an editor to start. pygls is imported only when the command runs."""

from __future__ import annotations

import argparse

from peie import api
from peie.dsl.i18n import _, language


def cmd_lsp(args: argparse.Namespace) -> int:
    from peie.lsp import serve

    serve(api.program_version(), language())
    return 0


def add_lsp_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("lsp", help=_("a language server for rule files on standard input "
                                     "and output, for an editor to start (docs/editors.md)"))
    p.add_argument("--stdio", action="store_true",
                   help=_("accepted for the editors that pass it; standard input and output "
                          "are the only channel"))
    p.set_defaults(run=cmd_lsp)
