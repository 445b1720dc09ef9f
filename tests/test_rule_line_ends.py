"""A rule file saved by a Windows editor (a byte-order mark, CRLF line ends) is the same
rules as the LF file: check, allocate and diff behave exactly as for it, and fmt writes
the one canonical layout (LF, no byte-order mark) from either."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOM = "\ufeff"
OTHER_SECTORS = ("--rules", str(ROOT / "rules" / "power.rule"),
                 "--rules", str(ROOT / "rules" / "aluminium.rule"))


@pytest.fixture
def twins(tmp_path: Path) -> tuple[Path, Path]:
    """The bundled cement rules as they are, and with a BOM and CRLF line ends."""
    text = (ROOT / "rules" / "cement.rule").read_text(encoding="utf-8")
    assert "\r" not in text and not text.startswith(BOM)
    lf, crlf = tmp_path / "lf" / "cement.rule", tmp_path / "crlf" / "cement.rule"
    lf.parent.mkdir()
    crlf.parent.mkdir()
    lf.write_bytes(text.encode("utf-8"))
    crlf.write_bytes((BOM + text.replace("\n", "\r\n")).encode("utf-8"))
    return lf, crlf


def test_check_reads_both_alike(cli, twins) -> None:  # type: ignore[no-untyped-def]
    lf, crlf = twins
    status_lf, out_lf, err_lf = cli("check", str(lf))
    status_crlf, out_crlf, err_crlf = cli("check", str(crlf))
    assert status_lf == status_crlf == 0
    assert out_crlf.replace(str(crlf), str(lf)) == out_lf and err_crlf == err_lf == ""


def test_a_broken_crlf_file_is_reported_at_the_same_place(cli, twins) -> None:  # type: ignore[no-untyped-def]
    lf, crlf = twins
    for path in twins:
        text = path.read_bytes().decode("utf-8")
        path.write_bytes(text.replace("status draft", "status draft +", 1).encode("utf-8"))
    status_lf, _, err_lf = cli("check", str(lf))
    status_crlf, _, err_crlf = cli("check", str(crlf))
    assert status_lf == status_crlf == 1
    assert err_crlf.replace(str(crlf), str(lf)) == err_lf
    assert f"{lf}:" in err_lf


def test_allocate_gives_the_same_amounts(cli, twins) -> None:  # type: ignore[no-untyped-def]
    documents = []
    for path in twins:
        status, out, err = cli("allocate", str(ROOT / "samples" / "units_2017.csv"),
                               "--year", "2017", "--rules", str(path), *OTHER_SECTORS,
                               "--format", "json")
        assert status == 0, err
        documents.append(json.loads(out))
    lf, crlf = documents
    assert lf["units"] == crlf["units"] and lf["units"]
    assert lf["rules"]["cement"]["version"] == crlf["rules"]["cement"]["version"]
    # The hash is of the file as it is: the two files are not the same bytes.
    assert lf["rules"]["cement"]["sha256"] != crlf["rules"]["cement"]["sha256"]


def test_diff_sees_no_difference_in_meaning(cli, twins) -> None:  # type: ignore[no-untyped-def]
    lf, crlf = twins
    status, out, _ = cli("diff", str(lf), str(crlf))
    assert status == 0
    assert "no differences in meaning" in out


def test_fmt_writes_the_lf_layout_from_either(cli, twins) -> None:  # type: ignore[no-untyped-def]
    lf, crlf = twins
    assert cli("fmt", str(lf))[0] == 0
    status, _, err = cli("fmt", "--check", str(crlf))
    assert status == 1 and "would reformat" in err  # its line ends are not the layout's
    assert cli("fmt", str(crlf))[0] == 0
    assert crlf.read_bytes() == lf.read_bytes()
    assert not lf.read_bytes().startswith(BOM.encode("utf-8")) and b"\r" not in lf.read_bytes()
    assert cli("fmt", "--check", str(crlf))[0] == 0
