"""An input that is not a regular file (a FIFO, a device, a directory, or a link to one)
is refused by name before a byte is read, and a file past its size bound is refused: no
command waits on a FIFO or reads /dev/zero for ever. Run as separate processes with a time
limit, so that a regression fails instead of holding the test run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import peie.dsl.parser as parser_module
from peie.dsl.errors import RuleError
from peie.dsl.reading import NotRegularFile, read_regular
from peie.errors import UsageError

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "units_2017.csv"
ZERO = Path("/dev/zero")
LIMIT = 60  # seconds a refused input may take at the most, on a busy machine

pytestmark = pytest.mark.skipif(not ZERO.exists(), reason="no /dev/zero here")


def peie(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "peie.cli", *argv], capture_output=True,
                          text=True, timeout=LIMIT)


def _fifo(place: Path) -> Path:
    os.mkfifo(place)
    return place


def _zero(place: Path) -> Path:
    place.symlink_to(ZERO)
    return place


def _directory(place: Path) -> Path:
    place.mkdir()
    return place


KINDS = {"a FIFO": (_fifo, "is a FIFO (named pipe), not a regular file"),
         "a link to /dev/zero": (_zero, "is a device, not a regular file"),
         "a directory": (_directory, "is a directory, not a regular file")}


@pytest.mark.parametrize("kind", KINDS)
def test_a_data_file_that_is_not_a_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    make, words = KINDS[kind]
    data = make(tmp_path / "units.csv")
    done = peie("allocate", str(data), "--year", "2017", "--batch")
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"peie: error: {data}: cannot read: {words}\n"


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".xlsx"])
def test_every_data_format_is_refused_alike(tmp_path: Path, suffix: str) -> None:
    data = _zero(tmp_path / f"units{suffix}")
    done = peie("allocate", str(data), "--year", "2017")
    assert done.returncode == 1
    assert done.stderr == f"peie: error: {data}: cannot read: is a device, not a regular file\n"


def test_local_factors_that_are_a_fifo_are_refused(tmp_path: Path) -> None:
    factors = _fifo(tmp_path / "factors.csv")
    done = peie("allocate", str(SAMPLE), "--year", "2017", "--local-factors", str(factors))
    assert done.returncode == 1
    assert done.stderr == (f"peie: error: {factors}: cannot read: is a FIFO (named pipe), "
                           "not a regular file\n")


def test_a_rule_file_that_is_a_link_to_dev_zero_is_a_diagnostic_at_its_start(
        tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    rule = _zero(rules / "power.rule")
    done = peie("check", str(rules))
    assert done.returncode == 1
    assert done.stderr == (f"{rule}:1:1: error: cannot read file: is a device, not a regular "
                           "file\n1 error in rule files\n")


def test_a_cases_file_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    cases = _fifo(tmp_path / "cement.cases.yaml")
    done = peie("test", str(cases), "--rules", str(ROOT / "rules" / "cement.rule"))
    assert done.returncode == 1
    assert f"{cases}: cannot read: is a FIFO (named pipe), not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_rule_file_past_its_bound_is_refused_by_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = tmp_path / "big.rule"
    rule.write_bytes(b"#" * (2 << 20))  # 2 MiB of comment
    monkeypatch.setattr(parser_module, "MAX_RULE_BYTES", 1 << 20)
    with pytest.raises(RuleError) as refused:
        parser_module.read_rule_text(rule)
    assert str(refused.value) == (f"{rule}:1:1: error: cannot read file: is larger than 1 MiB, "
                                  "the most peie reads from such a file")


def test_a_data_file_past_its_bound_is_refused_by_name(tmp_path: Path) -> None:
    from peie.data.readers import read_bytes

    data = tmp_path / "units.csv"
    data.write_bytes(b"x" * ((1 << 20) + 1))
    with pytest.raises(UsageError) as refused:
        read_bytes(str(data), 1 << 20)
    assert str(refused.value) == (f"{data}: cannot read: is larger than 1 MiB, the most peie "
                                  "reads from such a file")
    assert read_bytes(str(data), 2 << 20) == b"x" * ((1 << 20) + 1)


@settings(max_examples=30, derandomize=True)
@given(content=st.binary(max_size=64), limit=st.integers(min_value=0, max_value=80))
def test_a_regular_file_is_read_whole_exactly_when_it_is_within_the_bound(
        tmp_path_factory: pytest.TempPathFactory, content: bytes, limit: int) -> None:
    path = tmp_path_factory.mktemp("read") / "file"
    path.write_bytes(content)
    if len(content) <= limit:
        assert read_regular(path, limit) == content
    else:
        with pytest.raises(NotRegularFile):
            read_regular(path, limit)


def test_a_small_file_costs_its_size_not_the_bound(tmp_path: Path) -> None:
    """A read of `limit` bytes would allocate them all first: 4 GiB for every data file."""
    import tracemalloc

    path = tmp_path / "units.csv"
    path.write_bytes(b"x" * 1000)
    tracemalloc.start()
    try:
        assert read_regular(path, 4 << 30) == b"x" * 1000
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_a_file_that_grows_while_it_is_read_is_read_to_the_bound(tmp_path: Path) -> None:
    path = tmp_path / "growing.csv"
    path.write_bytes(b"a" * 10)
    original = os.fstat

    def grown_after_fstat(fd: int) -> os.stat_result:
        status = original(fd)
        with open(path, "ab") as handle:  # another process appends, just after the fstat
            handle.write(b"b" * 20)
        return status

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fstat", grown_after_fstat)
        assert read_regular(path, 100) == b"a" * 10 + b"b" * 20
    path.write_bytes(b"a" * 10)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "fstat", grown_after_fstat)
        with pytest.raises(NotRegularFile):
            read_regular(path, 25)
