"""Fuzzing in CI: mutated rule texts and data files (every format) end in a result or a
clear refusal, never a traceback or a hang, and the exact and batch paths agree.

The mutations and the oracle are in fuzzing.py; the long run and its figures are in
docs/reliability.md.
"""

from __future__ import annotations

import random
from pathlib import Path

from fuzzing import RULES, WRITERS, data_trial, rule_trial
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

RULE_FILES = sorted(p.name for p in RULES.glob("*.rule"))
# Derandomized: CI replays the same 60 inputs of each kind, a regression guard that cannot
# fail by the luck of a draw; the long run (docs/reliability.md) explores.
BOUNDED = settings(max_examples=60, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture])


@BOUNDED
@given(name=st.sampled_from(RULE_FILES), rng=st.randoms(use_true_random=False))
def test_mutated_rule_texts(name: str, rng: random.Random, tmp_path_factory) -> None:
    trial = rule_trial(name, rng, tmp_path_factory.mktemp("rule"))
    assert trial.clean, "\n".join([trial.name, *trial.failures])


@BOUNDED
@given(suffix=st.sampled_from(sorted(WRITERS)), rng=st.randoms(use_true_random=False))
def test_mutated_data_files(suffix: str, rng: random.Random, tmp_path_factory) -> None:
    trial = data_trial(suffix, rng, tmp_path_factory.mktemp("data"))
    assert trial.clean, "\n".join([trial.name, *trial.failures])


def test_the_oracle_sees_a_traceback(monkeypatch, tmp_path: Path) -> None:
    """The harness itself: a command that raises is a failure, not a clean trial."""
    import fuzzing

    def broken(argv: list[str]) -> int:
        raise ZeroDivisionError("planted")
    monkeypatch.setattr(fuzzing, "main", broken)
    trial = data_trial(".csv", random.Random(0), tmp_path)
    assert not trial.clean and "ZeroDivisionError: planted" in trial.failures[0]
