"""Every user-facing text of dsl/ and engine/ comes from the catalogue: an AST walk finds
bare text (a literal, an f-string, a concatenation or a .format of them) where people are
meant to read it, and a catalogue call whose template is not a literal Babel can extract.

What counts as a place people read:
- the message of a peie error: ``raise UsageError(...)``, ``DataError``, ``LedgerError``...
  (every class that derives from PeieError, found in the source);
- the message of a diagnostic or data problem: ``Diagnostic(span, message)``,
  ``DataProblem(file, row, field, message)`` and the checkers' helpers that make one
  (``self.error(span, message)``, ``self.problem(node, message)``, ``_fail(path,
  message)``, ``report(field, message)``), and a YAML error's problem, which becomes one;
- the ``help``, ``description`` and ``epilog`` of argparse parsers and arguments.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("dsl", "engine")

# The argument that holds the message, by the name of what is called.
MESSAGE_ARGUMENT = {"Diagnostic": 1, "DataProblem": 3, "error": 1, "problem": 1, "_fail": 1,
                    "report": 1, "ConstructorError": 2, "ComposerError": 2}
ARGPARSE = {"ArgumentParser", "Parser", "add_parser", "add_argument", "add_argument_group",
            "add_mutually_exclusive_group"}
ARGPARSE_TEXTS = {"help", "description", "epilog"}
CATALOGUE = {"_": 1, "ngettext": 2}  # how many leading arguments are templates

# Places where text is not for people, each with why. (None so far: the HTTP service's
# field descriptions are pydantic's `Field(description=...)`, OpenAPI documentation that
# is English in every language like the JSON it describes, and are not walked here.)
ALLOWED: dict[tuple[str, int], str] = {}


def _sources() -> dict[str, ast.Module]:
    return {f"{folder}/{path.relative_to(ROOT / folder)}": ast.parse(path.read_text("utf-8"))
            for folder in FOLDERS for path in sorted((ROOT / folder).rglob("*.py"))}


def _error_classes(trees: dict[str, ast.Module]) -> set[str]:
    """PeieError and every class that derives from it, however deep."""
    found, grown = {"PeieError"}, True
    classes = [node for tree in trees.values() for node in ast.walk(tree)
               if isinstance(node, ast.ClassDef)]
    while grown:
        grown = False
        for node in classes:
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                     for b in node.bases}
            if node.name not in found and bases & found:
                found.add(node.name)
                grown = True
    return found


def _bare(node: ast.expr) -> bool:
    """Text written in the code, not taken from the catalogue."""
    match node:
        case ast.Constant(value=str(text)):
            return any(c.isalpha() for c in text)
        case ast.JoinedStr():
            return True
        case ast.BinOp():
            return _bare(node.left) or _bare(node.right)
        case ast.IfExp():
            return _bare(node.body) or _bare(node.orelse)
        case ast.Call(func=ast.Attribute(attr="format", value=value)):
            return _bare(value)
    return False


def _called(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def _texts_for_people(call: ast.Call, errors: set[str]) -> list[ast.expr]:
    name = _called(call)
    position = 0 if name in errors else MESSAGE_ARGUMENT.get(name or "")
    texts = [call.args[position]] if position is not None and len(call.args) > position else []
    texts += [k.value for k in call.keywords if k.arg == "message"]
    if name in ARGPARSE:
        texts += [k.value for k in call.keywords if k.arg in ARGPARSE_TEXTS]
    return texts


def _findings() -> tuple[list[str], list[str]]:
    trees = _sources()
    errors = _error_classes(trees)
    bare, unextractable = [], []
    for path, tree in trees.items():
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            for text in _texts_for_people(call, errors):
                if _bare(text) and (path, text.lineno) not in ALLOWED:
                    bare.append(f"{path}:{text.lineno}: {ast.unparse(text)[:80]}")
            templates = call.args[:CATALOGUE.get(_called(call) or "", 0)]
            if isinstance(call.func, ast.Name):
                unextractable += [f"{path}:{t.lineno}: {ast.unparse(t)[:80]}"
                                  for t in templates if isinstance(t, ast.JoinedStr | ast.BinOp)]
    return bare, unextractable


def test_every_text_people_read_comes_from_the_catalogue():
    bare, _unextractable = _findings()
    assert not bare, ("text for people written in the code; make it a catalogue message, "
                      "_(\"... {name} ...\", name=value), with its Chinese in "
                      "dsl/locale/zh.po:\n" + "\n".join(bare))


def test_a_catalogue_template_is_a_literal_babel_can_extract():
    _bare_texts, unextractable = _findings()
    assert not unextractable, ("an f-string or concatenation as a template is not extracted "
                               "and has no translation; write the placeholders into a literal:\n"
                               + "\n".join(unextractable))


def test_the_walk_finds_what_it_looks_for():
    """The patterns match what they are meant to (so a passing test means something)."""
    code = ast.parse('raise UsageError(f"no file {name}")\n'
                     'problems.append(DataProblem(path, 1, "field", "is empty"))\n'
                     'parser.add_argument("--x", help="the x")\n'
                     'raise UsageError(_("no file {name}", name=name))\n'
                     'parser.add_argument("--y", help=_("the y"), metavar="FILE")\n')
    calls = [n for n in ast.walk(code) if isinstance(n, ast.Call)]
    flagged = [t for c in calls for t in _texts_for_people(c, {"UsageError"}) if _bare(t)]
    assert sorted(t.lineno for t in flagged) == [1, 2, 3]
