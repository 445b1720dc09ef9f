"""Compiles a checked Rule into Python functions over exact decimals, once per run.

The generated source is built only from the checked AST: identifiers that matched the
grammar's NAME pattern, prefixed, and references to constants held in the function's
globals. No text of a rule file (numbers, strings, codes) is ever pasted into the
source, so nothing a rule author writes can run as code.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, assert_never

from peie.dsl import ast
from peie.dsl.errors import PeieError
from peie.dsl.i18n import _
from peie.dsl.model import (
    COMPLIANCE_NAMES,
    FACILITY_OBLIGATION_NAMES,
    LOCAL_FACTOR,
    UNIT_OBLIGATION_NAMES,
    Bracket,
    Range,
    Rule,
)

# Exact enough for every 2017 formula (their products need ~43 digits); no rounding
# happens at this precision on any plausible input, and rounding of issued amounts is
# done only where a rule says so.
CONTEXT = decimal.Context(
    prec=60,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

Row = Mapping[str, Any]


class EvaluationError(PeieError):
    """A unit's data cannot be evaluated by its rule (a missing value, an ensure failed)."""


def _missing(name: str, rule: Rule) -> Any:
    decl = rule.inputs[name].decl
    raise EvaluationError(
        _("'{name}' is empty but needed by the rule ({path}:{line})", name=name, path=rule.path,
          line=decl.span.line)
    )


def _outside_bracket(bracket: Bracket, x: Decimal, rule: Rule) -> Any:
    raise EvaluationError(
        _("{x} lies outside every row of bracket '{name}' ({path}:{line})", x=x,
          name=bracket.decl.name, path=rule.path, line=bracket.decl.span.line)
    )


def _ensure_failed(index: int, value: Decimal, rule: Rule) -> Any:
    ensure = rule.ensures[index]
    raise EvaluationError(
        _("'{name}' = {value} breaks 'ensure {name} in {range}' ({path}:{line})",
          name=ensure.decl.name, value=value, range=ensure.range, path=rule.path,
          line=ensure.decl.span.line)
    )


def _power(base: Decimal, exponent: Decimal) -> Decimal:
    """base ^ exponent; 0 to a negative power is a division by zero (Decimal would give
    Infinity, signalling nothing)."""
    if not base and exponent < 0:
        raise decimal.DivisionByZero
    return base ** exponent


def _arithmetic_failed(error: decimal.DecimalException, at: tuple[str, int], rule: Rule) -> Any:
    """The unit's arithmetic failed in `at` (what was being computed, its line)."""
    if isinstance(error, decimal.DivisionByZero):
        problem = _("division by zero")
    elif isinstance(error, decimal.Overflow):
        problem = _("a result too large for exact arithmetic")
    else:
        problem = _("an undefined operation (such as 0 / 0 or the root of a negative number)")
    what, line = at
    raise EvaluationError(_("'{name}' cannot be computed: {problem} ({place})", name=what,
                            problem=problem, place=f"{rule.path}:{line}")) from None


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    allocation: Callable[[Row, Decimal], Decimal]
    # The same over columns: (one list per input, in the rule's order, local factors)
    allocation_columns: Callable[..., list[Decimal]]
    trace: Callable[[Row, Decimal], dict[str, Any]]
    emissions: Callable[[Row, Decimal], Decimal] | None
    # (row, lf, verified emissions, exact allocation) -> the unit's obligation
    obligation: Callable[[Row, Decimal, Decimal, Decimal], Decimal] | None
    # (facility emissions, facility obligations, facility allocation) -> the facility's
    facility_obligation: Callable[[Decimal, Decimal, Decimal], Decimal] | None
    preallocation_basis: Callable[[Row, Decimal], Decimal]  # the allocation, unless declared
    preallocation_basis_columns: Callable[..., list[Decimal]]
    source: str  # the generated Python, kept for inspection and debugging

    def allocate(self, row: Row, local_factor: Decimal) -> Decimal:
        with decimal.localcontext(CONTEXT):
            return self.allocation(row, local_factor)


