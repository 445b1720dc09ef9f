"""Rule versions: a version from the working tree or from git, the semantic diff of two,
their impact on every facility, and rule files laid out canonically (`fmt`)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from peie.dsl.checker import check
from peie.dsl.diff import RuleDiff, diff_files
from peie.dsl.errors import RuleError
from peie.dsl.formatter import convert_keywords, format_text
from peie.dsl.i18n import _
from peie.dsl.keywords import Form
from peie.dsl.model import Rule
from peie.dsl.parser import parse, read_rule_text
from peie.errors import UsageError
from peie.ruleset import RuleText, bundled_rule_paths, expand_rule_paths

from .inputs import DataLike, FactorsLike, load_rules, read_data_file, read_local_factors

if TYPE_CHECKING:
    from peie.impact import Impact


def load_version(spec: str | RuleText) -> Rule:
    """A rule file from the working tree, FILE@GITREV from git, or a RuleText."""
    if isinstance(spec, RuleText):
        return load_rules(spec).rules[0]
    path, at, rev = spec.rpartition("@")
    if Path(spec).is_dir():
        raise UsageError(_("{spec}: a directory; give one rule file (one sector's version)",
                           spec=spec))
    if Path(spec).exists() or not at:
        return load_rules([spec]).rules[0]
    text = _git_show(Path(path), rev, spec)
    return check([parse(text, spec)])[0]


def _git_show(path: Path, rev: str, spec: str) -> str:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(_("{spec}: no directory {folder}", spec=spec, folder=folder))
    if not rev or rev.startswith("-"):
        # git would read `--output=DIR` as an option of its own and write where it says
        raise UsageError(_("{spec}: '{rev}' is not a git revision (a revision does not start "
                           "with '-' and is not empty)", spec=spec, rev=rev))
    try:
        done = subprocess.run(["git", "-C", str(folder), "show", f"{rev}:./{path.name}"],
                              capture_output=True, check=False)
    except FileNotFoundError as error:
        raise UsageError(_("{spec}: git is not installed", spec=spec)) from error
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(_("{spec}: git cannot show it: {reason}", spec=spec,
                           reason=reason[-1] if reason else _("failed")))
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(_("{spec}: not UTF-8 text", spec=spec)) from error


@dataclass(frozen=True)
class VersionDiff:
    """What changed in meaning between two versions of a sector's rule file."""

    old: Rule
    new: Rule
    diff: RuleDiff


def diff(old: str | RuleText, new: str | RuleText) -> VersionDiff:
    """The semantic diff of two versions (rule files, FILE@GITREV, or texts)."""
    before, after = load_version(old), load_version(new)
    return VersionDiff(before, after, diff_files(before.file, after.file))


def impact(old: str | RuleText, new: str | RuleText, data: DataLike, *,
           local_factors: FactorsLike = None, exact: bool = False) -> Impact:
    """What the new version does to every facility of the data, attributed to each edit."""
    from peie.impact import impact as measure  # numpy and pyarrow: only when data are given

    before, after = load_version(old), load_version(new)
    known = load_rules().rules
    factors = read_local_factors(local_factors, {before.sector},
                                 {(before.sector_label, before.sector)})
    return measure(before, after, read_data_file(data), factors, known, exact=exact)


@dataclass(frozen=True)
class Layout:
    """Rule files laid out canonically: the ones that change, and how many did not."""

    changed: dict[Path, tuple[str, str]]  # path -> (text as it is, formatted)
    unchanged: int


def laid_out(text: str, path: str, keywords: Form | None = None,
             keep_layout: bool = False) -> str:
    """A rule file's text as `peie fmt` writes it: in the canonical layout, each keyword
    as written or in the form `keywords`; with `keep_layout`, only the keywords changed
    to that form and every other character kept. RuleError if it does not parse."""
    if not keep_layout:
        return format_text(text, path, keywords)
    if keywords is None:
        raise ValueError("keep_layout changes only the keywords: give their form")
    return convert_keywords(text, keywords, path)


def layout(files: Sequence[str], write: bool, keywords: Form | None = None,
           keep_layout: bool = False) -> Layout:
    """Format rule files (the bundled ones when none are given) as `laid_out` does; every
    file is formatted before any is written, so a file that does not parse leaves all as
    they were."""
    from peie.files import atomic_write, check_output_path

    paths = _rule_files(files)
    changed: dict[Path, tuple[str, str]] = {}
    problems: list[RuleError] = []
    for path in paths:
        try:
            text = read_rule_text(path)
            formatted = laid_out(text, str(path), keywords, keep_layout)
        except RuleError as error:
            problems.append(error)
            continue
        if formatted != text:
            changed[path] = text, formatted
    if problems:
        raise RuleError([d for e in problems for d in e.diagnostics],
                        {k: v for e in problems for k, v in e.sources.items()})
    if write:
        for path in changed:
            check_output_path(path)  # a link or a FIFO among them: none is written
        for path, (_, formatted) in changed.items():
            atomic_write(path, partial(_write_text, formatted))
    return Layout(changed, len(paths) - len(changed))


def _write_text(text: str, handle: TextIO) -> None:
    handle.write(text)


def _rule_files(given: Sequence[str]) -> list[Path]:
    if not given:
        return bundled_rule_paths()
    paths: list[Path] = []
    for name in given:
        found = expand_rule_paths([name])
        if not found:
            raise UsageError(_("{name}: no *.rule files in this directory", name=name))
        missing = [str(p) for p in found if not p.is_file()]
        if missing:
            raise UsageError(_("no such file: {missing}", missing=missing[0]))
        paths += found
    return paths
