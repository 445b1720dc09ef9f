"""The cases under tests/cases/ (layout in tests/cases/README.md), one test each, named
by the case: `peie check` on each diagnostics case, `peie fmt` on each formatter pair.
`pytest --update-cases` rewrites the expected files from the actual output."""

from __future__ import annotations

import io
import shlex
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import Cli
from expected_files import ExpectedFiles

from peie.dsl.parser import BOM, parse

CASES = Path(__file__).parent / "cases"
DIAGNOSTICS = CASES / "diagnostics"
FMT = CASES / "fmt"
FORMATTED = ".formatted.rule"
OPTIONS = "# peie fmt:"


def diagnostic_cases() -> list[str]:
    """A case is a rule file, or a directory of rule files checked together."""
    return sorted(p.name.removesuffix(".rule") for p in DIAGNOSTICS.iterdir()
                  if p.is_dir() or p.suffix == ".rule")


def fmt_cases() -> list[str]:
    return sorted(p.name.removesuffix(".rule") for p in FMT.glob("*.rule")
                  if not p.name.endswith(FORMATTED))


def check_output(status: int, out: str, err: str) -> str:
    """What a .expected file holds: the exit status, then stdout, then stderr."""
    return f"exit {status}\n--- stdout\n{out}--- stderr\n{err}"


def diagnostic_target(name: str) -> str:
    return name if (DIAGNOSTICS / name).is_dir() else f"{name}.rule"


@pytest.mark.parametrize("name", diagnostic_cases())
def test_diagnostics(name: str, cli: Cli, expected_files: ExpectedFiles,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DIAGNOSTICS)  # paths in the output are the case's own name
    actual = check_output(*cli("check", diagnostic_target(name)))
    expected_files.check(DIAGNOSTICS / f"{name}.expected", actual)


def formatted(text: str, cli: Cli, monkeypatch: pytest.MonkeyPatch,
              options: Sequence[str] = ()) -> str:
    """`peie fmt OPTIONS -` on `text`: it must succeed and say nothing on stderr."""
    monkeypatch.setattr("sys.stdin", io.StringIO(text))
    status, out, err = cli("fmt", *options, "-")
    assert (status, err) == (0, ""), err
    return out


def fmt_options(source: str) -> list[str]:
    """The options a case gives in a first-line comment `# peie fmt: OPTIONS`."""
    first = source.removeprefix(BOM).split("\n", 1)[0].strip()
    return shlex.split(first.removeprefix(OPTIONS)) if first.startswith(OPTIONS) else []


@pytest.mark.parametrize("name", fmt_cases())
def test_fmt(name: str, cli: Cli, expected_files: ExpectedFiles,
             monkeypatch: pytest.MonkeyPatch) -> None:
    source = (FMT / f"{name}.rule").read_bytes().decode("utf-8")  # line ends as written
    options = fmt_options(source)
    expected = FMT / f"{name}{FORMATTED}"
    expected_files.check(expected, formatted(source, cli, monkeypatch, options))
    result = expected.read_bytes().decode("utf-8")
    assert formatted(result, cli, monkeypatch, options) == result, \
        "formatting again changes it"
    assert parse(result, "formatted").decls == parse(source, "source").decls


def test_every_case_file_belongs_to_a_case() -> None:
    """A stray file (a .rule without its .expected, a misspelt suffix) would be no test."""
    diagnostics = {f"{n}.expected" for n in diagnostic_cases()} | {
        diagnostic_target(n) for n in diagnostic_cases()}
    pairs = {f"{n}{suffix}" for n in fmt_cases() for suffix in (".rule", FORMATTED)}
    assert sorted(p.name for p in DIAGNOSTICS.iterdir()) == sorted(diagnostics)
    assert sorted(p.name for p in FMT.iterdir()) == sorted(pairs)


def test_the_switch_rewrites_only_what_differs_and_says_which(tmp_path: Path) -> None:
    same, other, new = tmp_path / "same.expected", tmp_path / "other.expected", tmp_path / "n"
    same.write_text("a\n", encoding="utf-8")
    other.write_text("old\n", encoding="utf-8")
    with pytest.raises(AssertionError, match="--update-cases"):
        ExpectedFiles(update=False).check(other, "new\n")
    assert other.read_text(encoding="utf-8") == "old\n"
    updating = ExpectedFiles(update=True)
    for path in (same, other, new):
        updating.check(path, "a\n" if path is same else "new\n")
    assert updating.rewritten == [other, new]
    assert other.read_text(encoding="utf-8") == new.read_text(encoding="utf-8") == "new\n"
