"""CSV files as Chinese Excel saves them (GB18030/GBK): read with `--encoding`, on every
path and size alike; without it, refused naming the file, line and byte, with the hint."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from peie import api
from peie.api import inputs
from peie.data.readers import DataPath

ROOT = Path(__file__).resolve().parent.parent
# A cement file with Chinese labels: the sector's (水泥), a province's (江苏省), an input's.
TEXT = ("facility_id,unit_id,sector,province,熟料产量,协同处置废弃物量\n"
        "F-1,L-1,水泥,江苏省,1000000,\n"
        "F-1,L-2,水泥,江苏,2000000,40000\n"
        "F-2,L-3,水泥,山东省,1500000,无\n")
# 0.8534 tCO2/t clinker; 40,000 t of waste: +1 %. F-1: 853400 + 1723868 = 2577268.
FACILITIES = {"F-1": 2577268, "F-2": 1280100}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {}
    for encoding in ("utf-8", "utf-8-sig", "gb18030", "gbk"):
        made[encoding] = tmp_path / f"units-{encoding}.csv"
        made[encoding].write_bytes(TEXT.encode(encoding))
    return made


def facilities(out: str) -> dict[str, int]:
    return {f["facility_id"]: int(f["allocation"]) for f in json.loads(out)["facilities"]}


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "GBK", "utf-8-sig"])
@pytest.mark.parametrize("batch", [False, True])
def test_each_encoding_gives_the_same_allocation(cli, files, encoding, batch) -> None:  # type: ignore[no-untyped-def]
    path = files[encoding.lower()]
    flags = ["--batch"] if batch else []
    status, out, err = cli("allocate", str(path), "--year", "2017", "--encoding", encoding,
                           "--format", "json", *flags)
    assert status == 0, err
    if batch:
        assert {f["facility_id"]: f["allocation"] for f in json.loads(out)["facilities"]} \
            == FACILITIES
    else:
        assert facilities(out) == FACILITIES
    assert json.loads(out)["data_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_utf8_file_with_a_bom_needs_no_option(cli, files) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("allocate", str(files["utf-8-sig"]), "--year", "2017",
                           "--format", "json")
    assert status == 0, err
    assert facilities(out) == FACILITIES


def test_a_gb18030_file_read_as_utf8_is_refused_with_the_hint(cli, files) -> None:  # type: ignore[no-untyped-def]
    path = files["gb18030"]
    offset = TEXT.encode("gb18030").index("熟".encode("gb18030"))
    for flags in ([], ["--batch"]):
        status, out, err = cli("allocate", str(path), "--year", "2017", *flags)
        assert status == 1 and out == ""
        assert err.splitlines()[0] == (
            f"{path}: error: line 1, byte {offset} of the file: not valid utf-8 text; "
            "it reads as GB18030: try --encoding gb18030")


def test_bytes_that_are_no_text_in_the_encoding_get_no_hint(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "units.csv"
    raw = TEXT.encode("gb18030")
    line3 = raw.index(b"F-1,L-2")
    path.write_bytes(raw[:line3] + b"\xff\xfe" + raw[line3:])  # no text in either
    status, _, err = cli("allocate", str(path), "--year", "2017", "--encoding", "gb18030")
    assert status == 1
    assert err.splitlines()[0] == (f"{path}: error: line 3, byte {line3} of the file: "
                                   "not valid gb18030 text")


@pytest.mark.parametrize("name", ["gb-2312x", "base64", "rot13"])
def test_an_unknown_encoding_is_refused(cli, files, name) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("allocate", str(files["gbk"]), "--year", "2017",
                           "--encoding", name)
    assert status == 1 and out == "" and f"unknown encoding '{name}'" in err


def test_local_factors_and_diff_data_are_read_in_the_encoding(cli, files, tmp_path: Path  # type: ignore[no-untyped-def]
                                                              ) -> None:
    factors = tmp_path / "factors.csv"
    factors.write_bytes("province,sector,factor\n江苏,cement,0.5\n".encode("gbk"))
    status, out, err = cli("allocate", str(files["gbk"]), "--year", "2017", "--encoding",
                           "gbk", "--local-factors", str(factors), "--format", "json")
    assert status == 0, err
    # F-1 is in Jiangsu: half of each unit's allocation, 426700 + 861934 (half-up: whole t).
    assert facilities(out) == {"F-1": 1288634, "F-2": 1280100}
    cement = str(ROOT / "rules" / "cement.rule")
    status, out, err = cli("diff", cement, cement, "--data", str(files["gbk"]),
                           "--encoding", "gbk", "--format", "json")
    assert status == 0, err


def test_the_columnar_reader_reads_the_encoding_too(files, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A large file is read by columns (peie.data.columns): the same records."""
    small = inputs.prepare(DataPath(str(files["gb18030"]), "gb18030"), 2017)[2]
    monkeypatch.setattr(inputs, "COLUMNAR_BYTES", 0)
    data_file = inputs.read_data_file(DataPath(str(files["gb18030"]), "gb18030"))
    assert type(data_file).__name__ == "Columns"
    large = inputs.prepare(DataPath(str(files["gb18030"]), "gb18030"), 2017)[2]
    assert large == small and [r.province for r in large] == ["jiangsu", "jiangsu", "shandong"]
    assert api.read_data(DataPath(str(files["gbk"]), "gbk")).rows[0].cells["sector"] == "水泥"


def test_check_reads_a_local_factor_file_in_the_encoding(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    factors = tmp_path / "factors.csv"
    factors.write_bytes("province,sector,factor\n江苏,cement,0.5\n".encode("gb18030"))
    status, _, err = cli("check", str(factors))
    assert status == 1 and "try --encoding gb18030" in err
    status, _, err = cli("check", str(factors), "--encoding", "gb18030")
    assert status == 0, err


@settings(max_examples=30, deadline=None, derandomize=True)
@given(st.lists(st.lists(st.text(st.sampled_from("水泥江苏省熟料产量无 /,\"ab1.5-"), max_size=6),
                         min_size=3, max_size=3), min_size=1, max_size=5),
       st.sampled_from(["gb18030", "gbk", "utf-8-sig"]))
def test_any_text_reads_the_same_in_any_encoding(tmp_path_factory, rows, encoding) -> None:  # type: ignore[no-untyped-def]
    """The encoding changes the bytes, never the cells, on the exact and columnar readers."""
    import csv
    import io

    from peie.data.columns import read_columns
    from peie.data.readers import read_table

    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows([["a", "b", "c"], *rows])
    folder = tmp_path_factory.mktemp("encodings")
    (folder / "utf8.csv").write_bytes(text.getvalue().encode("utf-8"))
    (folder / "other.csv").write_bytes(text.getvalue().encode(encoding))
    plain = read_table(folder / "utf8.csv")
    other = read_table(DataPath(str(folder / "other.csv"), encoding))
    assert other.rows == plain.rows
    columns = read_columns(DataPath(str(folder / "other.csv"), encoding))
    assert columns.rows(np.arange(columns.size)).rows == plain.rows  # from pyarrow's columns
