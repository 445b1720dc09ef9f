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


def test_rule_files_given_as_text_are_loaded_checked_and_compared_like_files() -> None:
    """A RuleText (a service's request, an editor's buffer) stands wherever a rule file
    does: in a list beside files, in check, as a version to diff; its name is the path."""
    from peie import api

    cement = (ROOT / "rules" / "cement.rule").read_text(encoding="utf-8")
    mixed = api.load_rules([api.RuleText("draft/cement.rule", cement),
                            ROOT / "rules" / "power.rule"])
    assert [r.path for r in mixed.rules] == ["draft/cement.rule",
                                             str(ROOT / "rules" / "power.rule")]
    assert api.check([api.RuleText("c.rule", cement)]).rules[0].path == "c.rule"
    broken = cement.replace("* local_factor\n", "* local_factr\n")
    with pytest.raises(peie.RuleError) as raised:
        api.load_rules([api.RuleText("c.rule", broken), api.RuleText("d.rule", broken)])
    assert {d.span.file for d in raised.value.diagnostics} == {"c.rule", "d.rule"}
    same = api.diff(api.RuleText("a.rule", cement), str(ROOT / "rules" / "cement.rule"))
    assert same.diff.edits == () and same.old.path == "a.rule"


def test_local_factors_as_records_are_read_like_a_file(tmp_path: Path) -> None:
    from peie import api

    (tmp_path / "f.csv").write_text("province,sector,factor\nhebei,power,0.98\n")
    table = api.read_data([{"province": "hebei", "sector": "power", "factor": "0.98"}], "f")
    as_records = peie.allocate(SAMPLE, 2017, local_factors=table)
    as_file = peie.allocate(SAMPLE, 2017, local_factors=tmp_path / "f.csv")
    assert as_records.totals() == as_file.totals() != peie.allocate(SAMPLE, 2017).totals()
    with pytest.raises(peie.DataError, match="f, row 1, field 'factor'"):
        api.read_local_factors(api.read_data([{"province": "hebei", "sector": "power",
                                               "factor": "2"}], "f"), ["power"])
