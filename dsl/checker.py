"""Checks parsed rule files and builds checked Rules; every problem is reported at once.

What is checked: metadata, unknown and duplicate names (with "did you mean"), units of
every expression (in typecheck.py), tables that miss or repeat a category, brackets that
overlap or leave gaps, inputs' ranges and defaults, the shape of the allocation (tCO2),
the share and the rounding, and, across files, versions of one sector whose effective
years overlap.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal
from typing import TypeVar, assert_never

from . import ast
from .declarations import kind_of
from .errors import Diagnostic, RuleError, Span, did_you_mean
from .i18n import _
from .model import (
    COMPLIANCE_NAMES,
    DIMENSIONLESS,
    FACILITY_OBLIGATION_NAMES,
    LOCAL_FACTOR,
    TCO2,
    UNIT_OBLIGATION_NAMES,
    YES_NO,
    YES_NO_ENUM,
    Bracket,
    Ensure,
    EnumType,
    Input,
    NumType,
    Range,
    Rule,
    Table,
    Type,
    Unit,
    YesNoType,
    unit_text,
)
from .parser import MAX_DEPTH
from .typecheck import TypeChecker, enum_codes

STATUSES = ("draft", "final", "secondary")
ROUNDING_MODES = ("half_up", "half_even", "down", "up")
REQUIRED_HEADERS = ("sector", "version", "status", "effective", "published", "source")

_D = TypeVar("_D", bound=ast.Decl)
_Single = ast.FormulaDecl | ast.PreallocationDecl | ast.RoundingDecl  # one to a file at most
_ValueDecl = ast.InputDecl | ast.TableDecl | ast.BracketDecl | ast.ParamDecl | ast.LetDecl


def _first_line(file: ast.RuleFile) -> Span:
    return Span(file.path, 1, 1, 1, 2)


def _formula(singles: dict[str, _Single], kind: str) -> ast.FormulaDecl | None:
    decl = singles.get(kind)
    assert decl is None or isinstance(decl, ast.FormulaDecl)
    return decl


def _names_in(condition: ast.Condition) -> list[ast.Name | ast.Lookup]:
    """Every name and table lookup in a condition, in reading order; the codes listed in
    an `in {...}` are codes, not names."""
    nodes = list(condition.walk())
    codes = {id(m) for n in nodes if isinstance(n, ast.InSet) for m in n.members}
    return [n for n in nodes if isinstance(n, ast.Name | ast.Lookup) and id(n) not in codes]


class _FileChecker:
    def __init__(self, file: ast.RuleFile):
        self.file = file
        self.problems: list[Diagnostic] = []
        self.headers: dict[str, ast.Header] = {}
        self.enums: dict[str, ast.EnumDecl] = {YES_NO: YES_NO_ENUM}  # built in
        self.declared: dict[str, ast.Decl] = {}  # value names
        self.types: dict[str, Type] = {LOCAL_FACTOR: NumType(DIMENSIONLESS)}
        self.inputs: dict[str, Input] = {}
        self.tables: dict[str, Table] = {}
        self.brackets: dict[str, Bracket] = {}
        self.params: dict[str, ast.ParamDecl] = {}
        self.lets = {d.name: d for d in self._all(ast.LetDecl)}
        self.brackets_seen: set[str] = set()
        self.typer = TypeChecker(self)

    def error(self, span: Span, message: str) -> None:
        self.problems.append(Diagnostic(span, message))

    def _all(self, kind: type[_D]) -> list[_D]:
        return [decl for decl in self.file.decls if isinstance(decl, kind)]

    # ---- the whole file ----------------------------------------------------------

    def check(self) -> Rule | None:
        singles = self._collect()
        self._check_headers()
        self._check_values()
        for kind in ("allocation", "emissions", "preallocation basis"):
            self._check_formula(_formula(singles, kind), kind, required=kind == "allocation")
        with self.typer.compliance(UNIT_OBLIGATION_NAMES, unit_values=True):
            self._check_formula(_formula(singles, "obligation"), "obligation", required=False)
        with self.typer.compliance(FACILITY_OBLIGATION_NAMES, unit_values=False):
            self._check_formula(_formula(singles, "obligation facility"),
                                "obligation facility", required=False)
        ensures = [e for d in self._all(ast.EnsureDecl)
                   if (e := self._check_ensure(d)) is not None]
        self._check_preallocation(singles.get("preallocation"))
        self._check_rounding(singles.get("rounding"))
        return None if self.problems else self._rule(singles, ensures)

    def _collect(self) -> dict[str, _Single]:
        """The first pass: metadata, enums and value names, and the declarations a file
        has one of at most, by the name of their kind."""
        singles: dict[str, _Single] = {}
        for decl in self.file.decls:
            match decl:
                case ast.Header():
                    self._collect_header(decl)
                case ast.EnumDecl():
                    self._collect_enum(decl)
                case ast.FormulaDecl() | ast.PreallocationDecl() | ast.RoundingDecl():
                    self._collect_single(decl, singles)
                case (ast.InputDecl() | ast.TableDecl() | ast.BracketDecl() | ast.ParamDecl()
                      | ast.LetDecl()):
                    self._declare(decl)
                case ast.EnsureDecl():
                    pass  # declares nothing; checked with the formulas
                case _:
                    assert_never(decl)
        return singles

    def _collect_single(self, decl: _Single, singles: dict[str, _Single]) -> None:
        kind = kind_of(decl).name
        if kind in singles:
            self.error(decl.span, _("'{kind}' is declared twice (first at line {line})",
                                    kind=kind, line=singles[kind].span.line))
        singles[kind] = decl

    def _check_values(self) -> None:
        """The declarations of values, each after those its check reads: a bracket
        covers its input's range, a let may use any value, and an input's requirement
        may test any input."""
        for input_decl in self._all(ast.InputDecl):
            self._check_input(input_decl)
        for decl in self.file.decls:
            match decl:  # in file order, the one pass over both
                case ast.TableDecl():
                    self._check_table(decl)
                case ast.ParamDecl():
                    self._check_param(decl)
        for bracket in self._all(ast.BracketDecl):
            self.check_bracket(bracket)
        for let in self._all(ast.LetDecl):
            self.typer.let_type(let.name)
        self._check_let_chains()
        for input_decl in self._all(ast.InputDecl):
            if input_decl.requirement.when is not None:
                self._check_requirement(input_decl, input_decl.requirement.when)

    def _check_let_chains(self) -> None:
        """A let used by a let used by ... at most MAX_DEPTH deep: an explanation shows
        the chain as a tree, a level for each let, and whatever reads the tree (JSON among
        them) nests as deep."""
        chain: dict[str, int] = {}
        for let in self.typer.let_order:  # each after the lets it uses
            used = [chain[n.id] for n in let.expr.walk() if isinstance(n, ast.Name)
                    and n.id in chain]
            chain[let.name] = 1 + max(used, default=0)
            if chain[let.name] == MAX_DEPTH + 1:
                self.error(let.span, _(
                    "'{name}' ends a chain of more than {limit} lets, each using the next: "
                    "compute some of them in one formula", name=let.name, limit=MAX_DEPTH))

    def _rule(self, singles: dict[str, _Single], ensures: list[Ensure]) -> Rule:
        """The checked rule, once no problem was found."""
        allocation, preallocation, rounding = (singles["allocation"], singles["preallocation"],
                                               singles["rounding"])
        assert isinstance(allocation, ast.FormulaDecl)
        assert isinstance(preallocation, ast.PreallocationDecl)
        assert isinstance(rounding, ast.RoundingDecl)
        h = self.headers
        return Rule(
            file=self.file,
            sector=h["sector"].value[0],
            sector_label=h["sector"].value[1],
            version=h["version"].value[0],
            status=h["status"].value[0],
            effective=(int(h["effective"].value[0]), int(h["effective"].value[1])),
            published=h["published"].value[0],
            source=h["source"].value[0],
            enums=self.enums,
            inputs=self.inputs,
            tables=self.tables,
            brackets=self.brackets,
            params=self.params,
            lets=self.typer.let_order,
            allocation=allocation,
            emissions=_formula(singles, "emissions"),
            preallocation_basis=_formula(singles, "preallocation basis"),
            obligation=_formula(singles, "obligation"),
            facility_obligation=_formula(singles, "obligation facility"),
            ensures=ensures,
            preallocation=preallocation,
            rounding=rounding,
            types=self.types,
        )

    # ---- metadata ----------------------------------------------------------------

    def _collect_header(self, decl: ast.Header) -> None:
        if decl.key in self.headers:
            line = self.headers[decl.key].span.line
            self.error(decl.span, _("'{key}' is given twice (first at line {line})",
                                    key=decl.key, line=line))
            return
        self.headers[decl.key] = decl
        if decl.key == "status" and decl.value[0] not in STATUSES:
            self.error(decl.span, _("status must be one of {statuses}, not '{status}'{hint}",
                                    statuses=", ".join(STATUSES), status=decl.value[0],
                                    hint=did_you_mean(decl.value[0], STATUSES)))
        elif decl.key == "effective":
            first, last = decl.value
            if not (_is_year(first) and _is_year(last)) or int(first) > int(last):
                self.error(decl.span, _("effective years must be whole years, first <= last "
                                        "(got {first} to {last})", first=first[:12],
                                        last=last[:12]))
        elif decl.key == "published":
            try:
                datetime.date.fromisoformat(decl.value[0])
            except ValueError:
                self.error(decl.span, _("'{date}' is not a calendar date", date=decl.value[0]))

    def _check_headers(self) -> None:
        for key in REQUIRED_HEADERS:
            if key not in self.headers:
                hint = _(" (a 'source' line right after a param, table, bracket row or "
                         "preallocation is that declaration's source: keep the file's own "
                         "'source' among the metadata at the top)") if key == "source" else ""
                self.error(_first_line(self.file), _("the rule file does not say its "
                                                     "'{key}'{hint}", key=key, hint=hint))

    # ---- names -------------------------------------------------------------------

    def _collect_enum(self, decl: ast.EnumDecl) -> None:
        if decl.name == YES_NO:
            self.error(decl.span, _("enum '{name}' is built in (codes yes and no, which data "
                                    "may write as true/false, y/n, 1/0 or 是/否): remove this "
                                    "declaration", name=YES_NO))
            return
        if decl.name in self.enums:
            first = self.enums[decl.name].span.line
            self.error(decl.span, _("enum '{name}' is declared twice (first at line {line})",
                                    name=decl.name, line=first))
            return
        self.enums[decl.name] = decl
        seen: dict[str, ast.EnumMember] = {}
        for member in decl.members:
            if member.code in seen:
                self.error(member.span, _("code '{code}' appears twice in enum '{name}' "
                                          "(first at line {line})", code=member.code,
                                          name=decl.name, line=seen[member.code].span.line))
            seen[member.code] = member
        if not decl.members:
            self.error(decl.span, _("enum '{name}' has no codes", name=decl.name))

    def _declare(self, decl: _ValueDecl) -> None:
        name = decl.name
        if name == LOCAL_FACTOR:
            self.error(decl.span, _("'{name}' is built in (the local adjustment factor of the "
                                    "facility's province and sector) and cannot be redeclared",
                                    name=LOCAL_FACTOR))
        elif name in COMPLIANCE_NAMES:
            self.error(decl.span, _("'{name}' is built in (a value of the compliance "
                                    "formulas, 'obligation = ...') and cannot be redeclared",
                                    name=name))
        elif name in self.declared:
            first = self.declared[name].span.line
            self.error(decl.span, _("'{name}' is already declared at line {line}", name=name,
                                    line=first))
        else:
            self.declared[name] = decl

    # ---- declarations ------------------------------------------------------------

    def _check_input(self, decl: ast.InputDecl) -> None:
        ref = decl.type
        typ: Type
        if len(ref.factors) == 1 and ref.factors[0][1] == 1 and ref.factors[0][0] in self.enums:
            name = ref.factors[0][0]
            typ = YesNoType() if name == YES_NO else EnumType(name)
            if decl.range is not None:
                self.error(decl.range.span, _("input '{name}' is a code; it cannot have a "
                                              "numeric range", name=decl.name))
        else:
            typ = NumType(self.typer.unit(ref, percent_allowed=False))
            self._check_enum_typo(ref)
        rng = None
        if decl.range is not None and isinstance(typ, NumType):
            rng = self.typer.range(decl.range, typ.unit, _("range of '{name}'", name=decl.name))
        default = None
        requirement = decl.requirement
        if requirement.default is not None:
            if not isinstance(typ, NumType):
                self.error(requirement.default.span, _("only numeric inputs can have a default"))
            else:
                default = self.typer.quantity(requirement.default, typ.unit,
                                         _("default of '{name}'", name=decl.name))
                if rng is not None and not rng.contains(default):
                    self.error(requirement.default.span, _(
                        "default {default} of '{name}' lies outside its range {range}",
                        default=default, name=decl.name, range=rng))
        self.types[decl.name] = typ
        self.inputs[decl.name] = Input(decl, typ, rng, default)

    def _check_enum_typo(self, ref: ast.UnitRef) -> None:
        """`input kind: knd` would silently be a number in the unit 'knd'."""
        if len(ref.factors) == 1 and ref.factors[0][1] == 1:
            hint = did_you_mean(ref.factors[0][0], self.enums)
            if hint:
                self.error(ref.span, _("'{name}' is not an enum, so it is read as a unit{hint}",
                                       name=ref.text, hint=hint))

    def _check_requirement(self, decl: ast.InputDecl, when: ast.Condition) -> None:
        """`required when` may only test code inputs, so the data schema can express it."""
        self.typer.condition_type(when)
        for node in _names_in(when):
            if isinstance(node, ast.Lookup) or (
                node.id in self.declared
                and not (node.id in self.inputs and isinstance(self.types.get(node.id),
                                                               EnumType))
            ):
                self.error(node.span, _("'required when' of '{name}' may only test code "
                                        "inputs (such as a category), with == != or in {{...}}",
                                        name=decl.name))
        if isinstance(when, ast.Compare) and when.op not in ("==", "!="):
            self.error(when.span, _("'required when' may only compare codes with == or !="))

    def _resolve_enum(self, name: str, span: Span) -> str | None:
        if name in self.enums:
            return name
        self.error(span, _("unknown enum '{name}'{hint}", name=name,
                           hint=did_you_mean(name, self.enums)))
        return None

    def _check_table(self, decl: ast.TableDecl) -> None:
        key_enum = self._resolve_enum(decl.key_enum, decl.key_span)
        typ: Type
        if decl.value_enum is not None:
            value_enum = self._resolve_enum(decl.value_enum, decl.span)
            typ = EnumType(value_enum or decl.value_enum)
        else:
            assert decl.unit is not None
            typ = NumType(self.typer.unit(decl.unit, percent_allowed=False))
        self.types[decl.name] = typ
        values: dict[str, Decimal | str] = {}
        codes = enum_codes(self.enums[key_enum]) if key_enum else {}
        for row in decl.rows:
            if key_enum and row.key not in codes:
                self.error(row.span, _("'{name}' is not a {enum} code{hint}", name=row.key,
                                       enum=key_enum, hint=did_you_mean(row.key, codes)))
            elif row.key in values:
                first = next(r for r in decl.rows if r.key == row.key).span.line
                self.error(row.span, _("table '{name}' has two rows for '{key}' (first at "
                                       "line {line})", name=decl.name, key=row.key, line=first))
            elif key_enum and row.label is not None and row.label != codes[row.key].label:
                self.error(row.span, _("label \"{label}\" differs from enum {enum}'s label "
                                       "\"{expected}\" for '{key}'", label=row.label,
                                       enum=key_enum, expected=codes[row.key].label,
                                       key=row.key))
            if isinstance(typ, EnumType):
                allowed = enum_codes(self.enums[typ.enum]) if typ.enum in self.enums else {}
                if not isinstance(row.value, str):
                    self.error(row.span, _("table '{name}' holds {enum} codes, not numbers",
                                           name=decl.name, enum=typ.enum))
                elif allowed and row.value not in allowed:
                    self.error(row.span, _("'{name}' is not a {enum} code{hint}",
                                           name=row.value, enum=typ.enum,
                                           hint=did_you_mean(row.value, allowed)))
            elif isinstance(row.value, str):
                self.error(row.span, _("table '{name}' holds numbers in {unit}, not the name "
                                       "'{value}'", name=decl.name, unit=unit_text(typ.unit),
                                       value=row.value))
            values.setdefault(row.key, row.value)
        missing = [code for code in codes if code not in values]
        if missing:
            self.error(decl.span, _("table '{name}' has no row for {enum} {codes}",
                                    name=decl.name, enum=key_enum,
                                    codes=", ".join(f"'{m}'" for m in missing)))
        self.tables[decl.name] = Table(decl, values, typ)

    def _check_param(self, decl: ast.ParamDecl) -> None:
        unit = self.typer.unit(decl.value.unit) if decl.value.unit else DIMENSIONLESS
        self.types[decl.name] = NumType(unit)
        self.params[decl.name] = decl

    def check_bracket(self, decl: ast.BracketDecl) -> None:
        """Checked once, on first use or in file order, whichever comes first: a let may
        use a bracket declared further down."""
        if decl.name in self.brackets_seen:
            return
        self.brackets_seen.add(decl.name)
        subject_type = self.typer.value_type(decl.subject, decl.subject_span)
        if subject_type is None:
            return
        if not isinstance(subject_type, NumType):
            self.error(decl.subject_span, _("bracket '{name}' needs a number to range over; "
                                            "'{subject}' is {type}", name=decl.name,
                                            subject=decl.subject, type=subject_type))
            return
        if not decl.rows:
            self.error(decl.span, _("bracket '{name}' has no rows", name=decl.name))
            return
        value_unit: Unit | None = None
        rows: list[tuple[Range, Decimal, ast.BracketRow]] = []
        for row in decl.rows:
            rng = self.typer.range(row.interval, subject_type.unit,
                                   _("bracket '{name}'", name=decl.name))
            unit = self.typer.unit(row.value.unit) if row.value.unit else DIMENSIONLESS
            if value_unit is None:
                value_unit = unit
            elif unit != value_unit:
                self.error(row.value.span, _("bracket '{name}' gives {unit} here but {first} "
                                             "in its first row", name=decl.name,
                                             unit=unit_text(unit), first=unit_text(value_unit)))
            rows.append((rng, row.value.scaled, row))
        rows.sort(key=lambda r: (r[0].low is not None, r[0].low or 0, not r[0].low_closed))
        for (a, *_rest), (b, _value, row) in zip(rows, rows[1:], strict=False):
            self._check_adjacent(decl, a, b, row)
        subject_input = self.inputs.get(decl.subject)
        if subject_input is not None and subject_input.range is not None:
            self._check_coverage(decl, rows[0][0], rows[-1][0], subject_input.range)
        self.types[decl.name] = NumType(value_unit or DIMENSIONLESS)
        self.brackets[decl.name] = Bracket(
            decl, tuple(r[0] for r in rows), tuple(r[1] for r in rows),
            tuple(r[2] for r in rows), value_unit or DIMENSIONLESS,
        )

    def _check_adjacent(self, decl: ast.BracketDecl, a: Range, b: Range,
                        row: ast.BracketRow) -> None:
        if a.high is None or (b.low is not None and a.high > b.low) or (
            a.high == b.low and a.high_closed and b.low_closed
        ):
            self.error(row.span, _("bracket '{name}': {b} overlaps {a}", name=decl.name, a=a,
                                   b=b))
        elif b.low is None or a.high < b.low or (not a.high_closed and not b.low_closed):
            self.error(row.span, _("bracket '{name}' leaves a gap between {a} and {b}",
                                   name=decl.name, a=a, b=b))

    def _check_coverage(self, decl: ast.BracketDecl, first: Range, last: Range,
                        domain: Range) -> None:
        def starts_before(r: Range) -> bool:
            if r.low is None:
                return True
            if domain.low is None:
                return False
            return r.low < domain.low or (r.low == domain.low
                                          and (r.low_closed or not domain.low_closed))

        def ends_after(r: Range) -> bool:
            if r.high is None:
                return True
            if domain.high is None:
                return False
            return r.high > domain.high or (r.high == domain.high
                                            and (r.high_closed or not domain.high_closed))

        if not starts_before(first) or not ends_after(last):
            self.error(decl.span, _("bracket '{name}' does not cover the whole range {range} "
                                    "of '{subject}'", name=decl.name, range=domain,
                                    subject=decl.subject))

    # ---- formulas and settings ---------------------------------------------------

    def _check_formula(self, decl: ast.FormulaDecl | None, kind: str, required: bool) -> None:
        if decl is None:
            if required:
                self.error(_first_line(self.file), _("the rule file has no '{kind} = ...' "
                                                     "formula", kind=kind))
            return
        typ = self.typer.expr_type(decl.expr)
        if typ is not None and typ != NumType(TCO2):
            self.error(decl.span, _("{kind} must be in tCO2, but this formula gives {type}",
                                    kind=kind, type=typ))

    def _check_ensure(self, decl: ast.EnsureDecl) -> Ensure | None:
        typ = self.typer.value_type(decl.name, decl.span)
        if decl.when is not None:
            self.typer.condition_type(decl.when)
        if typ is None:
            return None
        if not isinstance(typ, NumType):
            self.error(decl.span, _("'ensure' needs a number; '{name}' is {type}",
                                    name=decl.name, type=typ))
            return None
        return Ensure(decl, self.typer.range(decl.interval, typ.unit,
                                             _("ensure '{name}'", name=decl.name)))

    def _check_preallocation(self, decl: _Single | None) -> None:
        if decl is None:
            self.error(_first_line(self.file), _("the rule file has no 'preallocation' share"))
            return
        assert isinstance(decl, ast.PreallocationDecl)
        if decl.share is not None:
            share = self.typer.quantity(decl.share, DIMENSIONLESS,
                                        _("the pre-allocation share"))
            if not 0 < share <= 1:
                self.error(decl.share.span, _("the pre-allocation share must be more than "
                                              "0 % and at most 100 %"))
        effective = self.headers.get("effective")
        if decl.base_year is None:
            return
        if not decl.base_year.isdigit():
            self.error(decl.span, _("base year must be a whole year, not {year}",
                                    year=decl.base_year))
        elif effective is not None and effective.value[0].isdigit() and (
            int(decl.base_year) > int(effective.value[0])
        ):
            self.error(decl.span, _("base year {year} comes after the first effective year "
                                    "{first}: a pre-allocation is computed on a year before "
                                    "or at the year it allocates (write 'of previous year' "
                                    "for the year before each year)", year=decl.base_year,
                                    first=effective.value[0]))

    def _check_rounding(self, decl: _Single | None) -> None:
        if decl is None:
            self.error(_first_line(self.file),
                       _("the rule file has no 'rounding facility' rule"))
            return
        assert isinstance(decl, ast.RoundingDecl)
        if decl.mode not in ROUNDING_MODES:
            self.error(decl.span, _("rounding mode must be one of {modes}, not '{mode}'{hint}",
                                    modes=", ".join(ROUNDING_MODES), mode=decl.mode,
                                    hint=did_you_mean(decl.mode, ROUNDING_MODES)))
        quantum = self.typer.quantity(decl.quantum, TCO2, _("the rounding step"))
        if decl.quantum.unit is None:
            self.error(decl.quantum.span, _("the rounding step needs its unit, as in 1 tCO2"))
        if quantum <= 0 or quantum != quantum.to_integral_value():
            self.error(decl.quantum.span, _("the rounding step must be a whole number of "
                                            "tonnes (allowances are issued in whole tCO2)"))


def check_file(file: ast.RuleFile) -> tuple[Rule | None, list[Diagnostic]]:
    """Check one parsed file; the Rule is None when any problem was found."""
    checker = _FileChecker(file)
    rule = checker.check()
    return rule, checker.problems


def check_versions(rules: Iterable[Rule], gaps: bool = True) -> list[Diagnostic]:
    """Versions of one sector must not claim the same year nor leave a year between them
    uncovered (a gap would leave units of that year with no rule at all). Gaps are not
    reported when `gaps` is false: with a file that failed its check, a gap may only be
    that file's years."""
    problems = []
    by_sector: dict[str, list[Rule]] = {}
    for rule in rules:
        by_sector.setdefault(rule.sector, []).append(rule)
    for sector, versions in by_sector.items():
        versions.sort(key=lambda r: r.effective)
        for a, b in zip(versions, versions[1:], strict=False):
            if b.effective[0] == a.effective[1] + 1 or (
                    not gaps and b.effective[0] > a.effective[1]):
                continue
            header = next(d for d in b.file.decls
                          if isinstance(d, ast.Header) and d.key == "effective")
            versions_of = {"sector": sector, "version": b.version, "first": b.effective[0],
                           "last": b.effective[1], "other": a.version,
                           "other_first": a.effective[0], "other_last": a.effective[1],
                           "path": a.path}
            if b.effective[0] <= a.effective[1]:
                message = _("{sector} version '{version}' ({first}-{last}) overlaps version "
                            "'{other}' ({other_first}-{other_last}) in {path}", **versions_of)
            else:
                message = _("{sector} version '{version}' ({first}-{last}) leaves a gap after "
                            "version '{other}' ({other_first}-{other_last}) in {path}",
                            **versions_of)
            problems.append(Diagnostic(header.span, message))
    return problems


def check(files: Iterable[ast.RuleFile]) -> list[Rule]:
    """Check parsed files together; raises RuleError with every problem in every file."""
    files = list(files)
    rules, problems = [], []
    for file in files:
        rule, found = check_file(file)
        problems.extend(found)
        if rule is not None:
            rules.append(rule)
    problems.extend(check_versions(rules, gaps=not problems))
    if problems:
        raise RuleError(problems, {f.path: f.text for f in files})
    return rules


def _is_year(text: str) -> bool:
    """A year as the plans write one: four ASCII digits (and never a text int() refuses)."""
    return len(text) == 4 and text.isascii() and text.isdigit()
