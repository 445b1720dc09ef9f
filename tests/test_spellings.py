"""Names and codes as registries write them (contract 10 and 11): columns, sectors and enum
members by their labels, provinces by any official spelling, local factors likewise; the
same records, allocations and errors on every path as with the declared codes."""

from __future__ import annotations

import csv
import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from rule_texts import HEAD

import peie
from bench.synth import PROVINCES as SAMPLE_PROVINCES
from peie import api
from peie.batch.evaluate import batch_allocate
from peie.cli import main
from peie.data.columns import read_columns, spelled_columns, unit_records
from peie.data.local_factors import NO_LOCAL_FACTORS
from peie.data.provinces import NAMES, PROVINCES, province_of
from peie.data.readers import read_table
from peie.data.records import validate_table
from peie.data.spellings import Spelling, normal
from peie.dsl.model import EnumType
from peie.errors import DataError
from peie.impact import impact
from peie.ruleset import RuleSet, load_rules, rules_from_text

ROOT = Path(__file__).resolve().parent.parent
RULES = load_rules()


# ---- the province table ----------------------------------------------------------------


def test_the_table_holds_the_31_divisions_and_the_corps_each_spelling_one_province() -> None:
    assert len(PROVINCES) == 32 and len({p.code for p in PROVINCES}) == 32
    assert all(len(p.code) == 2 and p.code.isdigit() for p in PROVINCES)
    assert PROVINCES[-1].full == "新疆生产建设兵团"
    meanings: dict[str, set[str]] = {}
    for province in PROVINCES:
        for spelling in province.spellings:
            meanings.setdefault(normal(spelling).replace("_", ""), set()).add(province.name)
    assert all(len(names) == 1 for names in meanings.values()), [
        s for s, names in meanings.items() if len(names) > 1]


@pytest.mark.parametrize(("spellings", "name"), [
    (["江苏", "江苏省", "32", "320000", "jiangsu", "Jiangsu", " JIANG SU ", "ｊｉａｎｇｓｕ"],
     "jiangsu"),
    (["内蒙古", "内蒙古自治区", "Inner Mongolia", "inner_mongolia", "neimenggu", "15"],
     "inner_mongolia"),
    (["陕西", "Shaanxi", "61"], "shaanxi"),
    (["山西", "Shanxi", "140000"], "shanxi"),
    (["新疆生产建设兵团", "兵团", "66"], "xinjiang_bingtuan"),
])
def test_a_province_is_known_by_every_official_spelling(spellings: list[str], name: str) -> None:
    assert {province_of(s) for s in spellings} == {name}


def test_the_samples_provinces_are_the_canonical_names() -> None:
    assert set(SAMPLE_PROVINCES) <= NAMES
    assert province_of("jiangsuu") is None and province_of("71") is None  # not in the market


# ---- data written with labels -------------------------------------------------------------


