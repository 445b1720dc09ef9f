"""`peie diff OLD NEW [--data DATA]`: the semantic diff of two versions of a sector's rule
file and, with data, the impact on every facility. OLD and NEW are rule files, or
FILE@GITREV for a file as it was committed (`rules/power.rule@HEAD~3`)."""

from __future__ import annotations

import argparse
import sys

from peie import api
from peie.dsl.i18n import _
from peie.errors import UsageError
from peie.report.formats import deliver, formats

from .options import breakdown_document, by_arg, excel_arg, local_factors_arg, out_arg, reading_args


def cmd_diff(args: argparse.Namespace) -> int:
    if args.data is None:
        for flag in ("local_factors", "exact", "problems", "by"):
            if getattr(args, flag) not in (None, False):
                raise UsageError(_("--{option} goes with --data", option=flag.replace("_", "-")))
        if args.format not in formats("diff"):
            raise UsageError(_("--format {format} is for the impact table: give --data",
                               format=args.format))
        deliver("diff", args.format, api.diff(args.old, args.new), args.out, sys.stdout)
        return 0
    if args.format == "xlsx" and not args.out:
        raise UsageError(_("--format {format} writes a file: give it with --out FILE",
                           format=args.format))
    document = breakdown_document(args, "impact")
    result = api.impact(args.old, args.new, args.data, local_factors=args.local_factors,
                        exact=args.exact)
    deliver(document, args.format, result, args.out, sys.stdout, args.excel,
            **({"by": args.by} if args.by else {"top": args.top}))
    return 0


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def add_diff_command(sub: argparse._SubParsersAction  # type: ignore[type-arg]
                     ) -> argparse.ArgumentParser:
    p = sub.add_parser("diff", help=_("what changed between two versions of a sector's rules, "
                                      "and (with --data) what it does to every facility"))
    p.add_argument("old", metavar="OLD", help=_("rule file, or FILE@GITREV"))
    p.add_argument("new", metavar="NEW", help=_("rule file, or FILE@GITREV"))
    p.add_argument("--data", metavar="DATA", help=_("facility data: show the impact"))
    p.add_argument("--exact", action="store_true",
                   help=_("evaluate the attribution steps exactly, not on the batch path"))
    local_factors_arg(p)
    reading_args(p)
    p.add_argument("--format", choices=tuple(dict.fromkeys(
        (*formats("diff"), *formats("impact")))), default="text")
    p.add_argument("--top", type=_count, default=10, metavar="N",
                   help=_("largest gains and losses to list (default 10)"))
    out_arg(p)
    excel_arg(p)
    by_arg(p)
    p.set_defaults(run=cmd_diff)
    return p
