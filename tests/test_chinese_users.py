"""Output for Chinese users (issue 14, items 4 and 5): tables aligned by display width,
labels beside codes, XLSX headers in the run's language and ids kept as text, CSV for
Excel, and data written wholly in Chinese allocated as the coded data."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import peie
from peie import api
from peie.cli import main
from peie.data.provinces import PROVINCES
from peie.dsl.errors import display_width
from peie.dsl.model import EnumType, YesNoType
from peie.report.encoding import aligned, csv_text, excel_csv, text_table
from peie.ruleset import load_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()

# Cells of ASCII letters and digits, CJK ideographs and full-width forms (two columns
# each), without spaces, so that a line splits back into its cells.
CELL = st.text(st.sampled_from("abcXYZ019-_" "电力水泥铝机组" "超临界１２ＡＢ"), min_size=1,
               max_size=8)


def _starts(line: str) -> list[tuple[int, int]]:
    """(first column, column after the last) of each space-free cell of a line, in
    display columns."""
    spans, column, start = [], 0, None
    for char in line + " ":
        if char == " " and start is not None:
            spans.append((start, column))
            start = None
        elif char != " " and start is None:
            start = column
        column += display_width(char)
    return spans


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.integers(1, 4).flatmap(
    lambda n: st.tuples(st.lists(st.lists(CELL, min_size=n, max_size=n), min_size=1,
                                 max_size=6),
                        st.sets(st.integers(0, n - 1)))))
def test_columns_line_up_by_display_width(table: tuple[list[list[str]], set[int]]) -> None:
    rows, right = table
    spans = [_starts(line) for line in aligned(rows, right)]
    assert all(len(s) == len(rows[0]) for s in spans)
    for i in range(len(rows[0])):
        edges = {s[i][1] if i in right else s[i][0] for s in spans}
        assert len(edges) == 1, (i, rows)  # every row's cell i starts (or ends) alike
        widest = max(display_width(r[i]) for r in rows)
        if i + 1 < len(rows[0]):  # two columns between the widest cell and the next
            assert all(s[i + 1][0] - s[i][0] >= widest + 2 for s in spans
                       if i not in right)


def test_a_table_of_chinese_cells_pads_each_to_its_display_width() -> None:
    lines = text_table(("设施", "sector", "tCO2"),
                       [("F-1", "电力", "1"), ("重点排放单位甲", "cement", "22")],
                       (False, False, True))
    # 重点排放单位甲 is 7 characters, 14 columns: the column is 14 wide, so "F-1" gets
    # 11 spaces and 设施 (4 columns) 10 before the next column's gap of two.
    assert lines == ["设施" + " " * 10 + "  sector  tCO2",
                     "-" * 14 + "  ------  ----",
                     "F-1" + " " * 11 + "  电力" + " " * 2 + "     1",
                     "重点排放单位甲  cement    22"]


# ---- data written wholly in Chinese (item 5) -------------------------------------------

# The Chinese names of the columns no rule declares, as docs/data.md gives them.
CHINESE_COLUMNS = {"facility_id": "重点排放单位编号", "unit_id": "机组编号", "sector": "行业",
                   "province": "省份", "verified_emissions_t": "核查排放量"}
YES_NO = {"yes": "是", "no": "否"}


def _chinese_rows(rows: list[dict[str, str]], year: int) -> list[list[str]]:
    """The header and rows with every name, sector, enum member, yes/no and province as
    the rules in force for `year` and the province table spell them in Chinese (provinces
    by turns in their short and full names)."""
    rules = RULES.for_year(year)
    label = {name: item.decl.label for rule in rules.versions
             for name, item in rule.inputs.items() if item.decl.label}
    label.update(CHINESE_COLUMNS)
    out = [[label[name] for name in rows[0]]]
    for number, row in enumerate(rows):
        rule = rules.by_sector[row["sector"]]
        province = next(p for p in PROVINCES if p.name == row["province"])
        cells = []
        for name, value in row.items():
            item = rule.inputs.get(name)
            if name == "sector":
                value = rule.sector_label
            elif name == "province":
                value = (province.short, province.full)[number % 2]
            elif value and item is not None and isinstance(item.type, EnumType):
                value = next(m.label for m in rule.enums[item.type.enum].members
                             if m.code == value)
            elif value and item is not None and isinstance(item.type, YesNoType):
                value = YES_NO[value]
            cells.append(value)
        out.append(cells)
    return out


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def _chinese_factors(path: Path) -> None:
    """samples/local_factors.yaml as a CSV file headed and spelt in Chinese."""
    factors = yaml.safe_load((ROOT / "samples" / "local_factors.yaml").read_text("utf-8"))
    sector_label = {r.sector: r.sector_label for r in RULES.rules}
    full = {p.name: p.full for p in PROVINCES}
    _write_csv(path, [["省份", "行业", "地方修正系数"]]
               + [[full[f["province"]], sector_label[f["sector"]], str(f["factor"])]
                  for f in factors])


SAMPLES = [("units_2015.csv", 2017), ("units_2017.csv", 2017), ("units_2018.csv", 2019),
           ("units_2019.csv", 2019)]


@pytest.mark.parametrize(("sample", "year"), SAMPLES)
def test_a_dataset_wholly_in_chinese_allocates_exactly_as_the_coded_one(
        tmp_path: Path, sample: str, year: int) -> None:
    coded = ROOT / "samples" / sample
    with open(coded, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    chinese = _chinese_rows(rows, year)
    assert all(not cell.isascii() for cell in chinese[0])  # every header in Chinese
    data, factors = tmp_path / sample, tmp_path / "地方修正系数.csv"
    _write_csv(data, chinese)
    _chinese_factors(factors)
    coded_factors = ROOT / "samples" / "local_factors.yaml"
    want = peie.allocate(coded, year, local_factors=coded_factors)
    got = peie.allocate(data, year, local_factors=factors)
    assert [(u.unit_id, u.allocation) for u in got.units] == \
        [(u.unit_id, u.allocation) for u in want.units]
    assert [(u.record.sector, u.record.province, u.local_factor.factor) for u in got.units] \
        == [(u.record.sector, u.record.province, u.local_factor.factor) for u in want.units]
    assert got.facilities == want.facilities and got.totals() == want.totals()
    batch = api.allocate_batch(str(data), year, local_factors=factors)
    assert dict(zip(batch.result.facility_ids, batch.result.facility_allocation.tolist(),
                    strict=True)) == {f.facility_id: f.allocation for f in want.by_facility}
    if sample == "units_2019.csv":  # the same in a workbook, as registries export it
        book = tmp_path / "units.xlsx"
        _write_xlsx(book, chinese)
        assert peie.allocate(book, year, local_factors=factors).facilities == want.facilities


def _write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)


def test_a_factor_file_headed_twice_or_with_an_unknown_sector_label_is_refused(
        tmp_path: Path) -> None:
    twice = tmp_path / "twice.csv"
    _write_csv(twice, [["省份", "sector", "行业", "地方修正系数"],
                       ["江苏", "power", "电力", "0.99"]])
    with pytest.raises(peie.DataError) as error:
        peie.read_local_factors(str(twice), RULES.sectors, RULES.sector_labels)
    assert [(p.field, p.message) for p in error.value.problems] == [
        ("行业", "columns 'sector' and '行业' are both sector: keep one")]
    unknown = tmp_path / "unknown.csv"
    _write_csv(unknown, [["省份", "行业", "地方修正系数"], ["江苏", "钢铁", "0.99"]])
    with pytest.raises(peie.DataError) as error:
        peie.read_local_factors(str(unknown), RULES.sectors, RULES.sector_labels)
    assert [(p.row, p.field) for p in error.value.problems] == [(2, "sector")]
    assert "unknown sector '钢铁'" in error.value.problems[0].message


# ---- XLSX (item 3) ---------------------------------------------------------------------

FORMULA_LIKE = ("=1+1", "+86", "-5", "@SUM(A1)")


def _cement_units(path: Path) -> None:
    """Cement lines whose facility and unit ids look like spreadsheet formulas."""
    _write_csv(path, [["facility_id", "unit_id", "sector", "province", "clinker_t"],
                      *([f, f"{f}-K", "cement", "jiangsu", "1000000"] for f in FORMULA_LIKE)])


def _workbook(tmp_path: Path, *lang: str) -> Any:
    from openpyxl import load_workbook

    data, out = tmp_path / "units.csv", tmp_path / f"out{''.join(lang)}.xlsx"
    _cement_units(data)
    assert main([*lang, "allocate", str(data), "--year", "2017", "--format", "xlsx",
                 "--out", str(out)]) == 0
    with zipfile.ZipFile(out) as book:  # no cell of any sheet is a formula
        assert not any("<f>" in book.read(n).decode() for n in book.namelist()
                       if n.startswith("xl/worksheets/"))
    return load_workbook(out)


def test_xlsx_headings_are_in_the_runs_language_and_ids_stay_text(tmp_path: Path) -> None:
    english = _workbook(tmp_path, "--lang", "en")
    assert english.sheetnames == ["units", "facilities", "totals", "by sector", "by province",
                                  "by category", "provenance"]
    assert [c.value for c in english["units"][1]] == [
        "unit_id", "facility_id", "sector", "province", "allocation", "allocation_exact"]
    chinese = _workbook(tmp_path, "--lang", "zh")
    assert chinese.sheetnames == ["机组", "重点排放单位", "合计", "按行业", "按省份", "按类别",
                                  "来源"]
    assert [c.value for c in chinese["机组"][1]] == [
        "机组编号", "重点排放单位编号", "行业", "省份", "配额量（吨二氧化碳）",
        "配额量精确值（吨二氧化碳）"]
    assert [c.value for c in chinese["合计"][1]] == ["行业", "配额量（吨二氧化碳）"]
    for book, sheet in ((english, "facilities"), (chinese, "重点排放单位")):
        cells = [row[0] for row in book[sheet].iter_rows(min_row=2)]
        assert [c.value for c in cells] == list(FORMULA_LIKE)
        assert {c.data_type for c in cells} == {"s"}
    units = chinese["机组"]
    assert [row[0].value for row in units.iter_rows(min_row=2)] == [
        f"{f}-K" for f in FORMULA_LIKE]


# ---- CSV for Excel (item 4) ------------------------------------------------------------


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(st.lists(st.text(st.sampled_from('ab,"\n\r 电力'), max_size=6), min_size=1,
                         max_size=3), min_size=1, max_size=5))
def test_csv_for_excel_has_a_bom_and_crlf_rows_and_the_same_cells(rows: list[list[str]]
                                                                   ) -> None:
    plain = csv_text(rows[0], rows[1:]).encode()
    excel = excel_csv(plain)
    assert excel.startswith(b"\xef\xbb\xbf")
    text = excel.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text, newline=""))) == list(
        csv.reader(io.StringIO(plain.decode(), newline="")))
    # outside quotes every line break is CRLF; inside, the cells' own are kept
    outside = "".join(text.split('"')[::2])
    assert "\n" not in outside.replace("\r\n", "")


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8").splitlines(keepends=True)


@pytest.mark.parametrize("command", [
    ["allocate", str(ROOT / "samples" / "units_2017.csv"), "--year", "2017"],
    ["allocate", str(ROOT / "samples" / "units_2017.csv"), "--year", "2017", "--batch"],
    ["diff", str(ROOT / "rules" / "power.rule"), str(ROOT / "rules" / "power-2019.rule"),
     "--data", str(ROOT / "samples" / "units_2019.csv")],
])
def test_excel_writes_the_csv_report_with_a_bom_and_crlf(tmp_path: Path,
                                                         command: list[str]) -> None:
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    assert main([*command, "--format", "csv", "--out", str(plain)]) == 0
    assert main([*command, "--format", "csv", "--out", str(excel), "--excel"]) == 0
    data = excel.read_bytes()
    assert data[:3] == b"\xef\xbb\xbf"
    assert _lines(data[3:]) == [line.replace("\n", "\r\n") for line in
                                _lines(plain.read_bytes())]


def test_excel_goes_with_csv_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                  ) -> None:
    out = tmp_path / "out.txt"  # (with --format json the error is JSON, in English)
    assert main(["--lang", "zh", "allocate", str(ROOT / "samples" / "units_2017.csv"),
                 "--year", "2017", "--format", "table", "--excel", "--out", str(out)]) == 1
    assert "--excel 须与 --format csv 同用" in capsys.readouterr().err
    assert not out.exists()
    ledger = tmp_path / "ledger.sqlite"  # refused before anything is issued
    assert main(["preallocate", str(ROOT / "samples" / "units_2015.csv"), "--year", "2017",
                 "--ledger", str(ledger), "--excel"]) == 1
    assert not ledger.exists()


# ---- labels beside codes (item 2) --------------------------------------------------------


@pytest.mark.parametrize(("lang", "power", "cement"), [("en", "power 电力", "cement 水泥"),
                                                       ("zh", "电力 power", "水泥 cement")])
@pytest.mark.parametrize("batch", [[], ["--batch"]])
def test_tables_show_each_sector_with_its_label_and_stay_aligned(
        capsys: pytest.CaptureFixture[str], lang: str, power: str, cement: str,
        batch: list[str]) -> None:
    assert main(["--lang", lang, "allocate", str(ROOT / "samples" / "units_2017.csv"),
                 "--year", "2017", *batch]) == 0
    summary = capsys.readouterr().out.rstrip("\n").split("\n\n")[-1].splitlines()
    assert [line.split("  ")[0].strip() for line in summary[2:]] == [
        "aluminium 电解铝" if lang == "en" else "电解铝 aluminium", cement, power,
        "all" if lang == "en" else "合计"]
    # the last column is right-aligned: every line of the table ends in the same column
    assert len({display_width(line) for line in summary}) == 1


def test_json_and_csv_keep_the_codes(capsys: pytest.CaptureFixture[str]) -> None:
    for fmt in ("json", "csv"):
        assert main(["--lang", "zh", "allocate", str(ROOT / "samples" / "units_2017.csv"),
                     "--year", "2017", "--format", fmt]) == 0
        out = capsys.readouterr().out
        assert "power" in out and "电力" not in out


@pytest.mark.parametrize(("lang", "category", "cooling"), [
    ("en", "category (机组类别) = cfb_300_plus 循环流化床/IGCC 300MW 及以上机组",
     "cooling (冷却方式) = water 水冷"),
    ("zh", "category (机组类别) = 循环流化床/IGCC 300MW 及以上机组 cfb_300_plus",
     "cooling (冷却方式) = 水冷 water")])
def test_an_explanation_shows_each_code_with_its_label_and_its_json_the_code(
        capsys: pytest.CaptureFixture[str], lang: str, category: str, cooling: str) -> None:
    args = ["--lang", lang, "explain", str(ROOT / "samples" / "units_2017.csv"), "--year",
            "2017", "--unit", "U-000001"]
    assert main(args) == 0
    lines = [line.strip() for line in capsys.readouterr().out.splitlines()]
    assert category in lines and cooling in lines
    assert main([*args, "--format", "json"]) == 0
    text = capsys.readouterr().out
    assert '"value": "cfb_300_plus"' in text and "水冷" not in text


SAMPLE_2017 = ROOT / "samples" / "units_2017.csv"
with open(SAMPLE_2017, newline="", encoding="utf-8") as _handle:
    ROWS_2017 = list(csv.DictReader(_handle))[:40]  # power, cement and aluminium units
WANT_2017 = peie.allocate(peie.read_data(ROWS_2017), 2017)  # the same rows, coded


@settings(max_examples=8, derandomize=True, deadline=None)
@given(st.lists(st.booleans(), min_size=len(ROWS_2017[0]), max_size=len(ROWS_2017[0])),
       st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(0, 6)),
                min_size=len(ROWS_2017), max_size=len(ROWS_2017)))
def test_any_mix_of_codes_and_chinese_labels_allocates_as_the_codes(
        chinese_header: list[bool], cells: list[tuple[bool, bool, int]]) -> None:
    """Each header, and each row's sector and enum cells, by its code or its Chinese
    label at random, and its province in any of its seven spellings."""
    chinese = _chinese_rows(ROWS_2017, 2017)
    header = [c if pick else n for c, n, pick in zip(chinese[0], ROWS_2017[0], chinese_header,
                                                   strict=True)]
    rows = []
    for row, labels, (sector_in_chinese, enums_in_chinese, spelling) in zip(
            ROWS_2017, chinese[1:], cells, strict=True):
        province = next(p for p in PROVINCES if p.name == row["province"])
        mixed = [labels[i] if (name == "sector" and sector_in_chinese)
                 or (name not in CHINESE_COLUMNS and enums_in_chinese) else value
                 for i, (name, value) in enumerate(row.items())]
        mixed[3] = province.spellings[spelling]
        rows.append(mixed)
    got = peie.allocate(peie.read_data([dict(zip(header, r, strict=True)) for r in rows]),
                        2017)
    assert got.facilities == WANT_2017.facilities
    assert [(u.unit_id, u.allocation) for u in got.units] == \
        [(u.unit_id, u.allocation) for u in WANT_2017.units]
