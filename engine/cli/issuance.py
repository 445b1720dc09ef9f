"""`peie preallocate`, `peie trueup`, `peie ledger` and `peie position`.

Every issuing command computes everything first and opens the ledger only to record, in
one transaction: bad data or rules leave the ledger untouched.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from peie import api
from peie.errors import UsageError
from peie.exact.allocation import decimal_text
from peie.issuance.ledger import Ledger, RecordOutcome, default_ledger_path, export_entries
from peie.issuance.position import positions
from peie.issuance.stages import (
    preallocation_issuances,
    preallocations,
    provenance,
    trueup_issuances,
    trueups,
)
from peie.report import common as report

AddArgs = Callable[[argparse.ArgumentParser], None]


def _ledger_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ledger", metavar="PATH", help="the ledger (default: $PEIE_LEDGER, "
                        "else ./peie-ledger.sqlite)")


def _issuing_args(parser: argparse.ArgumentParser) -> None:
    _ledger_arg(parser)
    parser.add_argument("--supersede", action="store_true",
                        help="replace what this (year, stage) recorded before")
    parser.add_argument("--reason", metavar="TEXT", help="why it is superseded (recorded)")
    parser.add_argument("--format", choices=("table", "json", "csv"), default="table")
    parser.add_argument("--out", metavar="FILE", help="write here instead of standard output")


def _open_ledger(args: argparse.Namespace, reading: bool = False) -> Ledger:
    """The ledger; reading one that does not exist is an error, not a new empty ledger."""
    path = Path(args.ledger) if args.ledger else default_ledger_path()
    if reading and not path.exists():
        raise UsageError(f"{path}: there is no ledger here (preallocate or trueup make one)")
    if not path.parent.is_dir():
        raise UsageError(f"{path}: there is no directory {path.parent}")
    return Ledger(path)


def _reason(args: argparse.Namespace) -> str | None:
    if args.supersede and not (args.reason and args.reason.strip()):
        raise UsageError("--supersede needs --reason TEXT saying why")
    if args.reason and not args.supersede:
        raise UsageError("--reason goes with --supersede")
    return args.reason if args.supersede else None


def _command_line() -> str:
    return shlex.join(["peie", *sys.argv[1:]])


def _outcome_line(outcome: RecordOutcome, ledger: Ledger) -> str:
    if outcome.status == "unchanged":
        return (f"ledger {ledger.path}: identical to run {outcome.run_id} recorded before; "
                "nothing new was issued")
    if outcome.status == "superseded":
        return (f"ledger {ledger.path}: recorded as run {outcome.run_id}, superseding run "
                f"{outcome.replaced_run_id}")
    return f"ledger {ledger.path}: recorded as run {outcome.run_id}"


def _totals(items: list[Any], field: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for item in items:
        totals[item.sector] = totals.get(item.sector, 0) + getattr(item, field)
    totals = dict(sorted(totals.items()))
    totals["all"] = sum(totals.values())
    return totals


Layout = tuple[tuple[str, ...], list[tuple[Any, ...]]]  # a header and its rows


def _emit(args: argparse.Namespace, document: dict[str, Any], table: Layout,
          machine: Layout, title: str, outcome: str) -> None:
    """The report as JSON (`document`), CSV (`machine`: plain values, names for programs)
    or a table for people (`table`)."""
    if args.format == "json":
        document["ledger"] = outcome
        text = report.json_text(document)
    elif args.format == "csv":
        text = report.csv_text(*machine)
    else:
        header, rows = table
        lines = [title, *report.text_table(header, rows, [False, False] + [True] * (
            len(header) - 2)), ""]
        totals = [k for k in document if k.startswith("totals")]
        for key in totals:
            lines += [f"{key.replace('_', ' ')}:"] + [f"  {s}: {v:,}"
                                                       for s, v in document[key].items()]
        text = "\n".join(lines) + "\n"
    if args.out:
        report.atomic_write(args.out, lambda handle: handle.write(text))
    else:
        sys.stdout.write(text)
    print(outcome, file=sys.stderr)


def cmd_preallocate(args: argparse.Namespace) -> int:
    reason = _reason(args)
    base = api.allocate(args.data, args.year, rules=args.rules, local_factors=args.local_factors,
                        preallocation_basis=True)
    items = preallocations(base)
    with _open_ledger(args) as ledger:
        outcome = ledger.record(year=args.year, stage="preallocation",
                                issuances=preallocation_issuances(items),
                                provenance=provenance(base), command=_command_line(),
                                supersede_reason=reason)
        line = _outcome_line(outcome, ledger)
    document = report.provenance(base)
    document["stage"] = "preallocation"
    document["base_year"] = {s: r.base_year for s, r in sorted(base.rules.items())}
    document["facilities"] = [{"facility_id": p.facility_id, "preallocation": p.preallocation}
                              for p in items]
    document["totals"] = _totals(items, "preallocation")
    shown = [(p.facility_id, p.sector, decimal_text(p.base_allocation), f"{p.share:%}",
              p.preallocation) for p in items]
    plain = [(p.facility_id, p.sector, decimal_text(p.base_allocation),
              decimal_text(p.share), p.preallocation) for p in items]
    _emit(args, document,
          (("facility", "sector", "base-year allocation", "share", "preallocation"), shown),
          (("facility_id", "sector", "base_year_allocation", "share", "preallocation"), plain),
          f"Pre-allocation {args.year}", line)
    return 0


def cmd_trueup(args: argparse.Namespace) -> int:
    reason = _reason(args)
    final = api.allocate(args.data, args.year, rules=args.rules,
                         local_factors=args.local_factors)
    with _open_ledger(args) as ledger:
        if not ledger.has_run(args.year, "preallocation"):
            print(f"warning: no pre-allocation of {args.year} is recorded in {ledger.path}; "
                  "every facility is settled as a new entrant", file=sys.stderr)
        items = trueups(final, ledger.preallocations(args.year), final.data_path)
        outcome = ledger.record(year=args.year, stage="trueup",
                                issuances=trueup_issuances(items),
                                provenance=provenance(final), command=_command_line(),
                                supersede_reason=reason)
        line = _outcome_line(outcome, ledger)
    document = report.provenance(final)
    document["stage"] = "trueup"
    document["facilities"] = [{"facility_id": t.facility_id, "preallocation": t.preallocation,
                               "final": t.final, "trueup": t.trueup} for t in items]
    document["new_entrants"] = [t.facility_id for t in items if t.new_entrant]
    document["totals_final"] = _totals(items, "final")
    document["totals_preallocation"] = _totals(items, "preallocation")
    document["totals_trueup"] = _totals(items, "trueup")
    shown = [(t.facility_id, t.sector, t.preallocation, t.final, f"{t.trueup:+,}",
              "new entrant" if t.new_entrant else "") for t in items]
    plain = [(t.facility_id, t.sector, t.preallocation, t.final, t.trueup,
              "true" if t.new_entrant else "false") for t in items]
    _emit(args, document,
          (("facility", "sector", "preallocation", "final", "trueup", ""), shown),
          (("facility_id", "sector", "preallocation", "final", "trueup", "new_entrant"),
           plain),
          f"Final allocation and true-up {args.year} (多退少补)", line)
    return 0


def cmd_ledger_show(args: argparse.Namespace) -> int:
    with _open_ledger(args, reading=True) as ledger:
        entries = ledger.entries(year=args.year, facility=args.facility,
                                 include_superseded=args.all)
        runs = {r.id: r for r in ledger.runs(args.year)}
    rows = [(e.run_id, e.year, e.stage, e.facility_id, e.sector, f"{e.amount:,}",
             "" if e.final is None else f"{e.final:,}", "superseded" if e.superseded else "")
            for e in entries]
    lines = report.text_table(("run", "year", "stage", "facility", "sector", "amount", "final",
                               ""), rows, (True, True, False, False, False, True, True, False))
    lines.append("")
    for run in runs.values():
        rules = ", ".join(f"{s} {v['version']} ({v['sha256'][:12]})"
                          for s, v in run.rules.items())
        state = (f"superseded by run {run.superseded_by}: {run.supersede_reason}"
                 if run.superseded_by else "current")
        factors = (f"; local factors {run.local_factors_sha256[:12]}"
                   if run.local_factors_sha256 else "")
        lines.append(f"run {run.id}: {run.year} {run.stage}, {run.recorded_at}, {state}; "
                     f"rules {rules}; data {run.data_sha256[:12]}{factors}; `{run.command}`")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def cmd_ledger_export(args: argparse.Namespace) -> int:
    with _open_ledger(args, reading=True) as ledger:
        entries = ledger.entries(year=args.year, facility=args.facility,
                                 include_superseded=True)
    if args.out:
        report.atomic_write(args.out, lambda handle: export_entries(entries, args.format, handle))
    else:
        export_entries(entries, args.format, sys.stdout)
    return 0


def cmd_position(args: argparse.Namespace) -> int:
    result = api.allocate(args.data, args.year, rules=args.rules,
                          local_factors=args.local_factors)
    assert result.compiled is not None
    facilities, sectors = positions(result, dict(result.compiled), result.data_path)
    if args.format == "json":
        document = report.provenance(result)
        document["facilities"] = [
            {"facility_id": f.facility_id, "sector": f.sector, "allocation": f.allocation,
             "emissions": decimal_text(f.emissions), "balance": decimal_text(f.balance),
             "emissions_computed": f.computed} for f in facilities]
        document["sectors"] = [
            {"sector": s.sector, "facilities": s.facilities, "short": s.short,
             "short_share": decimal_text(round(s.short_share, 4)),
             "allocation": s.allocation, "emissions": decimal_text(s.emissions),
             "gap_percent": decimal_text(round(s.gap_percent, 3))} for s in sectors]
        sys.stdout.write(report.json_text(document))
        return 0
    rows = [(f.facility_id, f.sector, f"{f.allocation:,}", _tonnes(f.emissions),
             _tonnes(f.balance, sign=True)) for f in facilities]
    lines = [f"Position {args.year}: final allocation against verified emissions",
             *report.text_table(("facility", "sector", "allocation", "emissions",
                                 "surplus(+)/shortfall(-)"), rows,
                                (False, False, True, True, True)), ""]
    lines += report.text_table(
        ("sector", "facilities", "short", "short %", "allocation", "emissions", "gap %"),
        [(s.sector, s.facilities, s.short, f"{s.short_share * 100:.1f}", f"{s.allocation:,}",
          _tonnes(s.emissions), f"{s.gap_percent:.2f}") for s in sectors],
        (False, True, True, True, True, True, True))
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _tonnes(value: Decimal, sign: bool = False) -> str:
    return f"{value:{'+' if sign else ''},.3f}"


def add_parsers(sub: Any, data_args: AddArgs) -> None:
    p = sub.add_parser("preallocate", help="pre-allocate on base-year output and record it")
    data_args(p)
    _issuing_args(p)
    p.set_defaults(run=cmd_preallocate)

    p = sub.add_parser("trueup", help="final allocation on verified output, and the true-up")
    data_args(p)
    _issuing_args(p)
    p.set_defaults(run=cmd_trueup)

    p = sub.add_parser("position", help="final allocation against verified emissions")
    data_args(p)
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(run=cmd_position)

    p = sub.add_parser("ledger", help="read the ledger")
    ledger_sub = p.add_subparsers(dest="ledger_command", required=True, metavar="ACTION")
    show = ledger_sub.add_parser("show", help="current issuances, with their runs")
    export = ledger_sub.add_parser("export", help="every issuance, superseded ones too")
    for q in (show, export):
        _ledger_arg(q)
        q.add_argument("--year", type=int)
        q.add_argument("--facility", metavar="FACILITY_ID")
    show.add_argument("--all", action="store_true", help="include superseded runs")
    show.set_defaults(run=cmd_ledger_show)
    export.add_argument("--format", choices=("csv", "json"), default="csv")
    export.add_argument("--out", metavar="FILE")
    export.set_defaults(run=cmd_ledger_export)
