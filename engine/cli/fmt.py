"""`peie fmt [FILES] [--check] [--diff]`: rule files in their canonical layout.

Every file is formatted before any is written (peie.api.layout), so a file that does not
parse leaves all of them as they were. `-` formats standard input to standard output
(for editors).
"""

from __future__ import annotations

import argparse
import sys

from peie import api
from peie.dsl.formatter import format_text
from peie.report.checks import layout_summary, unified_diff


def cmd_fmt(args: argparse.Namespace) -> int:
    if args.files == ["-"]:
        return _stdin(args)
    written = not (args.check or args.diff)
    layout = api.layout(args.files, write=written)
    if args.diff:
        for path, (text, formatted) in layout.changed.items():
            sys.stdout.write(unified_diff(text, formatted, str(path)))
    for line in layout_summary(layout, written):
        print(line, file=sys.stderr)
    return 1 if args.check and layout.changed else 0


def _stdin(args: argparse.Namespace) -> int:
    text = sys.stdin.read()
    formatted = format_text(text, "<stdin>")
    if args.diff:
        sys.stdout.write(unified_diff(text, formatted, "<stdin>"))
    elif not args.check:
        sys.stdout.write(formatted)
    return 1 if args.check and formatted != text else 0


def add_fmt_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("fmt", help="write rule files in the canonical layout")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="rule files or directories of them; - for standard input "
                        "(default: the bundled rules)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 if any file is not formatted")
    p.add_argument("--diff", action="store_true",
                   help="write nothing; print what formatting would change")
    p.set_defaults(run=cmd_fmt)