def labelled(source: Path, target: Path, year: int) -> None:
    """`source` with every header, sector, enum member and province given as the rules in
    force for `year` and the province table spell them in Chinese (provinces by turns in
    their short and full names, code and English name)."""
    rules = RULES.for_year(year)
    label = {name: item.decl.label for rule in rules.versions
             for name, item in rule.inputs.items() if item.decl.label}
    spelling = {p.name: (p.short, p.full, p.code + "0000", p.english) for p in PROVINCES}
    with open(source, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    turns = itertools.cycle(range(4))
    with open(target, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([label.get(name, name) for name in rows[0]])
        for row in rows:
            rule = rules.by_sector[row["sector"]]
            cells = []
            for name, value in row.items():
                item = rule.inputs.get(name)
                if value and item is not None and isinstance(item.type, EnumType):
                    members = rule.enums[item.type.enum].members
                    value = next(m.label for m in members if m.code == value)
                cells.append(value)
            cells[2] = rule.sector_label
            cells[3] = spelling[row["province"]][next(turns)]
            writer.writerow(cells)


SAMPLES = [("units_2015.csv", 2017), ("units_2017.csv", 2017), ("units_2018.csv", 2019),
           ("units_2019.csv", 2019)]


@pytest.mark.parametrize(("sample", "year"), SAMPLES)
def test_labelled_samples_are_allocated_exactly_as_the_coded_ones(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sample: str, year: int) -> None:
    coded = ROOT / "samples" / sample
    data = tmp_path / sample
    labelled(coded, data, year)
    text = data.read_text(encoding="utf-8")
    assert "电力" in text and "水冷" in text and "供热比" in text and "河北" in text
    factors = ROOT / "samples" / "local_factors.csv"
    want = peie.allocate(coded, year, local_factors=factors)
    exact = peie.allocate(data, year, local_factors=factors)
    assert exact.units == want.units and exact.facilities == want.facilities
    monkeypatch.setattr(api, "COLUMNAR_BYTES", 0)  # the records read by columns
    by_columns = peie.allocate(data, year, local_factors=factors)
    assert by_columns.units == want.units
    batch = api.allocate_batch(str(data), year, local_factors=factors)
    assert dict(zip(batch.result.facility_ids, batch.result.facility_allocation.tolist(),
                    strict=True)) == {f.facility_id: f.allocation for f in want.by_facility}
    assert set(batch.columns.encoded("sector")[1]) <= {"power", "cement", "aluminium"}


def test_a_labelled_dataset_has_the_coded_impact(tmp_path: Path) -> None:
    data = tmp_path / "units.csv"
    labelled(ROOT / "samples" / "units_2019.csv", data, 2019)
    old, new = RULES.in_force(2017)["power"], RULES.in_force(2019)["power"]

    def facilities(path: Path) -> Any:
        return impact(old, new, read_table(path), NO_LOCAL_FACTORS, RULES.rules).facilities

    assert facilities(data) == facilities(ROOT / "samples" / "units_2019.csv")
    assert facilities(data) == impact(old, new, read_columns(data), NO_LOCAL_FACTORS,
                                      RULES.rules).facilities


def test_labels_are_compared_after_nfkc_without_white_space_or_case(tmp_path: Path) -> None:
    rows = [("U-1", "超临界600MW机组"), ("U-2", "超临界 600MW 机组"), ("U-3", "sc_600"),
            ("U-4", " SC_600"), ("U-5", "ｓｃ＿６００"), ("U-6", "超临界　６００ＭＷ　机组")]
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,Sector,PROVINCE,category,Cooling,供电量,"
                    "heat supplied GJ,heat_ratio\n" + "".join(
                        f"F-1,{unit},电力,江苏,{category},water,1000,0,0\n"
                        for unit, category in rows), encoding="utf-8")
    with pytest.raises(DataError) as raised:  # a header that is no name nor label
        peie.allocate(data, 2017)
    assert [p.field for p in raised.value.problems] == ["heat supplied GJ"]
    data.write_text(data.read_text(encoding="utf-8").replace("heat supplied GJ",
                                                             "Heat_Supplied_GJ"))
    records = [u.record for u in peie.allocate(data, 2017).units]
    assert {(r.sector, r.province, r.values["category"]) for r in records} == {
        ("power", "jiangsu", "sc_600")}


def test_clean_columns_are_not_rebuilt() -> None:
    columns = read_columns(ROOT / "samples" / "units_2017.csv")
    assert spelled_columns(columns, RULES.for_year(2017)) is columns


# ---- what the spellings cannot decide -----------------------------------------------------

TWO_SECTORS = [
    HEAD + 'enum fuel "燃料" {\n    coal  "燃煤"\n    gas  "燃气"\n}\n'
    'input fuel: fuel "燃料"\ninput x: t in [0, inf) "y"\ninput y: t in [0, inf) "产量"\n'
    'param b "基准" = 1 tCO2/t\nallocation = (x + y) * b * local_factor\n',
    HEAD.replace('sector test "测试"', 'sector other "其他"')
    + 'enum fuel "燃料" {\n    natural_gas  "燃气"\n    coal  "燃煤"\n}\n'
    'input fuel: fuel "燃料"\ninput z: t in [0, inf) "z"\n'
    'param b "基准" = 1 tCO2/t\nallocation = z * b * local_factor\n',
]


def two_sector_rules() -> RuleSet:
    return RuleSet([rules_from_text(text, f"r{i}.rule").rules[0]
                    for i, text in enumerate(TWO_SECTORS)])


def problems_on_every_path(data: Path, rules: RuleSet) -> list[Any]:
    """The problems of the exact path, checked to be those of the columns and the batch."""
    found = []
    in_force = rules.for_year(2017)
    for run in (lambda: validate_table(read_table(data), in_force),
                lambda: unit_records(read_columns(data), in_force),
                lambda: batch_allocate(read_columns(data), in_force, NO_LOCAL_FACTORS)):
        with pytest.raises(DataError) as raised:
            run()
        found.append(raised.value.problems)
    assert found[1] == found[0] and found[2] == found[0]
    return found[0]


def test_a_label_two_sectors_give_different_codes_is_an_error_naming_both(
        tmp_path: Path) -> None:
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,fuel,x,产量,z\n"
                    "F-1,U-1,测试,hebei,燃煤,1,10,\nF-1,U-2,test,hebei,燃气,1,10,\n"
                    "F-2,U-3,其他,hebei,燃气,,,5\n", encoding="utf-8")
    problems = problems_on_every_path(data, two_sector_rules())
    assert [(p.row, p.unit_id, p.field) for p in problems] == [(3, "U-2", "fuel"),
                                                                (4, "U-3", "fuel")]
    assert problems[0].message == ("'燃气' may mean gas (sector test, enum fuel) or "
                                   "natural_gas (sector other, enum fuel): write the code meant")
    data.write_text(data.read_text(encoding="utf-8").replace(",燃气,", ",gas,", 1)
                    .replace(",燃气,", ",natural_gas,"), encoding="utf-8")
    allocated = peie.allocate(data, 2017, rules=two_sector_rules())
    assert [u.record.values["fuel"] for u in allocated.units] == ["coal", "gas", "natural_gas"]


