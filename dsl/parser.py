"""Text -> typed AST. The Transformer only builds nodes; all checking is in checker.py.

Syntax errors are collected, not first-only: after an error the declaration that holds it
is blanked out (newlines kept, so positions stay true) and the file is parsed again.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from . import ast
from .declarations import KEYWORDS
from .errors import Diagnostic, RuleError, Span
from .i18n import _, joined
from .keywords import CHINESE, ENGLISH, Form, form_of, majority_form, spelled
from .reading import read_regular

MAX_SYNTAX_ERRORS = 20
MAX_RULE_BYTES = 16 << 20  # a rule file (the bundled ones are under 50 KiB)
BOM = "\ufeff"  # a byte-order mark, which some Windows editors write first; not read

# A declaration starts at the beginning of a line with one of its keywords, in either form.
_DECL_START = re.compile(
    rf"^({'|'.join(word for k in KEYWORDS for word in (k, *CHINESE[k]))})\b", re.M)

# What a Chinese input method types in place of an ASCII character: the full-width forms
# of ASCII (U+FF01-U+FF5E), the ideographic space, and Chinese punctuation.
ASCII_TWINS = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)} | {
    "\u3000": " ", "\u201c": '"', "\u201d": '"', "\u3002": ".", "\u3001": ",",
    "\u3010": "[", "\u3011": "]", "\u300a": "<", "\u300b": ">"}

_TERMINAL_WORDS: dict[str, str] = {
    "NAME": _("a name"),
    "NUMBER": _("a number"),
    "STRING": _('a "quoted text"'),
    "DATE": _("a date (YYYY-MM-DD)"),
    "TIMES": "'*'",
    "PERCENT": "'%'",
    "COMPARATOR": _("a comparison (== != < <= > >=)"),
    "$END": _("the end of the file"),
}


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "peie"


def _private_cache_file() -> Path | None:
    """The parse-table cache, or None when another user could have written it.

    lark unpickles the cache file, so a file planted there would run as code: it is used
    only where the directory and the file are ours and writable by no one else. Without
    it each start builds the table again (about 0.08 s)."""
    if not hasattr(os, "getuid"):
        return None  # no owners to check (Windows): build the table each time
    directory = _cache_dir()
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        file = directory / "grammar.lark.cache"
        for path in (directory, file):
            if path is file and not os.path.lexists(file):
                continue
            status = os.lstat(path)
            kind = stat.S_ISDIR if path is directory else stat.S_ISREG  # no link, no FIFO
            if (status.st_uid != os.getuid() or status.st_mode & 0o022
                    or not kind(status.st_mode)):
                return None
    except OSError:
        return None  # an unwritable home only costs start-up time
    return file


@cache
def _lark() -> Lark:
    """Build the LALR parser once; the parse table is cached on disk between runs."""
    # The basic lexer keeps keywords keywords everywhere: a contextual one would read a
    # misplaced `let` as a name and report the error a declaration too late.
    options: dict[str, Any] = {"parser": "lalr", "lexer": "basic", "propagate_positions": True}
    file = _private_cache_file()
    if file is not None:
        options["cache"] = str(file)
    return Lark.open_from_package("peie.dsl", "grammar.lark", **options)


def _span(file: str, item: Any) -> Span:
    return Span(file, item.line, item.column, item.end_line, item.end_column)


def _text(token: Token | None) -> str | None:
    return None if token is None else str(token)[1:-1]


_Form = tuple[str, ast.Quantity | None, str | None]  # a pre-allocation's form, share, year


@v_args(meta=True)
class _Builder(Transformer_NonRecursive[Token, Any]):
    def __init__(self, file: str, source: str):
        super().__init__()
        self.file = file
        self.rule_text = source

    def s(self, meta: Any) -> Span:
        return _span(self.file, meta) if not meta.empty else ast.NOWHERE

    def t(self, token: Token) -> Span:
        return _span(self.file, token)

    # -- metadata
    def start(self, meta: Any, items: list[Any]) -> list[Any]:
        return items

    def sector(self, meta: Any, c: list[Token]) -> ast.Header:
        return ast.Header("sector", (str(c[0]), _text(c[1]) or ""), self.s(meta))

    def version(self, meta: Any, c: list[Token]) -> ast.Header:
        return ast.Header("version", (_text(c[0]) or "",), self.s(meta))

    def status(self, meta: Any, c: list[Token]) -> ast.Header:
        return ast.Header("status", (str(c[0]),), self.s(meta))

    def effective(self, meta: Any, c: list[Token]) -> ast.Header:
        return ast.Header("effective", (str(c[0]), str(c[1])), self.s(meta))

    def published(self, meta: Any, c: list[Token]) -> ast.Header:
        return ast.Header("published", (str(c[0]),), self.s(meta))

    def source(self, meta: Any, c: list[Token]) -> ast.Header:
        return ast.Header("source", (_text(c[0]) or "",), self.s(meta))

    # -- declarations
    def enum_decl(self, meta: Any, c: list[Any]) -> ast.EnumDecl:
        return ast.EnumDecl(str(c[0]), _text(c[1]), tuple(c[2:]), self.s(meta))

    def enum_member(self, meta: Any, c: list[Token]) -> ast.EnumMember:
        return ast.EnumMember(str(c[0]), _text(c[1]) or "", self.s(meta))

    def input_decl(self, meta: Any, c: list[Any]) -> ast.InputDecl:
        name, unit, interval, label, requirement = c
        return ast.InputDecl(
            str(name), unit, interval, _text(label),
            requirement or ast.Requirement("required"), self.s(meta),
        )

    def range(self, meta: Any, c: list[Any]) -> ast.Interval:
        return c[0]  # type: ignore[no-any-return]

    def optional(self, meta: Any, c: list[Any]) -> ast.Requirement:
        return ast.Requirement("optional")

    def default(self, meta: Any, c: list[Any]) -> ast.Requirement:
        return ast.Requirement("default", default=c[0])

    def required_when(self, meta: Any, c: list[Any]) -> ast.Requirement:
        return ast.Requirement("when", when=c[0])

    def table_decl(self, meta: Any, c: list[Any]) -> ast.TableDecl:
        name, label, key, (unit, value_enum), *rows, source = c
        return ast.TableDecl(
            str(name), _text(label), str(key), unit, value_enum, tuple(rows), source,
            self.s(meta), self.t(key),
        )

    def number_table(self, meta: Any, c: list[Any]) -> tuple[Any, None]:
        return (c[0], None)

    def enum_table(self, meta: Any, c: list[Token]) -> tuple[None, str]:
        return (None, str(c[0]))

    def table_row(self, meta: Any, c: list[Any]) -> ast.TableRow:
        key, label, value, source = c
        return ast.TableRow(str(key), _text(label), value, source, self.s(meta))

    def number_value(self, meta: Any, c: list[Any]) -> Decimal:
        return c[0]  # type: ignore[no-any-return]

    def code_value(self, meta: Any, c: list[Token]) -> str:
        return str(c[0])

    def bracket_decl(self, meta: Any, c: list[Any]) -> ast.BracketDecl:
        name, label, subject, *rows = c
        return ast.BracketDecl(
            str(name), _text(label), str(subject), tuple(rows), self.s(meta), self.t(subject)
        )

    def bracket_row(self, meta: Any, c: list[Any]) -> ast.BracketRow:
        return ast.BracketRow(c[0], c[1], c[2], self.s(meta))

    def param_decl(self, meta: Any, c: list[Any]) -> ast.ParamDecl:
        return ast.ParamDecl(str(c[0]), _text(c[1]), c[2], c[3], self.s(meta))

    def let_decl(self, meta: Any, c: list[Any]) -> ast.LetDecl:
        return ast.LetDecl(str(c[0]), _text(c[1]), c[2], self.s(meta))

    def allocation_decl(self, meta: Any, c: list[Any]) -> ast.FormulaDecl:
        return ast.FormulaDecl("allocation", c[0], self.s(meta))

    def emissions_decl(self, meta: Any, c: list[Any]) -> ast.FormulaDecl:
        return ast.FormulaDecl("emissions", c[0], self.s(meta))

    def obligation_decl(self, meta: Any, c: list[Any]) -> ast.FormulaDecl:
        return ast.FormulaDecl("obligation", c[0], self.s(meta))

    def obligation_facility_decl(self, meta: Any, c: list[Any]) -> ast.FormulaDecl:
        return ast.FormulaDecl("obligation facility", c[0], self.s(meta))

    def ensure_decl(self, meta: Any, c: list[Any]) -> ast.EnsureDecl:
        return ast.EnsureDecl(str(c[0]), c[1], c[2], self.s(meta))

    def preallocation_decl(self, meta: Any, c: list[Any]) -> ast.PreallocationDecl:
        form, share, base_year = c[0]
        return ast.PreallocationDecl(form, share, base_year, c[1], self.s(meta))

    def base_year_form(self, meta: Any, c: list[Any]) -> _Form:
        return "base year", c[0], str(c[1])

    def previous_year_form(self, meta: Any, c: list[Any]) -> _Form:
        return "previous year", c[0], None

    def no_preallocation(self, meta: Any, c: list[Any]) -> _Form:
        return "none", None, None

    def preallocation_basis_decl(self, meta: Any, c: list[Any]) -> ast.FormulaDecl:
        return ast.FormulaDecl("preallocation basis", c[0], self.s(meta))

    def rounding_decl(self, meta: Any, c: list[Any]) -> ast.RoundingDecl:
        return ast.RoundingDecl(str(c[0]), c[1], self.s(meta))

    def source_ref(self, meta: Any, c: list[Token]) -> str | None:
        return _text(c[0])

    # -- quantities, units, intervals
    def quantity(self, meta: Any, c: list[Any]) -> ast.Quantity:
        return ast.Quantity(c[0], c[1], self.s(meta))

    def signed_number(self, meta: Any, c: list[Token]) -> Decimal:
        return Decimal(str(c[0]))

    def negative_number(self, meta: Any, c: list[Token]) -> Decimal:
        return -Decimal(str(c[0]))

    def unit(self, meta: Any, c: list[Any]) -> ast.UnitRef:
        exponents: dict[str, int] = {}
        percent = False
        stray: list[str] = []
        sign = 1
        for item in c:
            if item in ("mul", "div"):
                sign = 1 if item == "mul" else -1
            elif item == "%":
                percent = True
            elif isinstance(item, Token):  # a bare number: only '1' means "no unit"
                if str(item) != "1":
                    stray.append(str(item))
            else:
                base, power = item
                exponents[base] = exponents.get(base, 0) + sign * power
        factors = tuple(sorted((b, e) for b, e in exponents.items() if e))
        text = self.rule_text[meta.start_pos : meta.end_pos]
        return ast.UnitRef(factors, percent, text, tuple(stray), self.s(meta))

    def unit_mul(self, meta: Any, c: list[Any]) -> str:
        return "mul"

    def unit_div(self, meta: Any, c: list[Any]) -> str:
        return "div"

    def unit_factor(self, meta: Any, c: list[Any]) -> tuple[str, int] | Token:
        if c[1] is not None and not str(c[1]).isdigit():
            return c[1]  # a fractional power: reported by the checker as a stray number
        return (str(c[0]), int(c[1]) if c[1] is not None else 1)

    def unit_one(self, meta: Any, c: list[Token]) -> Token:
        return c[0]

    def unit_percent(self, meta: Any, c: list[Token]) -> str:
        return "%"

    def interval(self, meta: Any, c: list[ast.Bound]) -> ast.Interval:
        return ast.Interval(c[0], c[1], self.s(meta))

    def closed_lower(self, meta: Any, c: list[Any]) -> ast.Bound:
        return ast.Bound(c[0], True)

    def open_lower(self, meta: Any, c: list[Any]) -> ast.Bound:
        return ast.Bound(c[0], False)

    closed_upper = closed_lower
    open_upper = open_lower

    def infinity(self, meta: Any, c: list[Any]) -> None:
        return None

    # -- expressions
    def number(self, meta: Any, c: list[Token]) -> ast.Number:
        return ast.Number(Decimal(str(c[0])), str(c[0]), self.s(meta))

    def percent(self, meta: Any, c: list[Token]) -> ast.Number:
        return ast.Number(Decimal(str(c[0])) / 100, f"{c[0]} %", self.s(meta))

    def name(self, meta: Any, c: list[Token]) -> ast.Name:
        return ast.Name(str(c[0]), self.s(meta))

    def lookup(self, meta: Any, c: list[Any]) -> ast.Lookup:
        return ast.Lookup(str(c[0]), c[1], self.s(meta), self.t(c[0]))

    def _binary(self, op: str, meta: Any, c: list[Any]) -> ast.Binary:
        return ast.Binary(op, c[0], c[-1], self.s(meta))

    def add(self, meta: Any, c: list[Any]) -> ast.Binary:
        return self._binary("+", meta, c)

    def sub(self, meta: Any, c: list[Any]) -> ast.Binary:
        return self._binary("-", meta, c)

    def mul(self, meta: Any, c: list[Any]) -> ast.Binary:
        return self._binary("*", meta, c)

    def div(self, meta: Any, c: list[Any]) -> ast.Binary:
        return self._binary("/", meta, c)

    def pow(self, meta: Any, c: list[Any]) -> ast.Binary:
        return self._binary("^", meta, c)

    def neg(self, meta: Any, c: list[Any]) -> ast.Negate:
        return ast.Negate(c[0], self.s(meta))

    def if_expr(self, meta: Any, c: list[Any]) -> ast.Conditional:
        return ast.Conditional(c[0], c[1], c[2], self.s(meta))

    def compare(self, meta: Any, c: list[Any]) -> ast.Compare:
        return ast.Compare(str(c[1]), c[0], c[2], self.s(meta))

    def in_set(self, meta: Any, c: list[Any]) -> ast.InSet:
        members = tuple(ast.Name(str(t), self.t(t)) for t in c[1:])
        return ast.InSet(c[0], members, self.s(meta))

    def or_(self, meta: Any, c: list[Any]) -> ast.Logical:
        return ast.Logical("or", c[0], c[1], self.s(meta))

    def and_(self, meta: Any, c: list[Any]) -> ast.Logical:
        return ast.Logical("and", c[0], c[1], self.s(meta))

    def not_(self, meta: Any, c: list[Any]) -> ast.Not:
        return ast.Not(c[0], self.s(meta))


def _expected_names(error: UnexpectedInput) -> list[str]:
    return sorted(getattr(error, "expected", None) or getattr(error, "allowed", None) or [])


def _terminal_text(name: str) -> str | None:
    """What a terminal of fixed text (a keyword, a symbol) matches; None for another."""
    try:
        return str(_lark().get_terminal(name).pattern.value)
    except KeyError:
        return None


def _expected(error: UnexpectedInput, form: Form) -> str:
    """What could have come instead, keywords in the form the file is written in."""
    words = []
    for name in _expected_names(error):
        value = _terminal_text(name)
        if name in _TERMINAL_WORDS:
            words.append(_TERMINAL_WORDS[name])
        elif value is None:
            words.append(name)
        else:
            words.append(f"'{spelled(value, form) if value in ENGLISH else value}'")
    words = sorted(set(words))
    if not words:
        return ""
    if len(words) > 8:
        return _("; expected one of {words}, ...", words=joined(words[:8]))
    if len(words) == 1:
        return _("; expected {word}", word=words[0])
    return _("; expected one of {words}", words=joined(words))


def _end_of_content(text: str, line: int) -> tuple[int, int]:
    """Line and column just after the last code before `line` (blank and comment lines
    skipped): where an unfinished declaration stops."""
    lines = text.split("\n")
    for number in range(min(line - 1, len(lines)), 0, -1):
        code = lines[number - 1].split("#", 1)[0].rstrip()
        if code:
            return number, len(code) + 1
    return 1, 1


def tokens(text: str) -> Iterator[Token]:
    """A text's tokens (spaces and comments left out), up to where it cannot be read."""
    try:
        yield from _lark().lex(text)
    except UnexpectedInput:
        return


