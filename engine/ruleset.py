"""Loading and checking a set of rule files, and choosing the version in force for a year."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from peie.dsl import ast
from peie.dsl.checker import check
from peie.dsl.errors import Diagnostic, RuleError
from peie.dsl.i18n import _
from peie.dsl.model import Rule
from peie.dsl.parser import parse, parse_file
from peie.exact.compiler import CompiledRule, compile_rule

from .errors import UsageError

if TYPE_CHECKING:
    from peie.batch.vector import VectorRule

RULE_SUFFIX = ".rule"


def bundled_rule_paths() -> list[Path]:
    """The rule files shipped inside the package (peie.rules)."""
    folder = resources.files("peie.rules")
    return sorted(Path(str(p)) for p in folder.iterdir() if p.name.endswith(RULE_SUFFIX))


def expand_rule_paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Files as given; a directory stands for the *.rule files in it."""
    found: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found.extend(sorted(path.glob(f"*{RULE_SUFFIX}")))
        else:
            found.append(path)
    return found


@dataclass(frozen=True)
class RuleText:
    """A rule file given as text (by an editor, or a service's request), with the name its
    diagnostics and provenance show for it."""

    name: str
    text: str


RuleSource = str | os.PathLike[str] | RuleText


@dataclass
class RuleSet:
    """Checked rules of one or more sectors, possibly several versions per sector."""

    rules: list[Rule]
    _compiled: dict[str, CompiledRule] = field(default_factory=dict, repr=False)

    @property
    def sectors(self) -> list[str]:
        return sorted({r.sector for r in self.rules})

    @property
    def sector_labels(self) -> list[tuple[str, str]]:
        """(label, sector) of every version: what a sector may be given by besides its code."""
        return sorted({(r.sector_label, r.sector) for r in self.rules})

    def in_force(self, year: int) -> dict[str, Rule]:
        """sector -> the version whose effective years hold `year` (versions never overlap)."""
        return {r.sector: r for r in self.rules if r.in_force(year)}

    def require_year(self, year: int) -> dict[str, Rule]:
        chosen = self.in_force(year)
        if not chosen:
            spans = ", ".join(f"{r.sector} {r.effective[0]}-{r.effective[1]} ({r.version})"
                              for r in sorted(self.rules, key=lambda r: (r.sector, r.effective)))
            raise UsageError(_("no rules are in force for {year}; the rules loaded cover: {spans}",
                               year=year, spans=spans))
        return chosen

    def for_year(self, year: int) -> RulesInForce:
        """The rules in force for `year`; UsageError when no sector has a version."""
        return RulesInForce(year, self.require_year(year), tuple(self.rules), self._compiled)

    def compiled(self, rule: Rule) -> CompiledRule:
        return _compiled(rule, self._compiled)


def _compiled(rule: Rule, cache: dict[str, CompiledRule]) -> CompiledRule:
    if rule.sha256 + rule.path not in cache:
        cache[rule.sha256 + rule.path] = compile_rule(rule)
    return cache[rule.sha256 + rule.path]


@dataclass(frozen=True)
class RulesInForce:
    """The rules in force for one year, as every step of a run needs them.

    `by_sector` holds each sector's version for `year`; `loaded` every version loaded (a
    dataset made for several years carries the columns of all of them, and those are
    known columns); each rule's compiled forms, exact and batch, are made once.
    """

    year: int
    by_sector: Mapping[str, Rule]
    loaded: tuple[Rule, ...] = ()
    _compiled: dict[str, CompiledRule] = field(default_factory=dict, repr=False,
                                               compare=False)

    @classmethod
    def of(cls, rule: Rule, loaded: Iterable[Rule] = ()) -> RulesInForce:
        """One version taken as in force in its first effective year (what-if and
        version diffs run a version on data of any year)."""
        return cls(rule.effective[0], {rule.sector: rule}, tuple(loaded) or (rule,))

    @property
    def versions(self) -> tuple[Rule, ...]:
        """Every version loaded (the rules in force when nothing else was loaded)."""
        return self.loaded or tuple(self.by_sector.values())

    def only(self, sectors: Iterable[str]) -> RulesInForce:
        """The same, for these sectors alone."""
        wanted = set(sectors)
        return RulesInForce(self.year, {s: r for s, r in self.by_sector.items() if s in wanted},
                            self.loaded, self._compiled)

    def exact(self, sector: str) -> CompiledRule:
        return _compiled(self.by_sector[sector], self._compiled)

    @property
    def compiled(self) -> dict[str, CompiledRule]:
        """sector -> the exact compiled rule, for every sector in force."""
        return {sector: self.exact(sector) for sector in self.by_sector}

    def vector(self, sector: str) -> VectorRule:
        from peie.batch.vector import vectorise  # numpy: not on the path of `peie check`

        return vectorise(self.by_sector[sector])


def load_rules(paths: Sequence[RuleSource] | None = None) -> RuleSet:
    """Parse and check rule files, or texts, together (the bundled set when `paths` is
    None or empty).

    Every problem in every file is collected into one RuleError.
    """
    files: list[Path | RuleText] = []
    for given in paths or ():
        files += [given] if isinstance(given, RuleText) else expand_rule_paths([given])
    if not paths:
        files += bundled_rule_paths()
    if not files:
        where = ", ".join(str(p) for p in paths or [])
        raise UsageError(_("no rule files found in {where}", where=where))
    parsed: list[ast.RuleFile] = []
    problems: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for source in files:
        try:
            parsed.append(parse(source.text, source.name) if isinstance(source, RuleText)
                          else parse_file(source))
        except RuleError as error:
            problems.extend(error.diagnostics)
            sources.update(error.sources)
    try:
        rules = check(parsed)
    except RuleError as error:
        problems.extend(error.diagnostics)
        sources.update(error.sources)
        rules = []
    if problems:
        raise RuleError(problems, sources)
    return RuleSet(rules)


def rules_from_text(text: str, name: str = "<text>") -> RuleSet:
    """Check one rule file given as text (for embedding and for editors)."""
    return RuleSet(check([parse(text, name)]))
