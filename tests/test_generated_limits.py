"""Whatever `check` accepts, the evaluators run: the generated code does not depend on
Python's nesting limits, and what would reach them is refused by `check` at its place.

Issue 12 found a sum of 202 terms, 200 chained else-ifs, a bracket of 2,980 rows and 197
chained lets that passed `check` and made `allocate` raise (the generated Python was
nested past the parser's and compiler's limits), and 489 nested terms that made `check`
itself raise. Each is a regression here, its allocation worked out by hand."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rule_texts import HEAD

from peie.dsl.checker import check
from peie.dsl.parser import parse
from peie.exact.compiler import compile_rule

# Every rule below: a = x_t * 0.5 tCO2/t; u = 1 t and c = 1 tCO2 to compare and to count.
DECLARATIONS = """input x_t: t in [0, inf) "x"
param b "b" = 0.5 tCO2/t source "tests"
param u "u" = 1 t
param c "c" = 1 tCO2
let a = x_t * b
"""
# One unit a facility, so that each facility's total is its unit's, rounded half up.
X = {"U1": Decimal(100), "U2": Decimal("1500.5")}
A = {unit: x * Decimal("0.5") for unit, x in X.items()}  # 50 and 750.25


def _write(tmp_path: Path, body: str, name: str = "deep.rule") -> Path:
    rule = tmp_path / name
    rule.write_text(HEAD + DECLARATIONS + body + "\n", encoding="utf-8")
    return rule


def _data(tmp_path: Path, cells: dict[str, str] | None = None) -> Path:
    cells = cells or {unit: str(x) for unit, x in X.items()}
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,x_t\n" + "".join(
        f"F{unit},{unit},test,hebei,{x}\n" for unit, x in cells.items()), encoding="utf-8")
    return data


def _allocations(cli, tmp_path: Path, body: str, batch: bool = False) -> dict[str, Decimal]:
    """Each unit's allocation (and its facility's total, the same rounded) from
    `allocate --format json` on the exact or the batch path."""
    rule, data = _write(tmp_path, body), _data(tmp_path)
    status, out, err = cli("allocate", str(data), "--year", "2017", "--rules", str(rule),
                           "--format", "json", *(["--batch"] if batch else []))
    assert status == 0 and "Traceback" not in err, err
    document = json.loads(out)
    units = {u["unit_id"]: Decimal(u["allocation"]) for u in document["units"]}
    totals = {f["facility_id"]: f["allocation"] for f in document["facilities"]}
    for unit, amount in units.items():
        assert totals[f"F{unit}"] == int(amount.quantize(Decimal(1), "ROUND_HALF_UP"))
    return units


def _refused(cli, tmp_path: Path, body: str, by_parser: bool = True) -> str:
    """The stderr of `check` on a rule it must refuse (with no traceback, exit 1); the
    other commands refuse it alike (`fmt` too when the parser refuses it)."""
    rule, data = _write(tmp_path, body), _data(tmp_path)
    commands = [("check", str(rule)),
                ("allocate", str(data), "--year", "2017", "--rules", str(rule)),
                ("allocate", str(data), "--year", "2017", "--rules", str(rule), "--batch")]
    for command in commands + ([("fmt", str(rule))] if by_parser else []):
        status, out, err = cli(*command)
        assert status == 1 and out == "" and "Traceback" not in err, (command, err)
    return cli("check", str(rule))[2]


def _line_of(text: str, start: str) -> int:
    return next(n for n, line in enumerate((HEAD + DECLARATIONS + text).splitlines(), 1)
                if line.startswith(start))


@pytest.mark.parametrize("batch", [False, True])
def test_a_sum_of_202_terms(cli, tmp_path: Path, batch: bool) -> None:
    body = "allocation = " + " + ".join(f"a * {i}" for i in range(1, 203))
    # 1 + 2 + ... + 202 = 202 * 203 / 2 = 20,503 times a
    assert _allocations(cli, tmp_path, body, batch) == {u: a * 20503 for u, a in A.items()}


@pytest.mark.parametrize("batch", [False, True])
def test_200_chained_else_ifs(cli, tmp_path: Path, batch: bool) -> None:
    body = "allocation = " + "".join(
        f"if x_t < {i} * u then {i} * c else " for i in range(1, 201)) + "a"
    # 100 t is first below 101 t; 1,500.5 t is below none of 1 t ... 200 t: the last else.
    assert _allocations(cli, tmp_path, body, batch) == {"U1": 101, "U2": A["U2"]}


def test_a_branch_not_taken_is_not_computed_however_deep(cli, tmp_path: Path) -> None:
    """Past the nesting the generated code keeps in one expression, a deep branch and the
    right side of `and` are computed under a guard: here either would divide by zero."""
    zero = "c / (x_t / u - x_t / u)"
    chain = "".join(f"if x_t < {i} * u then {i} * c else " for i in range(1, 60))
    deep_and = "(x_t > u and " * 60 + f"{zero} > c" + ")" * 60
    body = f"allocation = if x_t > 1000 * u and {deep_and} then c else {chain}{zero}"
    _data(tmp_path, {"U1": "30"})
    rule = _write(tmp_path, body)
    status, out, err = cli("allocate", str(tmp_path / "units.csv"), "--year", "2017",
                           "--rules", str(rule), "--format", "json")
    assert status == 0, err
    assert json.loads(out)["units"][0]["allocation"] == "31"  # 30 t is first below 31 t


@pytest.mark.parametrize("batch", [False, True])
def test_a_bracket_of_2980_rows(cli, tmp_path: Path, batch: bool) -> None:
    rows = "".join(f"    [{i} t, {i + 1} t) -> {i} %\n" for i in range(2980))
    body = f'bracket pct "pct" over x_t {{\n{rows}    [2980 t, inf) -> 1 %\n}}\n' \
           "allocation = a * pct"
    # 100 t lies in [100 t, 101 t): 100 %; 1,500.5 t in [1500 t, 1501 t): 1,500 %.
    assert _allocations(cli, tmp_path, body, batch) == {"U1": A["U1"] * 1,
                                                         "U2": A["U2"] * 15}


def _bracket_rule(closed_above: list[bool]) -> str:
    """Rows 0..n-1 over [0, n], row k from k to k + 1, closed above or below as given
    (and so the next row open below or above), row k giving k %."""
    n = len(closed_above)
    rows = []
    for k in range(n):
        low = "[" if k == 0 or not closed_above[k - 1] else "("
        high = "]" if closed_above[k] or k == n - 1 else ")"
        rows.append(f"    {low}{k} t, {k + 1} t{high} -> {k} %\n")
    return (HEAD + f'input x_t: t in [0 t, {n} t] "x"\n'
            f'bracket pct "pct" over x_t {{\n{"".join(rows)}}}\n'
            "param b = 100 tCO2/t\nallocation = x_t * b * pct\n")


@settings(max_examples=30, derandomize=True)
@given(st.lists(st.booleans(), min_size=2, max_size=24))
def test_brackets_of_few_and_many_rows_close_the_same_side_of_each_edge(
        closed_above: list[bool]) -> None:
    """A few rows are found by tests in one expression, more by bisection: at each edge
    k, the row below takes it if closed above, else the row above; and between edges the
    row is plain."""
    [rule] = check([parse(_bracket_rule(closed_above), "edges.rule")])
    compiled = compile_rule(rule)

    def row(x: Decimal) -> Decimal:  # the row's k, read back from x * 100 * k %
        return compiled.allocate({"x_t": x}, Decimal(1)) / x

    for k in range(1, len(closed_above)):
        edge = Decimal(k)
        assert row(edge) == (k - 1 if closed_above[k - 1] else k)
        assert row(edge - Decimal("0.5")) == k - 1
        assert row(edge + Decimal("0.5")) == k


@pytest.mark.parametrize("batch", [False, True])
def test_200_lets_in_reverse_order(cli, tmp_path: Path, batch: bool) -> None:
    lets = [f"let v{i} = v{i + 1} + a" for i in range(199)] + ["let v199 = a"]
    body = "\n".join(lets) + "\nallocation = v0"  # v199 = a, v198 = 2 a, ..., v0 = 200 a
    assert _allocations(cli, tmp_path, body, batch) == {u: a * 200 for u, a in A.items()}


def test_1000_unary_minus_is_refused_at_the_251st(cli, tmp_path: Path) -> None:
    body = "allocation = " + "-" * 1000 + "a"
    err = _refused(cli, tmp_path, body)
    line = _line_of(body, "allocation")
    assert f"deep.rule:{line}:{len('allocation = ') + 251}: error: formula nested deeper " \
           "than 250 levels: write it in steps with `let`" in err


def test_489_nested_terms_are_refused_where_the_deep_part_starts(cli, tmp_path: Path) -> None:
    body = "allocation = a" + " * 1" * 489
    err = _refused(cli, tmp_path, body)
    line = _line_of(body, "allocation")
    assert f"deep.rule:{line}:{len('allocation = ') + 1}: error: formula nested deeper " \
           "than 250 levels" in err


def test_a_chain_of_251_lets_is_refused_at_the_251st(cli, tmp_path: Path) -> None:
    lets = [f"let v{i} = v{i + 1} + a" for i in range(249)]  # v0 ... v249, over a: 251
    body = "\n".join(lets) + "\nlet v249 = a\nallocation = v0"
    err = _refused(cli, tmp_path, body, by_parser=False)
    assert f"deep.rule:{_line_of(body, 'let v0 ')}:1: error: 'v0' ends a chain of more " \
           "than 250 lets, each using the next" in err


def test_a_number_of_101_digits_is_refused(cli, tmp_path: Path) -> None:
    body = "allocation = a * 0." + "0" * 99 + "1"
    err = _refused(cli, tmp_path, body)
    assert f"deep.rule:{_line_of(body, 'allocation')}:18: error: a number of more than " \
           "100 digits" in err


# The deepest formulas check accepts, each of value a (or 101 c), and each command on them.
DEEPEST = {
    "sum": ("allocation = " + " + ".join(["a"] * 251), lambda a: a * 251),
    "else-if": ("allocation = " + "".join(f"if x_t < {i} * u then {i} * c else "
                                          for i in range(1, 249)) + "a",
                lambda a: 101 if a == 50 else a),
    "then-if": ("allocation = " + "if x_t > u then " * 249 + "a" + " else c" * 249,
                lambda a: a),
    "minus": ("allocation = " + "-" * 250 + "a", lambda a: a),
    "power": ("allocation = a * " + " ^ ".join(["1"] * 250), lambda a: a),
    "not": ("allocation = if " + "not " * 248 + "x_t > u then a else c", lambda a: a),
    "or": ("allocation = if " + " or ".join(["x_t < u"] * 249) + " then c else a",
           lambda a: a),
    "lets": ("\n".join(f"let v{i} = v{i + 1} + a" for i in range(248)) + "\nlet v248 = a"
             "\nallocation = v0", lambda a: a * 249),
}


@pytest.mark.parametrize("shape", sorted(DEEPEST))
def test_every_command_runs_the_deepest_formulas_check_accepts(cli, tmp_path: Path,
                                                                shape: str) -> None:
    body, value = DEEPEST[shape]
    expected = {unit: Decimal(value(a)) for unit, a in A.items()}
    assert _allocations(cli, tmp_path, body) == expected
    assert _allocations(cli, tmp_path, body, batch=True) == expected
    rule, data = tmp_path / "deep.rule", tmp_path / "units.csv"
    changed = tmp_path / "changed.rule"
    changed.write_text(rule.read_text(encoding="utf-8").replace("0.5 tCO2/t", "0.25 tCO2/t"),
                       encoding="utf-8")
    for command in (("fmt", str(rule)),
                    ("explain", str(data), "--year", "2017", "--rules", str(rule), "--unit", "U1",
                     "--format", "json"),
                    ("diff", str(rule), str(changed), "--data", str(data))):
        status, out, err = cli(*command)
        assert status == 0 and "Traceback" not in err, (command, err)


@pytest.mark.parametrize(("formula", "problem"), [
    ("a * (0 ^ -1)", "division by zero"),
    ("a * x_t / (x_t - x_t)", "division by zero"),
    ("c * (x_t / u) ^ 1000000", "a result too large for exact arithmetic"),
    ("c * (0 - x_t / u) ^ 0.5", "an undefined operation"),
])
@pytest.mark.parametrize("batch", [False, True])
def test_arithmetic_that_fails_names_the_unit_and_the_rule_line(
        cli, tmp_path: Path, formula: str, problem: str, batch: bool) -> None:
    """Beyond what Decimal can compute (or 0 to a negative power, which Decimal gives as
    Infinity): a data problem naming the unit, the formula and its line, on both paths."""
    body = f"let bad = {formula}\nallocation = bad"
    rule, data = _write(tmp_path, body), _data(tmp_path)
    status, out, err = cli("allocate", str(data), "--year", "2017", "--rules", str(rule),
                           *(["--batch"] if batch else []))
    assert status == 1 and out == "" and "Traceback" not in err, err
    for row, unit in ((2, "U1"), (3, "U2")):
        assert f"{data}, row {row} (unit {unit}): error: 'bad' cannot be computed: " \
               f"{problem}" in err and f"({rule}:{_line_of(body, 'let bad')})" in err
