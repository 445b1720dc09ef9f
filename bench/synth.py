"""A seeded generator of synthetic but plausible national facility data, of any size.

    python -m bench.synth --units 300 --year 2017 --out samples/units_2017.csv

The same seed gives the same units (ids, sectors, categories, provinces) in every year;
the year changes only the output figures, so base-year and verified-year files pair up.
Figures are invented; their ranges follow the 2017 draft's sectors (domain.md §2).
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from pathlib import Path

COLUMNS = (
    "facility_id", "unit_id", "sector", "province", "category", "cooling",
    "electricity_supplied_mwh", "heat_supplied_gj", "heat_ratio",
    "calorific_value_kcal_per_kg", "clinker_t", "coprocessed_waste_t", "molten_aluminium_t",
    "verified_emissions_t", "direct_emissions_t", "electricity_consumed_mwh",
)
# From 2018 output on (the 2019-2020 plan's base year), power units also report whether
# they are pure-condensing and, if so, their load factor (domain.md §3).
LOAD_COLUMNS = ("pure_condensing", "load_factor")
CONVENTIONAL_COAL = {"usc_1000", "usc_600", "sc_600", "sc_300", "subc_600", "subc_300",
                     "hp_below_300"}

PROVINCES = {
    "jiangsu": "JS", "sichuan": "SC", "shandong": "SD", "guangdong": "GD", "henan": "HA",
    "hebei": "HE", "inner_mongolia": "NM", "zhejiang": "ZJ", "hubei": "HB", "shanxi": "SX",
    "yunnan": "YN", "xinjiang": "XJ",
}
DRY = {"inner_mongolia", "shanxi", "xinjiang", "hebei"}  # air cooling is common there

# category: (weight, capacity MW, intensity tCO2/MWh around which emissions scatter)
POWER = {
    "usc_1000": (6, 1000, 0.80), "usc_600": (12, 600, 0.83), "sc_600": (14, 600, 0.86),
    "sc_300": (10, 300, 0.88), "subc_600": (10, 600, 0.90), "subc_300": (18, 300, 0.94),
    "hp_below_300": (8, 200, 1.05), "cfb_300_plus": (4, 300, 0.97),
    "cfb_below_300": (6, 150, 1.18), "gas_f_plus": (7, 400, 0.38),
    "gas_below_f": (4, 200, 0.53),
}
WASTE_EDGES = (30000, 50000, 100000)
GRID_FACTOR = 0.6858


def _fmt(x: float, places: int = 3) -> str:
    return f"{x:.{places}f}".rstrip("0").rstrip(".")


def _power_unit(r: random.Random, province: str) -> dict[str, str]:
    """What a generating unit is: the same in every year."""
    category = r.choices(list(POWER), [w for w, _, _ in POWER.values()])[0]
    row = {"category": category,
           "cooling": "air" if r.random() < (0.6 if province in DRY else 0.1) else "water"}
    if category.startswith("cfb"):
        row["calorific_value_kcal_per_kg"] = _fmt(r.uniform(2200, 4500), 1)
    return row


def _power_output(r: random.Random, scale: float, category: str) -> dict[str, str]:
    _, capacity, intensity = POWER[category]
    hours = r.uniform(1500, 4000) if category.startswith("gas") else r.uniform(3500, 5500)
    supplied = capacity * hours * scale
    heat = 0.0 if r.random() < 0.5 else r.uniform(50_000, 3_000_000) * scale
    ratio = 0.0 if heat == 0 else min(0.6, heat / (heat + supplied * 3.6) * r.uniform(0.8, 1.2))
    emissions = (supplied * intensity + heat * 0.11) * r.uniform(0.92, 1.08)
    return {"electricity_supplied_mwh": _fmt(supplied), "heat_supplied_gj": _fmt(heat),
            "heat_ratio": _fmt(ratio, 4), "verified_emissions_t": _fmt(emissions)}


def _load(r: random.Random, category: str, heat: str) -> dict[str, str]:
    """A unit that supplies no heat is pure-condensing; a conventional coal one reports its
    load factor, with some units well below the 2019 plan's 85 % and 75 % steps."""
    pure = heat == "0"
    row = {"pure_condensing": "yes" if pure else "no", "load_factor": ""}
    if pure and category in CONVENTIONAL_COAL:
        row["load_factor"] = _fmt(r.uniform(0.45, 0.95), 4)
    return row


