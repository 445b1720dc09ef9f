"""Compiles a checked rule, once, into numpy closures for the batch path.

Every expression of the checked AST becomes a function of one evaluation (a frame over a
batch of units). What depends on codes alone (enum inputs, and the row of a bracket that a
value falls in) is evaluated when compiling, for every combination of those codes (at most
FOLD_LIMIT), so that at run time it is one gather by the combination's index:
`supply_benchmark[category] * cooling_factor[cooling]` is one table over category x
cooling, `category in {...}` a table of truth values. Constants are folded, and a product's
factors that depend on codes alone are multiplied together first: the float result may
then differ from the written order in the last place (totals that near a rounding edge
are settled on the exact path anyway). Nothing of a rule file is run as code.

The float semantics are the batch path's: numbers are float64, NaN where empty; codes are
indices into their enum's members, -1 where empty; a lookup by an empty code gives NaN
(or the empty code), a bracket NaN outside its rows; both branches of an `if` are
evaluated. Conditions are three-valued, as floats: 1 true, 0 false, NaN undefined, where
the exact path would stop on an empty value (a comparison of NaN or of an empty code).
`and` and `or` are undefined only where the exact path's short-circuit would read the
undefined side; an `if` on an undefined condition gives NaN (or the empty code), so the
unit goes to the exact path, which reports it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property, reduce
from typing import Any, assert_never

import numpy as np

from peie.dsl import ast
from peie.dsl.model import LOCAL_FACTOR, Bracket, EnumType, Rule, Type

FOLD_LIMIT = 4096  # the most code combinations one folded table may have
FEW_EDGES = 32  # brackets with at most this many edges are found by comparisons
RULES_KEPT = 64  # compiled rules kept (impact compiles one for each step it tries)


def _power(base: Any, exponent: Any) -> Any:
    """numpy gives NaN^0 = 1 and 1^NaN = 1; an empty value stops the exact path."""
    return np.where(np.isnan(base) | np.isnan(exponent), np.nan, np.power(base, exponent))


_ARITHMETIC: dict[str, Callable[..., Any]] = {
    "+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide, "^": _power}
_COMPARISON = {"==": np.equal, "!=": np.not_equal, "<": np.less, "<=": np.less_equal,
               ">": np.greater, ">=": np.greater_equal}


class NotVectorisable(Exception):
    """A rule the compiler cannot turn into array operations: the exact path evaluates it."""


@dataclass(frozen=True)
class Units:
    """A batch of units: the inputs a rule reads, as arrays of one length (or scalars)."""

    size: int
    numbers: Mapping[str, np.ndarray | float]  # float64, NaN where empty, defaults filled
    codes: Mapping[str, np.ndarray]  # indices into the enum's members, -1 where empty
    local_factor: np.ndarray | float = 1.0


class _Frame:
    """One evaluation: the units, and what it computes once (codes, lets, keys)."""

    def __init__(self, units: Units, known: Mapping[tuple[str, Any], Any] | None = None):
        self.units = units
        self.known: dict[tuple[str, Any], Any] = dict(known or {})

    def once(self, key: tuple[str, Any], compute: Fn) -> Any:
        if key not in self.known:
            self.known[key] = compute(self)
        return self.known[key]


Fn = Callable[[_Frame], Any]


@dataclass(frozen=True)
class _Const:
    """A value known when compiling."""

    value: Any

    def __call__(self, frame: _Frame) -> Any:
        return self.value


@dataclass(frozen=True)
class _Atom:
    """A source of codes: an enum input (-1 where empty, then its members) or a bracket
    (the index of the slot its subject falls in)."""

    name: str
    low: int  # the smallest code
    count: int  # how many codes there are


def _children(e: ast.Expr | ast.Condition) -> tuple[ast.Expr | ast.Condition, ...]:
    """The operands an expression evaluates (an `in {...}`'s codes are not operands)."""
    match e:
        case ast.Number() | ast.Name():
            return ()
        case ast.Lookup():
            return (e.key,)
        case ast.Binary() | ast.Compare() | ast.Logical():
            return (e.left, e.right)
        case ast.Negate() | ast.Not():
            return (e.operand,)
        case ast.Conditional():
            return (e.condition, e.then, e.otherwise)
        case ast.InSet():
            return (e.subject,)
        case _:
            assert_never(e)


def _factors(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Binary) and e.op == "*":
        return _factors(e.left) + _factors(e.right)
    return [e]


def _combinations(atoms: frozenset[_Atom]) -> int:
    return math.prod(a.count for a in atoms)


def _bracket_slots(bracket: Bracket) -> tuple[np.ndarray, np.ndarray]:
    """Edges for np.searchsorted(..., side="right"), and the value of each slot they make:
    NaN below the first row, above the last and for NaN. A value on an edge falls in the
    row closed there, so a row closed above ends at the next float up."""
    first = bracket.ranges[0]
    edges: list[float] = []
    values = [float(v) for v in bracket.values]
    if first.low is not None:
        low = float(first.low)
        edges.append(low if first.low_closed else np.nextafter(low, np.inf))
        values.insert(0, np.nan)
    for rng in bracket.ranges:
        high = np.inf if rng.high is None else float(rng.high)
        edges.append(np.nextafter(high, np.inf) if rng.high_closed else high)
    values.append(np.nan)
    if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise NotVectorisable(f"bracket '{bracket.decl.name}' has a row no float lies in")
    return np.array(edges), np.array(values)


def _slot(edges: np.ndarray, x: Any) -> Any:
    """np.searchsorted(edges, x, side="right"): for a few edges, as many comparisons
    (a tenth of the time); NaN is above every edge."""
    if np.ndim(x) == 0 or len(edges) > FEW_EDGES:
        return np.searchsorted(edges, x, side="right")
    below = np.less(x, edges[0]).view(np.uint8)
    for edge in edges[1:]:
        below = np.add(below, np.less(x, edge).view(np.uint8), out=below)
    return np.subtract(len(edges), below, dtype=np.intp)


class _Compiler:
    """Compiles expressions of one rule. Folding (fold=True) needs a plain compiler for
    the tables it folds: that one evaluates every node as written."""

    def __init__(self, rule: Rule, fold: bool):
        self.rule = rule
        self.fold = fold
        self.plain = _Compiler(rule, False) if fold else self
        self.lets = {let.name: let for let in rule.lets}
        self._atoms: dict[str, frozenset[_Atom] | None] = {}
        self._compiled_lets: dict[str, Fn] = {}
        self._keys: dict[tuple[_Atom, ...], Fn] = {}
        self._brackets: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._reads: dict[str, set[str]] = {}

    def bracket(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in self._brackets:
            self._brackets[name] = _bracket_slots(self.rule.brackets[name])
        return self._brackets[name]

    # ---- what an expression depends on ----

    def atoms(self, e: ast.Expr | ast.Condition) -> frozenset[_Atom] | None:
        """The sources of codes e depends on; None when it reads a number."""
        if isinstance(e, ast.Name):
            return self._name_atoms(e.id)
        found: frozenset[_Atom] = frozenset()
        for child in _children(e):
            atoms = self.atoms(child)
            if atoms is None:
                return None
            found |= atoms
        return found

    def _name_atoms(self, name: str) -> frozenset[_Atom] | None:
        if name not in self._atoms:
            rule = self.rule
            atoms: frozenset[_Atom] | None = frozenset()  # a param, or a bare code
            if name in rule.inputs:
                typ = rule.inputs[name].type
                atoms = frozenset([_Atom(name, -1, len(self.members(typ.enum)) + 1)]) \
                    if isinstance(typ, EnumType) else None
            elif name in rule.brackets:
                atoms = frozenset([_Atom(name, 0, len(self.bracket(name)[1]))])
            elif name in self.lets:
                atoms = self.atoms(self.lets[name].expr)
            elif name == LOCAL_FACTOR:
                atoms = None
            self._atoms[name] = atoms
        return self._atoms[name]

    def reads(self, e: ast.Expr | ast.Condition) -> set[str]:
        """The inputs e reads, through lets and brackets."""
        if not isinstance(e, ast.Name):
            return set().union(*(self.reads(child) for child in _children(e)))
        if e.id not in self._reads:
            reads = set()
            if e.id in self.rule.inputs:
                reads = {e.id}
            elif e.id in self.lets:
                reads = self.reads(self.lets[e.id].expr)
            elif e.id in self.rule.brackets:
                reads = self.reads(ast.Name(self.rule.brackets[e.id].decl.subject))
            self._reads[e.id] = reads
        return self._reads[e.id]

    def members(self, enum: str) -> list[str]:
        return [m.code for m in self.rule.enums[enum].members]

    def type_of(self, e: ast.Expr) -> Type | None:
        if isinstance(e, ast.Name):
            return self.rule.types.get(e.id)
        if isinstance(e, ast.Lookup):
            return self.rule.tables[e.table].type
        if isinstance(e, ast.Conditional):
            return self.type_of(e.then)
        return None

    def enum_of(self, e: ast.Expr) -> list[str]:
        typ = self.type_of(e)
        if not isinstance(typ, EnumType):
            raise NotVectorisable("a code is compared with something that is not a code")
        return self.members(typ.enum)

    # ---- compiling ----

    def expr(self, e: ast.Expr | ast.Condition) -> Fn:
        if self.fold:
            atoms = self.atoms(e)
            if atoms is not None and _combinations(atoms) <= FOLD_LIMIT and not (
                    isinstance(e, ast.Name) and any(a.name == e.id for a in atoms)):
                return self._folded(e, atoms)
        return self._node(e)

    def _folded(self, e: ast.Expr | ast.Condition, atoms: frozenset[_Atom]) -> Fn:
        """e evaluated for every combination of its codes: a constant, or a table that
        the combination's index (see _key) picks from."""
        order = tuple(sorted(atoms, key=lambda a: a.name))
        counts = [a.count for a in order]
        size = math.prod(counts)
        digits = np.indices(counts).reshape(len(order), size)
        frame = _Frame(Units(size, {}, {}), {("atom", a.name): d + a.low
                                             for a, d in zip(order, digits, strict=True)})
        with np.errstate(all="ignore"):
            values = np.broadcast_to(self.plain.expr(e)(frame), (size,))
        if not order:
            return _Const(values[0])
        strides = [math.prod(counts[i + 1:]) for i in range(len(order))]
        # The index is sum(code * stride): from offset (negative, for empty codes) on, so
        # the table is rolled by it and numpy's negative indices wrap round to its end.
        offset = sum(a.low * s for a, s in zip(order, strides, strict=True))
        table = np.roll(values, offset)
        key = self._key(order, strides)
        return lambda f: table[key(f)]

    def _key(self, order: tuple[_Atom, ...], strides: list[int]) -> Fn:
        """The index of each unit's combination of codes, computed once per evaluation."""
        if order not in self._keys:
            codes = [self._atom(a.name) for a in order]
            if len(order) == 1:
                self._keys[order] = codes[0]
            else:
                def combine(f: _Frame) -> np.ndarray:
                    key = np.multiply(codes[0](f), strides[0])
                    for code, stride in zip(codes[1:], strides[1:], strict=True):
                        key = np.add(key, code(f) if stride == 1 else np.multiply(code(f), stride),
                                     out=key if isinstance(key, np.ndarray) else None)
                    return key

                self._keys[order] = lambda f: f.once(("key", order), combine)
        return self._keys[order]

    def _atom(self, name: str) -> Fn:
        """The codes of an enum input, or the slots of a bracket's subject."""
        compute: Fn
        if name in self.rule.brackets:
            edges, _ = self.bracket(name)
            subject = self.expr(ast.Name(self.rule.brackets[name].decl.subject))

            def compute(f: _Frame) -> Any:
                return _slot(edges, subject(f))
        else:
            def compute(f: _Frame) -> Any:
                codes = f.units.codes.get(name)
                return np.full(f.units.size, -1) if codes is None else codes
        return lambda f: f.once(("atom", name), compute)

    def _node(self, e: ast.Expr | ast.Condition) -> Fn:
        match e:
            case ast.Number():
                return _Const(float(e.value))
            case ast.Name():
                return self._name(e.id)
            case ast.Lookup():
                return self._lookup(e)
            case ast.Binary():
                if self.fold and e.op == "*":
                    return self._product(e)
                return _call(_ARITHMETIC[e.op], self.expr(e.left), self.expr(e.right))
            case ast.Negate():
                return _call(np.negative, self.expr(e.operand))
            case ast.Conditional():
                return self._conditional(e)
            case ast.Compare():
                return self._compare(e)
            case ast.InSet():
                return self._in_set(e)
            case ast.Logical():
                return _call(_and if e.op == "and" else _or, self.expr(e.left),
                             self.expr(e.right))
            case ast.Not():
                return _call(lambda x: np.subtract(1.0, x), self.expr(e.operand))
            case _:
                assert_never(e)

    def _in_set(self, e: ast.InSet) -> Fn:
        members = self.enum_of(e.subject)
        inside = np.zeros(len(members) + 1)  # the last for an empty code: undefined
        inside[-1] = np.nan
        inside[[self._code(members, m.id) for m in e.members]] = 1.0
        subject = self.expr(e.subject)
        return lambda f: inside[subject(f)]

    def _conditional(self, e: ast.Conditional) -> Fn:
        test = self.expr(e.condition)
        then, otherwise = self.expr(e.then), self.expr(e.otherwise)
        undefined = -1 if isinstance(self.type_of(e.then), EnumType) else np.nan
        if isinstance(test, _Const):
            return _Const(undefined) if np.isnan(test.value) else then if test.value \
                else otherwise
        return lambda f: np.where(np.equal(t := test(f), 1), then(f),
                                  np.where(np.equal(t, 0), otherwise(f), undefined))

    def _compare(self, e: ast.Compare) -> Fn:
        left, right = self._side(e.left, e.right), self._side(e.right, e.left)
        compare = _COMPARISON[e.op]
        if self._is_code(e.left) or self._is_code(e.right):
            return lambda f: _truth(compare(a := left(f), b := right(f)),
                                    np.equal(a, -1) | np.equal(b, -1))
        return lambda f: _truth(compare(a := left(f), b := right(f)), np.isnan(a) | np.isnan(b))

    def _is_code(self, e: ast.Expr) -> bool:
        return (isinstance(e, ast.Name) and e.id not in self.rule.types) or isinstance(
            self.type_of(e), EnumType)

    def _name(self, name: str) -> Fn:
        rule = self.rule
        if name == LOCAL_FACTOR:
            return lambda f: f.units.local_factor
        if name in rule.inputs:
            if isinstance(rule.inputs[name].type, EnumType):
                return self._atom(name)
            return lambda f: f.units.numbers.get(name, np.nan)  # absent: every cell empty
        if name in rule.params:
            return _Const(float(rule.params[name].value.scaled))
        if name in rule.brackets:
            _, values = self.bracket(name)
            slot = self._atom(name)
            return lambda f: values[slot(f)]
        if name not in self.lets:
            raise NotVectorisable(f"'{name}' is not a value")
        if name not in self._compiled_lets:
            compute = self.expr(self.lets[name].expr)
            self._compiled_lets[name] = compute if isinstance(compute, _Const) else (
                lambda f: f.once(("let", name), compute))
        return self._compiled_lets[name]

    def _lookup(self, e: ast.Lookup) -> Fn:
        table = self.rule.tables[e.table]
        keys = self.members(table.decl.key_enum)
        if any(k not in table.values for k in keys):
            raise NotVectorisable(f"table '{e.table}' lacks rows for codes of its enum")
        if isinstance(table.type, EnumType):
            targets = self.members(table.type.enum)
            mapped = np.array([self._code(targets, str(table.values[k])) for k in keys] + [-1])
        else:
            mapped = np.array([float(table.values[k]) for k in keys] + [np.nan])
        key = self.expr(e.key)
        return lambda f: mapped[key(f)]

    def _product(self, e: ast.Binary) -> Fn:
        """Factors multiplied in the written order, except that those depending on codes
        alone are multiplied together first, into one folded table."""
        factors = _factors(e)
        coded = [i for i, x in enumerate(factors) if self.atoms(x) is not None]
        atoms = frozenset().union(*(self.atoms(factors[i]) or () for i in coded))
        if len(coded) > 1 and _combinations(atoms) <= FOLD_LIMIT:
            group = reduce(lambda a, b: ast.Binary("*", a, b), [factors[i] for i in coded])
            factors = [group if i == coded[0] else x for i, x in enumerate(factors)
                       if i == coded[0] or i not in coded]
        first, *rest = [self.expr(x) for x in factors]

        def product(f: _Frame) -> Any:
            out = first(f)
            for i, factor in enumerate(rest):  # a product made here is written over
                mine = i > 0 and isinstance(out, np.ndarray) and out.ndim > 0
                out = np.multiply(out, factor(f), out=out if mine else None)
            return out

        return product

    def _side(self, e: ast.Expr, other: ast.Expr) -> Fn:
        """A comparison operand; a bare code (fuel == gas) is its index in the enum."""
        if isinstance(e, ast.Name) and e.id not in self.rule.types:
            return _Const(self._code(self.enum_of(other), e.id))
        return self.expr(e)

    @staticmethod
    def _code(members: list[str], code: str) -> int:
        if code not in members:
            raise NotVectorisable(f"'{code}' is not a code of its enum")
        return members.index(code)


def _call(ufunc: Callable[..., Any], *operands: Fn) -> Fn:
    return lambda f: ufunc(*(operand(f) for operand in operands))


def _truth(holds: Any, undefined: Any) -> Any:
    """A condition's value: 1.0 or 0.0 where `holds` says, NaN where undefined."""
    return np.where(undefined, np.nan, np.asarray(holds, dtype=float))


def _and(left: Any, right: Any) -> Any:
    """`left and right` as the exact path reads it: right only where left is true."""
    return np.where(np.equal(left, 0), 0.0, np.where(np.isnan(left), np.nan, right))


def _or(left: Any, right: Any) -> Any:
    return np.where(np.equal(left, 1), 1.0, np.where(np.isnan(left), np.nan, right))


@dataclass(frozen=True)
class _Ensure:
    """`ensure NAME in RANGE [when ...]`: broken where value < below or value > above, or
    cannot be computed."""

    value: Fn
    when: Fn | None
    below: float | None
    above: float | None

    def broken(self, frame: _Frame) -> Any:
        value = self.value(frame)
        broken: Any = np.isnan(value)  # a value the exact path cannot compute: it says why
        if self.below is not None:
            broken = np.logical_or(broken, np.less(value, self.below))
        if self.above is not None:
            broken = np.logical_or(broken, np.greater(value, self.above))
        # Where `when` is undefined the exact path stops too; only where it is false does
        # it let the unit pass.
        return broken if self.when is None else np.logical_and(
            broken, np.not_equal(self.when(frame), 0))


class VectorRule:
    """One rule's allocation and ensures, compiled to numpy closures on first use
    (NotVectorisable is raised then)."""

    def __init__(self, rule: Rule):
        self.rule = rule
        self._compiler = _Compiler(rule, fold=True)
        # The lets first, in their order (each after those it uses), here and wherever they
        # are compiled and evaluated: what one uses is then known, not found by recursing
        # down a chain of lets (a chain of hundreds would pass Python's recursion limit).
        reads: set[str] = set()
        for let in rule.lets:
            reads |= self._compiler.reads(ast.Name(let.name))
        reads |= self._compiler.reads(rule.allocation.expr)
        for ensure in rule.ensures:
            reads |= self._compiler.reads(ast.Name(ensure.decl.name))
            if ensure.decl.when is not None:
                reads |= self._compiler.reads(ensure.decl.when)
        self.inputs = frozenset(reads)  # what the lets, the allocation and the ensures read

    @cached_property
    def _allocation(self) -> Fn:
        _ = self._lets  # the lets compiled first, in their order
        return self._compiler.expr(self.rule.allocation.expr)

    @cached_property
    def _lets(self) -> list[tuple[Fn, bool]]:
        """Every let, and whether it is a code: the exact path computes each for every
        unit, used or not, and stops where one cannot be computed (language.md §18)."""
        return [(self._compiler.expr(name), isinstance(self._compiler.type_of(name), EnumType))
                for name in (ast.Name(let.name) for let in self.rule.lets)]

    @cached_property
    def _ensures(self) -> list[_Ensure]:
        ensures = []
        for ensure in self.rule.ensures:
            when = None if ensure.decl.when is None else self._compiler.expr(ensure.decl.when)
            if isinstance(when, _Const):
                if not when.value:
                    continue
                when = None
            rng = ensure.range
            below = None if rng.low is None else float(rng.low)
            above = None if rng.high is None else float(rng.high)
            if below is not None and not rng.low_closed:  # broken on the edge too
                below = float(np.nextafter(below, np.inf))
            if above is not None and not rng.high_closed:
                above = float(np.nextafter(above, -np.inf))
            ensures.append(_Ensure(self._compiler.expr(ast.Name(ensure.decl.name)), when,
                                   below, above))
        return ensures

    def allocation(self, units: Units) -> np.ndarray:
        """Every unit's allocation, float64; NaN where it cannot be evaluated (ensures
        not applied)."""
        frame = _Frame(units)
        with np.errstate(all="ignore"):
            for let, _code in self._lets:
                let(frame)
            return self._array(self._allocation(frame), units)

    def evaluate(self, units: Units) -> tuple[np.ndarray, np.ndarray]:
        """Unit allocations, and a mask of the units the exact path must compute again:
        a result that is not finite, a let that cannot be computed, or an ensure broken."""
        ensures, frame = self._ensures, _Frame(units)
        with np.errstate(all="ignore"):
            unknown = [np.equal(let(frame), -1) if code else np.isnan(let(frame))
                       for let, code in self._lets]
            allocation = self._array(self._allocation(frame), units)
            redo = ~np.isfinite(allocation)
            for lets_unknown in unknown:
                redo |= lets_unknown
            for ensure in ensures:
                redo |= ensure.broken(frame)
        return allocation, redo

    @staticmethod
    def _array(value: Any, units: Units) -> np.ndarray:
        """The units' values as a float64 array of their own (not an input's array)."""
        if not isinstance(value, np.ndarray) or value.shape != (units.size,):
            return np.full(units.size, value, dtype=float)
        if any(value is v for v in units.numbers.values()) or value is units.local_factor:
            return value.astype(float)
        return value.astype(float, copy=False)


_RULES: OrderedDict[int, VectorRule] = OrderedDict()
_RULES_LOCK = threading.Lock()  # batch_allocate's check asks from a thread of its own


def vectorise(rule: Rule) -> VectorRule:
    """The rule compiled, once: kept (with the rule, so its id stays its own) for the
    last RULES_KEPT rules asked for."""
    key = id(rule)
    with _RULES_LOCK:
        if key not in _RULES or _RULES[key].rule is not rule:
            _RULES[key] = VectorRule(rule)
            while len(_RULES) > RULES_KEPT:
                _RULES.popitem(last=False)
        _RULES.move_to_end(key)
        return _RULES[key]
