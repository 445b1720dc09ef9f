"""The answers of the language server, built from a RuleDocument as lsprotocol types:
diagnostics, hover, definition, completion, document symbols and formatting.

Hover text is Markdown in the server's language; the names, labels and values in it are
the file's own.
"""

from __future__ import annotations

from lsprotocol import types

from peie.dsl import ast
from peie.dsl.declarations import kind_of
from peie.dsl.errors import RuleError, Span
from peie.dsl.formatter import format_text
from peie.dsl.i18n import _, localized
from peie.dsl.keywords import CHINESE, ENGLISH, majority_form, spelled
from peie.dsl.model import COMPLIANCE_NAMES, LOCAL_FACTOR, EnumType, NumType

from .document import RuleDocument, Target, token_span

SOURCE = "peie"  # what the editor shows a diagnostic came from
MOST_LINES_SHOWN = 8  # of a declaration in its hover

_SEVERITIES = {"error": types.DiagnosticSeverity.Error,
               "warning": types.DiagnosticSeverity.Warning}


def diagnostics(document: RuleDocument, language: str) -> list[types.Diagnostic]:
    """The checker's problems in the file, each at its place, in `language`."""
    return [types.Diagnostic(
        range=document.lines.range(d.span), message=localized(d.message, language),
        severity=_SEVERITIES.get(d.severity, types.DiagnosticSeverity.Error), source=SOURCE)
        for d in document.diagnostics]


# ---- hover ---------------------------------------------------------------------------


def hover(document: RuleDocument, position: types.Position,
          language: str) -> types.Hover | None:
    """What stands at a place: the row of a table or bracket (its value and source), the
    name's declaration (label, unit, line, sources), or a keyword's two forms."""
    line, column = document.lines.place(position)
    token = document.token_at(line, column)
    if token is None:
        return None
    parts = []
    row = document.row_at(line, column)
    decl = document.decl_at(line, column)
    if row is not None and isinstance(decl, ast.TableDecl | ast.BracketDecl):
        parts.append(_row_text(document, decl, row, language))
    target = document.target_at(line, column)
    if target is not None:
        parts.append(_target_text(document, target, language))
    elif not parts and str(token) in ENGLISH:
        english = ENGLISH[str(token)]
        parts.append(f"`{english}` · " + " · ".join(f"`{w}`" for w in CHINESE[english]))
        if decl is not None and document.first_tokens(decl, 1) == [token]:
            parts.append(_decl_text(document, decl, language))  # `preallocation`'s source
    if not parts:
        return None
    return types.Hover(
        contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                     value="\n\n---\n\n".join(parts)),
        range=document.lines.range(token_span(document.path, token)))


def _row_text(document: RuleDocument, decl: ast.TableDecl | ast.BracketDecl,
              row: ast.TableRow | ast.BracketRow, language: str) -> str:
    if isinstance(row, ast.TableRow):
        unit = decl.unit.text if isinstance(decl, ast.TableDecl) and decl.unit else "1"
        shown = f"{row.value}" if unit == "1" else f"{row.value} {unit}"  # 1: no unit
        head = f"`{decl.name}[{row.key}]` = `{shown}`"
        if row.label:
            head += f" {row.label}"
    else:
        assert isinstance(decl, ast.BracketDecl)
        interval = ast.span_text(document.body, row.interval.span)
        value = ast.span_text(document.body, row.value.span)
        head = f"`{decl.name}` = `{value}` ({decl.subject} {interval})"
    return _lines(head, _source(row.source, language))


def _target_text(document: RuleDocument, target: Target, language: str) -> str:
    if target.decl is None and target.name in COMPLIANCE_NAMES:
        return _lines(f"`{target.name}` (tCO2)", localized(_(
            "built in: a value of the compliance formulas (配额清缴), 'obligation = ...' and "
            "'obligation facility = ...' (docs/language.md §17a)"), language))
    if target.decl is None:  # local_factor
        return _lines(f"`{LOCAL_FACTOR}`", localized(_(
            "built in: the local adjustment factor (地方行业调整系数) of the unit's province "
            "and sector, 1 unless a local-factor file gives it"), language))
    if target.member is not None:
        assert isinstance(target.decl, ast.EnumDecl)
        return _lines(f"`{target.name}` {target.member.label}",
                      localized(_("a code of {enum}", enum=_named(target.decl)), language),
                      _declared_at(target.member.span, language))
    return _decl_text(document, target.decl, language,
                      _kind_facts(document, target, language))


