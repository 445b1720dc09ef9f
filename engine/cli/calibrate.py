"""`peie calibrate DATA --year Y --solve TABLE[ROW]|PARAM --target balance|total=N|gap=P%
[--write FILE]`: the value of one benchmark at which a target holds on the data, with its
derivation; `--write` writes the rule file with that value in it."""

from __future__ import annotations

import argparse
import sys

from peie.api.calibration import calibrate
from peie.dsl.i18n import _
from peie.files import atomic_write, check_output_path
from peie.report.formats import deliver, formats

from .errors import report_warnings
from .options import data_args, out_arg


def cmd_calibrate(args: argparse.Namespace) -> int:
    if args.write:
        check_output_path(args.write)  # before anything is computed
    result = calibrate(args.data, args.year, args.solve, args.target, rules=args.rules,
                       local_factors=args.local_factors, strict=args.strict)
    report_warnings(result.warnings)
    deliver("calibration", args.format, result, args.out, sys.stdout)
    if args.write:
        atomic_write(args.write, lambda handle: handle.write(result.edited_text))
    return 0


def add_calibrate_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("calibrate", help=_("find the value of a benchmark at which a target "
                                           "holds on the data (a balance value, a total, a "
                                           "gap)"))
    data_args(p)
    p.add_argument("--solve", required=True, metavar="TABLE[ROW]|PARAM",
                   help=_("the value to find: a table row (supply_benchmark[gas]) or a "
                          "parameter (clinker_benchmark) of the rules in force"))
    p.add_argument("--target", required=True, metavar="balance|total=N|gap=P%",
                   help=_("balance: the allocation of the units that read the value equals "
                          "their verified emissions; total=N: it comes to N tCO2; gap=P%%: "
                          "it falls short of their verified emissions by P %%"))
    p.add_argument("--write", metavar="FILE",
                   help=_("write the rule file with the value found to FILE (it may be the "
                          "rule file itself)"))
    p.add_argument("--format", choices=formats("calibration"), default="table")
    out_arg(p)
    p.set_defaults(run=cmd_calibrate)

