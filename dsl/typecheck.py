"""The types and units of expressions and conditions, for the checker.

An expression is a number in a unit (tCO2/MWh; 1 for a plain number) or a code of an
enum. A sum needs one unit on both sides, a product multiplies the units, a power takes
plain numbers; a condition compares like with like, and codes only with == and !=. A
let's type is found on its first use, so a let may use one declared further down.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol, assert_never

from . import ast
from .errors import Span, did_you_mean
from .i18n import _
from .model import (
    COMPLIANCE_NAMES,
    DIMENSIONLESS,
    FACILITY_OBLIGATION_NAMES,
    LOCAL_FACTOR,
    TCO2,
    UNIT_OBLIGATION_NAMES,
    YES_NO,
    EnumType,
    NumType,
    Range,
    Table,
    Type,
    Unit,
    unit_multiply,
    unit_text,
)


class Scope(Protocol):
    """What the checker has learnt of a file's declarations so far."""

    enums: dict[str, ast.EnumDecl]
    declared: dict[str, ast.Decl]  # value names
    types: dict[str, Type]
    tables: dict[str, Table]
    lets: dict[str, ast.LetDecl]

    def error(self, span: Span, message: str) -> None: ...

    def check_bracket(self, decl: ast.BracketDecl) -> None:
        """Check a bracket now, if it is not yet: a let may use one declared further down."""


def enum_codes(enum: ast.EnumDecl) -> dict[str, ast.EnumMember]:
    return {m.code: m for m in enum.members}


