"""Breakdowns by sector, province and category: exact, their groups adding up to the
report's total, and the same numbers in every format (`--by` table, JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bench import baseline
from peie.report import breakdown as bd

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "units_2017.csv"
HAND = """\
facility_id,unit_id,sector,province,clinker_t,coprocessed_waste_t,molten_aluminium_t,verified_emissions_t
F1,U1,cement,hebei,1000,0,,900
F2,U2,cement,jiangsu,2000,0,,1500.5
F3,U3,aluminium,hebei,,,100,1000
"""
# By hand: cement 1000 t x 0.8534 = 853.4 -> 853, 2000 t x 0.8534 = 1706.8 -> 1707;
# aluminium 100 t x 9.1132 = 911.32 -> 911. Balances 853 - 900 = -47, 1707 - 1500.5 =
# 206.5, 911 - 1000 = -89.


def _hand(tmp_path: Path) -> str:
    path = tmp_path / "hand.csv"
    path.write_text(HAND, encoding="utf-8")
    return str(path)


def test_a_position_by_province_is_summed_by_hand(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("position", _hand(tmp_path), "--year", "2017", "--by", "province",
                           "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    assert document["by"] == "province"
    # A balance is the allocation less the obligation, whole tonnes: the 2017 draft owes
    # the verified emissions, rounded half up (1500.5 -> 1501).
    assert document["groups"] == [
        {"province": "hebei", "facilities": 2, "units": 2, "allocation": 853 + 911,
         "emissions": "1900", "balance": 1764 - 1900, "short": 2},
        {"province": "jiangsu", "facilities": 1, "units": 1, "allocation": 1707,
         "emissions": "1500.5", "balance": 1707 - 1501, "short": 0}]
    assert document["total"] == {"province": "all", "facilities": 3, "units": 3,
                                 "allocation": 3471, "emissions": "3400.5",
                                 "balance": 3471 - 3401, "short": 2}
    assert set(document["rules"]) == {"aluminium", "cement", "power"}  # the provenance head


def test_cement_and_aluminium_have_no_category(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("allocate", _hand(tmp_path), "--year", "2017", "--by", "category",
                           "--format", "csv")
    assert status == 0, err
    assert list(csv.reader(io.StringIO(out))) == [
        ["category", "facilities", "units", "allocation"],
        [bd.NONE, "3", "3", "3471"], ["all", "3", "3", "3471"]]


def test_the_sample_by_province_matches_the_independent_baseline(cli) -> None:  # type: ignore[no-untyped-def]
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    facilities = baseline.facility_allocations(rows, baseline.unit_allocations(rows, {}))
    province = {r["facility_id"]: r["province"] for r in rows}
    expected: dict[str, int] = {}
    for facility, tonnes in facilities.items():
        expected[province[facility]] = expected.get(province[facility], 0) + tonnes
    status, out, err = cli("allocate", str(SAMPLE), "--year", "2017", "--by", "province",
                           "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    assert {g["province"]: g["allocation"] for g in document["groups"]} == expected
    assert document["total"]["allocation"] == sum(facilities.values())
    assert document["total"]["units"] == len(rows)


def test_the_table_shows_the_groups_and_the_total(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("allocate", _hand(tmp_path), "--year", "2017", "--by", "sector")
    assert status == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["sector", "facilities", "units", "allocation"]
    assert lines[2].split() == ["aluminium", "1", "1", "911"]
    assert lines[3].split() == ["cement", "2", "2", "2,560"]
    assert lines[-1].split() == ["total", "3", "3", "3,471"]


def test_by_is_refused_where_it_does_not_fit(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    data = _hand(tmp_path)
    for argv in (("allocate", data, "--year", "2017", "--by", "sector", "--batch"),
                 ("allocate", data, "--year", "2017", "--by", "sector", "--format", "html"),
                 ("position", data, "--year", "2017", "--format", "csv"),
                 ("diff", str(ROOT / "rules" / "power.rule"), str(ROOT / "rules" / "power.rule"),
                  "--by", "sector")):
        status, out, err = cli(*argv)
        assert status == 1 and out == "" and "--by" in err, (argv, err)
        assert "Traceback" not in err


def test_impact_by_category_adds_up_to_the_impact(cli) -> None:  # type: ignore[no-untyped-def]
    rules = ROOT / "rules"
    argv = ("diff", str(rules / "power-2021.rule"), str(rules / "power-2022.rule"), "--data",
            str(ROOT / "samples" / "units_2019.csv"), "--format", "json")
    status, out, err = cli(*argv)
    assert status == 0, err
    impact = json.loads(out)
    status, out, err = cli(*argv, "--by", "category")
    assert status == 0, err
    document = json.loads(out)
    assert document["total"]["old"] == impact["totals"]["old"]
    assert document["total"]["change"] == impact["totals"]["change"]
    assert sum(g["change"] for g in document["groups"]) == impact["totals"]["change"]
    # A facility whose units are of several categories is grouped as such, not split.
    assert document["groups"][-1]["category"] == bd.MIXED


def test_key_of_a_part() -> None:
    assert bd.key_of(["hebei", "hebei"]) == "hebei"
    assert bd.key_of(["hebei", "jiangsu"]) == bd.MIXED
    assert bd.key_of([None, None]) == bd.NONE
    assert bd.key_of([]) == bd.NONE


_keys = st.sampled_from(["a", "b", "c"])
_decimals = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=9,
                        allow_nan=False, allow_infinity=False)
_parts = st.lists(st.builds(
    lambda facility, keys, units, whole, exact: bd.Part(
        facility, dict(zip(bd.DIMENSIONS, keys, strict=True)), units,
        {"whole": whole, "exact": exact}),
    st.sampled_from(["F1", "F2", "F3", "F4"]),
    st.tuples(_keys, st.one_of(_keys, st.just(bd.MIXED)), st.one_of(_keys, st.just(bd.NONE))),
    st.integers(1, 50), st.integers(-10**15, 10**15), _decimals), max_size=30)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(_parts)
def test_groups_add_up_to_the_total_exactly(parts: list[bd.Part]) -> None:
    for dimension in bd.DIMENSIONS:
        breakdown = bd.group(parts, dimension, ("whole", "exact"))
        for measure in ("whole", "exact"):
            exact = sum((Fraction(p.amounts[measure]) for p in parts), Fraction(0))
            assert Fraction(breakdown.total.amounts[measure]) == exact
            assert sum((Fraction(g.amounts[measure]) for g in breakdown.groups),
                       Fraction(0)) == exact
        assert isinstance(breakdown.total.amounts["whole"], int)
        assert sum(g.units for g in breakdown.groups) == breakdown.total.units
        assert breakdown.total.facilities == len({p.facility_id for p in parts})
        assert [g.key for g in breakdown.groups] == sorted(
            {p.keys[dimension] for p in parts}, key=lambda k: (k in (bd.MIXED, bd.NONE), k))