# A generated expression nested deeper than this is put in a temporary first: Python's
# parser and compiler have nesting limits (200 parentheses, a recursion limit) that a
# long sum or else-if chain of a rule would otherwise reach. No bundled rule nests so deep,
# so their generated code is one expression per let, as if there were no such limit.
SPILL_DEPTH = 40
# A bracket of more rows is found by bisection (Bracket.select) rather than by tests.
FEW_ROWS = 8


class _Code(NamedTuple):
    """Generated Python text of one expression, and how deep it nests."""

    text: str
    depth: int


def _bracket_value(bracket: Bracket, x: Decimal, rule: Rule) -> Decimal:
    index = bracket.select(x)
    if index < 0:
        _outside_bracket(bracket, x, rule)
    return bracket.values[index]


class _Generator:
    """Python statements computing a rule's values. An expression is one Python expression
    while it nests at most SPILL_DEPTH deep; deeper parts go first into temporaries
    (`t<N> = ...`). A part of an if/else branch or of the right side of `and`/`or` is
    computed only where the branch is taken: its statement is guarded (`if g<N>: ...`, the
    guard a flat conjunction), so the code stays flat however deep the rule nests and
    evaluates exactly what the nested expression would."""

    def __init__(self, rule: Rule):
        self.rule = rule
        self.constants: dict[str, Any] = {
            "_missing": _missing, "_outside_bracket": _outside_bracket,
            "_bracket_value": _bracket_value, "_ensure_failed": _ensure_failed, "RULE": rule,
            "_power": _power, "_arithmetic_failed": _arithmetic_failed,
            "_DecimalException": decimal.DecimalException,
        }
        self._ids = itertools.count()
        self._temporaries = itertools.count()  # numbers temporaries and guards
        self._interned: dict[tuple[type, Any], str] = {}
        self._lines: list[str] = []  # temporaries the expression being generated needs

    def const(self, value: Any) -> str:
        key = (type(value), value if not isinstance(value, dict) else id(value))
        if key not in self._interned:
            name = f"k{next(self._ids)}"
            self.constants[name] = value
            self._interned[key] = name
        return self._interned[key]

    def name(self, node: ast.Name) -> str:
        rule, name = self.rule, node.id
        if name == LOCAL_FACTOR:
            return "lf"
        if name in COMPLIANCE_NAMES:
            return f"c_{name}"  # an argument of the obligation functions
        if name in rule.inputs:
            if rule.inputs[name].decl.requirement.kind in ("optional", "when"):
                return f"(i_{name} if i_{name} is not None else _missing({name!r}, RULE))"
            return f"i_{name}"
        if name in rule.params:
            return self.const(rule.params[name].value.scaled)
        if name in rule.brackets:
            return self.bracket(rule.brackets[name])
        return f"l_{name}"

    def within(self, rng: Range, x: str, value: str | None = None) -> str:
        """A test that `x` lies in `rng`; with `value`, the test first binds x to it, so
        an expression is evaluated once however often the test reads it."""
        first = f"({x} := {value})" if value is not None else x
        tests = []
        if rng.low is not None:
            tests.append(f"{self.const(rng.low)} {'<=' if rng.low_closed else '<'} {first}")
            first = x
        if rng.high is not None:
            tests.append(f"{first} {'<=' if rng.high_closed else '<'} {self.const(rng.high)}")
        return f"({' and '.join(tests)})" if tests else "True"

    def bracket(self, bracket: Bracket) -> str:
        """The row's value: for a few rows, one conditional expression over the subject,
        read once (the first row's test binds it; a bracket's rows are contiguous, so every
        later test runs after the first); for more, a bisection."""
        x = f"b_{bracket.decl.name}"
        subject = self.name(ast.Name(bracket.decl.subject))
        rows = list(zip(bracket.ranges, bracket.values, strict=True))
        if len(rows) == 1 and rows[0][0].low is None and rows[0][0].high is None:
            return self.const(rows[0][1])
        if len(rows) > FEW_ROWS:
            return f"_bracket_value({self.const(bracket)}, {subject}, RULE)"
        choice = f"_outside_bracket({self.const(bracket)}, {x}, RULE)"
        for index in reversed(range(len(rows))):
            rng, value = rows[index]
            test = self.within(rng, x, subject if index == 0 else None)
            choice = f"{self.const(value)} if {test} else {choice}"
        return f"({choice})"

    def expr(self, e: ast.Expr | ast.Condition) -> str:
        """`e` as one Python expression; the temporaries it reads are left in the lines
        that `statements` and `take_lines` hand on."""
        return self._code(e, None).text

    def take_lines(self) -> list[str]:
        """The temporaries generated since the last call, to run before what uses them."""
        lines, self._lines = self._lines, []
        return lines

    def statements(self, target: str, e: ast.Expr | ast.Condition) -> list[str]:
        """`target = e`, after the temporaries it needs."""
        text = self.expr(e)
        return [*self.take_lines(), f"{target} = {text}"]

    def _code(self, e: ast.Expr | ast.Condition, guard: str | None) -> _Code:
        match e:
            case ast.Number():
                return _Code(self.const(e.value), 0)
            case ast.Name():
                return _Code(self.name(e), 1)
            case ast.Lookup():
                key = self._code(e.key, guard)
                table = self.const(self.rule.tables[e.table].values)
                code = _Code(f"{table}[{key.text}]", key.depth + 1)
            case ast.Binary() if e.op == "^":
                base, exponent = self._code(e.left, guard), self._code(e.right, guard)
                code = _Code(f"_power({base.text}, {exponent.text})",
                             max(base.depth, exponent.depth) + 1)
            case ast.Binary():
                code = self._joined(f" {e.op} ", guard, e.left, e.right)
            case ast.Negate():
                operand = self._code(e.operand, guard)
                code = _Code(f"(-{operand.text})", operand.depth + 1)
            case ast.Conditional():
                code = self._conditional(e, guard)
            case ast.Compare():
                code = self._joined(f" {e.op} ", guard, e.left, e.right)
            case ast.InSet():
                subject = self._code(e.subject, guard)
                members = self.const(frozenset(m.id for m in e.members))
                code = _Code(f"({subject.text} in {members})", subject.depth + 1)
            case ast.Logical():
                code = self._logical(e, guard)
            case ast.Not():
                operand = self._code(e.operand, guard)
                code = _Code(f"(not {operand.text})", operand.depth + 1)
            case _:
                assert_never(e)
        return self._spilled(code, guard) if code.depth > SPILL_DEPTH else code

    def _joined(self, op: str, guard: str | None, left: ast.Expr, right: ast.Expr) -> _Code:
        """`(left op right)`; a bare code beside an enum value (fuel == gas) is a string."""
        a, b = (self._side(left, right, guard), self._side(right, left, guard))
        return _Code(f"({a.text}{op}{b.text})", max(a.depth, b.depth) + 1)

    def _side(self, e: ast.Expr, other: ast.Expr, guard: str | None) -> _Code:
        if isinstance(e, ast.Name) and e.id not in self.rule.types \
                and e.id not in COMPLIANCE_NAMES:
            return _Code(self.const(e.id), 0)
        return self._code(e, guard)

    def _conditional(self, e: ast.Conditional, guard: str | None) -> _Code:
        condition = self._code(e.condition, guard)
        held, (then, otherwise) = self._guarded(condition, guard, (e.then, ""),
                                                (e.otherwise, "not "))
        return _Code(f"({then.text} if {held} else {otherwise.text})",
                     max(condition.depth, then.depth, otherwise.depth) + 1)

    def _logical(self, e: ast.Logical, guard: str | None) -> _Code:
        left = self._code(e.left, guard)
        held, (right,) = self._guarded(left, guard, (e.right, "" if e.op == "and" else "not "))
        return _Code(f"({held} {e.op} {right.text})", max(left.depth, right.depth) + 1)

    def _guarded(self, test: _Code, guard: str | None,
                 *branches: tuple[ast.Expr | ast.Condition, str]) -> tuple[str, list[_Code]]:
        """Generate each branch, run where `test` holds (prefix "") or fails ("not "). A
        branch that needs temporaries gets them under a guard of its own, and `test` is put
        in a temporary first, to be read by the guards and by the expression that chooses.
        Returns the text of the test, and the code of each branch."""
        outer, done = self._lines, []
        for branch, prefix in branches:
            self._lines = []
            own_guard = f"g{next(self._temporaries)}"
            done.append((self._code(branch, own_guard), self._lines, own_guard, prefix))
        self._lines = outer
        codes = [code for code, *_rest in done]
        if not any(lines for _code, lines, *_rest in done):
            return test.text, codes
        held = self._spilled(test, guard).text
        for _code, lines, own_guard, prefix in done:
            when = f"{prefix}{held}" if guard is None else f"{guard} and {prefix}{held}"
            self._lines += [f"{own_guard} = {when}", *lines]
        return held, codes

    def _spilled(self, code: _Code, guard: str | None) -> _Code:
        """`code` computed first into a temporary (where `guard` holds)."""
        temporary = f"t{next(self._temporaries)}"
        assign = f"{temporary} = {code.text}"
        self._lines.append(assign if guard is None else f"if {guard}: {assign}")
        return _Code(temporary, 1)

    def read_inputs(self) -> list[str]:
        return [f"i_{n} = row.get({n!r})" for n in self.rule.inputs]

    def at(self, what: str, decl: ast.Decl, marked: bool) -> list[str]:
        """With `marked`, `at = (what, line)`: what a unit's arithmetic is computing, for
        the message when it fails (see `reporting_arithmetic`)."""
        return [f"at = {self.const((what, decl.span.line))}"] if marked else []

    def compute_lets(self, marked: bool = False) -> list[str]:
        return [line for d in self.rule.lets for line in
                [*self.at(d.name, d, marked), *self.statements(f"l_{d.name}", d.expr)]]

    def computation(self, formula: ast.FormulaDecl | None = None,
                    marked: bool = False) -> list[str]:
        """Lets, ensures, then `allocation = ` the formula (the allocation's own unless
        another is given): one unit's work once its inputs are read."""
        rule = self.rule
        lines = self.compute_lets(marked)
        for index, ensure in enumerate(rule.ensures):
            value = self.name(ast.Name(ensure.decl.name))
            test = f"not {self.within(ensure.range, f'e_{index}', value)}"
            if ensure.decl.when is not None:
                test = f"{self.expr(ensure.decl.when)} and {test}"
            lines += [*self.at(f"ensure {ensure.decl.name}", ensure.decl, marked),
                      *self.take_lines(), f"if {test}: _ensure_failed({index}, e_{index}, RULE)"]
        formula = formula or rule.allocation
        lines += [*self.at(formula.kind, formula, marked),
                  *self.statements("allocation", formula.expr)]
        return lines

    def over_row(self, name: str, formula: ast.FormulaDecl | None = None) -> list[str]:
        """`name(row, lf)`: one unit, its inputs read from a mapping."""
        return [f"def {name}(row, lf):", *_reporting_arithmetic(
            self.read_inputs() + self.computation(formula, marked=True)),
            "    return allocation", ""]

    def over_columns(self, name: str, formula: ast.FormulaDecl | None = None) -> list[str]:
        """`name(c_<input>..., lfs)`: many units, each input a column in the rule's input
        order; one loop, no call or mapping per unit."""
        columns = [f"c_{n}" for n in self.rule.inputs]
        targets = [f"i_{n}" for n in self.rule.inputs]
        return [f"def {name}({', '.join([*columns, 'lfs'])}):", "    out = []",
                f"    for {', '.join([*targets, 'lf'])}, in zip({', '.join([*columns, 'lfs'])}):",
                *_indent(self.computation(formula), 8), "        out.append(allocation)",
                "    return out", ""]

    def source(self) -> str:
        names = [d.name for d in self.rule.lets]
        trace_items = ", ".join(f"{n!r}: l_{n}" for n in names)
        basis = self.rule.preallocation_basis
        parts = [*self.over_row("allocation"), *self.over_columns("allocation_columns"),
                 "def trace(row, lf):",
                 *_reporting_arithmetic(self.read_inputs() + self.computation(marked=True)),
                 f"    return {{{trace_items}{', ' if trace_items else ''}"
                 "'allocation': allocation}", ""]
        if basis is not None:
            parts += [*self.over_row("preallocation_basis", basis),
                      *self.over_columns("preallocation_basis_columns", basis)]
        if self.rule.emissions is not None:
            emissions = self.rule.emissions
            parts += ["def emissions(row, lf):", *_reporting_arithmetic(
                self.read_inputs() + self.compute_lets(marked=True)
                + self.at("emissions", emissions, True)
                + self.statements("emissions", emissions.expr)),
                "    return emissions", ""]
        if self.rule.obligation is not None:
            arguments = ", ".join(f"c_{n}" for n in UNIT_OBLIGATION_NAMES)
            parts += [f"def obligation(row, lf, {arguments}):", *_indent(
                self.read_inputs() + self.compute_lets()
                + self.statements("obligation", self.rule.obligation.expr)),
                "    return obligation", ""]
        if self.rule.facility_obligation is not None:
            arguments = ", ".join(f"c_{n}" for n in FACILITY_OBLIGATION_NAMES)
            parts += [f"def facility_obligation({arguments}):", *_indent(
                self.statements("obligation", self.rule.facility_obligation.expr)),
                "    return obligation", ""]
        return "\n".join(parts)


