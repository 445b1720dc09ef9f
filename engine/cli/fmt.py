"""`peie fmt [FILES] [--check] [--diff]`: rule files in their canonical layout.

Every file is formatted before any is written, so a file that does not parse leaves all
of them as they were. `-` formats standard input to standard output (for editors).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from peie.dsl.errors import RuleError
from peie.dsl.formatter import format_text
from peie.dsl.parser import read_rule_text
from peie.errors import UsageError
from peie.report import common as report
from peie.ruleset import bundled_rule_paths, expand_rule_paths


def _files(given: list[str]) -> list[Path]:
    if not given:
        return bundled_rule_paths()
    paths: list[Path] = []
    for name in given:
        found = expand_rule_paths([name])
        if not found:
            raise UsageError(f"{name}: no *.rule files in this directory")
        missing = [str(p) for p in found if not p.is_file()]
        if missing:
            raise UsageError(f"no such file: {missing[0]}")
        paths += found
    return paths


def cmd_fmt(args: argparse.Namespace) -> int:
    if args.files == ["-"]:
        text = sys.stdin.read()
        formatted = format_text(text, "<stdin>")
        if args.diff:
            sys.stdout.write(_unified(text, formatted, "<stdin>"))
        elif not args.check:
            sys.stdout.write(formatted)
        return 1 if args.check and formatted != text else 0
    paths = _files(args.files)
    changed: dict[Path, tuple[str, str]] = {}
    problems: list[RuleError] = []
    for path in paths:
        try:
            text = read_rule_text(path)
            formatted = format_text(text, str(path))
        except RuleError as error:
            problems.append(error)
            continue
        if formatted != text:
            changed[path] = text, formatted
    if problems:
        raise RuleError([d for e in problems for d in e.diagnostics],
                        {k: v for e in problems for k, v in e.sources.items()})
    for path, (text, formatted) in changed.items():
        if args.diff:
            sys.stdout.write(_unified(text, formatted, str(path)))
        elif not args.check:
            report.emit(formatted, str(path))
    verb = "would reformat" if args.check or args.diff else "reformatted"
    for path in changed:
        print(f"{verb} {path}", file=sys.stderr)
    done = "would be reformatted" if args.check or args.diff else "reformatted"
    print(f"{len(changed)} file{'s' * (len(changed) != 1)} {done}, "
          f"{len(paths) - len(changed)} already formatted", file=sys.stderr)
    return 1 if args.check and changed else 0


def _unified(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        f"{name} (as it is)", f"{name} (formatted)"))


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
