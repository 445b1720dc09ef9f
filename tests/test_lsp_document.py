"""What the language server reads from a rule file, over every bundled rule file: each
name in a formula goes to a declaration of that name, each table lookup to its table, and
each declaration's name to itself; the outline lists every declaration."""

from __future__ import annotations

from pathlib import Path

import pytest

from peie.dsl import ast
from peie.lsp.document import RuleDocument
from peie.lsp.features import symbols

RULES = sorted((Path(__file__).resolve().parent.parent / "rules").glob("*.rule"))


def _document(path: Path) -> RuleDocument:
    document = RuleDocument(path.read_text(encoding="utf-8"), str(path))
    assert document.file is not None and document.diagnostics == []
    return document


def _text_at(document: RuleDocument, span: ast.Span) -> str:
    assert span.line == span.end_line
    return document.source_lines[span.line - 1][span.column - 1 : span.end_column - 1]


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_every_name_goes_to_a_declaration_of_that_name(path: Path) -> None:
    document = _document(path)
    names = [(n.id, n.span) for d in document.decls for n in d.walk()
             if isinstance(n, ast.Name)]
    names += [(n.table, n.table_span) for d in document.decls for n in d.walk()
              if isinstance(n, ast.Lookup)]
    assert names
    for name, span in names:
        target = document.target_at(span.line, span.column)
        assert target is not None and target.name == name, (name, span)
        declared = document.place_of(target)
        if declared is not None:  # local_factor and yes_no are built in
            assert _text_at(document, declared) == name, (name, span, declared)


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_each_declared_name_goes_to_itself(path: Path) -> None:
    document = _document(path)
    for decl in document.decls:
        token = document.name_token(decl)
        if token is None:
            continue
        target = document.target_at(token.line or 0, (token.column or 0) + 1)
        assert target is not None and target.decl is decl, decl


@pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
def test_the_outline_lists_every_declaration(path: Path) -> None:
    document = _document(path)
    found = symbols(document)
    assert len(found) == len(document.decls)
    for symbol, decl in zip(found, document.decls, strict=True):
        assert symbol.range.start.line == decl.span.line - 1
        name = getattr(decl, "name", None)
        assert name is None or symbol.name.endswith(name)