def _decl_text(document: RuleDocument, decl: ast.Decl, language: str,
               facts: str | None = None) -> str:
    """A declaration as written, then `facts`, its line, its source and the comment lines
    above it."""
    return _lines(_declaration_text(document, decl), facts, _declared_at(decl.span, language),
                  _source(getattr(decl, "source", None), language),
                  *document.comments_above(decl))


def _named(enum: ast.EnumDecl) -> str:
    return enum.name + (f" {enum.label}" if enum.label else "")


def _kind_facts(document: RuleDocument, target: Target, language: str) -> str | None:
    """An enum's codes; a value's unit, as the checker found it (as declared when the
    file has problems)."""
    decl = target.decl
    if isinstance(decl, ast.EnumDecl):
        codes = ", ".join(m.code for m in decl.members)
        return localized(_("codes: {codes}", codes=codes), language)
    found = document.rule.types.get(target.name) if document.rule is not None else None
    if isinstance(found, EnumType):
        return localized(_("a code of {enum}", enum=found.enum), language)
    if isinstance(found, NumType):
        return localized(_("unit: {unit}", unit=str(found)), language)
    match decl:  # the file has problems: the unit as declared, where one is
        case ast.InputDecl() if decl.type.text in document.enums:
            return localized(_("a code of {enum}", enum=decl.type.text), language)
        case ast.InputDecl():
            unit: ast.UnitRef | None = decl.type
        case ast.TableDecl():
            unit = decl.unit
        case ast.ParamDecl():
            unit = decl.value.unit
        case _:
            unit = None
    return None if unit is None else localized(_("unit: {unit}", unit=unit.text or "1"),
                                               language)


def _declaration_text(document: RuleDocument, decl: ast.Decl) -> str:
    """The declaration as written: its first line for one with rows, else all of it
    (up to MOST_LINES_SHOWN lines)."""
    last = decl.span.line if kind_of(decl).shape == "rows" else decl.span.end_line
    shown = document.source_lines[decl.span.line - 1 :
                                  min(last, decl.span.line + MOST_LINES_SHOWN - 1)]
    return "```peie\n" + "\n".join(line.rstrip() for line in shown) + "\n```"


def _declared_at(span: Span, language: str) -> str:
    if span == ast.NOWHERE:
        return localized(_("built in"), language)
    return localized(_("declared at line {line}", line=span.line), language)


def _source(source: str | None, language: str) -> str | None:
    return None if source is None else localized(_("source: {source}", source=source),
                                                 language)


def _lines(*parts: str | None) -> str:
    return "\n\n".join(p for p in parts if p)  # a paragraph each


# ---- definition ----------------------------------------------------------------------


def definition(document: RuleDocument, uri: str,
               position: types.Position) -> types.Location | None:
    """Where the name at a place is declared, in this file."""
    target = document.target_at(*document.lines.place(position))
    place = document.place_of(target) if target is not None else None
    return None if place is None else types.Location(uri, document.lines.range(place))


# ---- completion ----------------------------------------------------------------------

_VALUE_KINDS = {
    ast.InputDecl: types.CompletionItemKind.Field,
    ast.TableDecl: types.CompletionItemKind.Struct,
    ast.BracketDecl: types.CompletionItemKind.Struct,
    ast.ParamDecl: types.CompletionItemKind.Constant,
    ast.LetDecl: types.CompletionItemKind.Variable,
}


