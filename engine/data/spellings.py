"""Names and codes as registries write them, mapped once, before validation, to the ones
the rules declare (contract 10 and 11).

A column may be headed by its name, by its input's label (`供热比` for `heat_ratio`) or, for
the identity columns and verified emissions, by its Chinese name (`机组编号`); a
sector or an enum member given by its code or its label (`电力`, `超临界 600MW 机组`); a
province by any official spelling (peie.data.provinces). Names, codes and labels are
compared after NFKC normalisation, ignoring white space and case, so that
`超临界600MW机组` = `超临界 600MW 机组` = `sc_600`. Records, and every output, carry the
declared names and codes. A spelling with two meanings (a label that two sectors' enums
give different codes; a header that is one input's label and another's name) is an error
naming both, never a guess; a spelling with none is left as written, for validation to
word.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from peie.dsl.i18n import _
from peie.dsl.model import EnumType, Rule
from peie.errors import DataError, DataProblem

from . import provinces
from .kinds import ACCOUNTING_COLUMNS, COLUMN_LABELS, IDENTITY_COLUMNS
from .readers import Row, Table

if TYPE_CHECKING:
    from peie.ruleset import RulesInForce


def normal(text: str) -> str:
    """A name, code or label as it is compared: NFKC, without white space, case folded."""
    return "".join(unicodedata.normalize("NFKC", text).split()).casefold()


@dataclass
class Vocabulary:
    """The spellings of one column's values (or of the columns' names): each normal
    spelling -> what it may mean -> a description of where that meaning is declared."""

    key: Callable[[str], str] = normal
    meanings: dict[str, dict[str, str]] = field(default_factory=dict)

    def add(self, spelling: str, meaning: str, where: str) -> None:
        self.meanings.setdefault(self.key(spelling), {}).setdefault(meaning, where)

    def meaning(self, text: str) -> dict[str, str]:
        return self.meanings.get(self.key(text), {})

    def canonical(self) -> frozenset[str]:
        """The meanings that are their own one spelling: cells already as declared."""
        return frozenset(m for found in self.meanings.values() for m in found
                         if self.meaning(m).keys() == {m})


@functools.cache
def _provinces() -> tuple[Vocabulary, frozenset[str]]:
    """The provinces' spellings and canonical names, made once (when data are first read,
    not when `peie check` imports this)."""
    places = Vocabulary(provinces.normal)
    for province in provinces.PROVINCES:
        for spelling in province.spellings:
            places.add(spelling, province.name, _("province {name}", name=province.name))
    return places, places.canonical()


def _headers(loaded: Iterable[Rule]) -> Vocabulary:
    """Column names: the identity and accounting columns, and every input by its name or
    its label."""
    headers = Vocabulary()
    for name in (*IDENTITY_COLUMNS, *ACCOUNTING_COLUMNS):
        headers.add(name, name, _("column {name}", name=name))
        headers.add(COLUMN_LABELS[name], name,
                    _("column {name} ('{label}')", name=name, label=COLUMN_LABELS[name]))
    for rule in loaded:
        for name, item in rule.inputs.items():
            headers.add(name, name, _("input {name}", name=name))
            if item.decl.label:
                headers.add(item.decl.label, name, _("input {name} ('{label}' in {path})",
                                                     name=name, label=item.decl.label,
                                                     path=rule.path))
    return headers


def _sectors(loaded: Iterable[Rule]) -> Vocabulary:
    sectors = Vocabulary()
    for rule in loaded:
        sectors.add(rule.sector, rule.sector, _("sector {name}", name=rule.sector))
        sectors.add(rule.sector_label, rule.sector,
                    _("sector {name} ('{label}' in {path})", name=rule.sector,
                      label=rule.sector_label, path=rule.path))
    return sectors


_MADE: dict[tuple[int, ...], tuple[tuple[Rule, ...], Spelling]] = {}


def ambiguity(text: str, meanings: Mapping[str, str]) -> str:
    first, second = list(meanings.values())[:2]
    return _("'{text}' may mean {first} or {second}: write the code meant", text=text,
             first=first, second=second)


class Spelling:
    """How the rules in force spell what data may write otherwise."""

    def __init__(self, in_force: Iterable[Rule], loaded: Iterable[Rule]):
        loaded = list(loaded)
        self.headers = _headers(loaded)
        places, place_names = _provinces()
        self.values = {"sector": _sectors(loaded), "province": places}
        declared: dict[str, dict[str, None]] = {}  # enum column -> its codes, in order
        for rule in in_force:
            for name, item in rule.inputs.items():
                if isinstance(item.type, EnumType) and name not in IDENTITY_COLUMNS:
                    codes = self.values.setdefault(name, Vocabulary())
                    for member in rule.enums[item.type.enum].members:
                        where = _("{code} (sector {sector}, enum {enum})", code=member.code,
                                  sector=rule.sector, enum=item.type.enum)
                        codes.add(member.code, member.code, where)
                        codes.add(member.label, member.code, where)
                        declared.setdefault(name, {})[member.code] = None
        self.canonical = {name: place_names if v is places else v.canonical()
                          for name, v in self.values.items()}
        # The codes of each enum's column that are their own one spelling, in the order
        # declared: the batch path finds the cells that are not one of them anyway.
        self.codes = {name: tuple(c for c in found if c in self.canonical[name])
                      for name, found in declared.items()}

        self._names: dict[tuple[str, ...], tuple[str, ...]] = {}

    @classmethod
    def of(cls, rules: RulesInForce) -> Spelling:
        """The spelling of these rules, made once for them: a what-if run spells its
        columns on every call, which for columns that hold the codes costs a lookup."""
        in_force, loaded = tuple(rules.by_sector.values()), rules.versions
        key = tuple(id(rule) for rule in (*in_force, *loaded)) + (len(in_force),)
        if key not in _MADE:
            if len(_MADE) >= 16:
                _MADE.clear()
            _MADE[key] = (in_force + loaded, cls(in_force, loaded))  # the rules kept alive,
        return _MADE[key][1]  # so that no other rule takes their ids

    def names(self, header: Sequence[str], path: str) -> tuple[str, ...]:
        """The declared name of each column (as written where none is known)."""
        if tuple(header) not in self._names:
            self._names[tuple(header)] = self.declared_names(header, self.headers, path)
        return self._names[tuple(header)]

    @staticmethod
    def declared_names(header: Sequence[str], headers: Vocabulary, path: str
                       ) -> tuple[str, ...]:
        """The name `headers` gives each column (as written where it gives none); a header
        of two meanings, or two headers of one, are errors."""
        names: list[str] = []
        problems: list[DataProblem] = []
        first: dict[str, str] = {}
        for written in header:
            meanings = headers.meaning(written)
            if len(meanings) > 1:
                first_, second = list(meanings.values())[:2]
                problems.append(DataProblem(path, None, written, (
                    _("column '{written}' may be {first} or {second}: head it with the name meant",
                      written=written, first=first_, second=second))))
            name = next(iter(meanings)) if len(meanings) == 1 else written
            if name in first:
                problems.append(DataProblem(path, None, written, (
                    _("columns '{first}' and '{written}' are both {name}: keep one",
                      first=first[name], written=written, name=name))))
            first.setdefault(name, written)
            names.append(name)
        if problems:
            raise DataError(problems)
        return tuple(names)

    def mapping(self, name: str, distinct: Iterable[str]) -> tuple[dict[str, str], set[str]]:
        """For the values of column `name` that are not as declared: those of one meaning
        -> it, and those of more than one."""
        vocabulary = self.values[name]
        canonical = self.canonical[name]
        mapped: dict[str, str] = {}
        ambiguous: set[str] = set()
        for text in distinct:
            if text in canonical:
                continue
            meanings = vocabulary.meaning(text)
            if len(meanings) == 1:
                mapped[text] = next(iter(meanings))
            elif meanings:
                ambiguous.add(text)
        return mapped, ambiguous

    def table(self, table: Table) -> Table:
        """The table with the declared names and codes (the same table when it has them)."""
        names = self.names(table.columns, table.path)
        renamed = dict(zip(table.columns, names, strict=True))
        changes: dict[str, dict[str, str]] = {}
        ambiguous: dict[str, set[str]] = {}
        for written, name in renamed.items():
            if name in self.values:
                distinct = {v for row in table.rows if (v := row.cells.get(written)) is not None}
                changes[written], ambiguous[written] = self.mapping(name, distinct)
        if any(ambiguous.values()):
            raise DataError(self._ambiguous_cells(table, renamed, ambiguous))
        changes = {written: mapped for written, mapped in changes.items() if mapped}
        if not changes and names == table.columns:
            return table
        rows = tuple(Row(row.number, {renamed.get(c, c): _spelt(changes.get(c), v)
                                      for c, v in row.cells.items()})
                     for row in table.rows)
        return Table(table.path, table.sha256, names, rows)

    def _ambiguous_cells(self, table: Table, renamed: Mapping[str, str],
                         ambiguous: Mapping[str, set[str]]) -> list[DataProblem]:
        unit = next((c for c, n in renamed.items() if n == "unit_id"), "unit_id")
        return [DataProblem(table.path, row.number, renamed[written],
                            ambiguity(text, self.values[renamed[written]].meaning(text)),
                            row.cells.get(unit))
                for row in table.rows for written, texts in ambiguous.items()
                if (text := row.cells.get(written)) in texts]


def _spelt(mapped: Mapping[str, str] | None, text: str | None) -> str | None:
    return text if mapped is None or text is None else mapped.get(text, text)


def spelled_table(table: Table, rules: RulesInForce) -> Table:
    """`table` with the names and codes of the rules in force."""
    return Spelling.of(rules).table(table)
