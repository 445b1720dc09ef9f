"""The canonical layout of a rule file (`peie fmt`).

The formatter works on the concrete syntax tree, so it never adds, drops or changes a
token: only the white space between tokens changes (and `×` is written `*`). Keywords
stay in the form they are written in; given a form, each is first written in it
(`convert_keywords`, which changes nothing else and is also `fmt --keep-layout`), and the
layout follows. Parentheses stay as written: a regulator's grouping is meaning to a
reader even where it is not to the parser. Every result is re-parsed and compared token
by token before it is returned.

The layout:
- one declaration per line, continuation lines indented by four spaces; lines are kept
  within 100 columns where a break is possible;
- single spaces between tokens, none inside units (`tCO2/MWh`), brackets, parentheses,
  lookups (`table[key]`) or after a unary minus;
- the rows of an enum, table or bracket one per line, indented by four, in columns two
  spaces apart (CJK text counts as two columns wide);
- a long formula goes on the lines after its `=`; a long `if` puts each branch on its
  own line, `else if` chains stay flat; a long sum, product or `and`/`or` chain fills
  each line and breaks before an operator; a long `{a, b, ...}` set breaks after a comma;
- blank lines between declarations, rows and comments are kept, several as one, and
  none at the start of a file or of a block; the file ends with one newline; lines end
  in LF, and a byte-order mark is dropped;
- comments are kept where they were: a comment on its own line stays above the token it
  preceded, at that line's indentation; a comment at the end of a line stays there
  unless its line was joined to the next, in which case it moves above that line.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any, assert_never

from lark import Lark, Token, Tree

from .declarations import BY_RULE
from .errors import Diagnostic, RuleError, Span
from .errors import display_width as width
from .i18n import _
from .keywords import ENGLISH, Form, respelled
from .parser import BOM, parse

WIDTH = 100
STEP = 4  # indentation of rows and continuation lines
COLUMN_GAP = 2

_UNIT_PARTS = {"unit", "unit_factor", "unit_mul", "unit_div", "unit_one", "unit_percent"}
# Operators a long line may break before; a comparison and a power are chains of two.
_CHAINS = {"add": "sum", "sub": "sum", "mul": "product", "div": "product", "and_": "and",
           "or_": "or", "compare": "compare", "pow": "power"}
_WHITE = " \t\f\r"  # white space within a line, as the grammar's WS has it

Node = Tree[Token] | Token


@cache
def _lark() -> Lark:
    """The grammar with every token kept, parentheses and keywords included."""
    return Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr", lexer="basic",
                                  keep_all_tokens=True, propagate_positions=True)


# ---- pieces of output ------------------------------------------------------------------


@dataclass
class Line:
    """One output line and the source tokens on it (for placing comments). `indent` is
    the column the text starts at; a layout's first line is a piece its caller joins
    onto a line of its own, and `_prepend` keeps that column true."""

    indent: int
    text: str
    tokens: list[Token]
    starts_item: bool = False  # a declaration or a row: a blank line may come before it
    closes_block: bool = False  # '}': comments before it are indented as the rows
    before: list[str] = field(default_factory=list)  # own-line comments; "" a blank line
    trailing: str | None = None

    @property
    def end(self) -> int:
        return self.indent + width(self.text)


def _leaves(node: Node | None) -> Iterator[tuple[Token, str]]:
    """The tokens under a node, each with the rule it sits in (None children are absent
    optional parts). Walked with a stack, not by recursion: a file may nest parentheses
    deeper than Python's recursion limit."""
    if node is None:
        return
    if isinstance(node, Token):
        yield node, ""
        return
    stack: list[tuple[Tree[Token], int]] = [(node, 0)]
    while stack:
        tree, at = stack.pop()
        for i in range(at, len(tree.children)):
            child = tree.children[i]
            if isinstance(child, Token):
                yield child, str(tree.data)
            elif child is not None:
                stack.append((tree, i + 1))
                stack.append((child, 0))
                break


def _kids(node: Tree[Token]) -> list[Any]:
    """A node's children, for unpacking by position (the grammar fixes their kinds)."""
    return node.children


def _spell(token: Token) -> str:
    return "*" if str(token) == "×" else str(token)


def _flat(node: Node | None) -> tuple[str, list[Token]]:
    """A node on one line with canonical spacing."""
    text, tokens = "", []
    previous: tuple[Token, str] | None = None
    for token, rule in _leaves(node):
        if previous is not None:
            text += _space_between(previous, (token, rule))
        text += _spell(token)
        tokens.append(token)
        previous = token, rule
    return text, tokens


