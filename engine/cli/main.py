"""The `peie` command: a thin layer over peie.api.

Exit status: 0 success; 1 a problem in the user's rules or data (reported on stderr,
nothing written); 2 a malformed command line.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from peie import api
from peie.data.local_factors import load_local_factors
from peie.errors import DataError, PeieError, RuleError, UsageError
from peie.report import common as report
from peie.ruleset import expand_rule_paths

from . import diff as cli_diff
from . import fmt as cli_fmt
from . import issuance as cli_issuance

EXIT_OK, EXIT_PROBLEM, EXIT_USAGE = 0, 1, 2
SHOWN_PROBLEMS = 100  # data problems printed on standard error; --problems FILE has all
FACTOR_SUFFIXES = (".csv", ".yaml", ".yml")

Command = Callable[[argparse.Namespace], int]


def _rules_arg(parser: argparse.ArgumentParser) -> None:
    # One value per --rules (given again for more): a list would swallow DATA after it.
    parser.add_argument("--rules", action="append", metavar="DIR_OR_FILE",
                        help="a rule file or a directory of them; repeat for more "
                             "(default: the bundled rules)")


def _data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", metavar="DATA", help="facility data: .csv .xlsx .json .yaml")
    parser.add_argument("--year", type=int, required=True, help="the allocation year")
    _rules_arg(parser)
    parser.add_argument("--local-factors", metavar="FILE",
                        help="CSV or YAML with province,sector,factor (default: 1 everywhere)")
    _problems_arg(parser)


def _problems_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--problems", metavar="FILE",
                        help=f"where the data has problems, write every one to FILE as CSV "
                             f"(standard error shows the first {SHOWN_PROBLEMS})")


# ---- check -------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    """Rule files and directories of them are checked together (versions must not
    overlap); local-factor files are checked against the sectors of those rules."""
    rule_paths: list[Path] = []
    factor_paths: list[Path] = []
    for given in args.files:
        path = Path(given)
        if path.is_dir():
            found = expand_rule_paths([path])
            if not found:
                raise UsageError(f"{given}: no *.rule files in this directory")
            rule_paths.extend(found)
        elif path.suffix in FACTOR_SUFFIXES:
            factor_paths.append(path)
        elif path.suffix == ".rule":
            rule_paths.append(path)
        else:
            raise UsageError(f"{given}: give rule files (.rule), directories of them, or "
                             f"local-factor files ({', '.join(FACTOR_SUFFIXES)})")
    ruleset = api.load_rules(rule_paths or None)
    lines = [f"{r.path}: ok ({r.sector} {r.version}, {r.status}, "
             f"{r.effective[0]}-{r.effective[1]})" for r in ruleset.rules
             if rule_paths or not factor_paths]
    for path in factor_paths:
        load_local_factors(path, ruleset.sectors)
        lines.append(f"{path}: ok (local adjustment factors)")
    if not args.quiet:
        print("\n".join(lines))
    return EXIT_OK


# ---- allocate ----------------------------------------------------------------------


def cmd_allocate(args: argparse.Namespace) -> int:
    if args.format in ("xlsx", "parquet") and not args.out:
        raise UsageError(f"--format {args.format} writes a file: give it with --out FILE")
    if args.batch:
        return allocate_batch(args)
    if args.format == "parquet":
        raise UsageError("--format parquet goes with --batch")
    result = api.allocate(args.data, args.year, rules=args.rules,
                          local_factors=args.local_factors)
    if args.format == "xlsx":
        report.allocation_xlsx(result, args.out)
    elif args.format == "json":
        report.emit(report.json_text(report.allocation_json(result)), args.out)
    elif args.format == "csv":
        report.emit(report.allocation_csv(result), args.out)
    else:
        report.emit(report.allocation_table(result), args.out)
    return EXIT_OK


def allocate_batch(args: argparse.Namespace) -> int:
    """The float64 batch path (peie.batch.evaluate); facility amounts equal the exact path's."""
    from peie.batch.evaluate import batch_allocate
    from peie.data.columns import read_columns
    from peie.report.batch import write_batch

    if args.format == "xlsx":
        raise UsageError("--batch writes table, json, csv or parquet")
    ruleset = api.load_rules(args.rules)
    factors = api.read_local_factors(args.local_factors, ruleset.sectors)
    columns = read_columns(args.data)
    result = batch_allocate(columns, args.year, ruleset, factors)
    write_batch(result, columns, args.format, args.out)
    return EXIT_OK


# ---- explain -----------------------------------------------------------------------


