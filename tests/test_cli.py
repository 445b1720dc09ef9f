"""The command line end to end: outputs, exit statuses, and errors for people."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from bench import baseline

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "units_2017.csv"
FACTORS = ROOT / "samples" / "local_factors.csv"


def sample_rows() -> list[dict[str, str]]:
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def factor_table() -> dict[tuple[str, str], Decimal]:
    with open(FACTORS, newline="", encoding="utf-8") as handle:
        return {(r["province"], r["sector"]): Decimal(r["factor"]) for r in csv.DictReader(handle)}


def test_allocate_json_agrees_with_the_hand_written_formulas(cli) -> None:  # type: ignore[no-untyped-def]
    status, out, err = cli("allocate", str(SAMPLE), "--year", "2017",
                           "--local-factors", str(FACTORS), "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    rows = sample_rows()
    expected_units = baseline.unit_allocations(rows, factor_table())
    expected_facilities = baseline.facility_allocations(rows, expected_units)
    assert {u["unit_id"]: Decimal(u["allocation"]) for u in document["units"]} == expected_units
    assert {f["facility_id"]: f["allocation"] for f in document["facilities"]} \
        == expected_facilities
    totals = document["totals"]
    assert totals["all"] == sum(expected_facilities.values())
    assert totals["all"] == sum(v for k, v in totals.items() if k != "all")
    assert set(document) == {"year", "rules", "data_sha256", "local_factors_sha256", "units",
                             "facilities", "totals"}
    assert document["year"] == 2017
    assert {s: r["version"] for s, r in document["rules"].items()} == {
        "power": "2017-draft", "cement": "2017-draft", "aluminium": "2017-draft"}
    import hashlib
    assert document["data_sha256"] == hashlib.sha256(SAMPLE.read_bytes()).hexdigest()


def test_allocate_is_reproducible_and_order_of_formats_agree(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, first, _ = cli("allocate", str(SAMPLE), "--year", "2017", "--format", "json")
    _, second, _ = cli("allocate", str(SAMPLE), "--year", "2017", "--format", "json")
    assert first == second
    facilities = {f["facility_id"]: f["allocation"] for f in json.loads(first)["facilities"]}
    out = tmp_path / "a.csv"
    assert cli("allocate", str(SAMPLE), "--year", "2017", "--format", "csv",
               "--out", str(out))[0] == 0
    with open(out, newline="") as handle:
        assert {r["facility_id"]: int(r["allocation"]) for r in csv.DictReader(handle)} \
            == facilities
    xlsx = tmp_path / "a.xlsx"
    assert cli("allocate", str(SAMPLE), "--year", "2017", "--format", "xlsx",
               "--out", str(xlsx))[0] == 0
    book = load_workbook(xlsx)
    rows = list(book["facilities"].iter_rows(values_only=True))
    assert {r[0]: r[2] for r in rows[1:]} == facilities
    units = {u["unit_id"]: u["allocation"] for u in json.loads(first)["units"]}
    sheet = list(book["units"].iter_rows(values_only=True))
    assert sheet[0][4:] == ("allocation", "allocation_exact")
    assert {r[0]: r[5] for r in sheet[1:]} == units
    assert all(isinstance(r[4], float) and math.isclose(r[4], float(Decimal(r[5])),
                                                        rel_tol=1e-14) for r in sheet[1:])
    provenance = dict(list(book["provenance"].iter_rows(values_only=True))[1:])
    document = json.loads(first)
    assert provenance["rules power sha256"] == document["rules"]["power"]["sha256"]
    assert provenance["data sha256"] == document["data_sha256"]


def test_table_output_shows_totals_per_sector(cli) -> None:  # type: ignore[no-untyped-def]
    _, document, _ = cli("allocate", str(SAMPLE), "--year", "2017", "--format", "json")
    totals = json.loads(document)["totals"]
    status, out, _ = cli("allocate", str(SAMPLE), "--year", "2017")
    assert status == 0
    for sector in ("power", "cement", "aluminium", "all"):
        line = next(x for x in out.splitlines() if x.startswith(sector + " "))
        assert line.split()[-1] == f"{totals[sector]:,}"


def test_explain_reaches_every_data_field_and_rule_line(cli) -> None:  # type: ignore[no-untyped-def]
    rows = sample_rows()
    unit = next(r for r in rows if r["category"].startswith("cfb"))
    status, out, err = cli("explain", str(SAMPLE), "--year", "2017",
                           "--unit", unit["unit_id"], "--format", "json")
    assert status == 0, err
    tree = json.loads(out)["tree"]
    expected = baseline.unit_allocations([unit], {})[unit["unit_id"]]
    assert Decimal(tree["value"]) == expected

    def walk(node: dict) -> list[dict]:  # type: ignore[type-arg]
        return [node] + [n for c in node.get("children", []) for n in walk(c)]

    nodes = walk(tree)
    fields = {n["name"] for n in nodes if "field" in n.get("data", "")}
    assert fields == {"category", "cooling", "electricity_supplied_mwh", "heat_supplied_gj",
                      "heat_ratio", "calorific_value_kcal_per_kg"}
    assert all(":" in n["rule"] for n in nodes if n["name"] != "local_factor")
    benchmark = next(n for n in nodes if n["name"].startswith("supply_benchmark["))
    assert benchmark["value"] == str(baseline.SUPPLY[unit["category"]])
    assert benchmark["source"].startswith("seed 002 L")
    bracket = next(n for n in nodes if n["name"] == "low_calorific_factor")
    assert bracket["source"].startswith("seed 002 L") and "source" not in bracket["formula"]


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_every_bad_record_is_reported_and_nothing_is_issued(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    every = sample_rows()
    power = [r for r in every if r["sector"] == "power" and not r["category"].startswith("cfb")]
    cement = next(r for r in every if r["sector"] == "cement")
    rows = [*power[:4], cement, dict(power[4])]
    rows[0]["heat_ratio"] = "1.2"
    rows[1]["cooling"] = "wter"
    rows[2]["electricity_supplied_mwh"] = "lots"
    rows[3]["category"] = "cfb_below_300"  # and no calorific value
    rows[4]["electricity_supplied_mwh"] = "5"  # a power column on a cement line
    rows[5]["unit_id"] = rows[0]["unit_id"]
    data = tmp_path / "bad.csv"
    write_csv(data, rows)
    out_file = tmp_path / "out.csv"
    status, out, err = cli("allocate", str(data), "--year", "2017", "--format", "csv",
                           "--out", str(out_file))
    assert status == 1 and out == "" and not out_file.exists()
    u = [r["unit_id"] for r in rows]
    assert f"{data}, row 2 (unit {u[0]}), field 'heat_ratio': error: 1.2 is out of range: " \
           "must be in [0, 1] (input heat_ratio, " in err and "power.rule:41)" in err
    assert f"{data}, row 3 (unit {u[1]}), field 'cooling': error: 'wter' is not one of water, " \
           "air (did you mean 'water'?)" in err
    assert f"{data}, row 4 (unit {u[2]}), field 'electricity_supplied_mwh': error: must be a " \
           "number, got 'lots'" in err
    assert (f"{data}, row 5 (unit {u[3]}), field 'calorific_value_kcal_per_kg': error: is "
            "required when category in {cfb_300_plus, cfb_below_300}") in err
    assert f"{data}, row 6 (unit {u[4]}), field 'electricity_supplied_mwh': error: is not an " \
           "input of sector cement; leave it empty" in err
    assert f"row 7 (unit {u[5]}), field 'unit_id': error: unit '{u[0]}' appears twice " \
           "(first in row 2)" in err
    assert "problems in the data; nothing was written" in err and "Traceback" not in err


def test_past_100_problems_a_count_per_field_and_all_in_the_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    power = next(r for r in sample_rows() if r["sector"] == "power")
    rows = []
    for n in range(130):
        row = dict(power, unit_id=f"U{n:03}")
        row["heat_ratio" if n % 2 else "cooling"] = "1.5" if n % 2 else "wter"
        rows.append(row)
    data = tmp_path / "bad.csv"
    write_csv(data, rows)
    status, _, err = cli("allocate", str(data), "--year", "2017")
    lines = err.splitlines()
    assert status == 1 and sum(line.startswith(f"{data}, row ") for line in lines) == 100
    # fields by count, ties in the order met (unit 100 has the first hidden problem)
    assert "... and 30 more (cooling: 15, heat_ratio: 15); --problems FILE writes every one" \
        in lines
    assert lines[-1] == "130 problems in the data; nothing was written"
    listed = tmp_path / "problems.csv"
    status, _, err = cli("allocate", str(data), "--year", "2017", "--problems", str(listed))
    assert status == 1 and f"every problem: {listed}" in err
    with open(listed, newline="", encoding="utf-8") as handle:
        problems = list(csv.DictReader(handle))
    assert [(p["row"], p["unit_id"], p["field"]) for p in problems] == [
        (str(n + 2), f"U{n:03}", "heat_ratio" if n % 2 else "cooling") for n in range(130)]
    assert {p["file"] for p in problems} == {str(data)}
    assert "'wter' is not one of water, air" in problems[0]["message"]
    nowhere = tmp_path / "missing" / "problems.csv"
    status, _, err = cli("allocate", str(data), "--year", "2017", "--problems", str(nowhere))
    assert status == 1 and str(nowhere) in err and "problems in the data" not in err


def test_a_command_without_problems_file_does_not_offer_one(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    factors = tmp_path / "factors.csv"
    factors.write_text("province,sector,factor\n" + "".join(
        "hebei,power,1.5\n" for _ in range(101)), encoding="utf-8")
    status, _, err = cli("check", str(factors))
    assert status == 1 and "... and 1 more (factor: 1)" in err.splitlines()
    assert "--problems" not in err


def test_unknown_column_and_sector(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = [dict(r) for r in sample_rows()[:2]]
    for r in rows:
        r["heat_raito"] = r.pop("heat_ratio")
    data = tmp_path / "cols.csv"
    write_csv(data, rows)
    status, _, err = cli("allocate", str(data), "--year", "2017")
    assert status == 1
    assert f"{data}, field 'heat_raito': error: unknown column (did you mean 'heat_ratio'?)" in err
    rows = [dict(r) for r in sample_rows()[:1]]
    rows[0]["sector"] = "powr"
    write_csv(data, rows)
    _, _, err = cli("allocate", str(data), "--year", "2017")
    assert "field 'sector': error: no rules in force for sector 'powr' in 2017 (did you mean " \
           "'power'?)" in err


def test_a_year_without_rules_and_a_missing_file(cli) -> None:  # type: ignore[no-untyped-def]
    status, _, err = cli("allocate", str(SAMPLE), "--year", "2012")
    assert status == 1 and err.startswith("peie: error: no rules are in force for 2012")
    status, _, err = cli("allocate", "missing.csv", "--year", "2017")
    assert (status, err) == (1, "peie: error: missing.csv: no such file\n")


def test_a_broken_rule_file_gives_positions_and_status_1(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    text = (ROOT / "rules" / "cement.rule").read_text(encoding="utf-8")
    broken = tmp_path / "cement.rule"
    broken.write_text(text.replace("clinker_t * clinker_benchmark", "clinker_t + clinker_bench"),
                      encoding="utf-8")
    status, out, err = cli("check", str(broken))
    assert status == 1 and out == ""
    assert f"{broken}:" in err and ": error: unknown name 'clinker_bench' (did you mean " \
        "'clinker_benchmark'?)" in err
    assert err.rstrip().endswith("1 error in rule files")
    status, _, err = cli("allocate", str(SAMPLE), "--year", "2017", "--rules",
                         str(broken))
    assert status == 1 and "clinker_bench" in err


def test_rules_may_come_before_the_data_and_be_given_again(cli) -> None:  # type: ignore[no-untyped-def]
    _, bundled, _ = cli("allocate", str(SAMPLE), "--year", "2017", "--format", "json")
    rules = ROOT / "rules"
    status, before, err = cli("allocate", "--rules", str(rules), str(SAMPLE), "--year", "2017",
                              "--format", "json")
    assert (status, err) == (0, "") and before == bundled
    status, files, err = cli("allocate", str(SAMPLE), "--year", "2017", "--format", "json",
                             *[a for s in ("power", "cement", "aluminium")
                               for a in ("--rules", str(rules / f"{s}.rule"))])
    assert (status, err) == (0, "") and files == bundled


def test_console_command_exit_statuses() -> None:
    peie = [sys.executable, "-m", "peie.cli"]
    ok = subprocess.run([*peie, "check", "--quiet"], capture_output=True, text=True)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    usage = subprocess.run([*peie, "allocate"], capture_output=True, text=True)
    assert usage.returncode == 2 and "--year" in usage.stderr


def test_an_output_that_cannot_be_written_is_refused_before_any_work(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = tmp_path / "ledger.db"
    for out in (tmp_path / "missing" / "out.json", tmp_path):
        for command in (("allocate", str(SAMPLE), "--year", "2017", "--format", "json"),
                        ("preallocate", str(SAMPLE), "--year", "2017", "--ledger",
                         str(ledger))):
            status, _, err = cli(*command, "--out", str(out))
            assert status == 1 and str(out) in err and "Traceback" not in err
    assert not ledger.exists()  # nothing was issued
    status, _, err = cli("ledger", "show", "--ledger", str(ledger))
    assert status == 1 and "there is no ledger here" in err and not ledger.exists()


def test_the_command_line_starts_without_numpy() -> None:
    """`peie check` must start fast: the batch path's libraries load only when used."""
    import subprocess
    import sys
    code = "import sys, peie.cli; print(sorted({'numpy', 'pyarrow'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
