"""Damaged, encrypted and over-large XLSX data files are refused with the file named,
never a traceback (found by tests/fuzzing.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from peie.data import readers

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "units_2017.csv"


def _workbook() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:4]:
        sheet.append(line.split(","))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize("damage, said", [
    (lambda b: b"not a zip at all", "is not a readable XLSX workbook"),
    (lambda b: b[: len(b) // 2], "is not a readable XLSX workbook"),
    (lambda b: b[:2000] + bytes(b[2000] ^ 0xFF for _ in [0]) + b[2001:],
     "is not a readable XLSX workbook"),
    (lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "encrypted (password-protected)"),
])
def test_a_damaged_workbook_is_refused_by_name(cli, tmp_path: Path, damage, said) -> None:
    path = tmp_path / "units.xlsx"
    path.write_bytes(damage(_workbook()))
    status, out, err = cli("allocate", str(path), "--year", "2017")
    assert status == 1 and out == ""
    assert str(path) in err and said in err and "Traceback" not in err


def test_what_a_workbook_unpacks_to_is_bounded(cli, tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "units.xlsx"
    data = _workbook()
    path.write_bytes(data)
    assert cli("allocate", str(path), "--year", "2017")[0] == 0
    monkeypatch.setattr(readers, "XLSX_UNPACKED_BYTES", len(data))  # it unpacks to more
    status, _, err = cli("allocate", str(path), "--year", "2017")
    assert status == 1 and "unpacks to" in err and str(path) in err
