"""The ledger on its own, and the invariants of two-stage issuance as properties."""

from __future__ import annotations

import datetime
import sqlite3
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import peie
from peie.issuance.ledger import (
    SCHEMA_VERSION,
    Issuance,
    Ledger,
    LedgerConflict,
    LedgerError,
)
from peie.issuance.stages import preallocations, trueups
from peie.provenance import Provenance, RuleRef

PROV = Provenance({"cement": RuleRef("2017-draft", "a" * 64)}, "d" * 64, None)
FIXED = datetime.datetime(2018, 3, 1, 9, 0, tzinfo=datetime.UTC)


def state(ledger: Ledger) -> tuple[object, ...]:
    return (ledger.runs(), ledger.entries(include_superseded=True))


def test_create_reopen_and_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path, now=lambda: FIXED) as ledger:
        outcome = ledger.record(year=2017, stage="preallocation", provenance=PROV,
                                command="c", issuances=[Issuance("F-1", "cement", 5)])
        assert (outcome.status, outcome.run_id) == ("recorded", 1)
    with Ledger(path) as ledger:
        assert ledger.preallocations(2017) == {("F-1", "cement"): 5}
        assert ledger.runs()[0].recorded_at == "2018-03-01T09:00:00+00:00"
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize("point", ["after_run_insert", "after_issuances", "before_commit"])
def test_a_fault_anywhere_rolls_back(tmp_path: Path, point: str) -> None:
    def fault(at: str) -> None:
        if at == point:
            raise RuntimeError(f"injected at {at}")

    with Ledger(tmp_path / "l.sqlite") as ledger:
        ledger.record(year=2017, stage="preallocation", provenance=PROV, command="c",
                      issuances=[Issuance("F-1", "cement", 5)])
        before = state(ledger)
    with Ledger(tmp_path / "l.sqlite", _fault=fault) as ledger:
        with pytest.raises(RuntimeError, match=point):
            ledger.record(year=2017, stage="preallocation", provenance=PROV, command="c2",
                          issuances=[Issuance("F-1", "cement", 6)], supersede_reason="r")
        assert state(ledger) == before


