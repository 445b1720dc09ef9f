"""Every file peie writes (--out, --problems, --junit, fmt and test --update rewriting a
file) is a regular file, written whole: a symbolic link, a FIFO, a device or a directory in
its place is refused by name, with exit 1, and left as it was; a write that fails leaves
the old file and no temporary one."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from peie.errors import UsageError
from peie.files import atomic_write

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "units_2017.csv"
CEMENT_RULE = ROOT / "rules" / "cement.rule"
CEMENT_CASES = ROOT / "rules" / "cement.cases.yaml"


def _symlink_to_file(place: Path) -> None:
    target = place.parent / "target.txt"
    target.write_text("kept\n", encoding="utf-8")
    place.symlink_to(target)


def _symlink_to_nowhere(place: Path) -> None:
    place.symlink_to(place.parent / "nowhere")


def _fifo(place: Path) -> None:
    os.mkfifo(place)


def _device(place: Path) -> None:
    """A character device like /dev/null, made here (never /dev itself, which a failing
    test would replace): root only."""
    try:
        os.mknod(place, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device file needs root")


def _directory(place: Path) -> None:
    place.mkdir()


SPECIAL = {"a symbolic link to a file": (_symlink_to_file, "is a symbolic link"),
           "a dangling symbolic link": (_symlink_to_nowhere, "is a symbolic link"),
           "a FIFO": (_fifo, "is a FIFO (named pipe), not a regular file"),
           "a device": (_device, "is a device, not a regular file"),
           "a directory": (_directory, "is a directory")}


def _state(folder: Path) -> dict[str, tuple[int, bytes | str | None]]:
    """What each entry of `folder` is (its type, a link's target, a file's bytes)."""
    out: dict[str, tuple[int, bytes | str | None]] = {}
    for entry in sorted(folder.iterdir()):
        mode = entry.lstat().st_mode
        content: bytes | str | None = None
        if stat.S_ISLNK(mode):
            content = os.readlink(entry)
        elif stat.S_ISREG(mode):
            content = entry.read_bytes()
        out[entry.name] = (stat.S_IFMT(mode), content)
    return out


def _bad_data(folder: Path) -> Path:
    bad = folder / "bad.csv"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].split(",")
    cells = lines[1].split(",")
    cells[header.index("sector")] = "powr"
    bad.write_text(lines[0] + ",".join(cells), encoding="utf-8")
    return bad


# Each way peie writes a file: (the command, given the folder and the output's path).
WRITERS: dict[str, Callable[[Path, Path], list[str]]] = {
    "allocate --out": lambda folder, out: [
        "allocate", str(SAMPLE), "--year", "2017", "--format", "csv", "--out", str(out)],
    "allocate --format xlsx --out": lambda folder, out: [
        "allocate", str(SAMPLE), "--year", "2017", "--format", "xlsx", "--out", str(out)],
    "preallocate --out": lambda folder, out: [
        "preallocate", str(SAMPLE), "--year", "2017", "--ledger", str(folder / "l.sqlite"),
        "--out", str(out)],
    "allocate --problems": lambda folder, out: [
        "allocate", str(_bad_data(folder)), "--year", "2017", "--problems", str(out)],
    "test --junit": lambda folder, out: ["test", str(CEMENT_CASES), "--junit", str(out)],
}


@pytest.mark.parametrize("kind", SPECIAL)
@pytest.mark.parametrize("writer", WRITERS)
def test_an_output_that_is_not_a_regular_file_is_refused_and_left_as_it_was(
        cli, tmp_path: Path, writer: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    make, words = SPECIAL[kind]
    argv = WRITERS[writer](tmp_path, tmp_path / "out")
    make(tmp_path / "out")
    before = _state(tmp_path)
    status, out, err = cli(*argv)
    assert status == 1 and out == ""
    assert err.startswith(f"peie: error: {tmp_path / 'out'}: {words}"), err
    assert "Traceback" not in err
    assert _state(tmp_path) == before  # no ledger, no report, no temporary file


def test_fmt_rewrites_no_file_when_one_is_a_link(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    messy = CEMENT_RULE.read_text(encoding="utf-8").replace("\n", "\n\n\n", 1)
    rule, other = tmp_path / "cement.rule", tmp_path / "a.rule"
    for path in (rule, other):
        path.write_text(messy, encoding="utf-8")  # a layout fmt changes
    link = tmp_path / "link.rule"
    link.symlink_to(rule)
    before = _state(tmp_path)
    status, _, err = cli("fmt", str(other), str(link))
    assert status == 1 and f"{link}: is a symbolic link" in err and "Traceback" not in err
    assert _state(tmp_path) == before  # a.rule too: every file is checked before any write


def test_test_update_does_not_rewrite_cases_through_a_link(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    real = tmp_path / "real.cases.yaml"
    # 1 000 000 t x 0.8534 tCO2/t = 853 400; the case expects one tonne more, which
    # --update would rewrite.
    real.write_text("- name: one line\n  year: 2017\n  units:\n"
                    "    - {facility_id: F-1, unit_id: L-1, sector: cement, province: 安徽, "
                    "clinker_t: 1000000}\n  expect:\n    units: {L-1: 853401}\n",
                    encoding="utf-8")
    cases = tmp_path / "cement.cases.yaml"
    cases.symlink_to(real)
    before = _state(tmp_path)
    status, _, err = cli("test", str(cases), "--rules", str(CEMENT_RULE), "--update")
    assert status == 1 and f"{cases}: is a symbolic link" in err and "Traceback" not in err
    assert _state(tmp_path) == before


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old\n", encoding="utf-8")

    def half_then_full(handle: object) -> None:
        handle.write("half of a new ")  # type: ignore[attr-defined]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(UsageError) as refused:
        atomic_write(target, half_then_full)
    assert str(refused.value) == f"{target}: cannot be written: No space left on device"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    assert target.read_text(encoding="utf-8") == "old\n"


def test_a_regular_file_is_replaced_whole_and_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    atomic_write(target, lambda handle: handle.write("new\n"))
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]
