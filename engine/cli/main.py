"""The `peie` command: arguments parsed, peie.api called, the result rendered by
peie.report, the exit status set.

Exit status: 0 success; 1 a problem in the user's rules or data (reported on stderr,
nothing written); 2 a malformed command line; 3 an issuing command whose run is recorded
but whose report could not be written (cli.errors.ReportNotWritten).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from peie import api
from peie.dsl.i18n import _, reset_language, set_language
from peie.errors import PeieError, UsageError
from peie.files import check_output_path
from peie.report.encoding import json_text
from peie.report.formats import check_excel, deliver, formats
from peie.report.problems import error_document

from . import calibrate as cli_calibrate
from . import diff as cli_diff
from . import fmt as cli_fmt
from . import issuance as cli_issuance
from . import lsp as cli_lsp
from . import serve as cli_serve
from . import testing as cli_testing
from .config import Config, apply_config, find_config, with_language
from .errors import SHOWN_PROBLEMS, report_error, report_warnings
from .help import CommandLineError, Parser, asks_json, lang_arg, run_language
from .options import (
    breakdown_document,
    by_arg,
    data_args,
    data_paths,
    encoding_arg,
    excel_arg,
    out_arg,
    problems_arg,
)

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def cmd_check(args: argparse.Namespace) -> int:
    result = api.check(args.files, encoding=args.encoding)
    if not args.quiet:
        deliver("check", "text", result, None, sys.stdout)
    return EXIT_OK


def cmd_allocate(args: argparse.Namespace) -> int:
    if args.format in ("xlsx", "parquet") and not args.out:
        raise UsageError(_("--format {format} writes a file: give it with --out FILE",
                           format=args.format))
    if args.batch:
        if args.by:
            raise UsageError(_("--by goes without --batch"))
        if args.format not in formats("batch allocation"):
            raise UsageError(_("--batch writes table, json, csv or parquet"))
        batch = api.allocate_batch(args.data, args.year, rules=args.rules,
                                   local_factors=args.local_factors, strict=args.strict)
        report_warnings(batch.warnings)
        deliver("batch allocation", args.format, batch, args.out, sys.stdout, args.excel)
        return EXIT_OK
    if args.format not in formats("allocation"):
        raise UsageError(_("--format {format} goes with --batch", format=args.format))
    run = api.allocate(args.data, args.year, rules=args.rules, local_factors=args.local_factors,
                       strict=args.strict)
    document = breakdown_document(args, "allocation")
    report_warnings(run.warnings)
    deliver(document, args.format, run, args.out, sys.stdout, args.excel,
            **({"by": args.by} if args.by else {}))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    if args.facility is not None:
        facility = api.explain_facility(args.data, args.year, args.facility, rules=args.rules,
                                        local_factors=args.local_factors, strict=args.strict)
        report_warnings(facility.warnings)
        deliver("facility explanation", args.format, facility, None, sys.stdout)
        return EXIT_OK
    explanation = api.explain(args.data, args.year, args.unit, rules=args.rules,
                              local_factors=args.local_factors, strict=args.strict)
    report_warnings(explanation.warnings)
    deliver("explanation", args.format, explanation, None, sys.stdout)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="peie", description=_("Free carbon-allowance allocation for China's national ETS, "
                                   "from rule files."))
    parser.add_argument("--version", action="version", version=f"peie {api.program_version()}",
                        help=_("show the version of peie and exit"))
    lang_arg(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help=_("check rule files (and local-factor files)"))
    p.add_argument("files", nargs="*", metavar="FILE",
                   help=_("rule files, directories, or local-factor .csv/.yaml (default: the "
                          "bundled rules)"))
    p.add_argument("-q", "--quiet", action="store_true", help=_("print nothing when all is well"))
    encoding_arg(p)
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("allocate", help=_("allocate free allowances for a year"))
    data_args(p)
    p.add_argument("--format", choices=tuple(dict.fromkeys(
        (*formats("allocation"), *formats("batch allocation")))), default="table")
    out_arg(p)
    excel_arg(p)
    by_arg(p)
    p.add_argument("--batch", action="store_true",
                   help=_("columnar float64 evaluation for large datasets; facility amounts are "
                          "the exact path's (unit amounts are floats)"))
    p.set_defaults(run=cmd_allocate)

    p = sub.add_parser("explain", help=_("show how one unit's allocation is computed, or "
                                         "how a facility's is made of its units"))
    data_args(p)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--unit", metavar="UNIT_ID", help=_("the unit's computation tree"))
    which.add_argument("--facility", metavar="FACILITY_ID",
                       help=_("the facility's units per sector, their exact sum and rounding"))
    p.add_argument("--format", choices=formats("explanation"), default="text")
    p.set_defaults(run=cmd_explain)

    cli_issuance.add_parsers(sub)
    problems_arg(cli_diff.add_diff_command(sub))  # for --data
    cli_fmt.add_fmt_command(sub)
    cli_testing.add_test_command(sub)
    cli_serve.add_serve_command(sub)
    cli_calibrate.add_calibrate_command(sub)
    cli_lsp.add_lsp_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        config = find_config(Path.cwd())
    except PeieError as error:
        report_error(error)
        return error.exit_status
    token = set_language(run_language(argv, with_language(config, os.environ)))
    try:
        with api.settings_file(config.ref):
            return _run(argv, config)
    finally:
        reset_language(token)  # a program calling main() twice gets each run's language


def _run(argv: Sequence[str], config: Config) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except CommandLineError as wrong:
        if not asks_json(argv):
            wrong.report()
        sys.stderr.write(json_text(error_document(UsageError(wrong.message), None)))
        return EXIT_USAGE
    try:
        apply_config(config, args)
        data_paths(args)
        for path in (getattr(args, "out", None), getattr(args, "problems", None)):
            if path:
                check_output_path(path)  # before anything is issued or computed
        if getattr(args, "excel", False):
            check_excel(args.format)
        return int(args.run(args))
    except PeieError as error:
        report_error(error, args.command, getattr(args, "problems", None),
                     can_list=hasattr(args, "problems"),
                     as_json=getattr(args, "format", None) == "json")
        return error.exit_status
    except BrokenPipeError:
        # a reader such as `head` went away: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


__all__ = ["EXIT_OK", "EXIT_PROBLEM", "EXIT_USAGE", "SHOWN_PROBLEMS", "build_parser", "main",
           "report_error"]