def test_a_record_joins_the_transaction_it_is_in(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger:
        before = state(ledger)
        with pytest.raises(RuntimeError, match="after the record"), ledger.transaction():
            ledger.record(year=2017, stage="preallocation", provenance=PROV, command="c",
                          issuances=[Issuance("F-1", "cement", 5)])
            raise RuntimeError("after the record")
        assert state(ledger) == before
        with ledger.snapshot(), pytest.raises(RuntimeError, match="read transaction"):
            ledger.record(year=2017, stage="preallocation", provenance=PROV, command="c",
                          issuances=[Issuance("F-1", "cement", 5)])


def test_reads_in_a_snapshot_see_one_state_of_the_ledger(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite"
    with Ledger(path) as reader, reader.snapshot():
        first = state(reader)
        with Ledger(path, timeout=0.1) as writer, pytest.raises(
                LedgerError, match="another process holds this ledger"):
            writer.record(year=2017, stage="preallocation", provenance=PROV, command="c",
                          issuances=[Issuance("F-1", "cement", 5)])
        assert state(reader) == first


def test_conflict_message_names_the_run_and_what_differs(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite", now=lambda: FIXED) as ledger:
        ledger.record(year=2017, stage="preallocation", provenance=PROV, command="c",
                      issuances=[Issuance("F-1", "cement", 5)])
        other = Provenance({"cement": RuleRef("2017-draft", "b" * 64)}, "e" * 64, None)
        with pytest.raises(LedgerConflict) as caught:
            ledger.record(year=2017, stage="preallocation", provenance=other, command="c",
                          issuances=[Issuance("F-1", "cement", 5)])
        assert str(caught.value) == (
            "the preallocation of 2017 was already recorded as run 1 at "
            "2018-03-01T09:00:00+00:00 from different rules, data; to replace it, repeat the "
            "command with --supersede --reason TEXT")


def test_trueup_conservation_is_guarded(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.sqlite") as ledger, pytest.raises(ValueError, match="breaks"):
        ledger.record(year=2017, stage="trueup", provenance=PROV, command="c",
                      issuances=[Issuance("F-1", "cement", 4, final=10, preallocation=5)])


def test_files_that_are_not_ledgers_are_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.sqlite"
    text.write_text("not a database at all, just text " * 100)
    with pytest.raises(LedgerError, match="not a peie ledger"):
        Ledger(text)
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)")
    with pytest.raises(LedgerError, match="holds other tables; it is not a peie ledger"):
        Ledger(foreign)
    newer = tmp_path / "newer.sqlite"
    Ledger(newer).close()
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(LedgerError, match="is newer than this peie knows"):
        Ledger(newer)


# ---- properties -------------------------------------------------------------------------

issuance_lists = st.lists(
    st.builds(Issuance, st.sampled_from([f"F-{i}" for i in range(6)]), st.just("cement"),
              st.integers(0, 10**9)),
    min_size=1, max_size=6, unique_by=lambda i: i.facility_id)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(issuance_lists, st.booleans(), st.sampled_from(
    [None, "after_run_insert", "after_issuances", "before_commit"])), min_size=1, max_size=6))
def test_a_failed_record_leaves_the_ledger_as_it_was(
        calls: list[tuple[list[Issuance], bool, str | None]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        point: list[str | None] = [None]

        def fault(at: str) -> None:
            if at == point[0]:
                raise RuntimeError(at)

        with Ledger(Path(folder) / "l.sqlite", _fault=fault) as ledger:
            for issuances, supersede, fail_at in calls:
                before = state(ledger)
                point[0] = fail_at
                try:
                    ledger.record(year=2017, stage="preallocation", provenance=PROV,
                                  command="c", issuances=issuances,
                                  supersede_reason="again" if supersede else None)
                except (RuntimeError, LedgerConflict):
                    assert state(ledger) == before


@given(st.dictionaries(st.sampled_from([f"F-{i}" for i in range(8)]), st.integers(0, 10**8)),
       st.dictionaries(st.sampled_from([f"F-{i}" for i in range(8)]), st.integers(0, 10**8)),
       st.data())
def test_conservation_per_facility_and_over_any_subset(final_amounts: dict[str, int],
                                                       pre: dict[str, int],
                                                       data: st.DataObject) -> None:
    from peie.exact.allocation import Allocation
    from peie.exact.facilities import FacilityAllocation

    rules = {"cement": peie.load_rules().in_force(2017)["cement"]}
    final = Allocation(2017, rules, "d", None, [], [
        FacilityAllocation(f, "cement", Decimal(a), a, ()) for f, a in final_amounts.items()])
    pre_by_sector = {(f, "cement"): a for f, a in pre.items() if f in final_amounts}
    items = trueups(final, pre_by_sector, "data.csv")
    subset = data.draw(st.lists(st.sampled_from(items), unique_by=id) if items else st.just([]))
    assert all(t.preallocation + t.trueup == t.final for t in items)
    assert sum(t.preallocation for t in subset) + sum(t.trueup for t in subset) \
        == sum(t.final for t in subset)


amounts = st.decimals(min_value=0, max_value=10**7, places=3)


@st.composite
def facilities(draw: st.DrawFn) -> list[dict[str, object]]:
    units = []
    for n in range(draw(st.integers(1, 6))):
        sector = draw(st.sampled_from(["cement", "aluminium"]))
        facility = f"F-{sector}-{draw(st.integers(0, 2))}"
        row: dict[str, object] = {"facility_id": facility, "unit_id": f"U-{n}", "sector": sector,
                                  "province": draw(st.sampled_from(["hebei", "henan"]))}
        if sector == "cement":
            row.update(clinker_t=draw(amounts), coprocessed_waste_t=draw(amounts))
        else:
            row["molten_aluminium_t"] = draw(amounts)
        units.append(row)
    return units


factor_values = st.decimals(min_value=Decimal("0.5"), max_value=1, places=3)


@settings(max_examples=60, deadline=None)
@given(facilities(), factor_values, factor_values)
def test_local_factors_never_raise_any_stage_and_preallocation_is_the_rounded_share(
        units: list[dict[str, object]], cement_factor: Decimal, al_factor: Decimal) -> None:
    factors = {("hebei", "cement"): cement_factor, ("hebei", "aluminium"): al_factor}
    plain = peie.allocate(units, 2017)
    strict = peie.allocate(units, 2017, local_factors=factors)
    for result in (plain, strict):
        for item in preallocations(result):
            assert abs(item.preallocation - item.share * item.base_allocation) <= Decimal("0.5")
    plain_pre = {p.facility_id: p.preallocation for p in preallocations(plain)}
    for item in preallocations(strict):
        assert item.preallocation <= plain_pre[item.facility_id]
    plain_final = {f.facility_id: f.allocation for f in plain.facilities}
    assert all(f.allocation <= plain_final[f.facility_id] for f in strict.facilities)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facilities())
def test_preallocating_twice_is_the_same_as_once(units: list[dict[str, object]]) -> None:
    from peie.issuance.stages import preallocation_issuances

    result = peie.allocate(units, 2017)
    with tempfile.TemporaryDirectory() as folder, Ledger(Path(folder) / "l.sqlite") as ledger:
        record = {"year": 2017, "stage": "preallocation", "command": "c",
                  "issuances": preallocation_issuances(preallocations(result)),
                  "provenance": result.provenance}
        ledger.record(**record)  # type: ignore[arg-type]
        once = state(ledger)
        assert ledger.record(**record).status == "unchanged"  # type: ignore[arg-type]
        assert state(ledger) == once
