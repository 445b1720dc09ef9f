"""Two-stage issuance end to end: pre-allocation, true-up, the ledger, the position report."""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from bench import baseline

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "samples" / "units_2015.csv"
VERIFIED = ROOT / "samples" / "units_2017.csv"
FACTORS = ROOT / "samples" / "local_factors.csv"


def rows_of(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def dump(ledger: Path) -> list[tuple[object, ...]]:
    """Everything the ledger holds, for before/after comparisons."""
    db = sqlite3.connect(ledger)
    try:
        return (db.execute("SELECT * FROM runs ORDER BY id").fetchall()
                + db.execute("SELECT * FROM issuances ORDER BY run_id, facility_id, sector")
                .fetchall())
    finally:
        db.close()


def test_yearly_cycle_conserves_every_tonne(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = str(tmp_path / "ledger.sqlite")
    status, out, err = cli("preallocate", str(BASE), "--year", "2017", "--ledger", ledger,
                           "--format", "json")
    assert status == 0, err
    pre = json.loads(out)
    # Independent: share x exact base-year allocation, rounded half up, per facility.
    base_rows = rows_of(BASE)
    units = baseline.unit_allocations(base_rows, {})
    exact: dict[str, Decimal] = {}
    sector: dict[str, str] = {}
    for row in base_rows:
        facility = row["facility_id"]
        exact[facility] = exact.get(facility, Decimal(0)) + units[row["unit_id"]]
        sector[row["facility_id"]] = row["sector"]
    expected = {f: int((baseline.SHARE[sector[f]] * v).quantize(Decimal(1), ROUND_HALF_UP))
                for f, v in exact.items()}
    assert {f["facility_id"]: f["preallocation"] for f in pre["facilities"]} == expected
    assert pre["base_year"] == {"aluminium": 2015, "cement": 2015, "power": 2015}

    status, out, err = cli("trueup", str(VERIFIED), "--year", "2017", "--ledger", ledger,
                           "--format", "json")
    assert status == 0, err
    final = json.loads(out)
    verified_rows = rows_of(VERIFIED)
    finals = baseline.facility_allocations(
        verified_rows, baseline.unit_allocations(verified_rows, {}))
    for entry in final["facilities"]:
        assert entry["final"] == finals[entry["facility_id"]]
        assert entry["preallocation"] == expected[entry["facility_id"]]
        assert entry["preallocation"] + entry["trueup"] == entry["final"]
    for key in ("aluminium", "cement", "power", "all"):
        assert final["totals_preallocation"][key] + final["totals_trueup"][key] \
            == final["totals_final"][key]
    assert final["new_entrants"] == []


def test_repeats_conflicts_and_supersession(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = tmp_path / "ledger.sqlite"
    args = ["preallocate", str(BASE), "--year", "2017", "--ledger", str(ledger)]
    assert cli(*args)[0] == 0
    before = dump(ledger)
    status, _, err = cli(*args)
    assert status == 0 and "identical to run 1 recorded before; nothing new was issued" in err
    assert dump(ledger) == before
    status, _, err = cli(*args, "--local-factors", str(FACTORS))
    assert status == 1 and dump(ledger) == before
    assert "the preallocation of 2017 was already recorded as run 1 at " in err
    assert "from different local factors; to replace it, repeat the command with --supersede " \
           "--reason TEXT" in err
    status, _, err = cli(*args, "--local-factors", str(FACTORS), "--supersede")
    assert (status, err) == (1, "peie: error: --supersede needs --reason TEXT saying why\n")
    status, _, err = cli(*args, "--local-factors", str(FACTORS), "--supersede",
                         "--reason", "Jiangsu factors published")
    assert status == 0 and "recorded as run 2, superseding run 1" in err
    status, out, _ = cli("ledger", "export", "--ledger", str(ledger), "--format", "json")
    entries = json.loads(out)
    old = [e for e in entries if e["run_id"] == 1]
    assert old and all(e["superseded"] and e["supersede_reason"] == "Jiangsu factors published"
                       for e in old)
    assert all(not e["superseded"] for e in entries if e["run_id"] == 2)


def test_new_entrants_and_missing_facilities(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = str(tmp_path / "ledger.sqlite")
    rows = rows_of(BASE)
    first = rows[0]["facility_id"]
    base = tmp_path / "base.csv"
    _write(base, [r for r in rows if r["facility_id"] != first])
    assert cli("preallocate", str(base), "--year", "2017", "--ledger", ledger)[0] == 0
    status, out, _ = cli("trueup", str(VERIFIED), "--year", "2017", "--ledger", ledger,
                         "--format", "json")
    document = json.loads(out)
    assert status == 0 and document["new_entrants"] == [first]
    entry = next(e for e in document["facilities"] if e["facility_id"] == first)
    assert entry["preallocation"] == 0 and entry["trueup"] == entry["final"]

    gone = rows_of(VERIFIED)[-1]["facility_id"]
    verified = tmp_path / "verified.csv"
    _write(verified, [r for r in rows_of(VERIFIED) if r["facility_id"] != gone])
    before = dump(Path(ledger))
    status, _, err = cli("trueup", str(verified), "--year", "2017", "--ledger", ledger,
                         "--supersede", "--reason", "x")
    assert status == 1 and dump(Path(ledger)) == before
    assert f"{verified}, field 'facility_id': error: facility '{gone}' was pre-allocated " in err
    assert "has no unit in this data (give a closed unit with zero output)" in err


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_bad_data_leaves_no_ledger_behind(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = rows_of(BASE)
    rows[0]["heat_ratio"] = "2"
    bad = tmp_path / "bad.csv"
    _write(bad, rows)
    ledger = tmp_path / "ledger.sqlite"
    status, _, err = cli("preallocate", str(bad), "--year", "2017", "--ledger",
                         str(ledger))
    assert status == 1 and "nothing was issued" in err and not ledger.exists()


def test_position_report(cli) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("position", str(VERIFIED), "--year", "2017", "--format",
                           "json")
    assert status == 0, err
    document = json.loads(out)
    rows = rows_of(VERIFIED)
    emissions: dict[str, Decimal] = {}
    for row in rows:
        emissions[row["facility_id"]] = emissions.get(row["facility_id"], Decimal(0)) \
            + Decimal(row["verified_emissions_t"])
    sector_of = {row["facility_id"]: row["sector"] for row in rows}
    for entry in document["facilities"]:
        assert Decimal(entry["emissions"]) == emissions[entry["facility_id"]]
        # The 2017 draft states no compliance rule: a facility owes its verified
        # emissions, surrendered in whole tonnes (half up).
        owed = emissions[entry["facility_id"]].quantize(Decimal(1), rounding=ROUND_HALF_UP)
        assert entry["obligation"] == owed
        assert entry["balance"] == entry["allocation"] - owed
    for sector in document["sectors"]:
        members = [f for f in document["facilities"]
                   if sector_of[f["facility_id"]] == sector["sector"]]
        assert sector["short"] == sum(1 for f in members if f["balance"] < 0)
        assert sector["shortfall"] == -sum(f["balance"] for f in members if f["balance"] < 0)
        assert sector["surplus"] == sum(f["balance"] for f in members if f["balance"] > 0)


def test_aluminium_emissions_come_from_the_rule_when_not_given(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in rows_of(VERIFIED) if r["sector"] == "aluminium"][:2]
    for row in rows:
        row["verified_emissions_t"] = ""
    data = tmp_path / "al.csv"
    _write(data, rows)
    status, out, err = cli("position", str(data), "--year", "2017", "--format", "json")
    assert status == 0, err
    by_id = {f["facility_id"]: f for f in json.loads(out)["facilities"]}
    for row in rows:
        expected = Decimal(row["direct_emissions_t"]) \
            + Decimal(row["electricity_consumed_mwh"]) * Decimal("0.6858")
        assert Decimal(by_id[row["facility_id"]]["emissions"]) == expected
        assert by_id[row["facility_id"]]["emissions_computed"] is True
    cement = [r for r in rows_of(VERIFIED) if r["sector"] == "cement"][:1]
    cement[0]["verified_emissions_t"] = ""
    _write(data, cement)
    status, _, err = cli("position", str(data), "--year", "2017")
    assert status == 1 and "field 'verified_emissions_t': error: is empty and the rule has no " \
                           "'emissions' formula" in err


def test_a_killed_process_leaves_the_ledger_as_it_was(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    script = f"""
import os, signal
from peie.issuance.ledger import Ledger, Issuance
from peie.provenance import Provenance, RuleRef
def die(point):
    if point == "before_commit":
        os.kill(os.getpid(), signal.SIGKILL)
prov = Provenance({{"power": RuleRef("v", "h")}}, "d", None)
with Ledger({str(ledger)!r}) as first:
    first.record(year=2017, stage="preallocation", provenance=prov, command="first",
                 issuances=[Issuance("F-1", "power", 10)])
with Ledger({str(ledger)!r}, _fault=die) as second:
    second.record(year=2017, stage="preallocation", provenance=prov, command="second",
                  issuances=[Issuance(f"F-{{i}}", "power", i) for i in range(20000)],
                  supersede_reason="killed before commit")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -9, result.stderr
    rows = dump(ledger)
    assert len(rows) == 2 and rows[0][4] == "first" and rows[1][1:] == ("F-1", "power", 10,
                                                                      None, None)


def test_a_preallocation_cannot_change_after_the_trueup(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = str(tmp_path / "ledger.sqlite")
    status, _, err = cli("trueup", str(VERIFIED), "--year", "2017", "--ledger", ledger)
    assert status == 0 and "warning: no pre-allocation of 2017 is recorded" in err
    status, _, err = cli("preallocate", str(BASE), "--year", "2017", "--ledger", ledger)
    assert status == 1 and "the true-up of 2017 is recorded (run 1)" in err
    before = dump(Path(ledger))
    status, _, err = cli("preallocate", str(BASE), "--year", "2017", "--ledger", ledger,
                         "--supersede", "--reason", "late")
    assert status == 1 and "Correct the true-up instead" in err
    assert dump(Path(ledger)) == before


def test_superseding_what_was_never_recorded_is_refused(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = tmp_path / "ledger.sqlite"
    assert cli("preallocate", str(BASE), "--year", "2017", "--ledger", str(ledger))[0] == 0
    before = dump(ledger)
    status, out, err = cli("trueup", str(VERIFIED), "--year", "2017", "--ledger", str(ledger),
                           "--supersede", "--reason", "corrected output")
    assert (status, out) == (1, "")
    assert f"nothing to supersede: no trueup of 2017 is recorded in {ledger}" in err
    assert dump(ledger) == before


def test_reports_for_programs_carry_plain_values_and_every_hash(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """CSV reports hold plain numbers under snake_case names; JSON reports and the ledger
    name the local factors they were computed with."""
    ledger = str(tmp_path / "ledger.sqlite")
    factors = ["--local-factors", str(FACTORS), "--ledger", ledger]
    status, out, _ = cli("preallocate", str(BASE), "--year", "2017", *factors, "--format", "csv")
    pre = list(csv.DictReader(out.splitlines()))
    assert status == 0 and list(pre[0]) == ["facility_id", "sector", "base_year_allocation",
                                            "share", "preallocation"]
    shares = {"power": "0.7", "cement": "0.5", "aluminium": "0.5"}
    assert all(r["share"] == shares[r["sector"]] and int(r["preallocation"]) >= 0 for r in pre)
    status, out, _ = cli("trueup", str(VERIFIED), "--year", "2017", *factors, "--format", "csv")
    rows = list(csv.DictReader(out.splitlines()))
    assert status == 0 and list(rows[0]) == ["facility_id", "sector", "preallocation", "final",
                                             "trueup", "new_entrant"]
    assert all(int(r["preallocation"]) + int(r["trueup"]) == int(r["final"])
               and r["new_entrant"] in ("true", "false") for r in rows)
    factors_sha = hashlib.sha256(FACTORS.read_bytes()).hexdigest()
    for command in (["trueup", str(VERIFIED), "--year", "2017", *factors],
                    ["position", str(VERIFIED), "--year", "2017", "--local-factors",
                     str(FACTORS)],
                    ["explain", str(VERIFIED), "--year", "2017", "--local-factors",
                     str(FACTORS), "--unit", rows_of(VERIFIED)[0]["unit_id"]]):
        status, out, err = cli(*command, "--format", "json")
        assert status == 0, err
        assert json.loads(out)["local_factors_sha256"] == factors_sha
    status, out, _ = cli("ledger", "show", "--ledger", ledger)
    assert f"local factors {factors_sha[:12]}" in out
    status, out, _ = cli("ledger", "export", "--ledger", ledger, "--format", "json")
    entries = json.loads(out)
    assert entries and all(e["rules"]["power"]["version"] == "2017-draft" for e in entries)
