"""Facility data -> validated unit records, by JSON Schemas derived from the rules' inputs.

Each row is one unit (power unit, clinker line, aluminium plant). Every bad cell of every
row is reported, with file, row, unit and field; nothing is evaluated when any is bad.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from peie.dsl import ast
from peie.dsl.errors import did_you_mean
from peie.dsl.i18n import _
from peie.dsl.model import Input, Rule
from peie.errors import DataError, DataProblem

from . import conditions
from .kinds import ACCOUNTING_COLUMNS, IDENTITY_COLUMNS, field_kinds
from .provinces import NAMES as PROVINCES
from .provinces import unknown_province
from .spellings import spelled_table

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

    from peie.ruleset import RulesInForce

    from .readers import Table


class UnitRecord(NamedTuple):
    """One validated row (a NamedTuple, like peie.exact.allocation.UnitAllocation)."""

    row: int
    facility_id: str
    unit_id: str
    sector: str
    province: str
    values: dict[str, Decimal | str | None]  # every rule input; defaults filled in
    defaulted: frozenset[str]  # inputs that took their rule default
    accounting: dict[str, Decimal]  # verified emissions and the like, where given


def record_schema(rule: Rule) -> dict[str, Any]:
    """The JSON Schema of one unit record of `rule`'s sector (cells that are empty omitted)."""
    properties: dict[str, Any] = {
        "facility_id": {"type": "string", "minLength": 1},
        "unit_id": {"type": "string", "minLength": 1},
        "sector": {"const": rule.sector},
        "province": {"enum": sorted(PROVINCES)},
    }
    required = list(IDENTITY_COLUMNS)
    conditional = []
    properties.update({name: kind.schema() for name, kind in field_kinds(rule).items()})
    for name, item in rule.inputs.items():
        kind = item.decl.requirement.kind
        if kind == "required":
            required.append(name)
        elif kind == "when":
            assert item.decl.requirement.when is not None
            conditional.append({"if": conditions.schema(item.decl.requirement.when,
                                                        rule.inputs),
                                "then": {"required": [name]}})
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{rule.sector} unit record, rules {rule.version}",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
    if conditional:
        schema["allOf"] = conditional
    return schema


def _condition_text(rule: Rule, item: Input) -> str:
    when = item.decl.requirement.when
    assert when is not None
    return ast.span_text(rule.file.text, when.span) or _("its condition holds")


def _range_text(item: Input) -> str:
    return _("in {range} (input {name}, {file}:{line})", range=item.range, name=item.decl.name,
             file=item.decl.span.file, line=item.decl.span.line)


class _SectorValidator:
    """Validation and conversion of one sector's rows, built once per run."""

    def __init__(self, rule: Rule, other_versions: set[str]):
        self.rule = rule
        # Inputs that only other versions of this sector read: a dataset made for
        # several versions carries them, and this version passes them by.
        self.ignored = other_versions - set(rule.inputs)
        from jsonschema import Draft202012Validator  # kept off the path of `peie check`

        self.schema = record_schema(rule)  # well-formed by construction (a test checks it)
        self.validator = Draft202012Validator(self.schema)
        self.kinds = field_kinds(rule)
        self.required = tuple(self.schema["required"])
        self.checks = self._cell_checks()
        self.conditions = [(name, item.decl.requirement.when)
                           for name, item in rule.inputs.items()
                           if item.decl.requirement.when is not None]

    def _cell_checks(self) -> dict[str, Callable[[Any], bool]]:
        """Per field, a plain-Python test of what the schema says of it (see is_valid)."""
        def text(value: Any) -> bool:
            return isinstance(value, str) and value != ""

        checks: dict[str, Callable[[Any], bool]] = {
            "facility_id": text, "unit_id": text, "province": PROVINCES.__contains__,
            "sector": lambda v: v == self.rule.sector,
        }
        checks.update({name: kind.accepts for name, kind in self.kinds.items()})
        return checks

    def is_valid(self, instance: dict[str, Any]) -> bool:
        """The fast path: True exactly when the JSON Schema finds no error (a property
        test holds the two to agreement); only rows it rejects pay for jsonschema."""
        if any(name not in instance for name in self.required):
            return False
        for name, value in instance.items():
            check = self.checks.get(name)
            if check is None or not check(value):
                return False
        return not any(name not in instance and conditions.holds(when, self.rule.inputs, instance)
                       for name, when in self.conditions)

    def convert(self, cells: Mapping[str, str | None]) -> dict[str, Any]:
        """Cells as JSON values: numbers where the schema wants numbers, empties dropped."""
        instance: dict[str, Any] = {}
        for name, text in cells.items():
            if text is None or name in self.ignored:
                continue
            kind = self.kinds.get(name)
            instance[name] = text if kind is None else kind.value(text)
        return instance

    def problems(self, instance: dict[str, Any]) -> list[tuple[str | None, str]]:
        if self.is_valid(instance):
            return []
        found: dict[str | None, str] = {}
        for error in self.validator.iter_errors(instance):
            for field, message in self._describe(error, instance):
                found.setdefault(field, message)
        return sorted(found.items(), key=lambda kv: self._order(kv[0]))

    def _order(self, field: str | None) -> int:
        names = list(self.schema["properties"])
        return names.index(field) if field in names else len(names)

    def _describe(self, error: ValidationError, instance: dict[str, Any]):  # type: ignore[no-untyped-def]
        rule = self.rule
        kind = error.validator
        if kind == "required":
            conditional = "then" in error.schema_path
            for name in error.validator_value:
                if name in instance:
                    continue
                if conditional and name in rule.inputs:
                    item = rule.inputs[name]
                    yield name, _("is required when {condition} ({path}:{line})",
                                  condition=_condition_text(rule, item), path=rule.path,
                                  line=item.decl.span.line)
                else:
                    yield name, _("is required but empty")
            return
        if kind == "additionalProperties":
            known = set(self.schema["properties"])
            for name in sorted(set(instance) - known):
                yield name, _("is not an input of sector {sector}; leave it empty",
                              sector=rule.sector)
            return
        field = str(error.path[0]) if error.path else None
        value = error.instance
        if kind in ("type", "enum") and field is not None and field in self.kinds:
            yield field, self.kinds[field].mismatch(value)
        elif kind == "enum" and field == "province":
            yield field, unknown_province(str(value))
        elif kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            bounded = rule.inputs.get(field or "")
            where = _range_text(bounded) if bounded else _("at least 0")
            yield field, _("{value} is out of range: must be {where}", value=value, where=where)
        elif kind == "minLength":
            yield field, _("must not be empty")
        else:
            yield field, error.message


