"""`peie preallocate`, `peie trueup`, `peie position` and `peie ledger`.

Every issuing command computes everything first and opens the ledger only to record, in
one transaction (peie.api.issuance): bad data or rules leave the ledger untouched. Its
report is written after the commit; a report that then fails is ReportNotWritten (exit
3), which says where the run is recorded.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any

from peie import api
from peie.dsl.i18n import _, localized
from peie.errors import PeieError, UsageError
from peie.report.formats import deliver, formats
from peie.report.issuance import recorded_line

from .errors import ReportNotWritten, report_warnings
from .options import breakdown_document, by_arg, data_args, excel_arg, ledger_arg, out_arg


def _issuing_args(parser: argparse.ArgumentParser, document: str) -> None:
    ledger_arg(parser)
    parser.add_argument("--supersede", action="store_true",
                        help=_("replace what this (year, stage) recorded before"))
    parser.add_argument("--reason", metavar="TEXT", help=_("why it is superseded (recorded)"))
    parser.add_argument("--format", choices=formats(document), default="table")
    out_arg(parser)
    excel_arg(parser)


def _reason(args: argparse.Namespace) -> str | None:
    if args.supersede and not (args.reason and args.reason.strip()):
        raise UsageError(_("--supersede needs --reason TEXT saying why"))
    if args.reason and not args.supersede:
        raise UsageError(_("--reason goes with --supersede"))
    return args.reason if args.supersede else None


def _command_line() -> str:
    return shlex.join(["peie", *sys.argv[1:]])


def cmd_preallocate(args: argparse.Namespace) -> int:
    run = api.preallocate(args.data, args.year, ledger=args.ledger, rules=args.rules,
                          local_factors=args.local_factors, command=_command_line(),
                          supersede_reason=_reason(args), strict=args.strict)
    report_warnings(run.warnings)
    _deliver_recorded("preallocation", args, run, run.recorded)
    return 0


def cmd_trueup(args: argparse.Namespace) -> int:
    run = api.trueup(args.data, args.year, ledger=args.ledger, rules=args.rules,
                     local_factors=args.local_factors, command=_command_line(),
                     supersede_reason=_reason(args), strict=args.strict)
    report_warnings(run.warnings)
    if not run.preallocation_on_record and run.expected_preallocation:
        print(localized(_("warning: no pre-allocation of {year} is recorded in {ledger}; every "
                          "facility is settled as a new entrant", year=args.year,
                          ledger=run.recorded.ledger)), file=sys.stderr)
    _deliver_recorded("trueup", args, run, run.recorded)
    return 0


def _deliver_recorded(stage: str, args: argparse.Namespace, run: object,
                      recorded: api.Recorded) -> None:
    """The report of a run the ledger has committed, and what the ledger did. `stage` is
    the report's document too (formats.DOCUMENTS names them alike)."""
    try:
        deliver(stage, args.format, run, args.out, sys.stdout, args.excel)
    except PeieError as error:
        failure = error.args[0] if len(error.args) == 1 else str(error)  # a Message
        raise ReportNotWritten(failure, stage, args.year, recorded.ledger,
                               recorded.outcome.run_id) from None
    print(localized(recorded_line(recorded)), file=sys.stderr)


def cmd_position(args: argparse.Namespace) -> int:
    document = breakdown_document(args, "position")
    if args.format not in formats(document):
        raise UsageError(_("--format {format} goes with --by", format=args.format))
    if args.format == "xlsx" and not args.out:
        raise UsageError(_("--format {format} writes a file: give it with --out FILE",
                           format=args.format))
    report = api.position(args.data, args.year, rules=args.rules,
                          local_factors=args.local_factors, strict=args.strict)
    report_warnings(report.warnings)
    deliver(document, args.format, report, args.out, sys.stdout,
            **({"by": args.by} if args.by else {}))
    return 0


def cmd_ledger_show(args: argparse.Namespace) -> int:
    view = api.ledger_entries(args.ledger, year=args.year, facility=args.facility,
                              include_superseded=args.all)
    deliver("ledger", "table", view, None, sys.stdout)
    return 0


def cmd_ledger_export(args: argparse.Namespace) -> int:
    view = api.ledger_entries(args.ledger, year=args.year, facility=args.facility,
                              include_superseded=True)
    deliver("ledger export", args.format, view, args.out, sys.stdout, args.excel)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("preallocate", help=_("pre-allocate on base-year output and record it"))
    data_args(p)
    _issuing_args(p, "preallocation")
    p.set_defaults(run=cmd_preallocate)

    p = sub.add_parser("trueup", help=_("final allocation on verified output, and the true-up"))
    data_args(p)
    _issuing_args(p, "trueup")
    p.set_defaults(run=cmd_trueup)

    p = sub.add_parser("position", help=_("final allocation against the compliance obligation"))
    data_args(p)
    p.add_argument("--format", choices=tuple(dict.fromkeys(
        (*formats("position"), *formats("position breakdown")))), default="table")
    out_arg(p)
    by_arg(p)
    p.set_defaults(run=cmd_position)

    p = sub.add_parser("ledger", help=_("read the ledger"))
    ledger_sub = p.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    show = ledger_sub.add_parser("show", help=_("current issuances, with their runs"))
    export = ledger_sub.add_parser("export", help=_("every issuance, superseded ones too"))
    for q in (show, export):
        ledger_arg(q)
        q.add_argument("--year", type=int)
        q.add_argument("--facility", metavar="FACILITY_ID")
    show.add_argument("--all", action="store_true", help=_("include superseded runs"))
    show.set_defaults(run=cmd_ledger_show)
    export.add_argument("--format", choices=formats("ledger export"), default="csv")
    export.add_argument("--out", metavar="FILE")
    excel_arg(export)
    export.set_defaults(run=cmd_ledger_export)