def _written_form(text: str) -> Form:
    """The form most of a text's keywords are written in, up to where it cannot be read."""
    return majority_form(tokens(text))


def _character_message(char: str) -> str | None:
    """The message for a character an input method typed in place of an ASCII one."""
    ascii = ASCII_TWINS.get(char)
    if ascii is None:
        return None
    if char == "\u3000":
        return _("full-width space (U+3000) — write an ASCII space")
    if 0xFF01 <= ord(char) <= 0xFF5E:
        return _("full-width '{char}' (U+{code:04X}) — write the ASCII '{ascii}'",
                 char=char, code=ord(char), ascii=ascii)
    return _("Chinese punctuation '{char}' (U+{code:04X}) — write the ASCII '{ascii}'",
             char=char, code=ord(char), ascii=ascii)


def _glued_keyword(token: Token, error: UnexpectedInput) -> str:
    """For a name that starts with a Chinese keyword that could come here (Chinese is
    written without spaces, but a keyword is a word of its own), the advice to split it."""
    if token.type != "NAME":
        return ""
    could = {ENGLISH.get(_terminal_text(n) or "") for n in _expected_names(error)}
    for word in sorted(ENGLISH, key=len, reverse=True):
        if (form_of(word) == "zh" and token.startswith(word) and len(token) > len(word)
                and ENGLISH[word] in could):
            return _(" (a keyword is a word of its own: write '{keyword} {rest}')",
                     keyword=word, rest=token[len(word):])
    return ""


