"""The import rules of docs/architecture.md, read from the source: what each package may
import, no import cycles (imports inside functions count; those under TYPE_CHECKING do
not, as they never run), dsl/ never imports the engine, nothing imports the cli, and only
the cli imports the service."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"engine": "peie", "dsl": "peie.dsl"}

# Layer -> the layers it may import (besides itself). A module of the top level
# (peie.errors, peie.api, ...) is a layer of its own.
MAY_IMPORT = {
    "peie.dsl": set(),
    "peie.errors": {"peie.dsl"},
    "peie._exports": set(),
    "peie.progress": set(),
    "peie.files": {"peie.errors", "peie.dsl"},  # its messages are the catalogue's
    "peie.collector": set(),
    "peie.provenance": {"peie.dsl"},
    "peie.data": {"peie.dsl", "peie.errors", "peie._exports", "peie.collector"},
    "peie.exact": {"peie.dsl", "peie.errors", "peie._exports", "peie.data", "peie.progress",
                   "peie.collector", "peie.provenance"},
    "peie.ruleset": {"peie.dsl", "peie.errors", "peie.exact", "peie.batch"},
    "peie.batch": {"peie.dsl", "peie.errors", "peie._exports", "peie.data", "peie.exact",
                   "peie.progress", "peie.provenance"},
    "peie.issuance": {"peie.dsl", "peie.errors", "peie._exports", "peie.exact",
                      "peie.provenance"},
    "peie.impact": {"peie.dsl", "peie.errors", "peie.data", "peie.exact", "peie.batch",
                    "peie.ruleset"},
    "peie.api": {"peie.dsl", "peie.errors", "peie.data", "peie.exact", "peie.batch",
                 "peie.issuance", "peie.impact", "peie.provenance", "peie.ruleset",
                 "peie.collector", "peie.files"},
    "peie.report": {"peie.dsl", "peie.errors", "peie._exports", "peie.api", "peie.data",
                    "peie.exact", "peie.batch", "peie.issuance", "peie.impact",
                    "peie.provenance", "peie.files"},
    "peie.service": {"peie.dsl", "peie.errors", "peie.api", "peie.report", "peie.files",
                     "peie._exports", "peie.collector"},
    "peie.lsp": {"peie.dsl"},
    "peie.cli": {"peie.dsl", "peie.errors", "peie.api", "peie.report", "peie.files",
                 "peie.service", "peie.lsp"},
    "peie": {"peie._exports", "peie.api", "peie.errors", "peie.exact", "peie.ruleset"},
}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([package, *parts])] = path
    return found


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(range(inner.lineno, (inner.end_lineno or inner.lineno) + 1))
    return lines


def _imports(module: str, path: Path) -> set[str]:
    """The peie modules `module` imports when it runs."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = _type_checking_lines(tree)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if getattr(node, "lineno", 0) in skipped:
            continue
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("peie")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            if base.startswith("peie"):
                out.add(base)
                out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _layer(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _graph() -> dict[str, set[str]]:
    """Module -> the modules it imports; its own packages left out (Python has run
    their __init__ before the module, so importing them again is no cycle)."""
    modules = _modules()
    return {m: {i for i in _imports(m, p) if i in modules and not m.startswith(i + ".")}
            for m, p in modules.items()}


def test_each_package_imports_only_what_it_may() -> None:
    wrong = []
    for module, imported in _graph().items():
        layer = _layer(module)
        allowed = MAY_IMPORT[layer] | {layer}
        wrong += [f"{module} imports {i}" for i in sorted(imported)
                  if _layer(i) not in allowed and i != "peie"]
    assert not wrong, "\n".join(wrong)


def test_there_are_no_import_cycles() -> None:
    graph = _graph()
    # a package's __init__ re-exports its modules; an edge to a package is to its __init__
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            raise AssertionError("import cycle: " + " -> ".join(cycle))


def test_the_rules_name_every_layer() -> None:
    layers = {_layer(m) for m in _modules()}
    assert layers <= set(MAY_IMPORT), sorted(layers - set(MAY_IMPORT))


def test_every_package_is_installed() -> None:
    """A sub-package missing from pyproject's list works in an editable install and is
    absent from a user's (CI installs as a user does)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    packages = {m for m, p in _modules().items() if p.name == "__init__.py"}
    assert packages <= listed, sorted(packages - listed)


def test_a_forbidden_import_is_seen(tmp_path: Path) -> None:
    """The reader of imports is not blind: a data module importing the compiler in a
    function is caught, one under TYPE_CHECKING is not."""
    source = tmp_path / "x.py"
    source.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from peie.ruleset import RuleSet\n"
                      "def f():\n    from ..exact.compiler import CONTEXT\n")
    found = _imports("peie.data.x", source)
    assert "peie.exact.compiler" in found and "peie.ruleset" not in found