def _space_between(left: tuple[Token, str], right: tuple[Token, str]) -> str:
    (a, a_rule), (b, b_rule) = left, right
    if b_rule == "source_ref" and ENGLISH.get(b) == "source":
        return "  "  # a source reference stands apart, as in a table's rows
    if a_rule in _UNIT_PARTS and b_rule in _UNIT_PARTS and b_rule != "unit_percent":
        return ""  # inside a unit: tCO2/MWh, m^3
    if a in ("(", "[") or b in (")", "]", ",", ":"):
        return ""
    if b == "[" and b_rule == "lookup":
        return ""
    if (a == "{" and a_rule == "in_set") or (b == "}" and b_rule == "in_set"):
        return ""
    return "" if a == "-" and a_rule in ("neg", "negative_number") else " "


def _one(indent: int, node: Node | None) -> Line:
    text, tokens = _flat(node)
    return Line(indent, text, tokens)


def _prepend(text: str, tokens: list[Token], lines: list[Line]) -> list[Line]:
    first = lines[0]
    lines[0] = Line(first.indent - width(text), text + first.text, tokens + first.tokens)
    return lines


def _append(lines: list[Line], text: str, tokens: list[Token]) -> list[Line]:
    last = lines[-1]
    lines[-1] = Line(last.indent, last.text + text, last.tokens + tokens)
    return lines


# ---- expressions -----------------------------------------------------------------------


def _layout(node: Node, indent: int, column: int, tail: int = 0) -> list[Line]:
    """Lay out an expression or condition that starts at `column` on its first line and
    at `indent` on the others, leaving `tail` columns free after its last line."""
    text, tokens = _flat(node)
    if column + width(text) + tail <= WIDTH or isinstance(node, Token):
        return [Line(column, text, tokens)]
    kind = str(node.data)
    if kind == "if_expr":
        return _conditional(node, indent, column, tail)
    if kind in _CHAINS:
        return _chain(node, indent, column, tail)
    if kind == "atom":  # ( expr )
        opening, inner, closing = _kids(node)
        lines = _layout(inner, indent + 1, column + 1, tail + 1)
        return _append(_prepend("(", [opening], lines), ")", [closing])
    if kind in ("neg", "not_"):
        word, operand = _kids(node)
        prefix = "-" if kind == "neg" else f"{word} "
        return _prepend(prefix, [word], _layout(operand, indent, column + width(prefix), tail))
    if kind == "in_set":
        return _in_set(node, indent, column, tail)
    return [Line(column, text, tokens)]


def _conditional(node: Tree[Token], indent: int, column: int, tail: int) -> list[Line]:
    """if C then A else B: A on the `if` line when it fits, else on the lines below, one
    step in; `else` at the `if`'s indentation, `else if` chains flat."""
    if_, condition, then_, value, else_, otherwise = _kids(node)
    start, then, or_else = f"{if_} ", f" {then_}", f"{else_} "
    lines = _append(_prepend(start, [if_], _layout(condition, indent + STEP,
                                                   column + width(start), width(then))),
                    then, [then_])
    value_text, value_tokens = _flat(value)
    if lines[-1].end + 1 + width(value_text) <= WIDTH:
        _append(lines, " " + value_text, value_tokens)
    else:
        lines += _layout(value, indent + STEP, indent + STEP)
    rest = _layout(otherwise, indent if _is_if(otherwise) else indent + STEP,
                   indent + width(or_else), tail)
    return lines + _prepend(or_else, [else_], rest)


def _is_if(node: Node) -> bool:
    return isinstance(node, Tree) and node.data == "if_expr"


def _chain(node: Tree[Token], indent: int, column: int, tail: int) -> list[Line]:
    """a + b - c, a * b / c, p and q, p or q, a <= b: fill each line, break before an
    operator."""
    family = _CHAINS[str(node.data)]
    links: list[tuple[Token, Node]] = []
    current: Node = node
    while isinstance(current, Tree) and _CHAINS.get(str(current.data)) == family:
        left, operator, right = _kids(current)
        links.append((operator, right))
        current = left
    links.reverse()
    lines = _layout(current, indent, column)
    for position, (operator, operand) in enumerate(links, start=1):
        reserve = tail if position == len(links) else 0
        text, tokens = _flat(operand)
        joined = f" {_spell(operator)} {text}"
        if lines[-1].end + width(joined) + reserve <= WIDTH:
            _append(lines, joined, [operator, *tokens])
            continue
        prefix = _spell(operator) + " "
        start = indent + width(prefix)
        lines += _prepend(prefix, [operator], _layout(operand, start, start, reserve))
    return lines


