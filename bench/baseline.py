"""The 2017 draft's formulas written by hand in plain Python, with no rule files.

Two uses: the tests hold the engine to agree with it to the last decimal on the sample
data (an independent check of the rule files and the engine), and the benchmarks
measure the engine against it.
"""

from __future__ import annotations

import csv
import decimal
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CONTEXT = decimal.Context(prec=60)

SUPPLY = {
    "usc_1000": Decimal("0.8066"), "usc_600": Decimal("0.8267"), "sc_600": Decimal("0.8610"),
    "sc_300": Decimal("0.8748"), "subc_600": Decimal("0.8928"), "subc_300": Decimal("0.9266"),
    "hp_below_300": Decimal("1.0177"), "cfb_300_plus": Decimal("0.9565"),
    "cfb_below_300": Decimal("1.1597"), "gas_f_plus": Decimal("0.3795"),
    "gas_below_f": Decimal("0.5192"),
}
ZERO, ONE = Decimal(0), Decimal(1)
SHARE = {"power": Decimal("0.7"), "cement": Decimal("0.5"), "aluminium": Decimal("0.5")}
# Power: air cooling factor; heat-ratio coefficient and heat benchmark (tCO2/GJ) by fuel;
# the fuel factor of circulating fluidised bed units burning coal below 3000 kcal/kg.
AIR_COOLING = Decimal("1.05")
HEAT_RATIO_COEFFICIENT = {"coal": Decimal("0.25"), "gas": Decimal("0.6")}
HEAT_BENCHMARK = {"coal": Decimal("0.1118"), "gas": Decimal("0.0602")}
LOW_CALORIFIC_KCAL, LOW_CALORIFIC_FACTOR = Decimal(3000), Decimal("1.03")
# Cement: clinker benchmark (tCO2/t) and the co-processing uplift, (waste from t, uplift)
# from the highest bracket down. Aluminium: molten aluminium benchmark (tCO2/t).
CLINKER = Decimal("0.8534")
WASTE_UPLIFT = ((Decimal(100000), Decimal("0.03")), (Decimal(50000), Decimal("0.02")),
                (Decimal(30000), Decimal("0.01")))
ALUMINIUM = Decimal("9.1132")


def _d(text: str | None) -> Decimal:
    return Decimal(text) if text else Decimal(0)


def power(row: dict[str, Any]) -> Decimal:
    category = row["category"]
    fuel = "gas" if category.startswith("gas") else "coal"
    cooling = AIR_COOLING if row["cooling"] == "air" else ONE
    heat_factor = 1 - HEAT_RATIO_COEFFICIENT[fuel] * _d(row["heat_ratio"])
    fuel_factor = ONE
    if category.startswith("cfb") and _d(row["calorific_value_kcal_per_kg"]) < LOW_CALORIFIC_KCAL:
        fuel_factor = LOW_CALORIFIC_FACTOR
    supply = (_d(row["electricity_supplied_mwh"]) * SUPPLY[category] * cooling * heat_factor
              * fuel_factor)
    heat = _d(row["heat_supplied_gj"]) * HEAT_BENCHMARK[fuel]
    return supply + heat


def cement(row: dict[str, Any]) -> Decimal:
    waste = _d(row.get("coprocessed_waste_t"))
    uplift = next((u for edge, u in WASTE_UPLIFT if waste >= edge), ZERO)
    return _d(row["clinker_t"]) * CLINKER * (1 + uplift)


def aluminium(row: dict[str, Any]) -> Decimal:
    return _d(row["molten_aluminium_t"]) * ALUMINIUM


FORMULAS = {"power": power, "cement": cement, "aluminium": aluminium}


def unit_allocations(rows: list[dict[str, Any]],
                     factors: dict[tuple[str, str], Decimal]) -> dict[str, Decimal]:
    with decimal.localcontext(CONTEXT):
        return {
            row["unit_id"]: FORMULAS[row["sector"]](row)
            * factors.get((row["province"], row["sector"]), Decimal(1))
            for row in rows
        }


def facility_allocations(rows: list[dict[str, Any]], units: dict[str, Decimal]
                         ) -> dict[str, int]:
    sums: dict[str, Decimal] = {}
    for row in rows:
        sums[row["facility_id"]] = sums.get(row["facility_id"], Decimal(0)) + units[row["unit_id"]]
    return {f: int(v.quantize(Decimal(1), rounding=ROUND_HALF_UP)) for f, v in sums.items()}


def run(data_csv: str, out_json: str) -> None:
    """The whole job as a plain script: read CSV, compute with Decimal, write JSON."""
    with open(data_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    units = unit_allocations(rows, {})
    facilities = facility_allocations(rows, units)
    with open(out_json, "w", encoding="utf-8") as handle:
        json.dump({"units": {u: str(v) for u, v in units.items()}, "facilities": facilities},
                  handle)
