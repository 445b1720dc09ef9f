"""Workbooks as people keep them: title rows above the header, several sheets, formulas.

The header is the first row with a `unit_id` cell (or `--header-row N`); the sheet is
`--sheet NAME`, else the one sheet with such a header, else the first; a formula cell
without a stored value is refused by sheet and cell, never read as empty."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook

import peie
from peie.data.readers import DataPath

HEADER = ["facility_id", "unit_id", "sector", "province", "clinker_t"]
BENCHMARK = Decimal("0.8534")  # rules/cement.rule: tCO2 per t of clinker


def units(clinker: int) -> list[list[object]]:
    return [["F-1", "L-1", "cement", "jiangsu", clinker],
            ["F-2", "L-2", "cement", "jiangsu", 2 * clinker]]


def book(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


TITLED = [["2017 年度水泥熟料生产线产量"], ["单位：吨"], [], HEADER, *units(1000000)]


def test_the_header_is_found_under_title_rows_and_rows_keep_their_numbers(
        tmp_path: Path) -> None:
    path = book(tmp_path / "units.xlsx", {"产量": TITLED})
    table = peie.read_data(path)
    assert table.columns == tuple(HEADER)
    assert [r.number for r in table.rows] == [5, 6]  # the sheet's own rows
    result = peie.allocate(path, 2017)
    assert [u.allocation for u in result.units] == [Decimal(1000000) * BENCHMARK,
                                                    Decimal(2000000) * BENCHMARK]


def test_header_row_given(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = book(tmp_path / "units.xlsx", {"产量": TITLED})
    assert peie.read_data(DataPath(str(path), header_row=4)).columns == tuple(HEADER)
    status, out, err = cli("allocate", str(path), "--year", "2017", "--header-row", "4",
                           "--format", "csv")
    assert status == 0, err
    assert out.splitlines()[1:] == ["F-1,cement,1,853400,853400",
                                    "F-2,cement,1,1706800,1706800"]
    # A wrong header row: its cells are the column names, which validation refuses.
    status, out, err = cli("allocate", str(path), "--year", "2017", "--header-row", "1")
    assert status == 1 and out == "" and "2017 年度水泥熟料生产线产量" in err
    status, _, err = cli("allocate", str(path), "--year", "2017", "--header-row", "9")
    assert status == 1 and "has no row 9" in err


def test_the_one_sheet_with_the_columns_is_read(tmp_path: Path) -> None:
    path = book(tmp_path / "units.xlsx", {"说明": [["read me"], ["this is not data"]],
                                          "units": [HEADER, *units(1000000)]})
    assert [r.cells["unit_id"] for r in peie.read_data(path).rows] == ["L-1", "L-2"]


def test_two_sheets_with_the_columns_need_sheet(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = book(tmp_path / "units.xlsx", {"2017": [HEADER, *units(1000000)],
                                          "2018": [HEADER, *units(3000000)]})
    status, out, err = cli("allocate", str(path), "--year", "2017")
    assert status == 1 and out == ""
    assert str(path) in err and "2017, 2018" in err and "--sheet" in err
    status, out, err = cli("allocate", str(path), "--year", "2017", "--sheet", "2018",
                           "--format", "csv")
    assert status == 0, err
    assert out.splitlines()[1] == "F-1,cement,1,2560200,2560200"  # 3,000,000 t x 0.8534
    status, out, err = cli("allocate", str(path), "--year", "2017", "--sheet", "2019")
    assert status == 1 and "no sheet '2019'" in err and "2017, 2018" in err


def test_sheet_and_header_row_are_for_workbooks(cli) -> None:  # type: ignore[no-untyped-def]
    sample = str(Path(__file__).resolve().parent.parent / "samples" / "units_2017.csv")
    for flag in ("--sheet", "--header-row"):
        status, out, err = cli("allocate", sample, "--year", "2017", flag, "2")
        assert status == 1 and out == "" and f"{flag} is for an .xlsx data file" in err


def test_a_formula_without_a_stored_value_is_named(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """openpyxl writes formulas without their values, as any program does: until Excel
    has opened and saved the file, the cell has no number, and empty would be wrong."""
    rows = [HEADER, ["F-1", "L-1", "cement", "jiangsu", 1000000],
            ["F-2", "L-2", "cement", "jiangsu", "=E2*2"]]
    path = book(tmp_path / "units.xlsx", {"units": rows})
    status, out, err = cli("allocate", str(path), "--year", "2017")
    assert status == 1 and out == ""
    line = err.splitlines()[0]
    assert line.startswith(f"{path}, row 3 (unit L-2), field 'clinker_t': error: ")
    assert "sheet 'units', cell E3" in line and "formula without a stored value" in line
    assert "open and save it in Excel" in line


def test_a_formula_with_its_stored_value_is_read(tmp_path: Path) -> None:
    """What Excel saves: the formula and its last value (written here as Excel does)."""
    import zipfile

    path = book(tmp_path / "units.xlsx", {"units": [HEADER, ["F-1", "L-1", "cement",
                                                             "jiangsu", "=1000000*2"]]})
    stored = tmp_path / "stored.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stored, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<f>1000000*2</f><v />", b"<f>1000000*2</f><v>2000000</v>")
                assert b"<v>2000000</v>" in data
            target.writestr(item, data)
    [row] = peie.read_data(stored).rows
    assert row.cells["clinker_t"] == "2000000"


def test_a_row_of_formulas_only_is_not_passed_by_as_empty(tmp_path: Path) -> None:
    rows = [HEADER, ["F-1", "L-1", "cement", "jiangsu", 1000000],
            ["=A2", '=B2&"b"', "=C2", "=D2", "=E2*2"]]
    path = book(tmp_path / "units.xlsx", {"units": rows})
    with pytest.raises(peie.DataError) as raised:
        peie.read_data(path)
    [problem] = raised.value.problems
    assert (problem.row, problem.field) == (3, "facility_id")
    assert "cell A3: a formula without a stored value" in problem.message
