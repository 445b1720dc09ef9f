"""One open rule file as the language server sees it: parsed and checked as `peie check`
does, its tokens, and what each name in it refers to.

A text that does not parse has its syntax errors and no tree; the server then answers
completion from the last text that parsed, and hover and definition not at all (the
places of that tree are no longer the text's).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

from lark import Token

from peie.dsl import ast
from peie.dsl.checker import check_file
from peie.dsl.errors import Diagnostic, RuleError, Span
from peie.dsl.i18n import _
from peie.dsl.model import COMPLIANCE_NAMES, LOCAL_FACTOR, YES_NO_ENUM, Rule
from peie.dsl.parser import BOM, parse, tokens
from peie.dsl.typecheck import enum_codes

from .positions import Lines

# A text longer than this is not checked as it changes: over 13 times the longest bundled
# rule file, and 2.4 s to check on a 2-core machine (one of 450,000 characters took 9.5 s,
# the server answering nothing meanwhile). `peie check` still checks it.
MAX_CHARACTERS = 100_000

Value = ast.InputDecl | ast.TableDecl | ast.BracketDecl | ast.ParamDecl | ast.LetDecl
Row = ast.TableRow | ast.BracketRow


@dataclass(frozen=True)
class Target:
    """What a name refers to: a value, an enum, or one code of an enum. `decl` is None
    for the built-in local_factor; an enum's `decl` is its EnumDecl (yes_no's is built in,
    with no place in the file)."""

    name: str
    decl: ast.Decl | None
    member: ast.EnumMember | None = None


class RuleDocument:
    """A rule text parsed and checked; `file` is None when it does not parse."""

    def __init__(self, text: str, path: str, encoding: str = Lines.DEFAULT):
        self.text, self.path = text, path
        self.body = text.removeprefix(BOM)  # the text the parser's places count in
        self.lines = Lines(text, encoding)
        self.file: ast.RuleFile | None = None
        self.rule: Rule | None = None
        if len(text) > MAX_CHARACTERS:
            self.diagnostics = [Diagnostic(Span(path, 1, 1, 1, 1), _(
                "the file is too long to check as it changes ({count} characters, at most "
                "{limit}): check it with `peie check`", count=len(text), limit=MAX_CHARACTERS))]
            self.tokens: list[Token] = []
            return
        self.tokens = list(tokens(self.body))
        try:
            self.file = parse(text, path)
        except RuleError as error:
            self.diagnostics = list(error.diagnostics)
            return
        self.rule, self.diagnostics = check_file(self.file)

    # ---- the declarations --------------------------------------------------------

    @cached_property
    def values(self) -> dict[str, Value]:
        """Each value name and its first declaration."""
        found: dict[str, Value] = {}
        for decl in self.decls:
            if isinstance(decl, Value):
                found.setdefault(decl.name, decl)
        return found

    @cached_property
    def enums(self) -> dict[str, ast.EnumDecl]:
        found = {YES_NO_ENUM.name: YES_NO_ENUM}
        for decl in self.decls:
            if isinstance(decl, ast.EnumDecl):
                found.setdefault(decl.name, decl)
        return found

    @property
    def decls(self) -> tuple[ast.Decl, ...]:
        return self.file.decls if self.file is not None else ()

    @cached_property
    def source_lines(self) -> list[str]:
        """The text's lines as the parser numbers them (from 1: line n is [n - 1])."""
        return self.body.split("\n")

    def name_token(self, decl: ast.Decl) -> Token | None:
        """The token of the name a declaration declares (None for a declaration without
        a name of its own)."""
        name = getattr(decl, "name", None)
        if name is None or isinstance(decl, ast.EnsureDecl):
            return None
        first = self.first_tokens(decl, 2)  # the keyword, then the name
        return first[1] if len(first) == 2 and first[1] == name else None

    def first_tokens(self, decl: ast.Decl, count: int) -> list[Token]:
        """The first `count` tokens of a declaration (fewer when it is shorter)."""
        start = bisect.bisect_left(self._starts, (decl.span.line, decl.span.column))
        return [t for t in self.tokens[start : start + count]
                if _within(decl.span, t.line or 0, t.column or 0)]

    @cached_property
    def _starts(self) -> list[tuple[int, int]]:
        return [(t.line or 0, t.column or 0) for t in self.tokens]

    # ---- what is at a place ------------------------------------------------------

    def token_at(self, line: int, column: int) -> Token | None:
        """The token at a place, or the one that ends there (a cursor just after a word);
        a name rather than the punctuation it touches."""
        index = bisect.bisect_right(self._starts, (line, column)) - 1
        touching = [t for t in self.tokens[max(index - 1, 0) : index + 1]
                    if t.line == line and (t.column or 0) <= column <= (t.end_column or 0)]
        return next((t for t in reversed(touching) if t.type == "NAME"),
                    touching[-1] if touching else None)

    def decl_at(self, line: int, column: int) -> ast.Decl | None:
        index = bisect.bisect_right(self._decl_starts, (line, column)) - 1
        if index < 0 or not _within(self.decls[index].span, line, column):
            return None
        return self.decls[index]

    @cached_property
    def _decl_starts(self) -> list[tuple[int, int]]:
        return [(d.span.line, d.span.column) for d in self.decls]

    def row_at(self, line: int, column: int) -> Row | None:
        """The table or bracket row at a place."""
        decl = self.decl_at(line, column)
        if isinstance(decl, ast.TableDecl | ast.BracketDecl):
            return next((r for r in decl.rows if _within(r.span, line, column)), None)
        return None

    def target_at(self, line: int, column: int) -> Target | None:
        """What the name at a place refers to, read from where it stands: a table row's
        key is a code of the table's enum, an input's type an enum, a name in a formula
        a value (or, when no value has that name, a code)."""
        token = self.token_at(line, column)
        decl = self.decl_at(line, column)
        if token is None or token.type != "NAME" or decl is None:
            return None
        name = str(token)
        if token is self.name_token(decl):
            return Target(name, decl)
        match decl:
            case ast.EnumDecl():
                return self._code(name, decl)
            case ast.TableDecl():
                return self._in_table(token, decl)
            case ast.InputDecl() if _within(decl.type.span, line, column):
                return self._enum(name) or self._expression(name)
            case _:
                return self._expression(name)

    def _in_table(self, token: Token, table: ast.TableDecl) -> Target | None:
        name, line, column = str(token), token.line or 0, token.column or 0
        if _within(table.key_span, line, column):
            return self._enum(name)
        row = next((r for r in table.rows if _within(r.span, line, column)), None)
        if row is None:  # before the rows: `-> enum`
            return self._enum(name)
        enum = table.key_enum if (line, column) == (row.span.line, row.span.column) \
            else table.value_enum
        codes = self.enums.get(enum or "")
        return self._code(name, codes) if codes is not None else None

    def _enum(self, name: str) -> Target | None:
        enum = self.enums.get(name)
        return Target(name, enum) if enum is not None else None

    def _code(self, code: str, enum: ast.EnumDecl) -> Target | None:
        member = enum_codes(enum).get(code)
        return Target(code, enum, member) if member is not None else None

    def _expression(self, name: str) -> Target | None:
        if name in self.values:
            return Target(name, self.values[name])
        if name == LOCAL_FACTOR or name in COMPLIANCE_NAMES:
            return Target(name, None)
        for enum in self.enums.values():
            if (found := self._code(name, enum)) is not None:
                return found
        return self._enum(name)

    def place_of(self, target: Target) -> Span | None:
        """Where a target is declared: the name in its declaration, or the code in its
        enum (None for what is built in)."""
        if target.member is not None:
            span = target.member.span
            return None if span == ast.NOWHERE else Span(
                span.file, span.line, span.column, span.line, span.column + len(target.name))
        if target.decl is None or target.decl.span == ast.NOWHERE:
            return None
        token = self.name_token(target.decl)
        return target.decl.span if token is None else token_span(self.path, token)

    def comments_above(self, decl: ast.Decl) -> list[str]:
        """The comment lines right above a declaration (its explanation and sources), with
        their '#' taken off."""
        found: list[str] = []
        for index in range(decl.span.line - 2, -1, -1):
            line = self.source_lines[index].strip()
            if not line.startswith("#"):
                break
            found.insert(0, line.removeprefix("#").strip())
        return found


def token_span(path: str, token: Token) -> Span:
    return Span(path, token.line or 1, token.column or 1, token.end_line or 1,
                token.end_column or 1)


def _within(span: Span, line: int, column: int) -> bool:
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)