def completion(document: RuleDocument, names_from: RuleDocument) -> list[types.CompletionItem]:
    """Every keyword in the form most of the file's keywords are written in, and the
    names and codes `names_from` declares (the last text of the file that parsed)."""
    form = majority_form(document.tokens)
    items = [types.CompletionItem(spelled(word, form), kind=types.CompletionItemKind.Keyword)
             for word in CHINESE]
    items += [types.CompletionItem(name, kind=_VALUE_KINDS[type(decl)], detail=decl.label)
              for name, decl in names_from.values.items()]
    items.append(types.CompletionItem(LOCAL_FACTOR, kind=types.CompletionItemKind.Variable))
    for enum in names_from.enums.values():
        items.append(types.CompletionItem(enum.name, kind=types.CompletionItemKind.Enum,
                                          detail=enum.label))
        items += [types.CompletionItem(m.code, kind=types.CompletionItemKind.EnumMember,
                                       detail=f"{enum.name}: {m.label}")
                  for m in enum.members]
    return items


# ---- document symbols ----------------------------------------------------------------

_SYMBOL_KINDS = {
    ast.Header: types.SymbolKind.Property, ast.EnumDecl: types.SymbolKind.Enum,
    ast.InputDecl: types.SymbolKind.Field, ast.TableDecl: types.SymbolKind.Struct,
    ast.BracketDecl: types.SymbolKind.Struct, ast.ParamDecl: types.SymbolKind.Constant,
    ast.LetDecl: types.SymbolKind.Variable, ast.FormulaDecl: types.SymbolKind.Function,
    ast.EnsureDecl: types.SymbolKind.Boolean, ast.PreallocationDecl: types.SymbolKind.Property,
    ast.RoundingDecl: types.SymbolKind.Property,
}


def symbols(document: RuleDocument) -> list[types.DocumentSymbol]:
    """Each declaration, named as written (a metadata line by its key), with an enum's
    codes and a table's rows below it."""
    found = []
    for decl in document.decls:
        whole = document.lines.range(decl.span)
        token = document.name_token(decl)
        name_range = whole if token is None else document.lines.range(
            token_span(document.path, token))
        found.append(types.DocumentSymbol(
            name=_symbol_name(document, decl), kind=_SYMBOL_KINDS[type(decl)],
            range=whole, selection_range=name_range, detail=_symbol_detail(decl),
            children=_children(document, decl) or None))
    return found


def _symbol_detail(decl: ast.Decl) -> str | None:
    """A metadata line's value, another declaration's label."""
    return " ".join(decl.value) if isinstance(decl, ast.Header) else getattr(decl, "label",
                                                                            None)


def _symbol_name(document: RuleDocument, decl: ast.Decl) -> str:
    """The words a declaration starts with, as written (`table`, `表`, `preallocation
    basis`), and its name."""
    written = " ".join(document.first_tokens(decl, len(kind_of(decl).name.split())))
    name = getattr(decl, "name", None)
    return f"{written} {name}" if name else written


def _children(document: RuleDocument, decl: ast.Decl) -> list[types.DocumentSymbol]:
    rows: list[tuple[str, str | None, Span]] = []
    if isinstance(decl, ast.EnumDecl):
        rows = [(m.code, m.label, m.span) for m in decl.members]
    elif isinstance(decl, ast.TableDecl):
        rows = [(r.key, str(r.value), r.span) for r in decl.rows]
    elif isinstance(decl, ast.BracketDecl):
        rows = [(ast.span_text(document.body, r.interval.span),
                 ast.span_text(document.body, r.value.span), r.span) for r in decl.rows]
    kind = types.SymbolKind.EnumMember if isinstance(decl, ast.EnumDecl) \
        else types.SymbolKind.Field
    return [types.DocumentSymbol(name=name, kind=kind, range=document.lines.range(span),
                                 selection_range=document.lines.range(span), detail=detail)
            for name, detail, span in rows]


# ---- formatting ----------------------------------------------------------------------


def formatting(document: RuleDocument) -> list[types.TextEdit]:
    """`peie fmt`'s layout of the file as one edit of the whole text; none when it is
    laid out already or does not parse (its diagnostics say why)."""
    if document.file is None:
        return []
    try:
        formatted = format_text(document.text, document.path)
    except RuleError:
        return []
    if formatted == document.text:
        return []
    return [types.TextEdit(range=document.lines.whole(), new_text=formatted)]
