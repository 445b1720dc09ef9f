"""The exact path's records read by columns (large CSV files) equal those of the
per-record reader, and the errors are the same."""

from __future__ import annotations

import csv
import itertools
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from registry_cells import registry_csv

from bench.synth import generate_units, write_csv
from peie import api, report
from peie.data.columns import read_columns, unit_records
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.data.nothing import NOTHING
from peie.data.readers import read_table
from peie.data.records import validate_table
from peie.errors import DataError
from peie.impact import impact
from peie.ruleset import load_rules

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()


def both(path: Path) -> tuple[Any, Any]:
    """(records or problems) by columns, then by rows."""
    def run(read: Any) -> Any:
        try:
            return read()
        except DataError as error:
            return error.problems
    return (run(lambda: unit_records(read_columns(path), RULES.for_year(2017))),
            run(lambda: validate_table(read_table(path), RULES.for_year(2017))))


@pytest.mark.parametrize("sample", ["units_2015.csv", "units_2017.csv"])
def test_samples_give_the_same_records(sample: str) -> None:
    by_columns, by_rows = both(ROOT / "samples" / sample)
    assert isinstance(by_columns, list) and by_columns == by_rows


def test_a_synthetic_country_gives_the_same_records(tmp_path: Path) -> None:
    rows = generate_units(3000, seed=11)
    for row in rows[::7]:
        if row["sector"] == "cement":
            row["coprocessed_waste_t"] = ""  # the rule's default fills it
    write_csv(tmp_path / "units.csv", rows)
    by_columns, by_rows = both(tmp_path / "units.csv")
    assert isinstance(by_columns, list) and by_columns == by_rows
    assert any(r.defaulted for r in by_columns)


SAMPLE = (ROOT / "samples" / "units_2017.csv").read_text(encoding="utf-8").splitlines()
SAMPLE_CELLS = list(csv.reader(SAMPLE))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["", "   ", ",,,,,,,,,,,,,,,", '"F-1,x"', SAMPLE[0],
                                 SAMPLE[3].replace("power", "powr"), SAMPLE[4] + ",",
                                 SAMPLE[5].replace(",", ", ", 3), SAMPLE[6].replace(",", "\t,", 2),
                                 SAMPLE[7].replace(",", "\x1f,", 2),
                                 SAMPLE[8].replace(",", "\u3000,", 5), SAMPLE[9] + "\r"]),
                max_size=3),
       st.integers(1, len(SAMPLE)), st.sampled_from(["\n", "\r\n"]))
def test_damaged_files_give_the_same_records_or_errors(
        tmp_path_factory: pytest.TempPathFactory, inserted: list[str], at: int,
        newline: str) -> None:
    """Blank lines, rows of empty cells, quoted cells, a repeated header, bad rows, cells
    with white space around them (ASCII, U+001F, U+3000), a bare carriage return: the row
    numbers and messages are the exact reader's."""
    lines = SAMPLE[:at] + inserted + SAMPLE[at:]
    path = tmp_path_factory.mktemp("data") / "units.csv"
    path.write_bytes(newline.join(lines).encode("utf-8"))
    by_columns, by_rows = both(path)
    assert by_columns == by_rows


@pytest.mark.parametrize("header", ["facility_id,facility_id", "facility_id,,unit_id",
                                    '"facility_id",unit_id'])
def test_headers_the_exact_reader_words_are_read_by_it(tmp_path: Path, header: str) -> None:
    path = tmp_path / "units.csv"
    path.write_text(header + "\nF-1,U-1,x\n", encoding="utf-8")
    by_columns, by_rows = both(path)
    assert by_columns == by_rows


def test_prepare_reads_large_csv_files_by_columns(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "units.csv"
    write_csv(path, generate_units(200, seed=5))
    by_rows = api.allocate(path, 2017)
    monkeypatch.setattr(api, "COLUMNAR_BYTES", 0)
    by_columns = api.allocate(path, 2017)
    assert by_columns.facilities == by_rows.facilities
    assert [u.record for u in by_columns.units] == [u.record for u in by_rows.units]
    assert by_columns.data_sha256 == by_rows.data_sha256


json_scalars = st.one_of(st.text(), st.integers(), st.booleans(), st.none(),
                         st.floats(allow_nan=False), st.lists(st.integers(), max_size=2))


@given(st.lists(st.fixed_dictionaries({"a": json_scalars, "b": st.text()}), min_size=1)
       | st.lists(st.dictionaries(st.text(max_size=3), json_scalars, max_size=3), min_size=1))
def test_record_lists_are_written_as_json_dumps_writes_each_record(
        records: list[dict[str, Any]]) -> None:
    text = report.json_text({"units": records})
    expected = "{\n  \"units\": [\n" + ",\n".join(
        "    " + json.dumps(r, ensure_ascii=False) for r in records) + "\n  ]\n}\n"
    assert text == expected
    assert json.loads(text)["units"] == records


@pytest.mark.parametrize("space", [" ", "\t", "\x1f", "\xa0", "\u3000"])
def test_cells_of_valid_rows_are_stripped_as_the_exact_reader_strips_them(
        tmp_path: Path, space: str) -> None:
    lines = list(SAMPLE)
    lines[3] = lines[3].replace(",", space + ",", 2)  # facility and unit id
    lines[4] = space + lines[4].replace(",", "," + space, 1)  # the same, before
    path = tmp_path / "units.csv"
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    by_columns, by_rows = both(path)
    assert isinstance(by_columns, list) and by_columns == by_rows



def _country_2018() -> list[str]:
    """Lines of a small CSV of every sector, 2018 output (what the 2019-2020 plan reads)."""
    rows = generate_units(240, seed=5, year=2018)
    header = list(rows[0])
    return [",".join(header)] + [",".join(r[n] for n in header) for r in rows]


COUNTRY_2018 = _country_2018()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, len(COUNTRY_2018)),
                          st.sampled_from(["", ",,,,", "heat_ratio=1.7", "load_factor=2",
                                           "pure_condensing=", "cooling= water "])),
                max_size=3))
