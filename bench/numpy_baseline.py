"""The 2017 draft's formulas written by hand in numpy over columns, with no rule files.

The benchmark's yardstick for the batch path. For a fair comparison it starts from the
arrays the batch path itself reads (the engine's Columns, with text already converted to
numbers and codes), so the two differ in evaluation only, not in reading the file. The
numbers are bench.baseline's; no local factors (every factor 1), facility totals rounded
half up to whole tonnes, in float64 and with no exact fallback near a rounding edge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from peie.data.columns import Columns

from . import baseline

SECTORS = ("power", "cement", "aluminium")
CATEGORIES = tuple(baseline.SUPPLY)
COOLING = ("water", "air")

# Per category, with a last entry for rows that have none (code -1).
SUPPLY = np.array([*(float(v) for v in baseline.SUPPLY.values()), 0.0])
GAS = np.array([*(c.startswith("gas") for c in CATEGORIES), False])
CFB = np.array([*(c.startswith("cfb") for c in CATEGORIES), False])
AIR_COOLING = float(baseline.AIR_COOLING)
COEFFICIENT = {f: float(v) for f, v in baseline.HEAT_RATIO_COEFFICIENT.items()}
HEAT_BENCHMARK = {f: float(v) for f, v in baseline.HEAT_BENCHMARK.items()}
LOW_CALORIFIC_KCAL = float(baseline.LOW_CALORIFIC_KCAL)
LOW_CALORIFIC_FACTOR = float(baseline.LOW_CALORIFIC_FACTOR)
CLINKER = float(baseline.CLINKER)
ALUMINIUM = float(baseline.ALUMINIUM)
WASTE_EDGES = np.array(sorted(float(edge) for edge, _ in baseline.WASTE_UPLIFT))
UPLIFTS = np.array([0.0, *sorted(float(uplift) for _, uplift in baseline.WASTE_UPLIFT)])


@dataclass(frozen=True)
class Inputs:
    """The columns the formulas read: floats (NaN where empty) and integer codes."""

    sector: np.ndarray  # index into SECTORS
    facility: np.ndarray  # index into facility_ids
    facility_ids: list[str]
    category: np.ndarray  # index into CATEGORIES; -1 where empty
    air: np.ndarray  # bool
    electricity: np.ndarray
    heat: np.ndarray
    heat_ratio: np.ndarray
    calorific: np.ndarray
    clinker: np.ndarray
    waste: np.ndarray
    aluminium: np.ndarray


def inputs(columns: Columns) -> Inputs:
    """The arrays, pulled from (and cached on) the same Columns the batch path reads."""
    facility, facility_ids = columns.encoded("facility_id")
    return Inputs(
        sector=columns.codes("sector", SECTORS),
        facility=facility,
        facility_ids=facility_ids,
        category=columns.codes("category", CATEGORIES),
        air=columns.codes("cooling", COOLING) == 1,
        electricity=columns.floats("electricity_supplied_mwh"),
        heat=columns.floats("heat_supplied_gj"),
        heat_ratio=columns.floats("heat_ratio"),
        calorific=columns.floats("calorific_value_kcal_per_kg"),
        clinker=columns.floats("clinker_t"),
        waste=columns.floats("coprocessed_waste_t"),
        aluminium=columns.floats("molten_aluminium_t"),
    )


def _power(x: Inputs, rows: np.ndarray) -> np.ndarray:
    category = x.category[rows]
    gas = GAS[category]
    cooling = np.where(x.air[rows], AIR_COOLING, 1.0)
    coefficient = np.where(gas, COEFFICIENT["gas"], COEFFICIENT["coal"])
    low = CFB[category] & (x.calorific[rows] < LOW_CALORIFIC_KCAL)
    fuel_factor = np.where(low, LOW_CALORIFIC_FACTOR, 1.0)
    supply = (x.electricity[rows] * SUPPLY[category] * cooling
              * (1.0 - coefficient * x.heat_ratio[rows]) * fuel_factor)
    heat = x.heat[rows] * np.where(gas, HEAT_BENCHMARK["gas"], HEAT_BENCHMARK["coal"])
    return supply + heat


def _cement(x: Inputs, rows: np.ndarray) -> np.ndarray:
    waste = np.nan_to_num(x.waste[rows])  # an empty cell processed none
    uplift = UPLIFTS[np.searchsorted(WASTE_EDGES, waste, side="right")]
    return x.clinker[rows] * CLINKER * (1.0 + uplift)


def _aluminium(x: Inputs, rows: np.ndarray) -> np.ndarray:
    return x.aluminium[rows] * ALUMINIUM


FORMULAS = (_power, _cement, _aluminium)  # in the order of SECTORS


def unit_allocations(x: Inputs) -> np.ndarray:
    """tCO2 per unit, in the rows' order."""
    out = np.empty(len(x.sector))
    for code, formula in enumerate(FORMULAS):
        rows = np.flatnonzero(x.sector == code)
        out[rows] = formula(x, rows)
    return out


def facility_tonnes(x: Inputs) -> np.ndarray:
    """Whole tonnes per facility (in the order of x.facility_ids), half up."""
    totals = np.bincount(x.facility, weights=unit_allocations(x),
                         minlength=len(x.facility_ids))
    return np.floor(totals + 0.5).astype(np.int64)


def facility_allocations(columns: Columns) -> dict[str, int]:
    """facility id -> whole tonnes, for checking against the engine."""
    x = inputs(columns)
    return dict(zip(x.facility_ids, facility_tonnes(x).tolist(), strict=True))
