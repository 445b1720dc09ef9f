"""The bundled rules' formulas written by hand, with no rule file and no peie code: the
independent check of every amount the bundled case files (rules/*.cases.yaml) expect.

The 2017 draft's formulas are bench/baseline.py's; the later power versions are written
here from domain.md §3 (categories, benchmarks, the cooling, heat-supply and load-factor
corrections, the pre-allocation basis without the load-factor correction).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bench import baseline

D = Decimal
CONTEXT = decimal.Context(prec=60)  # as the engine's; nothing here is near its limit


@dataclass(frozen=True)
class Plan:
    """One version of the later power plans: benchmarks (tCO2/MWh, tCO2/GJ) and share."""

    supply: Mapping[str, Decimal]
    heat: Mapping[str, Decimal]
    share: Decimal = D("0.7")
    coefficient: Mapping[str, Decimal] = field(
        default_factory=lambda: {"coal": D("0.22"), "gas": D("0.6")})


def _plan(supply: str, heat: str) -> Plan:
    above, below, unconventional, gas = (D(x) for x in supply.split())
    coal_heat, gas_heat = (D(x) for x in heat.split())
    return Plan({"coal_above_300": above, "coal_300_below": below,
                 "coal_unconventional": unconventional, "gas": gas},
                {"coal": coal_heat, "gas": gas_heat})


PLANS = {2019: _plan("0.877 0.979 1.146 0.392", "0.126 0.059"),
         2021: _plan("0.8218 0.8773 0.9350 0.3920", "0.1111 0.0560"),
         2022: _plan("0.8177 0.8729 0.9303 0.3901", "0.1105 0.0557")}
PLANS[2020] = PLANS[2019]

# The 2017 codes as the 2019 plan's categories (power-2019.rule's comment gives why).
CATEGORY = {"usc_1000": "coal_above_300", "usc_600": "coal_above_300",
            "sc_600": "coal_above_300", "subc_600": "coal_above_300",
            "sc_300": "coal_300_below", "subc_300": "coal_300_below",
            "hp_below_300": "coal_300_below", "cfb_300_plus": "coal_unconventional",
            "cfb_below_300": "coal_unconventional", "gas_f_plus": "gas", "gas_below_f": "gas"}


def _d(value: Any) -> Decimal:
    return D(0) if value is None else D(str(value))


def _load_correction(load: Decimal) -> Decimal:
    """domain.md §3: the load-factor correction Ff of a conventional pure-condensing unit."""
    if load >= D("0.85"):
        return D(1)
    if load >= D("0.80"):
        return 1 + D("0.0014") * (85 - 100 * load)
    if load >= D("0.75"):
        return D("1.007") + D("0.0016") * (80 - 100 * load)
    return D("1.015") ** (16 - 20 * load)


def plan_unit(plan: Plan, row: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    """(allocation, pre-allocation basis) of one unit under a later power plan."""
    category = CATEGORY.get(row["category"], row["category"])
    fuel = "gas" if category == "gas" else "coal"
    cooling = D("1.05") if fuel == "coal" and row.get("cooling") == "air" else D(1)
    heat_factor = 1 - plan.coefficient[fuel] * _d(row.get("heat_ratio"))
    supply = _d(row["electricity_supplied_mwh"]) * plan.supply[category] * cooling * heat_factor
    pure = str(row.get("pure_condensing")).lower() in ("true", "yes")
    load = D(1)
    if pure and category in ("coal_above_300", "coal_300_below"):
        load = _load_correction(_d(row["load_factor"]))
    heat = _d(row.get("heat_supplied_gj")) * plan.heat[fuel]
    return supply * load + heat, supply + heat


def _cells(row: Mapping[str, Any]) -> dict[str, Any]:
    """A case's row as bench/baseline reads a CSV row: text, empty as ''."""
    return {k: "" if v is None else str(v) for k, v in row.items()} | {
        k: "" for k in ("calorific_value_kcal_per_kg", "coprocessed_waste_t", "heat_ratio",
                        "heat_supplied_gj") if k not in row}


def unit_amounts(year: int, rows: Iterable[Mapping[str, Any]],
                 factors: Mapping[tuple[str, str], Decimal], basis: bool = False
                 ) -> dict[str, tuple[str, str, Decimal]]:
    """unit id -> (facility, sector, exact amount): the allocation (or, with `basis`, what
    the pre-allocation share multiplies)."""
    out = {}
    with decimal.localcontext(CONTEXT):
        for row in rows:
            sector = row["sector"]
            if sector == "power" and year >= 2019:
                allocation, base = plan_unit(PLANS[year], row)
                amount = base if basis else allocation  # the plans have no local factor
            else:
                factor = factors.get((row["province"], sector), D(1))
                amount = baseline.FORMULAS[sector](_cells(row)) * factor
            out[row["unit_id"]] = (row["facility_id"], sector, amount)
    return out


def share(year: int, sector: str) -> Decimal:
    return PLANS[year].share if sector == "power" and year >= 2019 else baseline.SHARE[sector]


def whole(amount: Decimal) -> int:
    return int(amount.quantize(D(1), rounding=ROUND_HALF_UP))


def facility_amounts(units: Mapping[str, tuple[str, str, Decimal]], scale: Any = None
                     ) -> dict[tuple[str, str], int]:
    """(facility, sector) -> whole tonnes: the exact sum of its units in that sector,
    times `scale(sector)` if given, rounded half up (every bundled rule rounds so)."""
    sums: dict[tuple[str, str], Decimal] = {}
    for facility, sector, amount in units.values():
        sums[(facility, sector)] = sums.get((facility, sector), D(0)) + amount
    with decimal.localcontext(CONTEXT):
        return {key: whole(total * (scale(key[1]) if scale else 1))
                for key, total in sums.items()}


def emissions(row: Mapping[str, Any]) -> Decimal:
    """Aluminium accounting (seed 002 L201-219): direct emissions plus electricity at the
    national grid factor 0.6858 tCO2/MWh, where the data gives no verified emissions."""
    if row.get("verified_emissions_t") is not None:
        return _d(row["verified_emissions_t"])
    return _d(row.get("direct_emissions_t")) + _d(row.get("electricity_consumed_mwh")) \
        * D("0.6858")


def obligations(year: int, rows: Iterable[Mapping[str, Any]],
                units: Mapping[str, tuple[str, str, Decimal]]) -> dict[tuple[str, str], int]:
    """(facility, sector) -> what it owes at compliance, whole tonnes (contract 13). Power
    from 2019: a gas unit owes min(its verified emissions, its exact allocation), any other
    unit its verified emissions; the facility min(the sum of those, its whole-tonne
    allocation + 20 % of its verified emissions), half up. Other rules: the verified
    emissions."""
    allocated = facility_amounts(units)
    owed: dict[tuple[str, str], Decimal] = {}
    emitted: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        facility, sector, amount = units[str(row["unit_id"])]
        key, verified = (facility, sector), emissions(row)
        emitted[key] = emitted.get(key, D(0)) + verified
        capped = sector == "power" and year >= 2019
        gas = capped and CATEGORY.get(str(row["category"]), str(row["category"])) == "gas"
        owed[key] = owed.get(key, D(0)) + (min(verified, amount) if gas else verified)
    with decimal.localcontext(CONTEXT):
        return {key: whole(min(total, allocated[key] + D("0.2") * emitted[key])
                           if key[1] == "power" and year >= 2019 else total)
                for key, total in owed.items()}
