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

from peie import api
from peie.dsl.i18n import _, reset_language, set_language
from peie.errors import PeieError, UsageError
from peie.files import check_output_path
from peie.report.formats import deliver, formats

from . import diff as cli_diff
from . import fmt as cli_fmt
from . import issuance as cli_issuance
from . import serve as cli_serve
from . import testing as cli_testing
from .errors import SHOWN_PROBLEMS, report_error, report_warnings
from .help import Parser, lang_arg, run_language
from .options import breakdown_document, by_arg, data_args, out_arg, problems_arg

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2


def cmd_check(args: argparse.Namespace) -> int:
    result = api.check(args.files)
    if not args.quiet:
        deliver("check", "text", result, None, sys.stdout)
    return EXIT_OK


def cmd_allocate(args: argparse.Namespace) -> int:
    if args.format in ("xlsx", "parquet") and not args.out:
        raise UsageError(f"--format {args.format} writes a file: give it with --out FILE")
    if args.batch:
        if args.by:
            raise UsageError(_("--by goes without --batch"))
        if args.format not in formats("batch allocation"):
            raise UsageError("--batch writes table, json, csv or parquet")
        batch = api.allocate_batch(args.data, args.year, rules=args.rules,
                                   local_factors=args.local_factors, strict=args.strict)
        report_warnings(batch.warnings)
        deliver("batch allocation", args.format, batch, args.out, sys.stdout)
        return EXIT_OK
    if args.format not in formats("allocation"):
        raise UsageError(f"--format {args.format} goes with --batch")
    run = api.allocate(args.data, args.year, rules=args.rules, local_factors=args.local_factors,
                       strict=args.strict)
    document = breakdown_document(args, "allocation")
    report_warnings(run.warnings)
    deliver(document, args.format, run, args.out, sys.stdout,
            **({"by": args.by} if args.by else {}))
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    explanation = api.explain(args.data, args.year, args.unit, rules=args.rules,
                              local_factors=args.local_factors, strict=args.strict)
    report_warnings(explanation.warnings)
    deliver("explanation", args.format, explanation, None, sys.stdout)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="peie", description="Free carbon-allowance allocation for China's national ETS, "
                                 "from rule files.")
    parser.add_argument("--version", action="version", version=f"peie {api.program_version()}")
    lang_arg(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="check rule files (and local-factor files)")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="rule files, directories, or local-factor .csv/.yaml "
                        "(default: the bundled rules)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when all is well")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("allocate", help="allocate free allowances for a year")
    data_args(p)
    p.add_argument("--format", choices=tuple(dict.fromkeys(
        (*formats("allocation"), *formats("batch allocation")))), default="table")
    out_arg(p)
    by_arg(p)
    p.add_argument("--batch", action="store_true",
                   help="columnar float64 evaluation for large datasets; facility amounts "
                        "are the exact path's (unit amounts are floats)")
    p.set_defaults(run=cmd_allocate)

    p = sub.add_parser("explain", help="show how one unit's allocation is computed")
    data_args(p)
    p.add_argument("--unit", required=True, metavar="UNIT_ID")
    p.add_argument("--format", choices=formats("explanation"), default="text")
    p.set_defaults(run=cmd_explain)

    cli_issuance.add_parsers(sub)
    problems_arg(cli_diff.add_diff_command(sub))  # for --data
    cli_fmt.add_fmt_command(sub)
    cli_testing.add_test_command(sub)
    cli_serve.add_serve_command(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    token = set_language(run_language(argv, os.environ))
    try:
        return _run(argv)
    finally:
        reset_language(token)  # a program calling main() twice gets each run's language


def _run(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        for path in (getattr(args, "out", None), getattr(args, "problems", None)):
            if path:
                check_output_path(path)  # before anything is issued or computed
        return int(args.run(args))
    except PeieError as error:
        report_error(error, args.command, getattr(args, "problems", None),
                     can_list=hasattr(args, "problems"))
        return error.exit_status
    except BrokenPipeError:
        # a reader such as `head` went away: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130


__all__ = ["EXIT_OK", "EXIT_PROBLEM", "EXIT_USAGE", "SHOWN_PROBLEMS", "build_parser", "main",
           "report_error"]
