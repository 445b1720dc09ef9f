"""`peie diff OLD NEW [--data DATA]`: the semantic diff of two versions of a sector's rule
file and, with data, the impact on every facility. OLD and NEW are rule files, or
FILE@GITREV for a file as it was committed (`rules/power.rule@HEAD~3`)."""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Callable
from pathlib import Path

from peie import api
from peie.dsl.checker import check
from peie.dsl.diff import diff_files
from peie.dsl.model import Rule
from peie.dsl.parser import parse
from peie.errors import UsageError
from peie.report import common as report
from peie.report import diff as diff_report


def load_version(spec: str) -> Rule:
    """A rule file from the working tree, or FILE@GITREV from git."""
    path, at, rev = spec.rpartition("@")
    if Path(spec).is_dir():
        raise UsageError(f"{spec}: a directory; give one rule file (one sector's version)")
    if Path(spec).exists() or not at:
        return api.load_rules([spec]).rules[0]
    text = _git_show(Path(path), rev, spec)
    return check([parse(text, spec)])[0]


def _git_show(path: Path, rev: str, spec: str) -> str:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{spec}: no directory {folder}")
    try:
        done = subprocess.run(["git", "-C", str(folder), "show", f"{rev}:./{path.name}"],
                              capture_output=True, check=False)
    except FileNotFoundError as error:
        raise UsageError(f"{spec}: git is not installed") from error
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"{spec}: git cannot show it: {reason[-1] if reason else 'failed'}")
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{spec}: not UTF-8 text") from error


def cmd_diff(args: argparse.Namespace) -> int:
    old, new = load_version(args.old), load_version(args.new)
    if args.data is None:
        for flag in ("year", "local_factors", "exact", "problems"):
            if getattr(args, flag) not in (None, False):
                raise UsageError(f"--{flag.replace('_', '-')} goes with --data")
        if args.format == "csv":
            raise UsageError("--format csv is for the impact table: give --data")
        diff = diff_files(old.file, new.file)
        render: Callable[..., str] = {"text": diff_report.diff_text, "json": diff_report.diff_json,
                                      "markdown": diff_report.diff_markdown}[args.format]
        report.emit(render(diff, old, new), args.out)
        return 0
    from peie.impact import impact  # numpy and pyarrow: loaded only when data are given

    known = api.load_rules().rules
    factors = api.read_local_factors(args.local_factors, {old.sector})
    result = impact(old, new, api.read_data_file(args.data), factors, known, exact=args.exact)
    if args.format == "json":
        text = diff_report.impact_json(result, args.top)
    elif args.format == "csv":
        text = diff_report.impact_csv(result)
    else:
        text = diff_report.impact_text(result, args.top, markdown=args.format == "markdown")
    report.emit(text, args.out)
    return 0


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def add_diff_command(sub: argparse._SubParsersAction  # type: ignore[type-arg]
                     ) -> argparse.ArgumentParser:
    p = sub.add_parser("diff", help="what changed between two versions of a sector's rules, "
                                    "and (with --data) what it does to every facility")
    p.add_argument("old", metavar="OLD", help="rule file, or FILE@GITREV")
    p.add_argument("new", metavar="NEW", help="rule file, or FILE@GITREV")
    p.add_argument("--data", metavar="DATA", help="facility data: show the impact")
    p.add_argument("--year", type=int, help="the year the data are output of (labels only)")
    p.add_argument("--exact", action="store_true",
                   help="evaluate the attribution steps exactly, not on the batch path")
    p.add_argument("--local-factors", metavar="FILE",
                   help="CSV or YAML with province,sector,factor (default: 1 everywhere)")
    p.add_argument("--format", choices=("text", "json", "markdown", "csv"), default="text")
    p.add_argument("--top", type=_count, default=10, metavar="N",
                   help="largest gains and losses to list (default 10)")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.set_defaults(run=cmd_diff)
    return p
