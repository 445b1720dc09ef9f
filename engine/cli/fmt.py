"""`peie fmt [FILES] [--check] [--diff] [--keywords en|zh [--keep-layout]]`: rule files
in their canonical layout, or with their keywords in one form.

Every file is formatted before any is written (peie.api.layout), so a file that does not
parse leaves all of them as they were. `-` formats standard input to standard output
(for editors).
"""

from __future__ import annotations

import argparse
import io
import sys

from peie import api
from peie.dsl.i18n import _
from peie.dsl.keywords import FORMS
from peie.errors import UsageError
from peie.report.checks import layout_summary, unified_diff


def cmd_fmt(args: argparse.Namespace) -> int:
    if args.keep_layout and args.keywords is None:
        raise UsageError(_("--keep-layout changes only the keywords: give their form with "
                           "--keywords en or --keywords zh"))
    if args.files == ["-"]:
        return _stdin(args)
    written = not (args.check or args.diff)
    layout = api.layout(args.files, write=written, keywords=args.keywords,
                        keep_layout=args.keep_layout)
    if args.diff:
        for path, (text, formatted) in layout.changed.items():
            sys.stdout.write(unified_diff(text, formatted, str(path)))
    for line in layout_summary(layout, written):
        print(line, file=sys.stderr)
    return 1 if args.check and layout.changed else 0


def _stdin(args: argparse.Namespace) -> int:
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(newline="")  # CRLF read as written, for --keep-layout
    text = sys.stdin.read()
    formatted = api.laid_out(text, "<stdin>", args.keywords, args.keep_layout)
    if args.diff:
        sys.stdout.write(unified_diff(text, formatted, "<stdin>"))
    elif not args.check:
        sys.stdout.write(formatted)
    return 1 if args.check and formatted != text else 0


def add_fmt_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("fmt", help=_("write rule files in the canonical layout"))
    p.add_argument("files", nargs="*", metavar="FILE",
                   help=_("rule files or directories of them; - for standard input (default: the "
                          "bundled rules)"))
    p.add_argument("--check", action="store_true",
                   help=_("write nothing; exit 1 if any file is not formatted"))
    p.add_argument("--diff", action="store_true",
                   help=_("write nothing; print what formatting would change"))
    p.add_argument("--keywords", choices=FORMS,
                   help=_("write every keyword in English (en) or in Chinese (zh); without it, "
                          "each keyword stays as written"))
    p.add_argument("--keep-layout", action="store_true",
                   help=_("with --keywords: change only the keywords, keep every other character "
                          "(spaces, line ends, comments) as it is"))
    p.set_defaults(run=cmd_fmt)