def test_an_impact_read_by_columns_is_the_impact_read_by_records(
        tmp_path_factory: pytest.TempPathFactory, damage: list[tuple[int, str]]) -> None:
    """diff --data on a large CSV reads it by columns and takes the sector's rows with
    their line numbers: the same impact, or the same problems at the same rows."""
    header = COUNTRY_2018[0].split(",")
    lines = list(COUNTRY_2018)
    for at, change in damage:
        if "=" in change:
            name, value = change.split("=")
            cells = lines[at].split(",") if at < len(lines) else []
            if len(cells) == len(header):
                cells[header.index(name)] = value
                lines[at] = ",".join(cells)
        else:
            lines.insert(at, change)
    path = tmp_path_factory.mktemp("data") / "units.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    old, new = RULES.in_force(2017)["power"], RULES.in_force(2019)["power"]

    def run(data: Any) -> Any:
        try:
            result = impact(old, new, data, NO_LOCAL_FACTORS, RULES.rules)
        except DataError as error:
            return error.problems
        return (result.facilities, [s.title for s in result.steps], result.other_units,
                result.data_sha256)
    by_columns = run(read_columns(path))
    assert by_columns == run(read_table(path))


def test_the_rows_of_one_sector_keep_their_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text("\n".join(COUNTRY_2018) + "\n", encoding="utf-8")
    cement = RULES.for_year(2017).only(["cement"])
    by_columns = unit_records(read_columns(path).of_sector("cement"), cement)
    table = read_table(path)
    rows = tuple(r for r in table.rows if r.cells["sector"] == "cement")
    assert by_columns == validate_table(replace(table, rows=rows), cement)
    assert [r.row for r in by_columns] != list(range(2, len(rows) + 2))  # not the first lines


@settings(max_examples=150, deadline=None)
@given(registry_csv())
def test_cells_as_registries_write_them_give_the_same_records_or_errors(
        tmp_path_factory: pytest.TempPathFactory, raw: bytes) -> None:
    """Numbers (decimal commas, full-width digits, other scripts, dashes), spellings of
    nothing with white space around them, codes and labels: the columnar reader and the
    exact reader give the same records, or the same problems at the same rows."""
    path = tmp_path_factory.mktemp("data") / "units.csv"
    path.write_bytes(raw)
    by_columns, by_rows = both(path)
    assert by_columns == by_rows


def test_every_format_reads_the_spellings_of_nothing_as_empty(tmp_path: Path) -> None:
    """CSV (by rows and by columns), JSON, YAML and XLSX: each spelling of nothing, with
    white space around it or without, is an empty cell; JSON's NaN too."""
    import yaml
    from openpyxl import Workbook

    header, lines = SAMPLE_CELLS[0], SAMPLE_CELLS[1:9]
    spellings = itertools.cycle([*NOTHING, " N/A ", "\u3000无", "\tNULL"])
    rows = [{n: (c or next(spellings)) for n, c in zip(header, line, strict=True)}
            for line in lines]
    assert {c for row in rows for c in row.values()} >= set(NOTHING) - {""}
    write_csv(tmp_path / "units.csv", rows)
    json_rows = [dict(row, verified_emissions_t=float("nan")) if i == 0 else row
                 for i, row in enumerate(rows)]
    (tmp_path / "units.json").write_text(json.dumps(json_rows, ensure_ascii=False),
                                         encoding="utf-8")
    (tmp_path / "units.yaml").write_text(yaml.safe_dump(rows, allow_unicode=True),
                                         encoding="utf-8")
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(list(row.values()))
    book.save(tmp_path / "units.xlsx")
    rules = RULES.for_year(2017)
    want = [r._replace(row=0) for r in validate_table(read_table(
        ROOT / "samples" / "units_2017.csv"), rules)[:len(lines)]]
    want[0] = want[0]._replace(accounting={})  # the NaN of the JSON file's first record
    read = {suffix: validate_table(read_table(tmp_path / f"units{suffix}"), rules)
            for suffix in (".csv", ".json", ".yaml", ".xlsx")}
    read["columns"] = unit_records(read_columns(tmp_path / "units.csv"), rules)
    for suffix, records in read.items():
        got = [r._replace(row=0) for r in records]
        if suffix != ".json":
            got[0] = got[0]._replace(accounting={})
        assert got == want, suffix
