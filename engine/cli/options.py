"""Arguments that several commands share."""

from __future__ import annotations

import argparse
import os

from peie.api import DataPath
from peie.dsl.i18n import _
from peie.errors import UsageError
from peie.report.breakdown import DIMENSIONS
from peie.report.formats import formats

from .errors import SHOWN_PROBLEMS


def rules_arg(parser: argparse.ArgumentParser) -> None:
    # One value per --rules (given again for more): a list would swallow DATA after it.
    parser.add_argument("--rules", action="append", metavar="DIR_OR_FILE",
                        help=_("a rule file or a directory of them; repeat for more (default: "
                               "the bundled rules)"))


def local_factors_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--local-factors", metavar="FILE",
                        help=_("CSV or YAML with province,sector,factor (default: 1 everywhere)"))


def data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", metavar="DATA", help=_("facility data: .csv .xlsx .json .yaml"))
    parser.add_argument("--year", type=int, required=True, help=_("the allocation year"))
    rules_arg(parser)
    local_factors_arg(parser)
    reading_args(parser)
    problems_arg(parser)
    parser.add_argument("--strict", action="store_true",
                        help=_("stop at a warning (a local factor that applies to no unit) as at "
                               "an error"))


def problems_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--problems", metavar="FILE",
                        help=_("where the data has problems, write every one to FILE as CSV "
                               "(standard error shows the first {shown})",
                               shown=SHOWN_PROBLEMS))


def out_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="FILE", help=_("write here instead of standard output"))


def by_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", choices=DIMENSIONS,
                        help=_("the report grouped by sector, province or category (with "
                               "--format table, json or csv; html and xlsx show every "
                               "grouping)"))


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
    parser.add_argument("--ledger", metavar="PATH", help=_("the ledger (default: $PEIE_LEDGER, "
                                                           "else ./peie-ledger.sqlite)"))


def encoding_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--encoding", default="utf-8", metavar="NAME",
                        help=_("the text encoding of CSV files, data and local factors: "
                               "utf-8 (the default; a byte-order mark is passed over), "
                               "gb18030, gbk, ..."))


def reading_args(parser: argparse.ArgumentParser) -> None:
    """How the data files are read, beyond their suffix (peie.data.readers.DataPath)."""
    encoding_arg(parser)
    parser.add_argument("--sheet", metavar="NAME",
                        help=_("the sheet of an .xlsx data file (default: the one sheet "
                               "with a unit_id column, else the first)"))
    parser.add_argument("--header-row", type=int, metavar="N",
                        help=_("the header's row of an .xlsx data file (default: the first "
                               "row with a unit_id cell, else 1)"))


def data_paths(args: argparse.Namespace) -> None:
    """args.data and args.local_factors as DataPaths that carry --encoding, --sheet and
    --header-row, for the commands that take them."""
    if not hasattr(args, "sheet"):
        return
    workbook = bool(args.data) and os.fspath(args.data).lower().endswith(".xlsx")
    for flag, given in (("--sheet", args.sheet), ("--header-row", args.header_row)):
        if given is not None and not workbook:
            raise UsageError(_("{flag} is for an .xlsx data file", flag=flag))
    if args.data:
        args.data = DataPath(args.data, args.encoding, args.sheet, args.header_row)
    if args.local_factors:
        args.local_factors = DataPath(args.local_factors, args.encoding)


def excel_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--excel", action="store_true",
                        help=_("with --format csv: UTF-8 with a byte-order mark and CRLF "
                               "line ends, which Excel (on Chinese Windows too) opens as "
                               "UTF-8"))
