"""Fixtures shared by the command-line tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import settings

from peie.cli import main

# No timing is asserted in tests, hypothesis's per-example deadline included: on a busy
# machine one slow example made a property test fail as "unreliable timings".
settings.register_profile("peie", deadline=None)
settings.load_profile("peie")

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run `peie ARGS...` in-process: (exit status, stdout, stderr)."""
    def run(*argv: str) -> tuple[int, str, str]:
        status = main(list(argv))
        out, err = capsys.readouterr()
        return status, out, err
    return run
