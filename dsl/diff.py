"""Semantic diff of two versions of a rule file: what changed in meaning, declaration by
declaration, not line by line.

Declarations are matched by what they declare (a table by its name, an ensure by its
name and condition, ...), and compared as syntax trees, which leave out layout, comments
and spans: a file reformatted or reordered differs from itself in nothing. Each changed
declaration is one `Edit`, the unit the impact attribution works in (peie.impact); its
`changes` are the details shown to people (a table row's old and new value, a factor
added to a formula).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, assert_never

from . import ast
from .declarations import SECTIONS, kind_of
from .i18n import _, joined


@dataclass(frozen=True)
class Change:
    section: str  # one of SECTIONS
    name: str  # the declaration: 'version', 'supply_benchmark', 'allocation', ...
    action: str  # added, removed or changed
    item: str | None  # the part of the declaration: a row key, 'range', 'label', ...
    # (item and note are catalogue Messages where they are words: English in JSON)
    old: str | None  # as written in the old file
    new: str | None
    note: str | None = None  # '+3.3 %', 'factor local_factor removed', ...
    old_line: int | None = None
    new_line: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("section", "name", "action", "item", "old",
                                              "new", "note", "old_line", "new_line")}


@dataclass(frozen=True)
class Edit:
    """One declaration added, removed or changed."""

    section: str
    name: str
    old: ast.Decl | None
    new: ast.Decl | None
    changes: tuple[Change, ...]

    @property
    def title(self) -> str:
        if self.old is None:
            return _("{section} {name} added", section=self.section, name=self.name)
        if self.new is None:
            return _("{section} {name} removed", section=self.section, name=self.name)
        return _("{section} {name} changed", section=self.section, name=self.name)


@dataclass(frozen=True)
class RuleDiff:
    old: ast.RuleFile
    new: ast.RuleFile
    edits: tuple[Edit, ...]

    @property
    def changes(self) -> list[Change]:
        return [c for e in self.edits for c in e.changes]


# ---- matching declarations ---------------------------------------------------------


def _key(decl: ast.Decl, text: str) -> tuple[str, str, Any]:
    """(section, display name, identity): declarations with equal identity are matched."""
    section = kind_of(decl).section
    match decl:
        case ast.Header():
            return section, decl.key, decl.key
        case ast.FormulaDecl():
            return section, decl.kind, decl.kind
        case ast.PreallocationDecl():
            return section, "share", None
        case ast.RoundingDecl():
            return section, "facility", None
        case ast.EnsureDecl():
            when = "" if decl.when is None else " when " + ast.span_text(text, decl.when.span)
            return section, decl.name + when, (decl.name, decl.when)
        case (ast.EnumDecl() | ast.InputDecl() | ast.TableDecl() | ast.BracketDecl()
              | ast.ParamDecl() | ast.LetDecl()):
            return section, decl.name, decl.name
        case _:
            assert_never(decl)


def diff_files(old: ast.RuleFile, new: ast.RuleFile) -> RuleDiff:
    olds = {(s, i): (n, d) for d in old.decls for s, n, i in [_key(d, old.text)]}
    news = {(s, i): (n, d) for d in new.decls for s, n, i in [_key(d, new.text)]}
    edits = []
    for key in olds.keys() | news.keys():
        (old_name, a), (new_name, b) = olds.get(key, (None, None)), news.get(key, (None, None))
        if a == b:
            continue
        section, name = key[0], str(new_name or old_name)
        changes = tuple(_Compare(old, new, section, name).decl(a, b))
        edits.append(Edit(section, name, a, b, changes))
    edits.sort(key=lambda e: (SECTIONS.index(e.section), e.name))
    return RuleDiff(old, new, tuple(edits))


# ---- comparing one declaration -------------------------------------------------------


def percent_change(old: Decimal, new: Decimal) -> str | None:
    if old == 0:
        return None
    change = (new - old) / old * 100
    return f"{change:+.1f} %"


def _line(node: Any) -> int | None:
    span = getattr(node, "span", None)
    return span.line if span is not None and span.line else None


class _Compare:
    def __init__(self, old: ast.RuleFile, new: ast.RuleFile, section: str, name: str):
        self.old_file, self.new_file = old, new
        self.section, self.name = section, name

    def told(self, node: Any) -> str:
        return ast.span_text(self.old_file.text, node.span)

    def tnew(self, node: Any) -> str:
        return ast.span_text(self.new_file.text, node.span)

    def change(self, action: str, item: str | None, old: Any, new: Any,
               old_text: str | None, new_text: str | None, note: str | None = None) -> Change:
        return Change(self.section, self.name, action, item, old_text, new_text, note,
                      _line(old), _line(new))

    def decl(self, a: ast.Decl | None, b: ast.Decl | None) -> Iterator[Change]:
        if a is None:
            yield self.change("added", None, None, b, None, self.tnew(b))
            return
        if b is None:
            yield self.change("removed", None, a, None, self.told(a), None)
            return
        compare: dict[type, Callable[[Any, Any], Iterator[Change]]] = {
            ast.Header: self.header, ast.EnumDecl: self.rows, ast.TableDecl: self.table,
            ast.InputDecl: self.input, ast.BracketDecl: self.bracket,
            ast.ParamDecl: self.param, ast.LetDecl: self.formula,
            ast.FormulaDecl: self.formula, ast.EnsureDecl: self.ensure,
            ast.PreallocationDecl: self.preallocation, ast.RoundingDecl: self.rounding,
        }
        if type(a) is not type(b):
            yield self.change("changed", None, a, b, self.told(a), self.tnew(b))
            return
        yield from compare[type(a)](a, b)

    def field(self, item: str, a: Any, b: Any, old: Any, new: Any,
              old_text: str | None, new_text: str | None, note: str | None = None
              ) -> Iterator[Change]:
        if old != new:
            action = ("added" if old is None else "removed" if new is None else "changed")
            yield self.change(action, item, a, b, old_text, new_text, note)

    def label(self, a: Any, b: Any) -> Iterator[Change]:
        yield from self.field(_("label"), a, b, a.label, b.label, _quoted(a.label),
                              _quoted(b.label))

    def header(self, a: ast.Header, b: ast.Header) -> Iterator[Change]:
        yield self.change("changed", None, a, b, self.told(a).split(" ", 1)[-1],
                          self.tnew(b).split(" ", 1)[-1])

    # -- enums and tables: rows matched by key
    def rows(self, a: ast.EnumDecl | ast.TableDecl, b: ast.EnumDecl | ast.TableDecl
             ) -> Iterator[Change]:
        yield from self.label(a, b)
        old_rows = {_row_key(r): r for r in _rows(a)}
        new_rows = {_row_key(r): r for r in _rows(b)}
        for key in [k for k in old_rows if k not in new_rows]:
            yield self.change("removed", key, old_rows[key], None,
                              _row_text(old_rows[key]), None)
        for key in new_rows:
            x, y = old_rows.get(key), new_rows[key]
            if x is None:
                yield self.change("added", key, None, y, None, _row_text(y))
            elif isinstance(x, ast.TableRow) and isinstance(y, ast.TableRow) \
                    and x.label == y.label:
                yield from self.table_row(key, x, y)
            elif x != y:
                yield self.change("changed", key, x, y, _row_text(x), _row_text(y))

    def table_row(self, key: str, x: ast.TableRow, y: ast.TableRow) -> Iterator[Change]:
        note = percent_change(x.value, y.value) \
            if isinstance(x.value, Decimal) and isinstance(y.value, Decimal) else None
        yield from self.field(key, x, y, x.value, y.value, str(x.value), str(y.value), note)
        yield from self.field(_("{key} source", key=key), x, y, x.source, y.source,
                              _quoted(x.source), _quoted(y.source))

    def table(self, a: ast.TableDecl, b: ast.TableDecl) -> Iterator[Change]:
        yield from self.field(_("key"), a, b, a.key_enum, b.key_enum, a.key_enum, b.key_enum)
        yield from self.field(_("unit"), a, b, a.unit, b.unit, _unit(a.unit), _unit(b.unit))
        yield from self.field(_("values"), a, b, a.value_enum, b.value_enum, a.value_enum,
                              b.value_enum)
        yield from self.field(_("source"), a, b, a.source, b.source, _quoted(a.source),
                              _quoted(b.source))
        yield from self.rows(a, b)

    def input(self, a: ast.InputDecl, b: ast.InputDecl) -> Iterator[Change]:
        yield from self.field(_("type"), a, b, a.type, b.type, a.type.text, b.type.text)
        yield from self.field(_("range"), a, b, a.range, b.range, self._opt(self.told, a.range),
                              self._opt(self.tnew, b.range))
        yield from self.label(a, b)
        yield from self.field(_("requirement"), a, b, a.requirement, b.requirement,
                              self._requirement(a, self.told), self._requirement(b, self.tnew))

    @staticmethod
    def _opt(text: Callable[[Any], str], node: Any) -> str | None:
        return None if node is None else text(node)

    @staticmethod
    def _requirement(decl: ast.InputDecl, text: Callable[[Any], str]) -> str:
        r = decl.requirement
        if r.kind == "default" and r.default is not None:
            return "default " + text(r.default)
        if r.kind == "when" and r.when is not None:
            return "required when " + text(r.when)
        return r.kind

    def bracket(self, a: ast.BracketDecl, b: ast.BracketDecl) -> Iterator[Change]:
        yield from self.label(a, b)
        yield from self.field(_("subject"), a, b, a.subject, b.subject, a.subject, b.subject)
        old_rows = {r.interval: r for r in a.rows}
        new_rows = {r.interval: r for r in b.rows}
        for interval, row in old_rows.items():
            if interval not in new_rows:
                yield self.change("removed", self.told(row.interval), row, None,
                                  self.told(row), None)
        for interval, row in new_rows.items():
            x = old_rows.get(interval)
            if x is None:
                yield self.change("added", self.tnew(row.interval), None, row, None,
                                  self.tnew(row))
            elif x != row:
                note = percent_change(x.value.scaled, row.value.scaled) \
                    if x.value.unit == row.value.unit else None
                yield self.change("changed", self.tnew(row.interval), x, row, self.told(x),
                                  self.tnew(row), note)

    def param(self, a: ast.ParamDecl, b: ast.ParamDecl) -> Iterator[Change]:
        note = percent_change(a.value.scaled, b.value.scaled) \
            if a.value.unit == b.value.unit else None
        yield from self.field(_("value"), a, b, a.value, b.value, self.told(a.value),
                              self.tnew(b.value), note)
        yield from self.label(a, b)
        yield from self.field(_("source"), a, b, a.source, b.source, _quoted(a.source),
                              _quoted(b.source))

    def formula(self, a: ast.LetDecl | ast.FormulaDecl, b: ast.LetDecl | ast.FormulaDecl
                ) -> Iterator[Change]:
        if isinstance(a, ast.LetDecl) and isinstance(b, ast.LetDecl):
            yield from self.label(a, b)
        if a.expr != b.expr:
            yield self.change("changed", _("formula"), a.expr, b.expr, self.told(a.expr),
                              self.tnew(b.expr), self.expression_note(a.expr, b.expr))

    def expression_note(self, a: ast.Expr, b: ast.Expr) -> str | None:
        """Which factors (or terms) were added or removed, where both sides share some."""
        for split, what in ((_factors, "factor"), (_terms, "term")):
            old, new = split(a), split(b)
            if len(old) + len(new) < 3:
                continue
            removed = _minus(old, new)
            added = _minus(new, old)
            if len(removed) < len(old) or len(added) < len(new):
                notes = [_part_note(what, "removed", _grouped(self.told(x), x, what))
                         for x in removed]
                notes += [_part_note(what, "added", _grouped(self.tnew(x), x, what))
                          for x in added]
                return joined(notes, "; ") if notes else None
        return None

    def ensure(self, a: ast.EnsureDecl, b: ast.EnsureDecl) -> Iterator[Change]:
        yield self.change("changed", _("range"), a.interval, b.interval, self.told(a.interval),
                          self.tnew(b.interval))

    def preallocation(self, a: ast.PreallocationDecl, b: ast.PreallocationDecl
                      ) -> Iterator[Change]:
        yield from self.field(_("form"), a, b, a.form, b.form, a.form, b.form)
        yield from self.field(_("share"), a, b, a.share, b.share,
                              None if a.share is None else self.told(a.share),
                              None if b.share is None else self.tnew(b.share))
        yield from self.field(_("base year"), a, b, a.base_year, b.base_year, a.base_year,
                              b.base_year)
        yield from self.field(_("source"), a, b, a.source, b.source, _quoted(a.source),
                              _quoted(b.source))

    def rounding(self, a: ast.RoundingDecl, b: ast.RoundingDecl) -> Iterator[Change]:
        yield from self.field(_("mode"), a, b, a.mode, b.mode, a.mode, b.mode)
        yield from self.field(_("step"), a, b, a.quantum, b.quantum, self.told(a.quantum),
                              self.tnew(b.quantum))


def _part_note(what: str, action: str, part: str) -> str:
    """The note on a factor or term of a formula that an edit removed or added."""
    if what == "factor":
        return (_("factor {part} removed", part=part) if action == "removed"
                else _("factor {part} added", part=part))
    return (_("term {part} removed", part=part) if action == "removed"
            else _("term {part} added", part=part))


def _rows(decl: ast.EnumDecl | ast.TableDecl) -> Sequence[ast.EnumMember | ast.TableRow]:
    return decl.members if isinstance(decl, ast.EnumDecl) else decl.rows


def _row_key(row: ast.EnumMember | ast.TableRow) -> str:
    return row.code if isinstance(row, ast.EnumMember) else row.key


def _row_text(row: ast.EnumMember | ast.TableRow) -> str:
    """A row as written, less its key (which the change names)."""
    if isinstance(row, ast.EnumMember):
        return f'"{row.label}"'
    parts = ([f'"{row.label}"'] if row.label else []) + [str(row.value)]
    return " ".join(parts + ([f'source "{row.source}"'] if row.source else []))


def _quoted(text: str | None) -> str | None:
    return None if text is None else f'"{text}"'


def _unit(unit: ast.UnitRef | None) -> str | None:
    return None if unit is None else unit.text


def _grouped(text: str, e: ast.Expr, what: str) -> str:
    """A factor's text in the parentheses it needs (a span leaves them out)."""
    sum_like = isinstance(e, ast.Conditional) or (isinstance(e, ast.Binary) and e.op in "+-")
    return f"({text})" if what == "factor" and sum_like else text


def _factors(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Binary) and e.op == "*":
        return _factors(e.left) + _factors(e.right)
    return [e]


def _terms(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Binary) and e.op == "+":
        return _terms(e.left) + _terms(e.right)
    return [e]


def _minus(a: list[ast.Expr], b: list[ast.Expr]) -> list[ast.Expr]:
    """The items of a not in b, as multisets."""
    rest = list(b)
    out = []
    for x in a:
        if x in rest:
            rest.remove(x)
        else:
            out.append(x)
    return out
