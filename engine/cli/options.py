"""Arguments that several commands share."""

from __future__ import annotations

import argparse

from peie.dsl.i18n import _
from peie.errors import UsageError
from peie.report.breakdown import DIMENSIONS
from peie.report.formats import formats

from .errors import SHOWN_PROBLEMS


def rules_arg(parser: argparse.ArgumentParser) -> None:
    # One value per --rules (given again for more): a list would swallow DATA after it.
    parser.add_argument("--rules", action="append", metavar="DIR_OR_FILE",
                        help="a rule file or a directory of them; repeat for more "
                             "(default: the bundled rules)")


def local_factors_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local-factors", metavar="FILE",
                        help="CSV or YAML with province,sector,factor (default: 1 everywhere)")


def data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", metavar="DATA", help="facility data: .csv .xlsx .json .yaml")
    parser.add_argument("--year", type=int, required=True, help="the allocation year")
    rules_arg(parser)
    local_factors_arg(parser)
    problems_arg(parser)
    parser.add_argument("--strict", action="store_true",
                        help="stop at a warning (a local factor that applies to no unit) "
                             "as at an error")


def problems_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--problems", metavar="FILE",
                        help=f"where the data has problems, write every one to FILE as CSV "
                             f"(standard error shows the first {SHOWN_PROBLEMS})")


def out_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", help="write here instead of standard output")


def by_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", choices=DIMENSIONS,
                        help="the report grouped by sector, province or category (with "
                             "--format table, json or csv; html and xlsx show every grouping)")


def breakdown_document(args: argparse.Namespace, document: str) -> str:
    """The document a report command writes: its breakdown with --by, else itself."""
    if not args.by:
        return document
    if args.format not in formats(f"{document} breakdown"):
        raise UsageError(_("--by goes with --format {formats}: --format {format} shows "
                           "every grouping", formats=", ".join(formats(f"{document} breakdown")),
                           format=args.format))
    return f"{document} breakdown"


def ledger_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ledger", metavar="PATH", help="the ledger (default: $PEIE_LEDGER, "
                        "else ./peie-ledger.sqlite)")