def _in_set(node: Tree[Token], indent: int, column: int, tail: int) -> list[Line]:
    """subject in {a, b, c}: the members fill the lines, continuing at `indent`."""
    subject, in_, opening, *members, closing = _kids(node)
    lines = _append(_layout(subject, indent, column), f" {in_} {{", [in_, opening])
    names = members[0::2]
    ends = [*members[1::2], closing]  # the comma after each member, the brace after the last
    for position, (name, end) in enumerate(zip(names, ends, strict=True)):
        piece = f"{name}{end}"
        room = WIDTH - (tail if position == len(names) - 1 else 0)
        if position and lines[-1].end + 1 + width(piece) > room:
            lines.append(Line(indent, piece, [name, end]))
        else:
            _append(lines, (" " if position else "") + piece, [name, end])
    return lines


# ---- declarations ----------------------------------------------------------------------


def _declaration(node: Tree[Token]) -> list[Line]:
    shape = BY_RULE[str(node.data)].shape
    match shape:
        case "rows":
            lines = _block(node)
        case "formula":
            lines = _formula(node)
        case "requirement":
            lines = _input(node)
        case "when":
            lines = _ensure(node)
        case "line":
            lines = [_one(0, node)]
        case _:
            assert_never(shape)
    lines[0].starts_item = True
    return lines


def _part(node: Tree[Token], children: list[Node]) -> Tree[Token]:
    """Some of a declaration's children, spaced as the declaration spaces them."""
    return Tree(node.data, children, node.meta)


def _formula(node: Tree[Token]) -> list[Line]:
    """`let x = ...`, `allocation = ...`: on one line, or the expression on the lines
    after the `=`, one step in."""
    *head, expr = _kids(node)
    whole = _one(0, node)
    if whole.end <= WIDTH:
        return [whole]
    return [_one(0, _part(node, head)), *_layout(expr, STEP, STEP)]


def _input(node: Tree[Token]) -> list[Line]:
    """An input too long for a line puts its requirement on the next, one step in."""
    *head, requirement = _kids(node)
    whole = _one(0, node)
    if whole.end <= WIDTH or not isinstance(requirement, Tree):
        return [whole]
    lines = [_one(0, _part(node, head))]
    if requirement.data != "required_when":
        return [*lines, _one(STEP, requirement)]
    required, when, condition = _kids(requirement)
    words = f"{required} {when} "
    rest = _layout(condition, 2 * STEP, STEP + width(words))
    return [*lines, *_prepend(words, [required, when], rest)]


def _ensure(node: Tree[Token]) -> list[Line]:
    """An ensure too long for a line puts `when ...` on the next, one step in."""
    whole = _one(0, node)
    when = [i for i, c in enumerate(node.children)
            if isinstance(c, Token) and ENGLISH.get(c) == "when"]
    if whole.end <= WIDTH or not when:
        return [whole]
    word, condition = _kids(node)[when[0]:]
    rest = _prepend(f"{word} ", [word], _layout(condition, 2 * STEP, STEP + width(word) + 1))
    return [_one(0, _part(node, node.children[: when[0]])), *rest]


def _block(node: Tree[Token]) -> list[Line]:
    """`enum`, `table`, `bracket`: the head, the rows in columns, the closing brace."""
    children = _kids(node)
    braces = [i for i, c in enumerate(children) if isinstance(c, Token) and c in "{}"]
    opening, closing = braces[0], braces[-1]
    rows = [c for c in children[opening + 1 : closing] if isinstance(c, Tree)]
    end = _one(0, _part(node, children[closing:]))
    end.closes_block = True
    return [_one(0, _part(node, children[: opening + 1])), *_columns(rows), end]


def _cells(row: Tree[Token]) -> list[tuple[str, list[Token]]]:
    """A row's cells: every row of a kind has the same columns, absent parts empty."""
    if row.data == "bracket_row":
        interval, arrow, value, source = _kids(row)
        text, tokens = _flat(value)
        return [_flat(interval), (f"{arrow} {text}", [arrow, *tokens]), _flat(source)]
    return [_flat(child) for child in row.children]


def _columns(rows: list[Tree[Token]]) -> list[Line]:
    cells = [_cells(row) for row in rows]
    count = max((len(r) for r in cells), default=0)
    used = [i for i in range(count) if any(r[i][0] for r in cells)]
    widths = {i: max(width(r[i][0]) for r in cells) for i in used}
    lines = []
    for row in cells:
        text = "".join(row[i][0] + " " * (widths[i] - width(row[i][0]) + COLUMN_GAP)
                       for i in used)
        tokens = [t for i in used for t in row[i][1]]
        lines.append(Line(STEP, text.rstrip(), tokens, starts_item=True))
    return lines


