"""Properties of the rule language and of the 2017 formulas (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark import Lark

from peie.dsl.checker import check
from peie.dsl.errors import RuleError
from peie.dsl.parser import parse
from peie.exact.compiler import compile_rule
from peie.ruleset import bundled_rule_paths, load_rules

RULES = load_rules().in_force(2017)
POWER, CEMENT, ALUMINIUM = (compile_rule(RULES[s]) for s in ("power", "cement", "aluminium"))
SOURCES = [p.read_text(encoding="utf-8") for p in bundled_rule_paths()]
CATEGORIES = [m.code for m in RULES["power"].enums["category"].members]
GAS = {"gas_f_plus", "gas_below_f"}


def check_text(text: str) -> None:
    """Parse and check; a RuleError is the only acceptable failure."""
    try:
        check([parse(text, "fuzz.rule")])
    except RuleError as error:
        assert error.diagnostics
        for diagnostic in error.diagnostics:
            assert diagnostic.span.line >= 1 and diagnostic.message
        error.render()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(from_lark(Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr",
                                        lexer="basic")))
def test_text_from_the_grammar_never_crashes_the_checker(text: str) -> None:
    check_text(text)


@st.composite
def mutated_rule_file(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 40)))
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        pieces = st.sampled_from(list("[](){}<>=-+*/%#\"., \n0123456789abcxyz_×")
                                 + ["inf", "let ", "table ", " in ", "local_factor", ".5", "^"])
        noise = "".join(draw(st.lists(pieces, max_size=8)))
        if kind == "delete":
            text = text[:start] + text[end:]
        elif kind == "insert":
            text = text[:start] + noise + text[start:]
        elif kind == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        else:
            text = text[:start] + noise + text[end:]
    return text


@settings(max_examples=300, deadline=None)
@given(mutated_rule_file())
def test_mutated_rule_files_never_crash_the_checker(text: str) -> None:
    check_text(text)


amounts = st.decimals(min_value=0, max_value=10**8, places=3, allow_nan=False,
                      allow_infinity=False)
fractions = st.decimals(min_value=0, max_value=1, places=4)
factors = st.decimals(min_value=Decimal("0.0001"), max_value=1, places=4)


@st.composite
def power_unit(draw: st.DrawFn) -> dict[str, object]:
    category = draw(st.sampled_from(CATEGORIES))
    return {
        "category": category,
        "cooling": draw(st.sampled_from(["water", "air"])),
        "electricity_supplied_mwh": draw(amounts),
        "heat_supplied_gj": draw(amounts),
        "heat_ratio": draw(fractions),
        "calorific_value_kcal_per_kg": draw(st.decimals(min_value=1, max_value=8000, places=1))
        if category.startswith("cfb") else None,
    }


@given(power_unit(), amounts, factors)
def test_power_is_non_negative_and_monotone_in_output(unit: dict[str, object], extra: Decimal,
                                                      factor: Decimal) -> None:
    base = POWER.allocate(unit, factor)
    assert base >= 0
    for field in ("electricity_supplied_mwh", "heat_supplied_gj"):
        more = dict(unit, **{field: unit[field] + extra})  # type: ignore[operator]
        assert POWER.allocate(more, factor) >= base


@given(power_unit())
def test_heat_supply_factor_stays_within_its_fuel_range(unit: dict[str, object]) -> None:
    traced = POWER.trace(unit, Decimal(1))
    low = Decimal("0.4") if unit["category"] in GAS else Decimal("0.75")
    assert low <= traced["heat_supply_factor"] <= 1


@given(power_unit(), factors)
def test_a_local_factor_never_raises_a_power_allocation(unit: dict[str, object],
                                                        factor: Decimal) -> None:
    assert POWER.allocate(unit, factor) <= POWER.allocate(unit, Decimal(1))


@given(amounts, amounts, amounts, factors)
def test_cement_uplift_and_monotonicity(clinker: Decimal, waste: Decimal, extra: Decimal,
                                        factor: Decimal) -> None:
    row = {"clinker_t": clinker, "coprocessed_waste_t": waste}
    allocation = CEMENT.allocate(row, Decimal(1))
    plain = clinker * Decimal("0.8534")
    if plain:
        assert allocation / plain - 1 in {Decimal(0), Decimal("0.01"), Decimal("0.02"),
                                          Decimal("0.03")}
    assert CEMENT.allocate({**row, "clinker_t": clinker + extra}, Decimal(1)) >= allocation
    assert CEMENT.allocate({**row, "coprocessed_waste_t": waste + extra}, Decimal(1)) \
        >= allocation
    assert 0 <= CEMENT.allocate(row, factor) <= allocation


@given(amounts, amounts, factors)
def test_aluminium_is_non_negative_monotone_and_never_raised_by_a_factor(
        output: Decimal, extra: Decimal, factor: Decimal) -> None:
    row = {"molten_aluminium_t": output}
    allocation = ALUMINIUM.allocate(row, Decimal(1))
    assert allocation >= 0
    assert ALUMINIUM.allocate({"molten_aluminium_t": output + extra}, Decimal(1)) >= allocation
    assert ALUMINIUM.allocate(row, factor) <= allocation


def test_bundled_files_are_the_ones_under_rules() -> None:
    names = sorted(p.name for p in bundled_rule_paths())
    assert {"power.rule", "cement.rule", "aluminium.rule"} <= set(names)
    assert Path(bundled_rule_paths()[0]).suffix == ".rule"