def _reporting_arithmetic(body: list[str]) -> list[str]:
    """A function's body, a failure of its Decimal arithmetic reported as an
    EvaluationError naming what the last `at = ` marked. (The column functions, the fast
    path, are not marked: a unit failing there is done again by a marked function.)"""
    return ["    at = None", "    try:", *_indent(body, 8),
            "    except _DecimalException as error:",
            "        _arithmetic_failed(error, at, RULE)"]


def _indent(lines: list[str], spaces: int = 4) -> list[str]:
    return [" " * spaces + line for line in lines]


def _load(generator: _Generator, source: str, name: str) -> dict[str, Any]:
    namespace: dict[str, Any] = dict(generator.constants)
    exec(compile(source, f"<peie {name}>", "exec"), namespace)  # noqa: S102 - see module doc
    return namespace


def condition_function(rule: Rule, condition: ast.Condition | ast.Expr) -> Callable[..., Any]:
    """One condition (or expression) of `rule` as a function of (row, local factor, let
    values, and the compliance formulas' built-in values where it reads them): the
    explainer uses it to tell which branch of an if/else a unit took, and to find the key
    of a lookup whose key is not a plain name."""
    generator = _Generator(rule)
    lines = ["def test(row, lf, lets):", *_indent(generator.read_inputs())]
    lines += [f"    l_{d.name} = lets.get({d.name!r})" for d in rule.lets]
    lines += [f"    c_{n} = lets.get({n!r})" for n in COMPLIANCE_NAMES]
    lines += _indent(generator.statements("value", condition)) + ["    return value"]
    return _load(generator, "\n".join(lines), rule.path)["test"]  # type: ignore[no-any-return]


def compile_rule(rule: Rule) -> CompiledRule:
    generator = _Generator(rule)
    source = generator.source()
    namespace = _load(generator, source, rule.path)
    return CompiledRule(
        rule=rule,
        allocation=namespace["allocation"],
        allocation_columns=namespace["allocation_columns"],
        trace=namespace["trace"],
        emissions=namespace.get("emissions"),
        obligation=namespace.get("obligation"),
        facility_obligation=namespace.get("facility_obligation"),
        preallocation_basis=namespace.get("preallocation_basis", namespace["allocation"]),
        preallocation_basis_columns=namespace.get("preallocation_basis_columns",
                                                  namespace["allocation_columns"]),
        source=source,
    )