# ---- comments and blank lines ----------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    line: int
    column: int
    text: str
    own_line: bool


def find_comments(text: str) -> list[Comment]:
    """Every comment: a `#` outside a quoted text runs to the end of its line (quoted
    texts never span lines, so a line-by-line scan is exact). Lines end at "\\n" only,
    as the lexer counts them."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        quoted = False
        for column, char in enumerate(line, start=1):
            if char == '"':
                quoted = not quoted
            elif char == "#" and not quoted:
                found.append(Comment(number, column, line[column - 1 :].rstrip(),
                                     not line[: column - 1].strip(_WHITE)))
                break
    return found


def _attach(lines: list[Line], found: list[Comment], blank: set[int]) -> list[str]:
    """Attach each comment to the line of the token after it (own-line comments) or
    before it (end-of-line comments); returns the comments that follow every token."""
    places = [(t.line or 0, t.column or 0, index, t is line.tokens[-1])
              for index, line in enumerate(lines) for t in line.tokens]
    at_end: list[str] = []
    for comment in found:
        k = bisect.bisect_left(places, (comment.line, comment.column))
        gap = [""] if comment.line - 1 in blank else []
        if not comment.own_line and k > 0:
            *_, index, last = places[k - 1]
            if last and lines[index].trailing is None:
                lines[index].trailing = comment.text
            else:
                lines[index].before.append(comment.text)
        elif k < len(places):
            lines[places[k][2]].before += [*gap, comment.text]
        else:
            at_end += [*gap, comment.text]
    return at_end


def _text(lines: list[Line], at_end: list[str], blank: set[int]) -> str:
    out: list[str] = []
    opened = True  # no blank line at the start of the file or of a block

    def add(text: str) -> None:
        nonlocal opened
        if text or not (opened or out[-1] == ""):
            out.append(text)
        opened = opened and not text

    for line in lines:
        if line.closes_block:
            while out and not out[-1]:
                out.pop()
        indent = line.indent + (STEP if line.closes_block else 0)
        for comment in line.before:
            add(" " * indent + comment if comment else "")
        if line.starts_item and (line.tokens[0].line or 0) - 1 in blank:
            add("")
        add(" " * line.indent + line.text + (f"  {line.trailing}" if line.trailing else ""))
        opened = line.tokens[-1] == "{"
    for comment in at_end:
        add(comment)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n" if out else ""


# ---- the file --------------------------------------------------------------------------


def format_text(text: str, path: str = "<text>", keywords: Form | None = None) -> str:
    """The canonical layout of a rule file's text, with LF line ends and no byte-order
    mark, each keyword as written or, given `keywords`, in that form; RuleError if it
    does not parse."""
    if keywords is not None:
        text = convert_keywords(text, keywords, path)
    parse(text, path)  # every syntax error, reported as `peie check` reports them
    text = text.removeprefix(BOM)
    tree = _lark().parse(text)
    lines = [line for decl in tree.children if isinstance(decl, Tree)
             for line in _declaration(decl)]
    blank = {n for n, line in enumerate(text.split("\n"), start=1) if not line.strip(_WHITE)}
    out = _text(lines, _attach(lines, find_comments(text), blank), blank)
    _same_tokens(text, out, path)
    return out


def convert_keywords(text: str, form: Form, path: str = "<text>") -> str:
    """The text with every keyword in `form` and every other character as it was (white
    space, comments, line ends, a byte-order mark): converting to the other form and back
    gives the text again, if its keywords were in one form. RuleError if it does not
    parse."""
    parse(text, path)
    body = text.removeprefix(BOM)
    out = respelled(body, _lark().lex(body), form)
    _same_tokens(body, out, path)
    return text[: len(text) - len(body)] + out


def _same_tokens(before: str, after: str, path: str) -> None:
    """The safety net: the new text must be the same tokens (and so the same syntax
    tree) as the original, a keyword in either form being the same keyword."""
    def tokens(text: str) -> list[tuple[str, str]]:
        return [("keyword", ENGLISH[t]) if t in ENGLISH else (t.type, _spell(t))
                for t in _lark().lex(text)]

    if tokens(before) != tokens(after):
        raise RuleError([Diagnostic(Span(path, 1, 1, 1, 2),
                                    _("peie fmt could not keep this file's meaning; it was "
                                      "left as it is (please report this as a bug)"))])
