"""A number in data has at most 100 digits and an exponent within ±100, in every format:
CSV and XLSX cells are read by the same reader as JSON and YAML numbers. A CSV cell of
1E-999999999 once passed (a double reads it as 0) and made `explain` print a billion
decimal places, running out of memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from rule_texts import HEAD

RULE = HEAD + 'input x_t: t in [0, inf) "x"\nparam b = 0.5 tCO2/t\nallocation = x_t * b\n'
COLUMNS = ("facility_id", "unit_id", "sector", "province", "x_t")
REFUSED = "a number of more than 100 digits or with an exponent beyond 100 is not an amount"


def _files(tmp_path: Path, cell: object) -> list[Path]:
    """The same two units (the second's x_t is `cell`) as CSV and as XLSX."""
    rows = [("F1", "U1", "test", "hebei", "100"), ("F2", "U2", "test", "hebei", cell)]
    csv = tmp_path / "units.csv"
    csv.write_text("\n".join(",".join(map(str, r)) for r in [COLUMNS, *rows]) + "\n",
                   encoding="utf-8")
    book = Workbook()
    sheet = book.active
    for row in [COLUMNS, *rows]:
        sheet.append(list(row))
    xlsx = tmp_path / "units.xlsx"
    book.save(xlsx)
    return [csv, xlsx]


@pytest.mark.parametrize("cell", ["1E-999999999", "0e-999999999", "1e101", "1" * 101,
                                  "0." + "0" * 100 + "1", 1e300])
def test_a_number_beyond_the_limits_is_refused_by_file_row_unit_and_field(
        cli, tmp_path: Path, cell: object) -> None:
    rule = tmp_path / "x.rule"
    rule.write_text(RULE, encoding="utf-8")
    for data in _files(tmp_path, cell):
        for command in (("allocate", str(data), "--year", "2017", "--rules", str(rule)),
                        ("allocate", str(data), "--year", "2017", "--rules", str(rule),
                         "--batch"),
                        ("explain", str(data), "--year", "2017", "--rules", str(rule),
                         "--unit", "U2")):
            status, out, err = cli(*command)
            assert status == 1 and out == "" and "Traceback" not in err, (command, err)
            assert f"{data}, row 3 (unit U2), field 'x_t': error: {REFUSED}" in err


@pytest.mark.parametrize("cell", ["1e100", "1" * 100, "0." + "0" * 98 + "1", "1E-100"])
def test_a_number_at_the_limits_is_read_exactly(cli, tmp_path: Path, cell: str) -> None:
    rule = tmp_path / "x.rule"
    rule.write_text(RULE, encoding="utf-8")
    [data, _] = _files(tmp_path, cell)
    status, out, err = cli("explain", str(data), "--year", "2017", "--rules", str(rule),
                           "--unit", "U1")
    assert status == 0 and "allocation = 50 tCO2" in out, err  # 100 t x 0.5 tCO2/t
