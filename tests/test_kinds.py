"""The input-kind codec: each kind reads a cell, judges it and hands it to the batch path
the same way on every path."""

from __future__ import annotations

import csv
import json
import math
import random
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

import peie
from peie.batch.evaluate import batch_allocate
from peie.data.columns import columns_from_table, read_columns
from peie.data.kinds import Code, Kind, Number, YesNo, field_kinds, kind_of, read_number
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.data.readers import Row, Table
from peie.dsl.model import BoolType, Input, Range
from peie.errors import DataError
from peie.ruleset import load_rules

KINDS: list[Kind] = [
    Number(None),
    Number(Range(Decimal(0), True, Decimal(1), False)),
    Number(Range(Decimal("-2.5"), False, None, False)),
    Code(("water", "air")),
    YesNo(),
]
cells = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
    st.sampled_from(["water", "air", "Air", " water", "1,000", "1e3", "-0", "inf", "nan",
                     "0x10", "１２", "abc", "1.", ".5", "1,5", "－５", "٣", "1²", "1_000",
                     "+.5e-3", "Infinity", "yes", "No", "TRUE", "是", "0", "y"]),
    st.text(alphabet="0123456789+-.eE,_ xinfaINFA\u0663\uff11\uff0e", max_size=8),
    st.text(max_size=6),
)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
@given(text=cells)
def test_the_fast_check_agrees_with_the_schema(kind: Kind, text: str) -> None:
    value = kind.value(text)
    assert kind.accepts(value) == Draft202012Validator(kind.schema()).is_valid(value)


@pytest.mark.parametrize("kind", KINDS, ids=repr)
@given(texts=st.lists(cells, min_size=1, max_size=8))
def test_the_column_check_never_passes_what_the_record_check_refuses(
        kind: Kind, texts: list[str]) -> None:
    """A cell not doubtful by columns is accepted by records, read to the same value."""
    cleaned = [t.strip() or None for t in texts]
    columns = columns_from_table(Table("t.csv", "0", ("x",),
                                       tuple(Row(i + 2, {"x": t}) for i, t in
                                             enumerate(cleaned))))
    doubtful = kind.doubtful(columns, "x")
    certain = [t for t, d in zip(cleaned, doubtful.tolist(), strict=True)
               if t is not None and not d]
    for text, read in zip(certain, kind.read_valid(certain), strict=True):
        assert kind.accepts(kind.value(text))
        assert read == kind.value(text)


def test_the_batch_path_reads_numbers_as_floats_and_codes_as_indices() -> None:
    columns = columns_from_table(Table("t.csv", "0", ("n", "c"), (
        Row(2, {"n": "1.5", "c": "air"}), Row(3, {"n": None, "c": "coal"}),
        Row(4, {"n": "x", "c": None}))))
    numbers = Number(None).vector(columns, "n")
    assert numbers[0] == 1.5 and np.isnan(numbers[1:]).all()
    assert Code(("water", "air")).vector(columns, "c").tolist() == [1, -1, -1]
    assert not Number(None).coded and Code(("a",)).coded


def test_a_value_of_the_wrong_kind_is_worded_by_its_kind() -> None:
    assert Number(None).mismatch("abc") == "must be a number, got 'abc'"
    assert Code(("water", "air")).mismatch("watr") == ("'watr' is not one of water, air "
                                                       "(did you mean 'water'?)")


def test_every_input_of_the_bundled_rules_has_a_kind_and_the_schema_is_the_kinds() -> None:
    from peie.data.records import record_schema

    for rule in load_rules().rules:
        kinds: dict[str, Any] = dict(field_kinds(rule))
        assert set(rule.inputs) <= set(kinds)
        properties = record_schema(rule)["properties"]
        for name, kind in kinds.items():
            assert properties[name] == kind.schema()


def test_an_input_cannot_have_the_type_of_a_condition() -> None:
    rule = load_rules().rules[0]
    item = next(iter(rule.inputs.values()))
    with pytest.raises(AssertionError, match="type of a condition"):
        kind_of(Input(item.decl, BoolType(), None, None), rule)


SAMPLE_2019 = Path(__file__).resolve().parent.parent / "samples" / "units_2019.csv"
YES_SPELLINGS = ["yes", "Yes", "TRUE", "true", "y", "Y", "1", "是", " yes "]
NO_SPELLINGS = ["no", "No", "FALSE", "false", "n", "N", "0", "否"]