def _syntax_diagnostic(file: str, text: str, error: UnexpectedInput) -> Diagnostic:
    line, column = error.line, error.column
    form = _written_form(text)
    width = 1
    token = error.token if isinstance(error, UnexpectedToken) else None
    if token is not None and (token.type == "$END" or (
        column == 1 and _DECL_START.match(str(token))
    )):
        # The declaration before is unfinished: point where it stops, not at what follows.
        line, column = _end_of_content(text, text.count("\n") + 2 if token.type == "$END"
                                       else line)
        what = _TERMINAL_WORDS["$END"] if token.type == "$END" else f"'{token}'"
        message: str = _("unfinished declaration: {what} comes too early{expected}", what=what,
                    expected=_expected(error, form))
    elif token is not None:
        shown = str(token).replace("\n", "\\n")
        message = _("unexpected '{token}'{expected}{hint}", token=shown,
                    expected=_expected(error, form), hint=_glued_keyword(token, error))
        width = max(1, len(str(token).split("\n")[0]))
    elif isinstance(error, UnexpectedCharacters):
        message = (_character_message(error.char)
                   or _("unexpected character '{char}'{expected}", char=error.char,
                        expected=_expected(error, form)))
    else:  # UnexpectedEOF
        line, column = _end_of_content(text, text.count("\n") + 2)
        message = _("unfinished declaration: {what} comes too early{expected}",
                    what=_TERMINAL_WORDS["$END"], expected=_expected(error, form))
    if not isinstance(line, int) or line < 1:
        line, column = 1, 1
    return Diagnostic(Span(file, line, column, line, column + width), message)