def _cement(r: random.Random, scale: float) -> dict[str, str]:
    clinker = r.uniform(500_000, 2_500_000) * scale
    roll = r.random()
    if roll < 0.6:
        waste = 0.0
    elif roll < 0.7:
        waste = float(r.choice(WASTE_EDGES))  # exactly on a bracket edge
    else:
        waste = r.uniform(5_000, 150_000)
    return {"clinker_t": _fmt(clinker), "coprocessed_waste_t": _fmt(waste),
            "verified_emissions_t": _fmt(clinker * r.uniform(0.80, 0.92))}


def _aluminium(r: random.Random, scale: float) -> dict[str, str]:
    output = r.uniform(50_000, 600_000) * scale
    direct = output * r.uniform(1.6, 2.0)
    power = output * r.uniform(13, 14)
    return {"molten_aluminium_t": _fmt(output), "direct_emissions_t": _fmt(direct),
            "electricity_consumed_mwh": _fmt(power),
            "verified_emissions_t": _fmt(direct + power * GRID_FACTOR)}


def iter_units(n: int, seed: int = 2017, year: int = 2017) -> Iterator[dict[str, str]]:
    """n units: ~60 % power, 30 % cement lines, 10 % aluminium plants, 1-4 per facility.
    Power categories are the 2017 draft's codes, which the later power rules map."""
    columns = COLUMNS + LOAD_COLUMNS if year >= 2018 else COLUMNS
    layout = random.Random(seed)  # who exists: independent of the year
    made = facility = 0
    while made < n:
        facility += 1
        sector = layout.choices(["power", "cement", "aluminium"], [60, 30, 10])[0]
        province = layout.choice(list(PROVINCES))
        size = min(n - made, 1 if sector == "aluminium" else layout.randint(1, 4))
        facility_id = f"F-{PROVINCES[province]}-{facility:05d}"
        for _ in range(size):
            made += 1
            # Each unit's figures come from its own stream, seeded by seed, unit and year.
            r = random.Random(f"{seed}:{made}:{year}")
            scale = 1.0 + 0.03 * (year - 2017) + r.uniform(-0.05, 0.05)
            row = dict.fromkeys(columns, "")
            row.update(facility_id=facility_id, unit_id=f"U-{made:06d}", sector=sector,
                       province=province)
            if sector == "power":
                row.update(_power_unit(random.Random(f"{seed}:{made}"), province))
                row.update(_power_output(r, scale, row["category"]))
                if year >= 2018:
                    row.update(_load(random.Random(f"{seed}:{made}:{year}:load"),
                                     row["category"], row["heat_supplied_gj"]))
            elif sector == "cement":
                row.update(_cement(r, scale))
            else:
                row.update(_aluminium(r, scale))
            yield row


def generate_units(n: int, seed: int = 2017, year: int = 2017) -> list[dict[str, str]]:
    return list(iter_units(n, seed, year))


def only_sectors(units: Iterator[dict[str, str]], sectors: set[str]) -> list[dict[str, str]]:
    """The units of these sectors, without the columns that none of them fills (the
    2019-2022 national market covers power only)."""
    rows = [u for u in units if u["sector"] in sectors]
    used = [c for c in (rows[0] if rows else COLUMNS) if any(u[c] for u in rows)]
    return [{c: u[c] for c in used} for u in rows]


def write_csv(path: str | Path, units: Iterator[dict[str, str]] | list[dict[str, str]]) -> None:
    """Write units; the columns are the first unit's (all units of one year have the same)."""
    rows = iter(units)
    first = next(rows, None)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(first or COLUMNS), lineterminator="\n")
        writer.writeheader()
        if first is not None:
            writer.writerow(first)
        writer.writerows(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--year", type=int, default=2017)
    parser.add_argument("--sectors", nargs="+", metavar="SECTOR",
                        help="keep only these sectors' units (of the --units generated)")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    units = iter_units(args.units, args.seed, args.year)
    write_csv(args.out, only_sectors(units, set(args.sectors)) if args.sectors else units)


if __name__ == "__main__":
    main()
