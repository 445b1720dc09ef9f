"""Local (provincial) sector adjustment factors: 0 < factor <= 1, default 1.

The 2017 draft lets a province only be stricter than the national benchmark
(seed 001 L116), so a factor above 1 is refused, as is one of 0 or less. A province may be
written in any of its spellings (peie.data.provinces); factors are kept under its
canonical name, as records carry it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal

from peie.dsl.errors import did_you_mean
from peie.dsl.i18n import _
from peie.errors import DataError, DataProblem

from .kinds import COLUMN_LABELS, number_problem, read_number
from .provinces import province_of, unknown_province
from .readers import Row, Table
from .spellings import Spelling, Vocabulary, ambiguity

COLUMNS = ("province", "sector", "factor")
# The columns' Chinese names, which a factor file may be headed by.
LABELS = {"province": COLUMN_LABELS["province"], "sector": COLUMN_LABELS["sector"],
          "factor": "地方修正系数"}
DEFAULT = Decimal(1)


@dataclass(frozen=True)
class FactorSource:
    """Where a unit's factor came from, for explanations."""

    factor: Decimal
    file: str | None  # None: the default
    row: int | None


# Shared, not made per call: the exact path looks a factor up for every unit.
DEFAULT_SOURCE = FactorSource(DEFAULT, None, None)


@dataclass(frozen=True)
class LocalFactors:
    path: str | None = None
    sha256: str | None = None
    factors: dict[tuple[str, str], FactorSource] = field(default_factory=dict)

    def lookup(self, province: str, sector: str) -> FactorSource:
        return self.factors.get((province, sector), DEFAULT_SOURCE)

    def unmatched(self, present: Collection[tuple[str, str]]) -> list[DataProblem]:
        """A problem for each factor whose (province, sector) no unit of the data has:
        most likely a misspelt key, which would otherwise leave the units at 1."""
        return [DataProblem(source.file or "<local factors>", source.row, None,
                            _("the factor for {province}/{sector} applies to no unit: the data "
                              "has no unit of sector {sector} in {province}", province=province,
                              sector=sector))
                for (province, sector), source in self.factors.items()
                if (province, sector) not in present]


NO_LOCAL_FACTORS = LocalFactors()


def parse_factors(table: Table, sectors: Iterable[str],
                  labels: Iterable[tuple[str, str]] = ()) -> LocalFactors:
    """Validate a table of factors; every bad row is reported at once. A sector may be
    given by its code, one of `sectors`, or by a label of `labels` ((label, sector) pairs:
    `RuleSet.sector_labels`); the columns by their names or their Chinese names."""
    sectors = list(sectors)
    table, problems = _spelled(table, sectors, labels)
    for name in COLUMNS:
        if name not in table.columns:
            problems.append(DataProblem(table.path, None, name, _(
                "column is missing (the header must be province,sector,factor)")))
    for name in table.columns:
        if name not in COLUMNS:
            problems.append(DataProblem(table.path, None, name, _(
                "unknown column{hint}", hint=did_you_mean(name, COLUMNS))))
    if problems:
        raise DataError(problems)
    factors: dict[tuple[str, str], FactorSource] = {}
    for row in table.rows:
        written, sector, text = (row.cells.get(c) for c in COLUMNS)

        def report(field: str, message: str, number: int = row.number) -> None:
            problems.append(DataProblem(table.path, number, field, message))

        province = province_of(written) if written else None
        if not written:
            report("province", _("is required but empty"))
        elif province is None:
            report("province", unknown_province(written))
        if not sector:
            report("sector", _("is required but empty"))
        elif sector not in sectors:
            report("sector", _("unknown sector '{sector}'{hint}", sector=sector,
                               hint=did_you_mean(sector, sectors)))
        factor = _factor(text, report)
        if province and sector and factor is not None:
            if (province, sector) in factors:
                first = factors[(province, sector)].row
                report("province", _("a second factor for {province}/{sector} (first in row "
                                     "{first})", province=province, sector=sector, first=first))
            else:
                factors[(province, sector)] = FactorSource(factor, table.path, row.number)
    if problems:
        raise DataError(problems)
    return LocalFactors(table.path, table.sha256, factors)


def _spelled(table: Table, sectors: Iterable[str], labels: Iterable[tuple[str, str]]
             ) -> tuple[Table, list[DataProblem]]:
    """The table with the columns' names and the sectors' codes (peie.data.spellings), and
    a problem for each sector spelt with two meanings; other spellings are left as written,
    for validation to word."""
    names, codes = Vocabulary(), Vocabulary()
    for name in COLUMNS:
        names.add(name, name, f"column {name}")
        names.add(LABELS[name], name, f"column {name} ('{LABELS[name]}')")
    for code in sectors:
        codes.add(code, code, f"sector {code}")
    for label, code in labels:
        codes.add(label, code, f"sector {code} ('{label}')")
    columns = Spelling.declared_names(table.columns, names, table.path)
    renamed = dict(zip(table.columns, columns, strict=True))
    rows, problems = [], []
    for row in table.rows:
        cells = {renamed[c]: v for c, v in row.cells.items()}
        given = cells.get("sector")
        meanings = codes.meaning(given) if given else {}
        if len(meanings) == 1:
            cells["sector"] = next(iter(meanings))
        elif given and meanings:
            problems.append(DataProblem(table.path, row.number, "sector",
                                        ambiguity(given, meanings)))
        rows.append(Row(row.number, cells))
    return replace(table, columns=columns, rows=tuple(rows)), problems


def _factor(text: str | None, report) -> Decimal | None:  # type: ignore[no-untyped-def]
    if text is None:
        report("factor", _("is required but empty"))
        return None
    factor = read_number(text)
    if factor is None:
        report("factor", number_problem(text))
        return None
    if not 0 < factor <= 1:
        report("factor", _("{text} is out of range: a local adjustment factor must be more than "
                           "0 and at most 1 (provinces may only be stricter than the national "
                           "benchmark)", text=text))
        return None
    return factor