def _blank_declaration(text: str, line: int) -> str:
    """Replace the declaration around `line` with spaces, keeping every newline."""
    starts = [text.count("\n", 0, m.start()) + 1 for m in _DECL_START.finditer(text)]
    begin = max((s for s in starts if s <= line), default=1)
    end = min((s for s in starts if s > line), default=text.count("\n") + 2)
    lines = text.split("\n")
    for i in range(begin - 1, min(end - 1, len(lines))):
        lines[i] = " " * len(lines[i])
    return "\n".join(lines)


def _with_twin(text: str, error: UnexpectedInput) -> str | None:
    """The text to parse again, with the ASCII twin in place of the character an input
    method typed that `error` is about, so that the next such character is reported too;
    None if it is about another. Not for a Chinese quote: half of a pair replaced would
    read as an unclosed text."""
    if not isinstance(error, UnexpectedCharacters) or error.pos_in_stream is None:
        return None
    twin, at = ASCII_TWINS.get(error.char), error.pos_in_stream
    if twin is None or twin == '"':
        return None
    return text[:at] + twin + text[at + 1 :]


def _about_a_twin(span: Span, replaced: set[tuple[int, int]]) -> bool:
    """Whether an error is on a line where a twin was put in: the character there was
    reported already, and the error may be about text the file does not hold (a twin
    '#' turns the rest of its line into a comment, so a declaration before it may end
    too early)."""
    return any(line == span.line for line, _ in replaced)


