"""A unit whose allocation comes out beyond ±1e15 tCO2 is a data error naming it, on
the exact and the batch path alike: never a wrapped int64 total, never a traceback
(a cell of 1e20 once printed -9223372036854775808 on --batch)."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "units_2017.csv"


@pytest.mark.parametrize("batch", [(), ("--batch",)])
def test_a_mistyped_huge_cell_is_refused_by_unit(cli, tmp_path: Path, batch) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()[:4]
    head, first = lines[0].split(","), lines[1].split(",")
    first[head.index("electricity_supplied_mwh")] = "1e20"
    path = tmp_path / "units.csv"
    path.write_text("\n".join([lines[0], ",".join(first), *lines[2:]]) + "\n", encoding="utf-8")
    status, out, err = cli("allocate", str(path), "--year", "2017", *batch)
    assert status == 1 and out == "" and "Traceback" not in err
    assert f"{path}, row 2 (unit {first[head.index('unit_id')]})" in err
    assert "beyond the ±1e15 tCO2" in err and "-9223372036854775808" not in err
