"""Checks parsed rule files and builds checked Rules; every problem is reported at once.

What is checked: metadata, unknown and duplicate names (with "did you mean"), units of
every expression, tables that miss or repeat a category, brackets that overlap or leave
gaps, inputs' ranges and defaults, the shape of the allocation (tCO2), the share and the
rounding, and, across files, versions of one sector whose effective years overlap.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from decimal import Decimal

from . import ast
from .errors import Diagnostic, RuleError, Span, did_you_mean
from .model import (
    DIMENSIONLESS,
    LOCAL_FACTOR,
    TCO2,
    BoolType,
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
    unit_multiply,
    unit_text,
)

STATUSES = ("draft", "final", "secondary")
ROUNDING_MODES = ("half_up", "half_even", "down", "up")
REQUIRED_HEADERS = ("sector", "version", "status", "effective", "published", "source")
BOOL = BoolType()


def _first_line(file: ast.RuleFile) -> Span:
    return Span(file.path, 1, 1, 1, 2)


def _names_in(node: ast.Expr | ast.Condition) -> Iterator[ast.Name | ast.Lookup]:
    """Every name and table lookup inside an expression, in reading order."""
    if isinstance(node, ast.Name | ast.Lookup):
        yield node
    if isinstance(node, ast.Lookup):
        yield from _names_in(node.key)
    elif isinstance(node, ast.Binary | ast.Compare | ast.Logical):
        yield from _names_in(node.left)
        yield from _names_in(node.right)
    elif isinstance(node, ast.Negate | ast.Not):
        yield from _names_in(node.operand)
    elif isinstance(node, ast.Conditional):
        yield from _names_in(node.condition)
        yield from _names_in(node.then)
        yield from _names_in(node.otherwise)
    elif isinstance(node, ast.InSet):
        yield from _names_in(node.subject)


class _FileChecker:
    def __init__(self, file: ast.RuleFile):
        self.file = file
        self.problems: list[Diagnostic] = []
        self.headers: dict[str, ast.Header] = {}
        self.enums: dict[str, ast.EnumDecl] = {}
        self.declared: dict[str, ast.Decl] = {}  # value names
        self.types: dict[str, Type] = {LOCAL_FACTOR: NumType(DIMENSIONLESS)}
        self.inputs: dict[str, Input] = {}
        self.tables: dict[str, Table] = {}
        self.brackets: dict[str, Bracket] = {}
        self.params: dict[str, ast.ParamDecl] = {}
        self.lets: dict[str, ast.LetDecl] = {}
        self.let_order: list[ast.LetDecl] = []
        self._visiting: list[str] = []
        self.failed_lets: set[str] = set()
        self.brackets_seen: set[str] = set()

    def error(self, span: Span, message: str) -> None:
        self.problems.append(Diagnostic(span, message))

    # ---- the whole file ----------------------------------------------------------

    def check(self) -> Rule | None:
        singles: dict[str, ast.Decl] = {}
        for decl in self.file.decls:
            if isinstance(decl, ast.Header):
                self._collect_header(decl)
            elif isinstance(decl, ast.EnumDecl):
                self._collect_enum(decl)
            elif isinstance(decl, ast.FormulaDecl | ast.PreallocationDecl | ast.RoundingDecl):
                key = decl.kind if isinstance(decl, ast.FormulaDecl) else type(decl).__name__
                if key in singles:
                    self.error(decl.span, f"{self._what(decl)} is declared twice "
                               f"(first at line {singles[key].span.line})")
                singles[key] = decl
            elif not isinstance(decl, ast.EnsureDecl):
                self._declare(decl)
        self._check_headers()
        for decl in self.file.decls:
            if isinstance(decl, ast.InputDecl):
                self._check_input(decl)
        for decl in self.file.decls:
            if isinstance(decl, ast.TableDecl):
                self._check_table(decl)
            elif isinstance(decl, ast.ParamDecl):
                self._check_param(decl)
        for decl in self.file.decls:
            if isinstance(decl, ast.BracketDecl):
                self._check_bracket(decl)
        for decl in self.file.decls:
            if isinstance(decl, ast.LetDecl):
                self._let_type(decl.name)
        for decl in self.file.decls:
            if isinstance(decl, ast.InputDecl) and decl.requirement.when is not None:
                self._check_requirement(decl, decl.requirement.when)
        allocation = self._check_formula(singles.get("allocation"), "allocation", required=True)
        emissions = self._check_formula(singles.get("emissions"), "emissions", required=False)
        basis = self._check_formula(singles.get("preallocation basis"), "preallocation basis",
                                    required=False)
        ensures = [e for d in self.file.decls if isinstance(d, ast.EnsureDecl)
                   if (e := self._check_ensure(d)) is not None]
        preallocation = singles.get("PreallocationDecl")
        rounding = singles.get("RoundingDecl")
        self._check_preallocation(preallocation)
        self._check_rounding(rounding)
        if self.problems:
            return None
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
            lets=self.let_order,
            allocation=allocation,
            emissions=emissions if isinstance(emissions, ast.FormulaDecl) else None,
            preallocation_basis=basis if isinstance(basis, ast.FormulaDecl) else None,
            ensures=ensures,
            preallocation=preallocation,
            rounding=rounding,
            types=self.types,
        )

    @staticmethod
    def _what(decl: ast.Decl) -> str:
        if isinstance(decl, ast.FormulaDecl):
            return f"'{decl.kind}'"
        return "'preallocation'" if isinstance(decl, ast.PreallocationDecl) else "'rounding'"

    # ---- metadata ----------------------------------------------------------------

    def _collect_header(self, decl: ast.Header) -> None:
        if decl.key in self.headers:
            line = self.headers[decl.key].span.line
            self.error(decl.span, f"'{decl.key}' is given twice (first at line {line})")
            return
        self.headers[decl.key] = decl
        if decl.key == "status" and decl.value[0] not in STATUSES:
            self.error(decl.span, f"status must be one of {', '.join(STATUSES)}, "
                       f"not '{decl.value[0]}'{did_you_mean(decl.value[0], STATUSES)}")
        elif decl.key == "effective":
            first, last = decl.value
            if not (first.isdigit() and last.isdigit()) or int(first) > int(last):
                self.error(decl.span, "effective years must be whole years, first <= last "
                           f"(got {first} to {last})")
        elif decl.key == "published":
            try:
                datetime.date.fromisoformat(decl.value[0])
            except ValueError:
                self.error(decl.span, f"'{decl.value[0]}' is not a calendar date")

    def _check_headers(self) -> None:
        for key in REQUIRED_HEADERS:
            if key not in self.headers:
                hint = (" (a 'source' line right after a param, table, bracket row or "
                        "preallocation is that declaration's source: keep the file's own "
                        "'source' among the metadata at the top)") if key == "source" else ""
                self.error(_first_line(self.file), f"the rule file does not say its '{key}'"
                           + hint)

    # ---- names -------------------------------------------------------------------

    def _collect_enum(self, decl: ast.EnumDecl) -> None:
        if decl.name in self.enums:
            first = self.enums[decl.name].span.line
            self.error(decl.span, f"enum '{decl.name}' is declared twice (first at line {first})")
            return
        self.enums[decl.name] = decl
        seen: dict[str, ast.EnumMember] = {}
        for member in decl.members:
            if member.code in seen:
                self.error(member.span, f"code '{member.code}' appears twice in enum "
                           f"'{decl.name}' (first at line {seen[member.code].span.line})")
            seen[member.code] = member
        if not decl.members:
            self.error(decl.span, f"enum '{decl.name}' has no codes")

    def _declare(self, decl: ast.Decl) -> None:
        name = getattr(decl, "name", "")
        if name == LOCAL_FACTOR:
            self.error(decl.span, f"'{LOCAL_FACTOR}' is built in (the local adjustment factor "
                       "of the facility's province and sector) and cannot be redeclared")
        elif name in self.declared:
            first = self.declared[name].span.line
            self.error(decl.span, f"'{name}' is already declared at line {first}")
        else:
            self.declared[name] = decl

    def _unknown(self, span: Span, name: str, kind: str = "name") -> None:
        candidates = list(self.declared) + [LOCAL_FACTOR]
        self.error(span, f"unknown {kind} '{name}'{did_you_mean(name, candidates)}")

    # ---- units and intervals -----------------------------------------------------

    def _unit(self, ref: ast.UnitRef, percent_allowed: bool = True) -> Unit:
        for stray in ref.stray_numbers:
            self.error(ref.span, f"'{stray}' is not a unit or a whole power "
                       "(write '1' for a plain number)")
        if ref.percent and not percent_allowed:
            self.error(ref.span, "'%' can only follow a number; give inputs and tables the "
                       "unit 1 and write fractions (0.25 for 25 %)")
        return ref.factors

    def _quantity(self, q: ast.Quantity, expected: Unit | None, what: str) -> Decimal:
        """The scaled value; a written unit must be the expected one."""
        if q.unit is not None:
            unit = self._unit(q.unit)
            if expected is not None and unit != expected:
                self.error(q.span, f"{what} is in {unit_text(unit)}, "
                           f"but {unit_text(expected)} is expected here")
        return q.scaled

    def _range(self, interval: ast.Interval, unit: Unit, what: str) -> Range:
        low = None if interval.lower.value is None else self._quantity(interval.lower.value,
                                                                        unit, what)
        high = None if interval.upper.value is None else self._quantity(interval.upper.value,
                                                                         unit, what)
        if low is not None and high is not None and (
            low > high or (low == high and not (interval.lower.closed and interval.upper.closed))
        ):
            self.error(interval.span, f"{what}: the interval is empty")
        return Range(low, interval.lower.closed, high, interval.upper.closed)

    # ---- declarations ------------------------------------------------------------

    def _check_input(self, decl: ast.InputDecl) -> None:
        ref = decl.type
        typ: Type
        if len(ref.factors) == 1 and ref.factors[0][1] == 1 and ref.factors[0][0] in self.enums:
            typ = EnumType(ref.factors[0][0])
            if decl.range is not None:
                self.error(decl.range.span, f"input '{decl.name}' is a code; it cannot have "
                           "a numeric range")
        else:
            typ = NumType(self._unit(ref, percent_allowed=False))
            self._check_enum_typo(ref)
        rng = None
        if decl.range is not None and isinstance(typ, NumType):
            rng = self._range(decl.range, typ.unit, f"range of '{decl.name}'")
        default = None
        requirement = decl.requirement
        if requirement.default is not None:
            if not isinstance(typ, NumType):
                self.error(requirement.default.span, "only numeric inputs can have a default")
            else:
                default = self._quantity(requirement.default, typ.unit,
                                         f"default of '{decl.name}'")
                if rng is not None and not rng.contains(default):
                    self.error(requirement.default.span, f"default {default} of '{decl.name}' "
                               f"lies outside its range {rng}")
        self.types[decl.name] = typ
        self.inputs[decl.name] = Input(decl, typ, rng, default)

    def _check_enum_typo(self, ref: ast.UnitRef) -> None:
        """`input kind: knd` would silently be a number in the unit 'knd'."""
        if len(ref.factors) == 1 and ref.factors[0][1] == 1:
            hint = did_you_mean(ref.factors[0][0], self.enums)
            if hint:
                self.error(ref.span, f"'{ref.text}' is not an enum, so it is read as a unit"
                           f"{hint}")

    def _check_requirement(self, decl: ast.InputDecl, when: ast.Condition) -> None:
        """`required when` may only test code inputs, so the data schema can express it."""
        self._condition_type(when)
        for node in _names_in(when):
            if isinstance(node, ast.Lookup) or (
                node.id in self.declared
                and not (node.id in self.inputs and isinstance(self.types.get(node.id),
                                                               EnumType))
            ):
                self.error(node.span, f"'required when' of '{decl.name}' may only test code "
                           "inputs (such as a category), with == != or in {...}")
        if isinstance(when, ast.Compare) and when.op not in ("==", "!="):
            self.error(when.span, "'required when' may only compare codes with == or !=")

    def _enum_codes(self, enum: str) -> dict[str, ast.EnumMember]:
        return {m.code: m for m in self.enums[enum].members}

    def _resolve_enum(self, name: str, span: Span) -> str | None:
        if name in self.enums:
            return name
        self.error(span, f"unknown enum '{name}'{did_you_mean(name, self.enums)}")
        return None

    def _check_table(self, decl: ast.TableDecl) -> None:
        key_enum = self._resolve_enum(decl.key_enum, decl.key_span)
        typ: Type
        if decl.value_enum is not None:
            value_enum = self._resolve_enum(decl.value_enum, decl.span)
            typ = EnumType(value_enum or decl.value_enum)
        else:
            assert decl.unit is not None
            typ = NumType(self._unit(decl.unit, percent_allowed=False))
        self.types[decl.name] = typ
        values: dict[str, Decimal | str] = {}
        codes = self._enum_codes(key_enum) if key_enum else {}
        for row in decl.rows:
            if key_enum and row.key not in codes:
                self.error(row.span, f"'{row.key}' is not a {key_enum} code"
                           f"{did_you_mean(row.key, codes)}")
            elif row.key in values:
                first = next(r for r in decl.rows if r.key == row.key).span.line
                self.error(row.span, f"table '{decl.name}' has two rows for '{row.key}' "
                           f"(first at line {first})")
            elif key_enum and row.label is not None and row.label != codes[row.key].label:
                self.error(row.span, f"label \"{row.label}\" differs from enum {key_enum}'s "
                           f"label \"{codes[row.key].label}\" for '{row.key}'")
            if isinstance(typ, EnumType):
                allowed = self._enum_codes(typ.enum) if typ.enum in self.enums else {}
                if not isinstance(row.value, str):
                    self.error(row.span, f"table '{decl.name}' holds {typ.enum} codes, "
                               f"not numbers")
                elif allowed and row.value not in allowed:
                    self.error(row.span, f"'{row.value}' is not a {typ.enum} code"
                               f"{did_you_mean(row.value, allowed)}")
            elif isinstance(row.value, str):
                self.error(row.span, f"table '{decl.name}' holds numbers in "
                           f"{unit_text(typ.unit)}, not the name '{row.value}'")
            values.setdefault(row.key, row.value)
        missing = [code for code in codes if code not in values]
        if missing:
            self.error(decl.span, f"table '{decl.name}' has no row for {key_enum} "
                       + ", ".join(f"'{m}'" for m in missing))
        self.tables[decl.name] = Table(decl, values, typ)

    def _check_param(self, decl: ast.ParamDecl) -> None:
        unit = self._unit(decl.value.unit) if decl.value.unit else DIMENSIONLESS
        self.types[decl.name] = NumType(unit)
        self.params[decl.name] = decl

    def _check_bracket(self, decl: ast.BracketDecl) -> None:
        """Checked once, on first use or in file order, whichever comes first: a let may
        use a bracket declared further down."""
        if decl.name in self.brackets_seen:
            return
        self.brackets_seen.add(decl.name)
        subject_type = self._value_type(decl.subject, decl.subject_span)
        if subject_type is None:
            return
        if not isinstance(subject_type, NumType):
            self.error(decl.subject_span, f"bracket '{decl.name}' needs a number to range "
                       f"over; '{decl.subject}' is {subject_type}")
            return
        if not decl.rows:
            self.error(decl.span, f"bracket '{decl.name}' has no rows")
            return
        value_unit: Unit | None = None
        rows: list[tuple[Range, Decimal, ast.BracketRow]] = []
        for row in decl.rows:
            rng = self._range(row.interval, subject_type.unit, f"bracket '{decl.name}'")
            unit = self._unit(row.value.unit) if row.value.unit else DIMENSIONLESS
            if value_unit is None:
                value_unit = unit
            elif unit != value_unit:
                self.error(row.value.span, f"bracket '{decl.name}' gives {unit_text(unit)} "
                           f"here but {unit_text(value_unit)} in its first row")
            rows.append((rng, row.value.scaled, row))
        rows.sort(key=lambda r: (r[0].low is not None, r[0].low or 0, not r[0].low_closed))
        for (a, _, _), (b, _, row) in zip(rows, rows[1:], strict=False):
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
            self.error(row.span, f"bracket '{decl.name}': {b} overlaps {a}")
        elif b.low is None or a.high < b.low or (not a.high_closed and not b.low_closed):
            self.error(row.span, f"bracket '{decl.name}' leaves a gap between {a} and {b}")

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
            self.error(decl.span, f"bracket '{decl.name}' does not cover the whole range "
                       f"{domain} of '{decl.subject}'")

    # ---- expressions -------------------------------------------------------------

    def _value_type(self, name: str, span: Span) -> Type | None:
        if name in self.lets:
            return self._let_type(name)
        declared = self.declared.get(name)
        if isinstance(declared, ast.BracketDecl):
            self._check_bracket(declared)
        if name in self.types:
            if name in self.tables:
                self.error(span, f"table '{name}' needs a key, as in {name}"
                           f"[{self.tables[name].decl.key_enum}]")
                return None
            return self.types[name]
        if name not in self.declared:
            self._unknown(span, name)
        return None

    def _let_type(self, name: str) -> Type | None:
        if name in self.types or name in self.failed_lets:
            return self.types.get(name)
        decl = self.lets[name]
        if name in self._visiting:
            cycle = " -> ".join(self._visiting[self._visiting.index(name):] + [name])
            self.error(decl.span, f"'{name}' is defined in terms of itself ({cycle})")
            return None
        self._visiting.append(name)
        typ = self._expr_type(decl.expr)
        self._visiting.pop()
        if typ is not None:
            self.types[name] = typ
            self.let_order.append(decl)
        else:
            self.failed_lets.add(name)  # reported once, not again at every use
        return typ

    def _expr_type(self, e: ast.Expr) -> Type | None:
        if isinstance(e, ast.Number):
            return NumType(DIMENSIONLESS)
        if isinstance(e, ast.Name):
            return self._value_type(e.id, e.span)
        if isinstance(e, ast.Lookup):
            return self._lookup_type(e)
        if isinstance(e, ast.Negate):
            inner = self._expr_type(e.operand)
            if inner is not None and not isinstance(inner, NumType):
                self.error(e.span, f"cannot negate {inner}")
                return None
            return inner
        if isinstance(e, ast.Conditional):
            self._condition_type(e.condition)
            then, otherwise = self._expr_type(e.then), self._expr_type(e.otherwise)
            if then is not None and otherwise is not None and then != otherwise:
                self.error(e.span, f"the two branches differ: {then} after 'then', "
                           f"{otherwise} after 'else'")
                return None
            return then if then is not None else otherwise
        return self._binary_type(e)

    def _binary_type(self, e: ast.Binary) -> Type | None:
        left, right = self._expr_type(e.left), self._expr_type(e.right)
        if left is None or right is None:
            return None
        if not isinstance(left, NumType) or not isinstance(right, NumType):
            bad = left if not isinstance(left, NumType) else right
            self.error(e.span, f"'{e.op}' needs numbers, not {bad}")
            return None
        if e.op in "+-":
            if left.unit != right.unit:
                verb = "add" if e.op == "+" else "subtract"
                joiner = "and" if e.op == "+" else "from"
                a, b = (left, right) if e.op == "+" else (right, left)
                self.error(e.span, f"cannot {verb} {a} {joiner} {b}")
                return None
            return left
        if e.op == "^":
            if left.unit or right.unit:
                self.error(e.span, f"'^' needs plain numbers on both sides, not {left} ^ {right}")
                return None
            return left
        return NumType(unit_multiply(left.unit, right.unit, 1 if e.op == "*" else -1))

    def _lookup_type(self, e: ast.Lookup) -> Type | None:
        key = self._expr_type(e.key)
        table = self.tables.get(e.table)
        if table is None:
            if e.table in self.declared:
                self.error(e.table_span, f"'{e.table}' is not a table; only tables take a key")
            else:
                tables = [n for n, d in self.declared.items() if isinstance(d, ast.TableDecl)]
                self.error(e.table_span,
                           f"unknown table '{e.table}'{did_you_mean(e.table, tables)}")
            return None
        want = table.decl.key_enum
        if key is not None and key != EnumType(want):
            self.error(e.key.span if hasattr(e.key, "span") else e.span,
                       f"table '{e.table}' is keyed by {want}, but the key given is {key}")
        return table.type

    def _condition_type(self, c: ast.Condition) -> Type | None:
        if isinstance(c, ast.Logical):
            self._condition_type(c.left)
            self._condition_type(c.right)
        elif isinstance(c, ast.Not):
            self._condition_type(c.operand)
        elif isinstance(c, ast.InSet):
            subject = self._expr_type(c.subject)
            if subject is not None and not isinstance(subject, EnumType):
                self.error(c.subject.span, f"'in {{...}}' needs a code, not {subject}")
            elif isinstance(subject, EnumType) and subject.enum in self.enums:
                for member in c.members:
                    self._check_code(member, subject.enum)
        elif isinstance(c, ast.Compare):
            self._compare_type(c)
        else:  # an expression used where a condition belongs
            self.error(getattr(c, "span", ast.NOWHERE), "a condition is expected here "
                       "(a comparison, 'in {...}', 'and', 'or' or 'not')")
        return BOOL

    def _check_code(self, name: ast.Name, enum: str) -> None:
        codes = self._enum_codes(enum)
        if name.id not in codes:
            self.error(name.span, f"'{name.id}' is not a {enum} code"
                       f"{did_you_mean(name.id, codes)}")

    def _compare_type(self, c: ast.Compare) -> None:
        # One side may be a bare code of the other side's enum: fuel == gas
        for side, other in ((c.right, c.left), (c.left, c.right)):
            if isinstance(side, ast.Name) and side.id not in self.declared:
                other_type = self._expr_type(other)
                if isinstance(other_type, EnumType) and other_type.enum in self.enums:
                    self._check_code(side, other_type.enum)
                    if c.op not in ("==", "!="):
                        self.error(c.span, "codes can only be compared with == or !=")
                    return
                if other_type is not None:
                    self._unknown(side.span, side.id)
                return
        left, right = self._expr_type(c.left), self._expr_type(c.right)
        if left is None or right is None:
            return
        if left != right:
            self.error(c.span, f"cannot compare {left} with {right}")
        elif isinstance(left, EnumType) and c.op not in ("==", "!="):
            self.error(c.span, "codes can only be compared with == or !=")

    # ---- formulas and settings ---------------------------------------------------

    def _check_formula(self, decl: ast.Decl | None, kind: str,
                       required: bool) -> ast.Decl | None:
        if decl is None:
            if required:
                self.error(_first_line(self.file), f"the rule file has no '{kind} = ...' "
                           "formula")
            return None
        assert isinstance(decl, ast.FormulaDecl)
        typ = self._expr_type(decl.expr)
        if typ is not None and typ != NumType(TCO2):
            self.error(decl.span, f"{kind} must be in tCO2, but this formula gives {typ}")
        return decl

    def _check_ensure(self, decl: ast.EnsureDecl) -> Ensure | None:
        typ = self._value_type(decl.name, decl.span)
        if decl.when is not None:
            self._condition_type(decl.when)
        if typ is None:
            return None
        if not isinstance(typ, NumType):
            self.error(decl.span, f"'ensure' needs a number; '{decl.name}' is {typ}")
            return None
        return Ensure(decl, self._range(decl.interval, typ.unit, f"ensure '{decl.name}'"))

    def _check_preallocation(self, decl: ast.Decl | None) -> None:
        if decl is None:
            self.error(_first_line(self.file), "the rule file has no 'preallocation' share")
            return
        assert isinstance(decl, ast.PreallocationDecl)
        share = self._quantity(decl.share, DIMENSIONLESS, "the pre-allocation share")
        if not 0 < share <= 1:
            self.error(decl.share.span, "the pre-allocation share must be more than 0 % "
                       "and at most 100 %")
        effective = self.headers.get("effective")
        if not decl.base_year.isdigit():
            self.error(decl.span, f"base year must be a whole year, not {decl.base_year}")
        elif effective is not None and effective.value[0].isdigit() and (
            int(decl.base_year) >= int(effective.value[0])
        ):
            self.error(decl.span, f"base year {decl.base_year} must come before the first "
                       f"effective year {effective.value[0]}")

    def _check_rounding(self, decl: ast.Decl | None) -> None:
        if decl is None:
            self.error(_first_line(self.file), "the rule file has no 'rounding facility' rule")
            return
        assert isinstance(decl, ast.RoundingDecl)
        if decl.mode not in ROUNDING_MODES:
            self.error(decl.span, f"rounding mode must be one of {', '.join(ROUNDING_MODES)}, "
                       f"not '{decl.mode}'{did_you_mean(decl.mode, ROUNDING_MODES)}")
        quantum = self._quantity(decl.quantum, TCO2, "the rounding step")
        if decl.quantum.unit is None:
            self.error(decl.quantum.span, "the rounding step needs its unit, as in 1 tCO2")
        if quantum <= 0 or quantum != quantum.to_integral_value():
            self.error(decl.quantum.span, "the rounding step must be a whole number of tonnes "
                       "(allowances are issued in whole tCO2)")


def check_file(file: ast.RuleFile) -> tuple[Rule | None, list[Diagnostic]]:
    """Check one parsed file; the Rule is None when any problem was found."""
    checker = _FileChecker(file)
    checker.lets = {d.name: d for d in file.decls if isinstance(d, ast.LetDecl)}
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
            relation = "overlaps" if b.effective[0] <= a.effective[1] else "leaves a gap after"
            header = next(d for d in b.file.decls
                          if isinstance(d, ast.Header) and d.key == "effective")
            problems.append(Diagnostic(
                header.span,
                f"{sector} version '{b.version}' ({b.effective[0]}-{b.effective[1]}) "
                f"{relation} version '{a.version}' ({a.effective[0]}-{a.effective[1]}) "
                f"in {a.path}",
            ))
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
