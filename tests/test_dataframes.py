"""Data from the tools people use, given to the Python API in memory: pandas DataFrames
(NaN, None, pd.NA and NaT are nothing; numpy scalars are their values; a float is the
decimal its repr shows) and Arrow tables (read by columns, on both paths alike)."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import peie
from peie import api

BENCHMARK = Decimal("0.8534")  # rules/cement.rule: clinker_benchmark, tCO2/t


def cement(clinker: list[object], waste: list[object]) -> pd.DataFrame:
    n = len(clinker)
    return pd.DataFrame({"facility_id": [f"F-{i}" for i in range(n)],
                         "unit_id": [f"L-{i}" for i in range(n)],
                         "sector": ["cement"] * n, "province": ["jiangsu"] * n,
                         "clinker_t": pd.Series(clinker, dtype=object),
                         "coprocessed_waste_t": pd.Series(waste, dtype=object)})


def test_nan_none_na_and_nat_are_nothing_so_the_default_applies() -> None:
    frame = cement([1000000] * 4, [math.nan, None, pd.NA, pd.NaT])
    result = peie.allocate(frame, 2017)
    # coprocessed_waste_t defaults to 0 t: no uplift, 1,000,000 t x 0.8534 each.
    assert [u.allocation for u in result.units] == [Decimal("853400")] * 4
    assert all(u.record.defaulted == {"coprocessed_waste_t"} for u in result.units)


def test_nan_in_a_required_column_is_reported_never_a_number() -> None:
    frame = cement([1000000, math.nan], [0, 0])
    with pytest.raises(peie.DataError) as raised:
        peie.allocate(frame, 2017)
    [problem] = raised.value.problems
    assert (problem.row, problem.field, problem.unit_id) == (2, "clinker_t", "L-1")
    assert "required" in problem.message


def test_numpy_scalars_are_their_values() -> None:
    frame = cement([np.int64(1000000), np.float64(2000000.5), np.int32(1000000)],
                   [np.int64(40000), np.float32(60000.0), np.uint16(0)])
    amounts = [u.allocation for u in peie.allocate(frame, 2017).units]
    # 40,000 t of waste: +1 %; 60,000 t: +2 % (the cement rule's brackets).
    assert amounts == [Decimal("1000000") * BENCHMARK * Decimal("1.01"),
                       Decimal("2000000.5") * BENCHMARK * Decimal("1.02"),
                       Decimal("1000000") * BENCHMARK]


def test_a_float_is_the_decimal_its_repr_shows() -> None:
    frame = pd.DataFrame({"x": [0.1, 1e-7, 2.5e20], "y": pd.array([0.1, 0.3, 7.0],
                                                                   dtype="float32"),
                          "b": [np.bool_(True), False, True],
                          "d": [Decimal("0.10"), Decimal("1E+3"), None]})
    cells = [r.cells for r in peie.read_data(frame).rows]
    assert [c["x"] for c in cells] == ["0.1", "0.0000001", "250000000000000000000"]
    assert [c["y"] for c in cells] == ["0.1", "0.3", "7.0"]  # not 0.10000000149011612
    assert [c["b"] for c in cells] == ["true", "false", "true"]
    assert [c["d"] for c in cells] == ["0.10", "1000", None]


def test_a_nullable_integer_column_and_its_na() -> None:
    frame = cement([1000000, 1000000], [0, 0])
    frame["coprocessed_waste_t"] = pd.array([50000, None], dtype="Int64")
    units = peie.allocate(frame, 2017).units
    assert [u.allocation for u in units] == [Decimal("1000000") * BENCHMARK * Decimal("1.02"),
                                             Decimal("1000000") * BENCHMARK]


def test_a_column_name_given_twice_is_refused() -> None:
    frame = cement([1000000], [0])
    frame.columns = ["facility_id", "unit_id", "sector", "province", "clinker_t", "clinker_t"]
    with pytest.raises(peie.DataError, match="'clinker_t' appears twice"):
        peie.read_data(frame)
    table = pa.table({"a": [1], "b": [2]}).rename_columns(["unit_id", "unit_id"])
    with pytest.raises(peie.DataError, match="'unit_id' appears twice"):
        peie.read_data(table)


def test_an_arrow_table_gives_what_the_same_records_give() -> None:
    frame = cement([1000000.25, 2000000, 30000], [None, 45000, 120000])
    frame["coprocessed_waste_t"] = pd.array([None, 45000, 120000], dtype="Int64")
    frame["clinker_t"] = frame["clinker_t"].astype("float64")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    assert pa.types.is_floating(table.schema.field("clinker_t").type)
    from_frame, from_arrow = peie.allocate(frame, 2017), peie.allocate(table, 2017)
    assert [u.allocation for u in from_arrow.units] == [u.allocation for u in from_frame.units]
    assert [u.allocation for u in from_arrow.units] == [
        Decimal("1000000.25") * BENCHMARK, Decimal("2000000") * BENCHMARK * Decimal("1.01"),
        Decimal("30000") * BENCHMARK * Decimal("1.03")]
    assert [r.number for r in peie.read_data(table).rows] == [1, 2, 3]


def test_exact_and_batch_agree_on_an_arrow_table_and_a_dataframe() -> None:
    frame = cement([1000000.7, 2000000.5, 999999.5, 1234567.891],
                   [0, 35000, None, 100000])
    frame["facility_id"] = ["F-1", "F-1", "F-2", "F-3"]
    table = pa.Table.from_pandas(frame.astype({"clinker_t": "float64"}), preserve_index=False)
    for data in (frame, table):
        exact = peie.allocate(data, 2017)
        batch = api.allocate_batch(data, 2017).result
        by_id = dict(zip(batch.facility_ids, batch.facility_allocation.tolist(), strict=True))
        assert by_id == {f.facility_id: f.allocation for f in exact.facilities}
        assert batch.data_sha256 == exact.data_sha256


def test_bad_arrow_cells_are_reported_by_record_and_field() -> None:
    table = pa.table({"facility_id": ["F-1", "F-2"], "unit_id": ["L-1", "L-2"],
                      "sector": ["cement", "cement"], "province": ["jiangsu", "jiangsu"],
                      "clinker_t": [1000000.0, math.inf]})
    for run in (lambda: peie.allocate(table, 2017), lambda: api.allocate_batch(table, 2017)):
        with pytest.raises(peie.DataError) as raised:
            run()
        [problem] = raised.value.problems
        assert (problem.row, problem.field) == (2, "clinker_t")


CELLS = st.one_of(st.none(), st.just(math.nan), st.integers(-10**12, 10**12),
                  st.floats(allow_nan=True, allow_infinity=False, width=64),
                  st.sampled_from(["", " 5 ", "N/A", "无", "text", "NaN"]))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(CELLS, st.booleans()), min_size=1, max_size=8))
def test_arrow_columns_read_cells_as_the_records_reader(cells) -> None:  # type: ignore[no-untyped-def]
    """Whatever Arrow type a column has (text, integer, float, boolean), its cells are the
    exact reader's reading of the same values."""
    values = [c for c, _ in cells]
    flags = [f for _, f in cells]
    records = [{"v": v, "f": f} for v, f in zip(values, flags, strict=True)]
    columns = {"f": pa.array(flags)}
    kinds = {type(v) for v in values if v is not None}
    if kinds <= {int}:
        columns["v"] = pa.array(values, pa.int64())
    elif kinds <= {int, float}:
        columns["v"] = pa.array([None if v is None else float(v) for v in values])
        records = [{"v": None if v is None else float(v), "f": f}  # as Arrow holds them
                   for v, f in zip(values, flags, strict=True)]
    else:
        columns["v"] = pa.array([None if v is None else str(v) for v in values])
        records = [{"v": None if v is None else str(v), "f": f}
                   for v, f in zip(values, flags, strict=True)]
    from_arrow = peie.read_data(pa.table(columns))
    from_records = peie.read_data(records)
    assert [r.cells for r in from_arrow.rows] == [
        {"f": r.cells["f"], "v": r.cells["v"]} for r in from_records.rows]


def test_an_object_whose_to_dict_gives_no_records_is_refused_by_name() -> None:
    with pytest.raises(peie.UsageError, match="cannot read data from a Series"):
        peie.read_data(pd.Series([1, 2]))


def test_an_arrow_table_named_like_a_file_is_read_from_itself(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "units.csv").write_text("unit_id\nfrom-the-file\n", encoding="utf-8")
    table = pa.table({"unit_id": ["from-the-table"]})
    assert [r.cells for r in peie.read_data(table, "units.csv").rows] == [
        {"unit_id": "from-the-table"}]
