"""Fixtures shared by the command-line tests, and the --update-cases switch."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from expected_files import ExpectedFiles
from hypothesis import settings

from peie.cli import main

# No timing is asserted in tests, hypothesis's per-example deadline included: on a busy
# machine one slow example made a property test fail as "unreliable timings".
settings.register_profile("peie", deadline=None)
settings.load_profile("peie")

Cli = Callable[..., tuple[int, str, str]]
_REWRITTEN = pytest.StashKey[list[Path]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-cases", action="store_true",
                     help="rewrite the expected files under tests/cases/ from the actual "
                          "output (after a deliberate change; read the diff)")


@pytest.fixture(scope="session")
def expected_files(pytestconfig: pytest.Config) -> ExpectedFiles:
    files = ExpectedFiles(bool(pytestconfig.getoption("--update-cases")))
    pytestconfig.stash[_REWRITTEN] = files.rewritten
    return files


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter,
                            config: pytest.Config) -> None:
    rewritten = config.stash.get(_REWRITTEN, [])
    if config.getoption("--update-cases"):
        terminalreporter.write_line(f"--update-cases rewrote {len(rewritten)} file(s):")
        for path in rewritten:
            terminalreporter.write_line(f"  {path}")


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `peie ARGS...` in-process: (exit status, stdout, stderr)."""
    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err
    return run