def cmd_explain(args: argparse.Namespace) -> int:
    ruleset, in_force, table, records, factors = api.prepare(
        args.data, args.year, args.rules, args.local_factors)
    record = next((r for r in records if r.unit_id == args.unit), None)
    if record is None:
        raise UsageError(f"no unit '{args.unit}' in {table.path}")
    compiled = {record.sector: ruleset.compiled(in_force[record.sector])}
    unit = api.evaluate_units([record], compiled, factors, table.path)[0]
    tree = api.explain_unit(unit, compiled[record.sector], table.path)
    if args.format == "json":
        document = {"year": args.year, "unit_id": unit.unit_id,
                    "facility_id": record.facility_id, "sector": record.sector,
                    "rules": {"version": unit.rule.version, "sha256": unit.rule.sha256,
                              "path": unit.rule.path},
                    "data_sha256": table.sha256}
        if factors.sha256:
            document["local_factors_sha256"] = factors.sha256
        document["tree"] = tree.to_dict()
        report.emit(report.json_text(document), None)
    else:
        report.emit("\n".join(tree.render()) + "\n", None)
    return EXIT_OK


# ---- the parser and the error boundary ---------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="peie", description="Free carbon-allowance allocation for China's national ETS, "
                                 "from rule files.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("check", help="check rule files (and local-factor files)")
    p.add_argument("files", nargs="*", metavar="FILE",
                   help="rule files, directories, or local-factor .csv/.yaml "
                        "(default: the bundled rules)")
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing when all is well")
    p.set_defaults(run=cmd_check)

    p = sub.add_parser("allocate", help="allocate free allowances for a year")
    _data_args(p)
    p.add_argument("--format", choices=(*report.FORMATS, "parquet"), default="table")
    p.add_argument("--out", metavar="FILE", help="write here instead of standard output")
    p.add_argument("--batch", action="store_true",
                   help="columnar float64 evaluation for large datasets; facility amounts "
                        "are the exact path's (unit amounts are floats)")
    p.set_defaults(run=cmd_allocate)

    p = sub.add_parser("explain", help="show how one unit's allocation is computed")
    _data_args(p)
    p.add_argument("--unit", required=True, metavar="UNIT_ID")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=cmd_explain)

    cli_issuance.add_parsers(sub, _data_args)
    _problems_arg(cli_diff.add_diff_command(sub))  # for --data
    cli_fmt.add_fmt_command(sub)
    return parser


ISSUING = {"preallocate", "trueup"}


def report_error(error: PeieError, args: argparse.Namespace) -> None:
    """The error on stderr; after data problems, what the command did not do."""
    command = args.command
    if isinstance(error, RuleError):
        print(error.render(), file=sys.stderr)
        count = len(error.diagnostics)
        print(f"{count} error{'s' if count != 1 else ''} in rule files", file=sys.stderr)
    elif isinstance(error, DataError):
        _report_problems(error, args)
        count = len(error.problems)
        outcome = ("; nothing was issued" if command in ISSUING else
                   "" if command == "check" else "; nothing was written")
        print(f"{count} problem{'s' if count != 1 else ''} in the data{outcome}",
              file=sys.stderr)
    else:
        print(f"peie: error: {error}", file=sys.stderr)


def _report_problems(error: DataError, args: argparse.Namespace) -> None:
    """The first SHOWN_PROBLEMS problems, then a count per field of the rest; every one
    in the --problems file, where the command has the option and it was given."""
    can_list = hasattr(args, "problems")
    problems_file = args.problems if can_list else None
    for problem in error.problems[:SHOWN_PROBLEMS]:
        print(problem, file=sys.stderr)
    hidden = error.problems[SHOWN_PROBLEMS:]
    if hidden:
        fields = Counter(p.field or "(the row)" for p in hidden).most_common()
        hint = "; --problems FILE writes every one" if can_list and not problems_file else ""
        print(f"... and {len(hidden):,} more (" + ", ".join(
            f"{field}: {n:,}" for field, n in fields) + ")" + hint, file=sys.stderr)
    if problems_file:
        try:
            report.atomic_write(problems_file, lambda handle: handle.write(
                report.problems_csv(error.problems)))
            print(f"every problem: {problems_file}", file=sys.stderr)
        except PeieError as failed:
            print(f"peie: error: {failed}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        for path in (getattr(args, "out", None), getattr(args, "problems", None)):
            if path:
                report.check_output_path(path)  # before anything is issued or computed
        return int(args.run(args))
    except PeieError as error:
        report_error(error, args)
        return error.exit_status
    except BrokenPipeError:
        # a reader such as `head` went away: not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        return 130

