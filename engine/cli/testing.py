"""`peie test [PATHS] [--rules DIR_OR_FILE] [--update] [--junit FILE] [--coverage]`: the
cases written beside the rules (NAME.cases.yaml), run against them (or against the rules
given); exit 0 when every case passes."""

from __future__ import annotations

import argparse
import sys

from peie import api
from peie.dsl.i18n import _
from peie.files import check_output_path
from peie.report.formats import deliver


def cmd_test(args: argparse.Namespace) -> int:
    if args.junit:
        check_output_path(args.junit)  # before any case is run or rewritten
    run = api.run_cases(args.paths, rules=args.rules, update=args.update)
    if args.junit:
        deliver("test", "junit", run, args.junit, sys.stdout)
    deliver("test", "text", run, None, sys.stdout, coverage=args.coverage)
    return 0 if run.passed else 1


def add_test_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("test", help=_("run the test cases written beside the rules "
                                      "(NAME.cases.yaml)"))
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help=_("case files, or directories of rule files and their cases (default: "
                          "the bundled rules)"))
    p.add_argument("--rules", action="append", metavar="DIR_OR_FILE",
                   help=_("run every case against these rules instead of the rules beside the "
                          "cases: a rule file or a directory of them; repeat for more"))
    p.add_argument("--update", action="store_true",
                   help=_("after a deliberate change: rewrite the expected amounts and error "
                          "messages that differ in the case files, and list them"))
    p.add_argument("--junit", metavar="FILE", help=_("also write the results as JUnit XML"))
    p.add_argument("--coverage", action="store_true",
                   help=_("list every table row, bracket row and edge, and branch that no case "
                          "exercises"))
    p.set_defaults(run=cmd_test)
