"""The fast record check agrees with the JSON Schema derived from the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from peie.data.records import ACCOUNTING_COLUMNS, _SectorValidator, record_schema
from peie.ruleset import load_rules

RULES = load_rules().in_force(2017)
VALIDATORS = {s: _SectorValidator(r, set()) for s, r in RULES.items()}
ALL_INPUTS = sorted({n for r in RULES.values() for n in r.inputs})


def values_for(name: str) -> st.SearchStrategy[Any]:
    codes = ["usc_1000", "cfb_300_plus", "cfb_below_300", "gas_f_plus", "water", "air",
             "coal", "", "wter"]
    return st.one_of(
        st.decimals(min_value=-2, max_value=10**6, places=2),
        st.sampled_from([Decimal(0), Decimal(1), Decimal("1.0001"), Decimal("-0.01")]),
        st.sampled_from(codes),
        st.text(max_size=3),
    )


@st.composite
def instance(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    sector = draw(st.sampled_from(sorted(RULES)))
    fields = ["facility_id", "unit_id", "sector", "province", *ALL_INPUTS,
              *ACCOUNTING_COLUMNS]
    chosen = draw(st.lists(st.sampled_from(fields), unique=True))
    # Most draws keep the identity fields and the sector's own inputs, so that valid
    # records are common too.
    if draw(st.booleans()):
        chosen = sorted(set(chosen) | {"facility_id", "unit_id", "sector", "province",
                                       *RULES[sector].inputs})
    row: dict[str, Any] = {}
    for name in chosen:
        if name == "sector":
            row[name] = draw(st.sampled_from([sector, sector, "powr"]))
        elif name in ("facility_id", "unit_id"):
            row[name] = draw(st.sampled_from(["F-1", "U-1", "jiangsu", ""]))
        elif name == "province":  # a province is one of the table's canonical names
            row[name] = draw(st.sampled_from(["jiangsu", "hebei", "江苏", "F-1", ""]))
        elif name in RULES[sector].inputs and draw(st.booleans()):
            row[name] = _valid(sector, name, draw)
        else:
            row[name] = draw(values_for(name))
    return sector, row


def _valid(sector: str, name: str, draw: st.DrawFn) -> Any:
    item = RULES[sector].inputs[name]
    if item.decl.type.factors and item.decl.type.factors[0][0] in RULES[sector].enums:
        codes = [m.code for m in RULES[sector].enums[item.decl.type.factors[0][0]].members]
        return draw(st.sampled_from(codes))
    high = item.range.high if item.range and item.range.high is not None else Decimal(10**6)
    return draw(st.decimals(min_value=0, max_value=high, places=3).filter(lambda d: d > 0))


@settings(max_examples=1500, deadline=None)
@given(instance())
def test_fast_check_agrees_with_the_json_schema(case: tuple[str, dict[str, Any]]) -> None:
    sector, row = case
    validator = VALIDATORS[sector]
    schema_valid = not any(True for _ in validator.validator.iter_errors(row))
    assert validator.is_valid(row) == schema_valid


def test_schema_of_power_requires_the_calorific_value_for_cfb_units() -> None:
    schema = record_schema(RULES["power"])
    assert schema["allOf"] == [{
        "if": {"properties": {"category": {"enum": ["cfb_300_plus", "cfb_below_300"]}},
               "required": ["category"]},
        "then": {"required": ["calorific_value_kcal_per_kg"]},
    }]
    assert schema["properties"]["heat_ratio"] == {"type": "number", "minimum": 0, "maximum": 1}
    assert schema["additionalProperties"] is False


def test_both_outcomes_are_exercised() -> None:
    """The property above is only worth something if valid and invalid rows both occur."""
    outcomes = set()

    @settings(max_examples=300, deadline=None, database=None, derandomize=True)
    @given(instance())
    def collect(case: tuple[str, dict[str, Any]]) -> None:
        sector, row = case
        outcomes.add(VALIDATORS[sector].is_valid(row))

    collect()
    assert outcomes == {True, False}


def test_the_schema_of_every_bundled_rule_is_a_well_formed_json_schema() -> None:
    from jsonschema import Draft202012Validator

    for rule in load_rules().rules:
        Draft202012Validator.check_schema(record_schema(rule))  # raises if malformed