def _respelled(path: Path, seed: int) -> list[dict[str, str]]:
    chooser = random.Random(seed)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        spellings = YES_SPELLINGS if row["pure_condensing"] == "yes" else NO_SPELLINGS
        row["pure_condensing"] = chooser.choice(spellings)
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_yes_no_spellings_allocate_exactly_as_the_codes(tmp_path: Path, seed: int) -> None:
    """Contract 9, on the exact path and the batch path, in CSV and in JSON (where true
    and false may also be JSON booleans)."""
    expected = peie.allocate(SAMPLE_2019, 2019)
    rows = _respelled(SAMPLE_2019, seed)
    data = tmp_path / "units.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    as_json = tmp_path / "units.json"
    as_json.write_text(json.dumps([dict(r, pure_condensing={"1": True, "0": False}.get(
        r["pure_condensing"], r["pure_condensing"])) for r in rows], ensure_ascii=False),
        encoding="utf-8")
    wanted = {f.facility_id: f.allocation for f in expected.facilities}
    for path in (data, as_json):
        exact = peie.allocate(path, 2019)
        assert {f.facility_id: f.allocation for f in exact.facilities} == wanted
        assert {u.record.values["pure_condensing"] for u in exact.units} == {"yes", "no"}
    batch = batch_allocate(read_columns(data), load_rules().for_year(2019), NO_LOCAL_FACTORS)
    assert dict(zip(batch.facility_ids, batch.facility_allocation.tolist(),
                    strict=True)) == wanted


def test_a_yes_no_cell_that_is_neither_is_refused_with_its_place(tmp_path: Path) -> None:
    rows = _respelled(SAMPLE_2019, 0)
    rows[4]["pure_condensing"] = "maybe"
    data = tmp_path / "units.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    for run in (lambda: peie.allocate(data, 2019),
                lambda: batch_allocate(read_columns(data), load_rules().for_year(2019),
                                       NO_LOCAL_FACTORS)):
        with pytest.raises(DataError) as raised:
            run()
        (problem,) = raised.value.problems
        assert (problem.row, problem.unit_id, problem.field) == (6, rows[4]["unit_id"],
                                                              "pure_condensing")
        assert problem.message.startswith("'maybe' is not yes or no")


def test_the_schema_of_a_yes_no_input_is_its_two_codes() -> None:
    from peie.data.records import record_schema

    rule = load_rules().for_year(2019).by_sector["power"]
    assert isinstance(field_kinds(rule)["pure_condensing"], YesNo)
    assert record_schema(rule)["properties"]["pure_condensing"] == {"enum": ["yes", "no"]}


DASH = ("is not a number: Excel's accounting format shows zero as a dash, and tables also "
        "use a dash for nothing; write 0, or leave the cell empty")


@pytest.mark.parametrize(("text", "message"), [
    ("1,5", "'1,5' looks like a decimal comma: write 1.5"),
    ("-0,25", "'-0,25' looks like a decimal comma: write -0.25"),
    ("1,000", "'1,000' looks like a thousands separator: write 1000"),
    ("12,345,678.5", "'12,345,678.5' looks like a thousands separator: write 12345678.5"),
    ("1.000,5", "'1.000,5' looks like dots between thousands and a decimal comma: write "
                "1000.5"),
    ("1.000.000", "'1.000.000' looks like dots between thousands: write 1000000"),
    ("１，５", "'１，５' looks like a decimal comma: write 1.5"),
    ("1,2,3", "must be a number, got '1,2,3'"),
    ("1_000", "must be a number, got '1_000'"),
    ("NaN", "must be a number, got 'NaN'"),
    ("٣", "'٣' is not a number: write ASCII digits"),
    ("१२", "'१२' is not a number: write ASCII digits"),
    ("1²", "'1²' is not a number: write ASCII digits"),
    ("三", "'三' is not a number: write ASCII digits"),
    ("-", f"'-' {DASH}"),
    ("—", f"'—' {DASH}"),
    ("－", f"'－' {DASH}"),
])
def test_a_cell_that_is_not_a_number_is_refused_saying_what_it_looks_like(
        text: str, message: str) -> None:
    kind = Number(None)
    assert kind.value(text) == text and not kind.accepts(kind.value(text))
    assert kind.mismatch(text) == message
    assert math.isnan(Number.float_of(text))


@pytest.mark.parametrize(("text", "value"), [("１２３．５", "123.5"), ("－５", "-5"),
                                             ("＋１ｅ３", "1E+3"), ("1e3", "1000"),
                                             ("+.5", "0.5"), ("-0", "-0")])
def test_full_width_digits_and_signs_are_read_as_ascii(text: str, value: str) -> None:
    assert read_number(text) == Decimal(value)
    assert Number(None).value(text) == Decimal(value)
    assert Number.float_of(text) == float(value)
