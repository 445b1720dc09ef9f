"""Facilities that span sectors (domain contract 8): each sector's plan allocates to the
facility separately, rounded by that sector's rule; the facility's total is the sum of
those whole amounts. The exact path, the batch path and the reports agree."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peie
from bench.synth import generate_units
from peie.api import read_data
from peie.batch.evaluate import batch_allocate
from peie.cli import main
from peie.data.columns import columns_from_table
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.ruleset import load_rules

RULES = load_rules()
SMELTER = [  # a cement line and an aluminium plant of one facility, and another facility
    {"facility_id": "F-1", "unit_id": "K-1", "sector": "cement", "province": "hebei",
     "clinker_t": "1000"},
    {"facility_id": "F-1", "unit_id": "A-1", "sector": "aluminium", "province": "hebei",
     "molten_aluminium_t": "100"},
    {"facility_id": "F-2", "unit_id": "K-2", "sector": "cement", "province": "hebei",
     "clinker_t": "10"},
]


def test_a_facility_spanning_sectors_is_rounded_per_sector_and_summed() -> None:
    # By hand (rules/cement.rule, rules/aluminium.rule, 2017 draft, local factor 1):
    # cement 1000 t x 0.8534 tCO2/t = 853.4 -> 853; aluminium 100 t x 9.1132 tCO2/t =
    # 911.32 -> 911; the facility's total 853 + 911 = 1764 (rounding the exact sum
    # 1764.72 once would give 1765: contract 8 rounds each sector's amount).
    result = peie.allocate(read_data(SMELTER), 2017)
    smelter = result.facility("F-1")
    assert smelter is not None
    assert (smelter.allocation, smelter.sectors, smelter.sector) == (
        1764, {"cement": 853, "aluminium": 911}, "cement+aluminium")
    assert [(f.facility_id, f.sector, f.allocation) for f in result.facilities] == [
        ("F-1", "cement", 853), ("F-1", "aluminium", 911), ("F-2", "cement", 9)]
    assert result.totals() == {"aluminium": 911, "cement": 862, "power": 0, "all": 1773}


def test_the_json_entry_of_a_spanning_facility_has_its_sectors(tmp_path: Path,
                                                                capsys: Any) -> None:
    data = tmp_path / "smelter.csv"
    header = ["facility_id", "unit_id", "sector", "province", "clinker_t",
              "molten_aluminium_t"]
    data.write_text("\n".join([",".join(header)] + [
        ",".join(row.get(name, "") for name in header) for row in SMELTER]) + "\n",
        encoding="utf-8")
    documents = []
    for batch in ([], ["--batch"]):
        assert main(["allocate", str(data), "--year", "2017", "--format", "json",
                     *batch]) == 0
        documents.append(json.loads(capsys.readouterr().out))
    for document in documents:
        assert document["facilities"] == [
            {"facility_id": "F-1", "allocation": 1764,
             "sectors": {"cement": 853, "aluminium": 911}},
            {"facility_id": "F-2", "allocation": 9}]
        assert document["totals"] == {"aluminium": 911, "cement": 862, "power": 0, "all": 1773}


def _spanning(units: list[dict[str, str]], seed: int) -> list[dict[str, str]]:
    """The units with some facilities merged, so that those span sectors."""
    facilities = sorted({u["facility_id"] for u in units})
    chooser = random.Random(seed)
    merged = {f: chooser.choice(facilities) if chooser.random() < 0.3 else f
              for f in facilities}
    return [dict(u, facility_id=merged[u["facility_id"]]) for u in units]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.integers(20, 200))
def test_exact_and_batch_agree_on_facilities_spanning_sectors(seed: int, size: int) -> None:
    units = _spanning(generate_units(size, seed=seed), seed)
    table = read_data(units)
    exact = peie.allocate(table, 2017)
    batch = batch_allocate(columns_from_table(table), RULES.for_year(2017), NO_LOCAL_FACTORS)
    by_facility = {f.facility_id: f for f in exact.by_facility}
    assert dict(zip(batch.facility_ids, batch.facility_allocation.tolist(), strict=True)) == {
        f: facility.allocation for f, facility in by_facility.items()}
    assert batch.totals() == exact.totals()
    assert batch.spanning() == {f: facility.sectors for f, facility in by_facility.items()
                                if len(facility.sectors) > 1}
    for facility in by_facility.values():  # the total is the sum of its sectors' amounts
        assert facility.allocation == sum(facility.sectors.values())
        assert len(facility.sectors) == len({u.record.sector for u in exact.units
                                             if u.record.facility_id == facility.facility_id})


def test_a_ledger_of_schema_1_is_migrated_intact(tmp_path: Path) -> None:
    """tests/fixtures/ledger-schema-1.sqlite was written by the release before facilities
    could span sectors (one issuance per facility): every row survives the move to one
    issuance per facility and sector, and the ledger goes on issuing."""
    import shutil
    import sqlite3

    from peie.api import ledger_entries
    from peie.issuance.ledger import SCHEMA_VERSION

    fixture = Path(__file__).resolve().parent / "fixtures" / "ledger-schema-1.sqlite"
    ledger = tmp_path / "ledger.sqlite"
    shutil.copyfile(fixture, ledger)
    query = ("SELECT run_id, facility_id, sector, amount, final, preallocation FROM issuances "
             "ORDER BY run_id, facility_id")
    with sqlite3.connect(ledger) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (1,)
        before = db.execute(query).fetchall()
        runs = db.execute("SELECT * FROM runs ORDER BY id").fetchall()
    view = ledger_entries(ledger)
    with sqlite3.connect(ledger) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert db.execute(query).fetchall() == before
        assert db.execute("SELECT * FROM runs ORDER BY id").fetchall() == runs
    assert len(view.entries) == len(before) > 0


def test_preallocation_and_trueup_per_sector_of_a_spanning_facility(tmp_path: Path) -> None:
    from peie.api import ledger_entries, preallocate, trueup

    ledger = tmp_path / "ledger.sqlite"
    pre = preallocate(read_data(SMELTER), 2017, ledger=ledger)
    # By hand: 50 % of the base-year amounts (same data): cement 853.4 x 0.5 = 426.7 ->
    # 427, aluminium 911.32 x 0.5 = 455.66 -> 456, F-2 8.534 x 0.5 = 4.267 -> 4.
    assert [(p.facility_id, p.sector, p.preallocation) for p in pre.items] == [
        ("F-1", "cement", 427), ("F-1", "aluminium", 456), ("F-2", "cement", 4)]
    grown = [dict(row) for row in SMELTER]
    grown[1]["molten_aluminium_t"] = "110"  # 110 x 9.1132 = 1002.452 -> 1002
    final = trueup(read_data(grown), 2017, ledger=ledger)
    assert [(t.facility_id, t.sector, t.final, t.preallocation, t.trueup, t.new_entrant)
            for t in final.items] == [("F-1", "cement", 853, 427, 426, False),
                                      ("F-1", "aluminium", 1002, 456, 546, False),
                                      ("F-2", "cement", 9, 4, 5, False)]
    issued: dict[tuple[str, str], int] = {}
    for entry in ledger_entries(ledger).entries:
        key = (entry.facility_id, entry.sector)
        issued[key] = issued.get(key, 0) + entry.amount
    assert issued == {(t.facility_id, t.sector): t.final for t in final.items}


def test_stage_documents_give_a_spanning_facility_its_sectors(tmp_path: Path) -> None:
    from peie.api import preallocate, trueup
    from peie.report.issuance import preallocation_document, trueup_document

    ledger = tmp_path / "ledger.sqlite"
    pre = preallocation_document(preallocate(read_data(SMELTER), 2017, ledger=ledger))
    assert pre["facilities"] == [
        {"facility_id": "F-1", "preallocation": 883, "sectors": {"cement": 427,
                                                                 "aluminium": 456}},
        {"facility_id": "F-2", "preallocation": 4}]
    final = trueup_document(trueup(read_data(SMELTER), 2017, ledger=ledger))
    assert final["facilities"][0] == {
        "facility_id": "F-1", "preallocation": 883, "final": 1764, "trueup": 881,
        "sectors": {"cement": {"preallocation": 427, "final": 853, "trueup": 426},
                    "aluminium": {"preallocation": 456, "final": 911, "trueup": 455}}}
    assert final["new_entrants"] == []


def test_explain_facility_shows_each_sector_summed_and_rounded(tmp_path: Path,
                                                               capsys: Any) -> None:
    data = tmp_path / "smelter.json"
    data.write_text(json.dumps(SMELTER), encoding="utf-8")
    assert main(["explain", str(data), "--year", "2017", "--facility", "F-1"]) == 0
    shown = capsys.readouterr().out
    # By hand, as above: cement 853.4 -> 853, aluminium 911.32 -> 911, total 1764.
    assert "  K-1  853.4 tCO2\n" in shown
    assert "  A-1  911.32 tCO2\n" in shown
    assert "exact sum 853.4 tCO2, rounded half_up to 1 tCO2 (" in shown
    assert "exact sum 911.32 tCO2, rounded half_up to 1 tCO2 (" in shown
    assert shown.rstrip().endswith("total 1,764 tCO2 (the sum of its sectors' whole amounts)")
    assert "K-2" not in shown  # another facility's unit
    assert main(["explain", str(data), "--year", "2017", "--facility", "F-1",
                 "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["allocation"] == 1764
    assert [(s["sector"], s["exact"], s["allocation"], [u["unit_id"] for u in s["units"]])
            for s in document["sectors"]] == [("cement", "853.4", 853, ["K-1"]),
                                              ("aluminium", "911.32", 911, ["A-1"])]
    assert set(document["rules"]) == {"cement", "aluminium"}


def test_explain_of_an_unknown_facility_is_refused(tmp_path: Path, capsys: Any) -> None:
    data = tmp_path / "smelter.json"
    data.write_text(json.dumps(SMELTER), encoding="utf-8")
    assert main(["explain", str(data), "--year", "2017", "--facility", "F-9"]) == 1
    assert f"no facility 'F-9' in {data}" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:  # one or the other
        main(["explain", str(data), "--year", "2017", "--facility", "F-1", "--unit", "K-1"])
    assert usage.value.code == 2
