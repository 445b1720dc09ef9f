"""The embedding API's lookups: what another system gets for a unit or facility."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import peie

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "units_2017.csv"


def test_unit_and_facility_lookups_return_none_when_absent_and_explain_names_the_unit() -> None:
    result = peie.allocate(SAMPLE, 2017)
    first = result.units[0]
    assert result.unit(first.unit_id) is first
    facility = result.facility(first.record.facility_id)
    assert facility is not None and first.unit_id in facility.unit_ids
    assert facility.exact == sum(u.allocation for u in result.units
                                 if u.unit_id in facility.unit_ids)
    assert result.unit("U-none") is None and result.facility("F-none") is None
    assert Decimal(result.explain(first.unit_id).value) == first.allocation
    with pytest.raises(peie.PeieError, match=f"no unit 'U-none' in {SAMPLE}"):
        result.explain("U-none")
