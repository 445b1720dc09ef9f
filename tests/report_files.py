"""The reports of the sample data with hostile ids, written once per test module: the
HTML and XLSX tests and the browser tests read them."""

from __future__ import annotations

import csv
from pathlib import Path

from peie.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RULES = ROOT / "rules"
# A facility id that is markup and a unit id that is a formula: both must stay text.
SCRIPT_ID = '<script>alert("F")</script>'
FORMULA_ID = '=HYPERLINK("http://example.com","U")'
REPORTS = ("allocation", "position", "trueup", "impact")


def hostile_copy(source: Path, target: Path) -> Path:
    """`source` with its first facility's id and first unit's id replaced by hostile ones."""
    with open(source, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    facility, unit = rows[0]["facility_id"], rows[0]["unit_id"]
    for row in rows:
        if row["facility_id"] == facility:
            row["facility_id"] = SCRIPT_ID
        if row["unit_id"] == unit:
            row["unit_id"] = FORMULA_ID
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return target


def write_reports(folder: Path, fmt: str, *options: str) -> dict[str, Path]:
    """Each report (allocate, position, trueup, diff --data) of the hostile samples as
    `fmt`, in `folder`."""
    data = {year: hostile_copy(SAMPLES / f"units_{year}.csv", folder / f"units_{year}.csv")
            for year in (2015, 2017, 2019)}
    ledger = str(folder / "ledger.sqlite")
    out = {name: folder / f"{name}.{fmt}" for name in REPORTS}
    commands = {
        "allocation": ["allocate", str(data[2017]), "--year", "2017"],
        "position": ["position", str(data[2017]), "--year", "2017"],
        "trueup": ["trueup", str(data[2017]), "--year", "2017", "--ledger", ledger],
        "impact": ["diff", str(RULES / "power-2021.rule"), str(RULES / "power-2022.rule"),
                   "--data", str(data[2019])],
    }
    assert main(["preallocate", str(data[2015]), "--year", "2017", "--ledger", ledger]) == 0
    for name, argv in commands.items():
        status = main([*options, *argv, "--format", fmt, "--out", str(out[name])])
        assert status == 0, name
    return out