def test_a_header_that_is_one_inputs_label_and_anothers_name_is_an_error(
        tmp_path: Path) -> None:
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,fuel,y\n"
                    "F-1,U-1,test,hebei,coal,10\n", encoding="utf-8")
    (problem,) = problems_on_every_path(data, two_sector_rules())
    assert (problem.row, problem.field) == (None, "y")
    assert problem.message == ("column 'y' may be input x ('y' in r0.rule) or input y: head "
                               "it with the name meant")


def test_two_spellings_of_one_column_are_an_error(tmp_path: Path) -> None:
    data = tmp_path / "units.csv"
    data.write_text("facility_id,unit_id,sector,province,燃料,x,Fuel\n"
                    "F-1,U-1,test,hebei,coal,1,coal\n", encoding="utf-8")
    (problem,) = problems_on_every_path(data, two_sector_rules())
    assert problem.message == "columns '燃料' and 'Fuel' are both fuel: keep one"


def test_an_unknown_province_is_named_with_a_suggestion_on_every_path(tmp_path: Path) -> None:
    rows = read_table(ROOT / "samples" / "units_2017.csv")
    data = tmp_path / "units.csv"
    lines = (ROOT / "samples" / "units_2017.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace(",hebei,", ",hebie,")
    lines[2] = lines[2].replace(",hebei,", ",Shangdong,")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    problems = problems_on_every_path(data, RULES)
    assert [(p.row, p.unit_id, p.field) for p in problems] == [
        (2, rows.rows[0].cells["unit_id"], "province"), (3, rows.rows[1].cells["unit_id"],
                                                         "province")]
    assert problems[0].message == (
        "'hebie' is not a province of the national market: write a province's name or "
        "GB/T 2260 code, such as 江苏, Jiangsu or 32 (did you mean 'hebei'?)")
    assert problems[1].message.endswith("(did you mean 'Shandong'?)")


# ---- local factors ----------------------------------------------------------------------------


def test_local_factors_take_any_spelling_of_a_province(tmp_path: Path) -> None:
    factors = tmp_path / "factors.csv"
    factors.write_text("province,sector,factor\n江苏省,power,0.9\nShandong,power,0.8\n"
                       "44,cement,0.7\n", encoding="utf-8")
    given = peie.read_local_factors(factors, RULES.sectors)
    assert set(given.factors) == {("jiangsu", "power"), ("shandong", "power"),
                                  ("guangdong", "cement")}
    result = peie.allocate(ROOT / "samples" / "units_2017.csv", 2017, local_factors=factors)
    used = {(u.record.province, u.record.sector): u.local_factor.factor for u in result.units
            if u.local_factor.file is not None}
    assert used == {("jiangsu", "power"): Decimal("0.9"), ("shandong", "power"): Decimal("0.8"),
                    ("guangdong", "cement"): Decimal("0.7")}
    assert result.warnings == ()


def test_a_factor_file_with_an_unknown_province_or_one_twice_is_refused(tmp_path: Path) -> None:
    factors = tmp_path / "factors.csv"
    factors.write_text("province,sector,factor\n江苏,power,0.9\njiangsu,power,0.8\n"
                       "Atlantis,power,0.9\n", encoding="utf-8")
    with pytest.raises(DataError) as raised:
        peie.read_local_factors(factors, RULES.sectors)
    assert [(p.row, p.message) for p in raised.value.problems] == [
        (3, "a second factor for jiangsu/power (first in row 2)"),
        (4, "'Atlantis' is not a province of the national market: write a province's name or "
            "GB/T 2260 code, such as 江苏, Jiangsu or 32")]


@pytest.fixture
def unmatched_factors(tmp_path: Path) -> Path:
    factors = tmp_path / "factors.csv"
    factors.write_text("province,sector,factor\njiangsu,power,0.99\nbeijing,power,0.9\n"
                       "anhui,cement,0.9\n", encoding="utf-8")
    return factors


WARNINGS = [", row 3: warning: the factor for beijing/power applies to no unit: the data has "
            "no unit of sector power in beijing",
            ", row 4: warning: the factor for anhui/cement applies to no unit: the data has "
            "no unit of sector cement in anhui"]


@pytest.mark.parametrize("command", [["allocate"], ["allocate", "--batch"], ["position"],
                                     ["explain", "--unit", "U-000001"]])
def test_a_factor_that_applies_to_no_unit_is_a_warning_and_under_strict_an_error(
        unmatched_factors: Path, capsys: pytest.CaptureFixture[str],
        command: list[str]) -> None:
    args = [command[0], str(ROOT / "samples" / "units_2017.csv"), *command[1:], "--year",
            "2017", "--local-factors", str(unmatched_factors)]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"{unmatched_factors}{w}" for w in WARNINGS]
    assert captured.out
    assert main([*args, "--strict"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines()[:2] == [
        f"{unmatched_factors}{w.replace('warning', 'error', 1)}" for w in WARNINGS]


def test_strict_issues_nothing(unmatched_factors: Path, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    ledger = tmp_path / "ledger.sqlite"
    args = ["preallocate", str(ROOT / "samples" / "units_2015.csv"), "--year", "2017",
            "--local-factors", str(unmatched_factors), "--ledger", str(ledger)]
    assert main([*args, "--strict"]) == 1
    assert "2 problems in the data; nothing was issued" in capsys.readouterr().err
    assert not ledger.exists()
    assert main([*args, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["facilities"]
    run = api.trueup(ROOT / "samples" / "units_2017.csv", 2017, ledger=ledger,
                     local_factors=unmatched_factors)
    assert [w.row for w in run.warnings] == [3, 4]


@pytest.mark.parametrize("year", range(2017, 2023))
def test_no_spelling_of_the_bundled_rules_has_two_meanings(year: int) -> None:
    """Every label of the bundled rules can be written in data: none is also another
    input's name or label, or another code's label."""
    spelling = Spelling.of(RULES.for_year(year))
    for vocabulary in (spelling.headers, *spelling.values.values()):
        assert all(len(meanings) == 1 for meanings in vocabulary.meanings.values())
    assert spelling.codes["category"] and all(
        code in spelling.canonical["category"] for code in spelling.codes["category"])