MAX_NESTING = 100


def _nested_too_deep(text: str, path: str) -> Diagnostic | None:
    """The first parenthesis nested deeper than MAX_NESTING, as a diagnostic. No rule
    needs such depth, and the tools that walk a formula (fmt among them) recurse on it."""
    if text.count("(") + text.count("[") <= MAX_NESTING:
        return None  # too few to nest that deep: no second pass of the lexer at start-up
    depth = 0  # "[" counts too: an interval `[0, inf)` opens with one and closes with ")"
    for token in _lark().lex(text):  # a string token's text has its quotes: never "("
        if token in ("(", "["):
            depth += 1
            if depth > MAX_NESTING:
                line, column = token.line or 1, token.column or 1
                return Diagnostic(Span(path, line, column, line, column + 1),
                                  _("parentheses nested deeper than {levels} levels: write "
                                    "the formula in steps with `let`", levels=MAX_NESTING))
        elif token in (")", "]"):
            depth -= 1
    return None


# How deep a formula's operations may nest (a sum of 251 names nests 250 deep, and so do
# 250 else-ifs), and how long a chain of lets may be, each using the next (checker.py).
# The passes over a formula (the type checker, the formatter, the compiler, the explainer,
# the batch path) walk it by recursion, and an explanation nests as deep as the lets; this
# bound keeps them well inside Python's recursion limit. No rule comes near it.
MAX_DEPTH = 250
# The most digits a number in a rule may have: more is a slip of the keyboard, and past
# the 60 digits of exact arithmetic its last ones would not count.
MAX_DIGITS = 100


