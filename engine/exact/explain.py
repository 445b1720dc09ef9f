"""The computation tree behind one unit's allocation: every value, its formula, the rule
line it comes from and the data field it reads; and, for test coverage, which table rows,
bracket rows and branches of an if/else that computation read (`Reads`)."""

from __future__ import annotations

import decimal
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, assert_never

from peie.dsl import ast
from peie.dsl.i18n import _, beside, localized
from peie.dsl.model import LOCAL_FACTOR, EnumType, Rule, Type

from .allocation import UnitAllocation, decimal_text
from .compiler import CONTEXT, CompiledRule, condition_function


@dataclass
class Node:
    name: str
    value: str
    unit: str | None = None  # None for codes
    label: str | None = None
    formula: str | None = None
    rule: str | None = None  # FILE:LINE
    source: str | None = None  # the document a number comes from
    data: str | None = None  # FILE, row N, field F
    note: str | None = None  # data, note and formula are Messages where they are words
    children: list[Node] = field(default_factory=list)
    code_label: str | None = None  # a code's label, shown beside it in text (not in JSON)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "value": self.value}
        for key in ("unit", "label", "formula", "rule", "source", "data", "note"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out

    def render(self, indent: str = "") -> list[str]:
        head = f"{indent}{self.name}"
        if self.label:
            head += f" ({self.label})"
        head += (f" = {beside(self.value, self.code_label)}"
                 + (f" {self.unit}" if self.unit and self.unit != "1" else ""))
        lines = [head]
        pad = indent + "    "
        if self.formula:
            lines.append(f"{pad}= {localized(self.formula)}")
        source = self.source and localized(_("source: {source}", source=self.source))
        where = "; ".join(localized(x) for x in (self.rule, source, self.data, self.note) if x)
        if where:
            lines.append(f"{pad}[{where}]")
        for child in self.children:
            lines.extend(child.render(indent + "  "))
        return lines


_Todo = list[tuple[Node, ast.Expr | ast.Condition]]  # nodes whose children are still to find


def _value(value: Decimal | str) -> str:
    return value if isinstance(value, str) else decimal_text(value)


@dataclass
class Reads:
    """What one unit's computation read, as its explanation walked it (only the branch an
    if/else took): table rows as (table, key), bracket rows as (bracket, index of the row
    in the bracket's sorted rows, the value of its subject), and each if/else reached as
    (its span, whether the condition held)."""

    table_rows: set[tuple[str, str]] = field(default_factory=set)
    bracket_rows: set[tuple[str, int, Decimal]] = field(default_factory=set)
    branches: set[tuple[ast.Span, bool]] = field(default_factory=set)


class _Explainer:
    def __init__(self, unit: UnitAllocation, compiled: CompiledRule, data_path: str):
        self.unit = unit
        self.rule: Rule = compiled.rule
        self.data_path = data_path
        self.reads = Reads()
        with decimal.localcontext(CONTEXT):
            self.values = compiled.trace(unit.record.values, unit.local_factor.factor)

    def evaluate(self, expr: ast.Condition | ast.Expr) -> Any:
        function = condition_function(self.rule, expr)
        with decimal.localcontext(CONTEXT):
            return function(self.unit.record.values, self.unit.local_factor.factor,
                             self.values)

    def taken(self, expr: ast.Conditional) -> bool:
        held = bool(self.evaluate(expr.condition))
        self.reads.branches.add((expr.span, held))
        return held

    def where(self, span: ast.Span) -> str:
        return f"{self.rule.path}:{span.line}"

    def unit_of(self, name: str) -> str | None:
        typ = self.rule.types.get(name)
        return None if typ is None else typ.shown_unit

    def code_label(self, typ: Type | None, value: Decimal | str) -> str | None:
        """The label of `value` where it is a code of one of the rule's enums."""
        enum = self.rule.enums.get(typ.enum) if isinstance(typ, EnumType) else None
        return next((m.label for m in enum.members if m.code == value), None) if enum else None

    def value_of(self, name: str) -> Decimal | str:
        if name in self.values:
            return self.values[name]  # type: ignore[no-any-return]
        if name == LOCAL_FACTOR:
            return self.unit.local_factor.factor
        if name in self.rule.params:
            return self.rule.params[name].value.scaled
        if name in self.rule.brackets:
            bracket = self.rule.brackets[name]
            index = bracket.select(Decimal(self.value_of(bracket.decl.subject)))
            return bracket.values[index]
        value = self.unit.record.values[name]
        assert value is not None
        return value

    def root(self, basis: bool = False) -> Node:
        """The allocation's tree; with `basis`, that of what the pre-allocation share
        multiplies (the unit's amount then being that basis)."""
        decl = self.rule.allocation
        name = "allocation"
        if basis and self.rule.preallocation_basis is not None:
            decl, name = self.rule.preallocation_basis, "preallocation basis"
        node = Node(name, decimal_text(self.unit.allocation), "tCO2",
                    formula=ast.span_text(self.rule.file.text, decl.expr.span),
                    rule=self.where(decl.span),
                    note=_("unit {unit}, facility {facility}, rules {sector} {version} "
                           "(sha256 {sha256})", unit=self.unit.unit_id,
                           facility=self.unit.record.facility_id, sector=self.rule.sector,
                           version=self.rule.version, sha256=self.rule.sha256[:12]))
        self._expand(node, decl.expr)
        return node

    def _expand(self, top: Node, expr: ast.Expr | ast.Condition) -> None:
        """Give `top` the nodes of the values `expr` uses, and those theirs, down to the
        inputs: from a list of nodes still to expand, not by recursion, as a tree is as
        deep as the rule's chain of lets."""
        todo: _Todo = [(top, expr)]
        while todo:
            node, expr = todo.pop()
            node.children = self.children(expr, todo)

    def children(self, expr: ast.Expr | ast.Condition, todo: _Todo) -> list[Node]:
        nodes: list[Node] = []
        seen: set[str] = set()
        for item in _references(expr, self.taken):
            key = item.id if isinstance(item, ast.Name) else f"{item.table}[{id(item)}]"
            if key in seen or (isinstance(item, ast.Name) and item.id not in self.rule.types):
                continue  # a code such as 'gas' in `fuel == gas`
            seen.add(key)
            nodes.append(self.lookup(item, todo) if isinstance(item, ast.Lookup)
                         else self.name(item.id, todo))
        return nodes

    def name(self, name: str, todo: _Todo) -> Node:
        rule, record = self.rule, self.unit.record
        value = self.value_of(name)
        node = Node(name, _value(value), self.unit_of(name),
                    code_label=self.code_label(self.rule.types.get(name), value))
        if name == LOCAL_FACTOR:
            source = self.unit.local_factor
            node.label = "地方行业调整系数"
            node.data = (_("{file}, row {row}", file=source.file, row=source.row) if source.file
                         else _("default (no factor for {province}/{sector})",
                                province=record.province, sector=record.sector))
        elif name in rule.inputs:
            decl = rule.inputs[name].decl
            node.label, node.rule = decl.label, self.where(decl.span)
            if name in record.defaulted:
                node.data = _("{file}, row {row}: empty, rule default used",
                              file=self.data_path, row=record.row)
            else:
                node.data = _("{file}, row {row}, field {field}", file=self.data_path,
                              row=record.row, field=name)
        elif name in rule.params:
            param = rule.params[name]
            node.label, node.rule, node.source = param.label, self.where(param.span), param.source
        elif name in rule.brackets:
            bracket = rule.brackets[name]
            subject = Decimal(self.value_of(bracket.decl.subject))
            index = bracket.select(subject)
            self.reads.bracket_rows.add((name, index, subject))
            row = bracket.rows[index]
            node.label, node.source = bracket.decl.label, row.source
            node.rule = self.where(row.span)
            text = rule.file.text  # the row's interval and value; its source is shown apart
            node.formula = _("bracket over {subject}: row {interval} -> {value}",
                             subject=bracket.decl.subject,
                             interval=ast.span_text(text, row.interval.span),
                             value=ast.span_text(text, row.value.span))
            node.children = [self.name(bracket.decl.subject, todo)]
        else:
            let = next(d for d in rule.lets if d.name == name)
            node.label, node.rule = let.label, self.where(let.span)
            node.formula = ast.span_text(rule.file.text, let.expr.span)
            todo.append((node, let.expr))
        return node

    def lookup(self, item: ast.Lookup, todo: _Todo) -> Node:
        table = self.rule.tables[item.table]
        key = (self.value_of(item.key.id) if isinstance(item.key, ast.Name)
               else self.evaluate(item.key))
        self.reads.table_rows.add((item.table, str(key)))
        row = next((r for r in table.decl.rows if r.key == key), None)
        value = table.values[str(key)]
        node = Node(f"{item.table}[{key}]", _value(value),
                    table.type.shown_unit, code_label=self.code_label(table.type, value),
                    label=table.decl.label,
                    rule=self.where(row.span if row else table.decl.span),
                    source=(row.source if row and row.source else table.decl.source))
        todo.append((node, item.key))
        return node


def _references(expr: ast.Expr | ast.Condition,
                taken: Callable[[ast.Conditional], bool]) -> list[ast.Name | ast.Lookup]:
    """Names and lookups directly in `expr` (not inside a lookup's key), left to right; of
    an if/else only the branch that was taken. A walk with a stack of its own."""
    found: list[ast.Name | ast.Lookup] = []
    stack: list[ast.Expr | ast.Condition] = [expr]
    while stack:
        part = stack.pop()
        parts: list[ast.Expr | ast.Condition]
        match part:
            case ast.Name() | ast.Lookup():
                found.append(part)
                parts = []
            case ast.Number():
                parts = []
            case ast.Binary() | ast.Compare() | ast.Logical():
                parts = [part.left, part.right]
            case ast.Negate() | ast.Not():
                parts = [part.operand]
            case ast.Conditional():
                parts = [part.condition, part.then if taken(part) else part.otherwise]
            case ast.InSet():
                parts = [part.subject]  # its members are codes
            case _:
                assert_never(part)
        stack.extend(reversed(parts))
    return found


def explain_unit(unit: UnitAllocation, compiled: CompiledRule, data_path: str,
                 basis: bool = False) -> Node:
    """The tree of the unit's allocation (with `basis`: of its pre-allocation basis, the
    unit having been evaluated so)."""
    return explain_reads(unit, compiled, data_path, basis)[0]


def explain_reads(unit: UnitAllocation, compiled: CompiledRule, data_path: str,
                  basis: bool = False) -> tuple[Node, Reads]:
    """The tree, and what the computation it shows read."""
    explainer = _Explainer(unit, compiled, data_path)
    return explainer.root(basis), explainer.reads


def branches_taken(rule: Rule, expr: ast.Expr, row: Any, local_factor: Decimal,
                   values: Any) -> set[tuple[ast.Span, bool]]:
    """The if/else of `expr` that one evaluation reaches, each with whether its condition
    held (only the branch taken is gone into); `values` holds the lets and the built-in
    values the expression reads (an obligation formula's, say)."""
    found: set[tuple[ast.Span, bool]] = set()
    pending: list[ast.Node] = [expr]
    with decimal.localcontext(CONTEXT):
        while pending:
            node = pending.pop()
            if isinstance(node, ast.Conditional):
                held = bool(condition_function(rule, node.condition)(row, local_factor, values))
                found.add((node.span, held))
                pending += [node.condition, node.then if held else node.otherwise]
            else:
                pending += node.children()
    return found