def validate_table(table: Table, rules: RulesInForce) -> list[UnitRecord]:
    """Validate every row against the rules in force; raise DataError.

    Columns that any version loaded reads are known columns. Names and codes may be
    written as peie.data.spellings reads them; the records carry the declared ones.
    """
    table = spelled_table(table, rules)
    every = rules.versions
    validators = {
        sector: _SectorValidator(rule, {n for r in every if r.sector == sector for n in r.inputs})
        for sector, rule in rules.by_sector.items()
    }
    problems: list[DataProblem] = []
    _check_columns(table, every, problems)
    if problems:
        raise DataError(problems)
    records: list[UnitRecord] = []
    seen_units: dict[str, int] = {}
    for row in table.rows:
        cells = row.cells
        unit_id = cells.get("unit_id")
        sector = cells.get("sector")

        def report(field: str | None, message: str, number: int = row.number,
                   unit: str | None = unit_id) -> None:
            problems.append(DataProblem(table.path, number, field, message, unit))

        if sector not in validators:
            hint = did_you_mean(sector or "", validators)
            report("sector", _("no rules in force for sector '{sector}' in {year}{hint}",
                               sector=sector or "", year=rules.year, hint=hint)
                   if sector else _("is required but empty"))
            continue
        validator = validators[sector]
        instance = validator.convert(cells)
        for field, message in validator.problems(instance):
            report(field, message)
        if unit_id:
            if unit_id in seen_units:
                report("unit_id", _("unit '{unit_id}' appears twice (first in row {first})",
                                    unit_id=unit_id, first=seen_units[unit_id]))
            seen_units.setdefault(unit_id, row.number)
        records.append(_record(row.number, instance, validator.rule))
    if problems:
        raise DataError(problems)
    return records


def _record(number: int, instance: dict[str, Any], rule: Rule) -> UnitRecord:
    values: dict[str, Decimal | str | None] = {}
    defaulted = set()
    for name, item in rule.inputs.items():
        value = instance.get(name)
        if value is None and item.default is not None:
            value = item.default
            defaulted.add(name)
        values[name] = value
    return UnitRecord(
        row=number,
        facility_id=instance.get("facility_id", ""),
        unit_id=instance.get("unit_id", ""),
        sector=rule.sector,
        province=instance.get("province", ""),
        values=values,
        defaulted=frozenset(defaulted),
        accounting={n: instance[n] for n in ACCOUNTING_COLUMNS if n in instance},
    )


def _check_columns(table: Table, rules: Iterable[Rule], problems: list[DataProblem]) -> None:
    known = set(IDENTITY_COLUMNS) | set(ACCOUNTING_COLUMNS)
    for rule in rules:
        known.update(rule.inputs)
    for name in IDENTITY_COLUMNS:
        if name not in table.columns:
            problems.append(DataProblem(table.path, None, name, _("column is missing")))
    for name in table.columns:
        if name not in known:
            problems.append(DataProblem(
                table.path, None, name,
                _("unknown column{hint}; the rules in force read {known}",
                  hint=did_you_mean(name, known), known=", ".join(sorted(known))),
            ))