def _beyond_limits(tree: Tree[Token], path: str) -> Diagnostic | None:
    """The first part of a formula nested deeper than MAX_DEPTH, or number longer than
    MAX_DIGITS, as a diagnostic (found without recursion: a tree of any depth is
    measured). Depth counts operations: a formula's outermost is at 1 (its declaration
    at 0); a name or a number is no operation."""
    stack: list[tuple[Tree[Token], int]] = [(tree, -1)]
    while stack:
        node, depth = stack.pop()
        operands = [child for child in node.children if isinstance(child, Tree)]
        if depth > MAX_DEPTH and operands:
            return _diagnostic_at(node.meta, path, _(
                "formula nested deeper than {limit} levels: write it in steps with `let`",
                limit=MAX_DEPTH))
        for token in node.children:
            if isinstance(token, Token) and token.type == "NUMBER" and \
                    len(token) - token.count(".") > MAX_DIGITS:
                return _diagnostic_at(token, path, _(
                    "a number of more than {limit} digits", limit=MAX_DIGITS))
        stack.extend((child, depth + 1) for child in reversed(operands))
    return None


def _diagnostic_at(where: Any, path: str, message: str) -> Diagnostic:
    line, column = getattr(where, "line", 1), getattr(where, "column", 1)
    return Diagnostic(Span(path, line, column, line, column + 1), message)


def parse(text: str, path: str = "<text>") -> ast.RuleFile:
    """Parse rule text; raises RuleError listing every syntax error found. A byte-order
    mark at the start is passed over (positions count from after it); lines may end in
    LF or CRLF."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()  # of the file as it is
    text = text.removeprefix(BOM)
    diagnostics: list[Diagnostic] = []
    replaced: set[tuple[int, int]] = set()  # where a twin was put in
    attempt = text
    tree = None
    while len(diagnostics) < MAX_SYNTAX_ERRORS:
        try:
            tree = _lark().parse(attempt)
            break
        except UnexpectedInput as error:
            diagnostic = _syntax_diagnostic(path, attempt, error)
            if diagnostic in diagnostics:
                break
            span = diagnostic.span
            twinned = _with_twin(attempt, error)
            if twinned is not None or not _about_a_twin(span, replaced):
                diagnostics.append(diagnostic)
            if twinned is not None:
                replaced.add((span.line, span.column))
                attempt = twinned
                continue
            blanked = _blank_declaration(attempt, diagnostic.span.line)
            if blanked == attempt:
                break
            attempt = blanked
    if diagnostics or tree is None:
        raise RuleError(diagnostics, {path: text})
    too_deep = _nested_too_deep(attempt, path) or _beyond_limits(tree, path)
    if too_deep is not None:
        raise RuleError([too_deep], {path: text})
    decls = _Builder(path, text).transform(tree)
    return ast.RuleFile(path, text, digest, tuple(decls))


def read_rule_text(path: str | os.PathLike[str]) -> str:
    """A rule file's text; an unreadable or non-UTF-8 file is reported like a syntax error."""
    name = os.fspath(path)
    try:
        raw = read_regular(name, MAX_RULE_BYTES)
        return raw.decode("utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        problem = Diagnostic(Span(name, 1, 1, 1, 1), _("cannot read file: {reason}",
                                                       reason=reason))
        raise RuleError([problem]) from None
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise RuleError(
            [Diagnostic(Span(name, line, 1, line, 2), _("file is not valid UTF-8 text"))]
        ) from None


def parse_file(path: str | os.PathLike[str]) -> ast.RuleFile:
    """Read and parse one rule file."""
    return parse(read_rule_text(path), os.fspath(path))