class TypeChecker:
    """Types the expressions of one file, reporting every problem to the scope."""

    def __init__(self, scope: Scope):
        self.scope = scope
        self.error = scope.error
        self.let_order: list[ast.LetDecl] = []  # each let after what it uses
        self._visiting: list[str] = []
        self._failed_lets: set[str] = set()
        # The built-in names of the compliance formula being checked, and whether it is a
        # unit's (which reads every value of its unit) or a facility's (which reads only
        # parameters and its built-in sums).
        self._builtins: tuple[str, ...] = ()
        self._unit_values = True

    @contextlib.contextmanager
    def compliance(self, builtins: tuple[str, ...], unit_values: bool) -> Iterator[None]:
        """While checking an `obligation` formula: its built-in names in scope."""
        self._builtins, self._unit_values = builtins, unit_values
        try:
            yield
        finally:
            self._builtins, self._unit_values = (), True

    # ---- units and intervals -----------------------------------------------------

    def unit(self, ref: ast.UnitRef, percent_allowed: bool = True) -> Unit:
        for stray in ref.stray_numbers:
            self.error(ref.span, _("'{stray}' is not a unit or a whole power "
                                   "(write '1' for a plain number)", stray=stray))
        if ref.percent and not percent_allowed:
            self.error(ref.span, _("'%' can only follow a number; give inputs and tables the "
                                   "unit 1 and write fractions (0.25 for 25 %)"))
        return ref.factors

    def quantity(self, q: ast.Quantity, expected: Unit | None, what: str) -> Decimal:
        """The scaled value; a written unit must be the expected one."""
        if q.unit is not None:
            unit = self.unit(q.unit)
            if expected is not None and unit != expected:
                self.error(q.span, _("{what} is in {unit}, but {expected} is expected here",
                                     what=what, unit=unit_text(unit),
                                     expected=unit_text(expected)))
        return q.scaled

    def range(self, interval: ast.Interval, unit: Unit, what: str) -> Range:
        low = None if interval.lower.value is None else self.quantity(interval.lower.value,
                                                                       unit, what)
        high = None if interval.upper.value is None else self.quantity(interval.upper.value,
                                                                        unit, what)
        if low is not None and high is not None and (
            low > high or (low == high and not (interval.lower.closed and interval.upper.closed))
        ):
            self.error(interval.span, _("{what}: the interval is empty", what=what))
        return Range(low, interval.lower.closed, high, interval.upper.closed)

    # ---- names -------------------------------------------------------------------

    def unknown(self, span: Span, name: str) -> None:
        if name in COMPLIANCE_NAMES:
            where = "obligation" if name in UNIT_OBLIGATION_NAMES else "obligation facility"
            self.error(span, _("'{name}' is known only in '{where} = ...'", name=name,
                               where=where))
            return
        candidates = [*self.scope.declared, LOCAL_FACTOR, *self._builtins]
        self.error(span, _("unknown name '{name}'{hint}", name=name,
                           hint=did_you_mean(name, candidates)))

    def value_type(self, name: str, span: Span) -> Type | None:
        scope = self.scope
        if name in self._builtins:
            return NumType(TCO2)
        if not self._unit_values and (name == LOCAL_FACTOR or (
                name in scope.declared and not isinstance(scope.declared[name],
                                                          ast.ParamDecl))):
            self.error(span, _("'obligation facility = ...' reads the facility's sums "
                               "({names}) and parameters, not '{name}', a value of each "
                               "unit", names=", ".join(FACILITY_OBLIGATION_NAMES), name=name))
            return None
        if name in scope.lets:
            return self.let_type(name)
        declared = scope.declared.get(name)
        if isinstance(declared, ast.BracketDecl):
            scope.check_bracket(declared)
        if name in scope.types:
            if name in scope.tables:
                self.error(span, _("table '{name}' needs a key, as in {name}[{key}]",
                                   name=name, key=scope.tables[name].decl.key_enum))
                return None
            return scope.types[name]
        if name not in scope.declared:
            self.unknown(span, name)
        return None

    def let_type(self, name: str) -> Type | None:
        if name in self.scope.types or name in self._failed_lets:
            return self.scope.types.get(name)
        if name in self._visiting:
            decl = self.scope.lets[name]
            cycle = " -> ".join(self._visiting[self._visiting.index(name):] + [name])
            self.error(decl.span, _("'{name}' is defined in terms of itself ({cycle})",
                                    name=name, cycle=cycle))
            return None
        self._type_lets_below(name)
        return self.scope.types.get(name)

    def _type_lets_below(self, name: str) -> None:
        """Type the let `name` after every let it uses, first to last, by a walk with a
        stack of its own: a chain of lets each using the next one down is typed without
        recursing once per let. The stack is `_visiting`, so a use of a let being typed
        is the cycle it is."""
        start = len(self._visiting)
        pending: list[Iterator[str]] = []
        self._visiting.append(name)
        pending.append(self._lets_used(name))
        while len(self._visiting) > start:
            below = next((n for n in pending[-1] if n not in self._visiting
                          and n not in self.scope.types and n not in self._failed_lets), None)
            if below is not None:
                self._visiting.append(below)
                pending.append(self._lets_used(below))
                continue
            current = self._visiting[-1]
            decl = self.scope.lets[current]
            typ = self.expr_type(decl.expr)  # the lets it uses are typed: no recursion
            self._visiting.pop()
            pending.pop()
            if typ is not None:
                self.scope.types[current] = typ
                self.let_order.append(decl)
            else:
                self._failed_lets.add(current)  # reported once, not again at every use

    def _lets_used(self, name: str) -> Iterator[str]:
        return (n.id for n in self.scope.lets[name].expr.walk()
                if isinstance(n, ast.Name) and n.id in self.scope.lets)

    # ---- expressions -------------------------------------------------------------

    def expr_type(self, e: ast.Expr) -> Type | None:
        match e:
            case ast.Number():
                return NumType(DIMENSIONLESS)
            case ast.Name():
                return self.value_type(e.id, e.span)
            case ast.Lookup():
                return self._lookup_type(e)
            case ast.Negate():
                return self._negate_type(e)
            case ast.Conditional():
                return self._conditional_type(e)
            case ast.Binary():
                return self._binary_type(e)
            case _:
                assert_never(e)

    def _negate_type(self, e: ast.Negate) -> Type | None:
        inner = self.expr_type(e.operand)
        if inner is not None and not isinstance(inner, NumType):
            self.error(e.span, _("cannot negate {type}", type=inner))
            return None
        return inner

    def _conditional_type(self, e: ast.Conditional) -> Type | None:
        self.condition_type(e.condition)
        then, otherwise = self.expr_type(e.then), self.expr_type(e.otherwise)
        if then is not None and otherwise is not None and then != otherwise:
            self.error(e.span, _("the two branches differ: {then} after 'then', "
                                 "{otherwise} after 'else'", then=then, otherwise=otherwise))
            return None
        return then if then is not None else otherwise

    def _binary_type(self, e: ast.Binary) -> Type | None:
        left, right = self.expr_type(e.left), self.expr_type(e.right)
        if left is None or right is None:
            return None
        if not isinstance(left, NumType) or not isinstance(right, NumType):
            bad = left if not isinstance(left, NumType) else right
            self.error(e.span, _("'{op}' needs numbers, not {type}", op=e.op, type=bad))
            return None
        if e.op in "+-":
            return self._sum_type(e, left, right)
        if e.op == "^":
            if left.unit or right.unit:
                self.error(e.span, _("'^' needs plain numbers on both sides, not {left} ^ {right}",
                                     left=left, right=right))
                return None
            return left
        return NumType(unit_multiply(left.unit, right.unit, 1 if e.op == "*" else -1))

    def _sum_type(self, e: ast.Binary, left: NumType, right: NumType) -> Type | None:
        if left.unit != right.unit:
            if e.op == "+":
                self.error(e.span, _("cannot add {a} and {b}", a=left, b=right))
            else:
                self.error(e.span, _("cannot subtract {a} from {b}", a=right, b=left))
            return None
        return left

    def _lookup_type(self, e: ast.Lookup) -> Type | None:
        key = self.expr_type(e.key)
        table = self.scope.tables.get(e.table)
        if table is None:
            if e.table in self.scope.declared:
                self.error(e.table_span, _("'{name}' is not a table; only tables take a key",
                                           name=e.table))
            else:
                tables = [n for n, d in self.scope.declared.items()
                          if isinstance(d, ast.TableDecl)]
                self.error(e.table_span, _("unknown table '{name}'{hint}", name=e.table,
                                           hint=did_you_mean(e.table, tables)))
            return None
        want = table.decl.key_enum
        if key is not None and key != EnumType(want):
            self.error(e.key.span, _("table '{name}' is keyed by {enum}, but the key given "
                                     "is {key}", name=e.table, enum=want, key=key))
        return table.type

    # ---- conditions --------------------------------------------------------------

    def condition_type(self, c: ast.Condition) -> None:
        match c:
            case ast.Logical():
                self.condition_type(c.left)
                self.condition_type(c.right)
            case ast.Not():
                self.condition_type(c.operand)
            case ast.InSet():
                self._in_set_type(c)
            case ast.Compare():
                self._compare_type(c)
            case _:
                assert_never(c)

    def _in_set_type(self, c: ast.InSet) -> None:
        subject = self.expr_type(c.subject)
        if subject is not None and not isinstance(subject, EnumType):
            self.error(c.subject.span, _("'in {{...}}' needs a code, not {type}",
                                         type=subject))
        elif isinstance(subject, EnumType) and subject.enum in self.scope.enums:
            for member in c.members:
                self._check_code(member, subject.enum)

    def _check_code(self, name: ast.Name, enum: str) -> None:
        codes = enum_codes(self.scope.enums[enum])
        if name.id in codes:
            return
        if enum == YES_NO:
            self.error(name.span, _("'{name}' is not yes or no: a yes/no input is compared "
                                    "with yes or no (as in `pure_condensing == yes`)",
                                    name=name.id))
        else:
            self.error(name.span, _("'{name}' is not a {enum} code{hint}", name=name.id,
                                    enum=enum, hint=did_you_mean(name.id, codes)))

    def _compare_type(self, c: ast.Compare) -> None:
        if self._compare_code(c):
            return
        left, right = self.expr_type(c.left), self.expr_type(c.right)
        if left is None or right is None:
            return
        if left != right:
            self.error(c.span, _("cannot compare {left} with {right}", left=left, right=right))
        elif isinstance(left, EnumType) and c.op not in ("==", "!="):
            self.error(c.span, _("codes can only be compared with == or !="))

    def _compare_code(self, c: ast.Compare) -> bool:
        """One side may be a bare code of the other side's enum: fuel == gas. Whether a
        side is a name that is not declared (and so checked here)."""
        for side, other in ((c.right, c.left), (c.left, c.right)):
            if isinstance(side, ast.Name) and side.id not in self.scope.declared \
                    and side.id not in self._builtins:
                other_type = self.expr_type(other)
                if isinstance(other_type, EnumType) and other_type.enum in self.scope.enums:
                    self._check_code(side, other_type.enum)
                    if c.op not in ("==", "!="):
                        self.error(c.span, _("codes can only be compared with == or !="))
                elif other_type is not None:
                    self.unknown(side.span, side.id)
                return True
        return False
