"""Every kind of rule-file error, with its exact message and position."""

from __future__ import annotations

import pytest

from peie.dsl.checker import check
from peie.dsl.errors import RuleError
from peie.dsl.parser import parse

BASE = """\
sector cement "水泥"
version "test"
status draft
effective 2017 to 2018
published 2017-05-09
source "test source"
enum kind { grey "灰" white "白" }
input kind: kind
input clinker_t: t in [0, inf)
input waste_t: t in [0, inf) default 0 t
param benchmark = 0.8534 tCO2/t
table factor by kind in 1 {
    grey 1
    white 1.1
}
bracket uplift over waste_t {
    [0 t, 30000 t) -> 0 %
    [30000 t, inf) -> 1 %
}
let line = clinker_t * benchmark * factor[kind] * (1 + uplift)
allocation = line * local_factor
preallocation 50 % of base year 2015
rounding facility half_up to 1 tCO2
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(RuleError) as caught:
        check([parse(text, "t.rule")])
    return [f"{d.span.line}:{d.span.column}: {d.message}" for d in caught.value.diagnostics]


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def test_base_is_clean() -> None:
    (rule,) = check([parse(BASE, "t.rule")])
    assert rule.sector == "cement" and [d.name for d in rule.lets] == ["line"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("status draft", "status drafty",
     "3:1: status must be one of draft, final, secondary, not 'drafty' (did you mean 'draft'?)"),
    ("effective 2017 to 2018", "effective 2019 to 2018",
     "4:1: effective years must be whole years, first <= last (got 2019 to 2018)"),
    ("published 2017-05-09", "published 2017-02-30", "5:1: '2017-02-30' is not a calendar date"),
    ('version "test"\n', 'version "test"\nversion "again"\n',
     "3:1: 'version' is given twice (first at line 2)"),
    ("clinker_t * benchmark", "clinker_t * benchmrk",
     "20:24: unknown name 'benchmrk' (did you mean 'benchmark'?)"),
    ("param benchmark", "input benchmark: t\nparam benchmark",
     "12:1: 'benchmark' is already declared at line 11"),
    ("let line = clinker_t * benchmark", "let line = clinker_t + benchmark",
     "20:12: cannot add t and tCO2/t"),
    ("allocation = line * local_factor", "allocation = clinker_t * local_factor",
     "21:1: allocation must be in tCO2, but this formula gives t"),
    ("    white 1.1\n", "",
     "12:1: table 'factor' has no row for kind 'white'"),
    ("    white 1.1\n", "    white 1.1\n    grey 2\n",
     "15:5: table 'factor' has two rows for 'grey' (first at line 13)"),
    ("    white 1.1\n", "    whte 1.1\n",
     "14:5: 'whte' is not a kind code (did you mean 'white'?)"),
    ("factor[kind]", "factor[waste_t]", "20:43: table 'factor' is keyed by kind, but the key "
     "given is t"),
    ("factor[kind]", "factor", "20:36: table 'factor' needs a key, as in factor[kind]"),
    ("[30000 t, inf) -> 1 %", "[20000 t, inf) -> 1 %",
     "18:5: bracket 'uplift': [20000, inf) overlaps [0, 30000)"),
    ("[30000 t, inf) -> 1 %", "[40000 t, inf) -> 1 %",
     "18:5: bracket 'uplift' leaves a gap between [0, 30000) and [40000, inf)"),
    ("[30000 t, inf) -> 1 %", "(30000 t, inf) -> 1 %",
     "18:5: bracket 'uplift' leaves a gap between [0, 30000) and (30000, inf)"),
    ("[30000 t, inf) -> 1 %", "[30000 t, 90000 t) -> 1 %",
     "16:1: bracket 'uplift' does not cover the whole range [0, inf) of 'waste_t'"),
    ("[0 t, 30000 t) -> 0 %", "[0 MWh, 30000 t) -> 0 %",
     "17:6: bracket 'uplift' is in MWh, but t is expected here"),
    ("let line = clinker_t", "let line = line + clinker_t",
     "20:1: 'line' is defined in terms of itself (line -> line)"),
    ("preallocation 50 %", "preallocation 150 %",
     "22:15: the pre-allocation share must be more than 0 % and at most 100 %"),
    ("of base year 2015", "of base year 2017",
     "22:1: base year 2017 must come before the first effective year 2017"),
    ("rounding facility half_up to 1 tCO2", "rounding facility half_upp to 1 tCO2",
     "23:1: rounding mode must be one of half_up, half_even, down, up, not 'half_upp' "
     "(did you mean 'half_up'?)"),
    ("rounding facility half_up to 1 tCO2", "rounding facility half_up to 1 t",
     "23:30: the rounding step is in t, but tCO2 is expected here"),
    ("rounding facility half_up to 1 tCO2\n", "",
     "1:1: the rule file has no 'rounding facility' rule"),
    ("allocation = line * local_factor\n", "",
     "1:1: the rule file has no 'allocation = ...' formula"),
    ("input waste_t: t in [0, inf) default 0 t", "input waste_t: t in [0, inf) default 5 MWh",
     "10:38: default of 'waste_t' is in MWh, but t is expected here"),
    ("input clinker_t: t in [0, inf)", "input clinker_t: t in [5, 1]",
     "9:23: range of 'clinker_t': the interval is empty"),
    ("let line =", "let local_factor = 1\nlet line =",
     "20:1: 'local_factor' is built in (the local adjustment factor of the facility's "
     "province and sector) and cannot be redeclared"),
    ("(1 + uplift)", "(1 + uplift) * (if kind == blue then 1 else 2)",
     "20:78: 'blue' is not a kind code"),
    ("(1 + uplift)", "(if kind == grey then 1 else waste_t)",
     "20:52: the two branches differ: 1 after 'then', t after 'else'"),
    ("input kind: kind", "input kind: kind in [0, 1]",
     "8:21: input 'kind' is a code; it cannot have a numeric range"),
    ("enum kind { grey \"灰\" white \"白\" }", "enum kind { grey \"灰\" grey \"白\" white \"w\" }",
     "7:22: code 'grey' appears twice in enum 'kind' (first at line 7)"),
    ("input clinker_t: t in [0, inf)", "input clinker_t: % in [0 %, 100 %]",
     "9:18: '%' can only follow a number; give inputs and tables the unit 1 and write "
     "fractions (0.25 for 25 %)"),
    ("rounding facility half_up to 1 tCO2", "rounding facility half_up to 0.5 tCO2",
     "23:30: the rounding step must be a whole number of tonnes (allowances are issued in "
     "whole tCO2)"),
    ("input kind: kind", "input kind: knd",
     "8:13: 'knd' is not an enum, so it is read as a unit (did you mean 'kind'?)"),
])
def test_check_error(old: str, new: str, expected: str) -> None:
    assert expected in errors_of(edit(old, new))


def test_all_errors_are_reported_at_once() -> None:
    text = edit("status draft", "status drafty").replace("benchmark *", "benchmrk *")
    text = text.replace("half_up to", "half_upp to")
    assert len(errors_of(text)) == 3


@pytest.mark.parametrize(("text", "expected"), [
    ("sector cement", "1:14: unfinished declaration: the end of the file comes too early; "
     "expected a \"quoted text\""),
    ("sector cement \"x\"\ninput clinker_t t", "2:17: unexpected 't'; expected ':'"),
    ("let a = b * * 3", "1:13: unexpected '*'; expected one of '(', '-', a name, a number"),
    ("let a = 1 $ 2", "1:11: unexpected character '$'"),
])
def test_syntax_error(text: str, expected: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse(text, "s.rule")
    messages = [f"{d.span.line}:{d.span.column}: {d.message}" for d in caught.value.diagnostics]
    assert any(m.startswith(expected) for m in messages), messages


def test_syntax_errors_in_several_declarations_are_all_reported() -> None:
    text = "sector cement \"x\"\ninput a t\nlet b = 1 +\nlet c = 2\nparam = 3\n"
    with pytest.raises(RuleError) as caught:
        parse(text, "s.rule")
    assert [d.span.line for d in caught.value.diagnostics] == [2, 3, 5]


def test_rendering_shows_the_line_and_a_caret() -> None:
    with pytest.raises(RuleError) as caught:
        check([parse(edit("clinker_t * benchmark", "clinker_t * benchmrk"), "t.rule")])
    assert caught.value.render() == (
        "t.rule:20:24: error: unknown name 'benchmrk' (did you mean 'benchmark'?)\n"
        "    let line = clinker_t * benchmrk * factor[kind] * (1 + uplift)\n"
        "                           ^^^^^^^^"
    )


def test_overlapping_versions_of_a_sector_are_an_error() -> None:
    other = BASE.replace('version "test"', 'version "other"').replace(
        "effective 2017 to 2018", "effective 2018 to 2020")
    with pytest.raises(RuleError) as caught:
        check([parse(BASE, "a.rule"), parse(other, "b.rule")])
    (problem,) = caught.value.diagnostics
    assert problem.span.file == "b.rule"
    assert problem.message == ("cement version 'other' (2018-2020) overlaps version 'test' "
                               "(2017-2018) in a.rule")


def test_a_bracket_may_be_declared_after_the_let_that_uses_it() -> None:
    bracket = BASE[BASE.index("bracket uplift"):BASE.index("let line")]
    moved = BASE.replace(bracket, "").replace("preallocation", bracket + "preallocation")
    (rule,) = check([parse(moved, "t.rule")])
    assert [d.name for d in rule.lets] == ["line"] and "uplift" in rule.brackets
