"""With --lang zh, what the main commands print holds no English sentence: every
diagnostic, data problem, warning, summary line, table heading and --help text has come
from the catalogue in Chinese. What may stay in Latin letters is what the user wrote or
what is code: paths, quoted names, the rule files' and case files' own text (formulas,
keywords, case names), codes, units and numbers.

A sentence is a run of three or more ASCII words; a run is allowed when it is found in
the text of an input file (the rules, the cases, the data), since it is then the user's.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from peie.cli import main
from peie.dsl.declarations import KEYWORDS, SECTIONS

ROOT = Path(__file__).resolve().parent.parent
RULES, SAMPLES = ROOT / "rules", ROOT / "samples"

_PATH = re.compile(r"\S*[/\\]\S*|\S+\.(?:rule|csv|yaml|xlsx|json|sqlite)\b")
_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"|“[^”\n]*”|`[^`\n]*`")
# Words of letters alone (an identifier such as heat_ratio or a code such as F-GD-00002 is
# none), one space apart (table cells are two or more).
_SENTENCE = re.compile(r"(?<![\w.-])[A-Za-z]+(?:'[a-z]+)?(?: [A-Za-z]+(?:'[a-z]+)?){2,}(?![\w-])",
                       re.ASCII)

# One rule file with a problem of each stage: metadata, names, types, units, brackets.
BROKEN_RULE = """\
sector power "电力"
version "broken"
status drafty
effective 2017 to 2017
published 2017-02-30
source "a test"

enum fuel "燃料" {
  coal "燃煤"
  coal "燃煤"
}
enum empty "空" {
}
input electricity_supplied_mwh: MWh in [0, inf) "供电量"
input output_t: t in [0, 10] "产量" default 20 t
input fuel_kind: fule "燃料"
input share: 1 in [0, 1] "比例" required when electricity_supplied_mwh > 0
param benchmark "基准值" = 0.8 tCO2/MWh
table factor "系数" by fuel in 1 {
  coal "燃煤" 1
  gas "燃气" 2
}
bracket uplift "核增" over output_t {
  [0, 5) -> 0.01
  [4, 8) -> 0.02
}
let supply "供电配额" = electricity_supplied_mwh * benchmrk
let looped "循环" = looped + 1
let mixed "混合" = electricity_supplied_mwh + output_t
let code "代码" = factor
allocation = supply + electricity_supplied_mwh
rounding facility sideways to 0.5 tCO2
preallocation 150 % of base year 2019
"""

BAD_DATA = """\
facility_id,unit_id,sector,province,category,cooling,electricity_supplied_mwh,heat_supplied_gj,heat_ratio,extra
F1,U1,power,江苏,usc_1000,water,"1,000",0,0.1,
F1,U2,power,Narnia,usc_10000,water,100,0,1.5,
F2,U3,cment,江苏,,,,,,
F2,U4,power,江苏,usc_1000,water,,0,0.1,
"""


# Words of code: the rule language's keywords and kinds of declaration (`formula
# preallocation basis`), and the command line's own (`peie ledger show`).
CODE_WORDS = {*KEYWORDS, *SECTIONS, "basis", "facility", "peie", "ledger", "show", "export"}


def _english(output: str, inputs: str) -> list[str]:
    """The runs of English words in `output` that are not the user's own text nor code."""
    inputs = " ".join(inputs.split())  # a rule may break a formula over lines
    found = []
    for line in output.splitlines():
        text = _QUOTED.sub(" ", _PATH.sub(" ", line))
        found += [f"{run!r} in: {line.strip()[:120]}" for run in _SENTENCE.findall(text)
                  if run not in inputs and not set(run.split()) <= CODE_WORDS]
    return found


@pytest.fixture
def peie_zh(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run `peie --lang zh ARGS...` in-process: (status, stdout + stderr)."""
    def run(*argv: object) -> tuple[int, str]:
        try:
            status = main(["--lang", "zh", *map(str, argv)])
        except SystemExit as exit:  # --help
            status = int(exit.code or 0)
        out, err = capsys.readouterr()
        return status, out + err
    return run


def _inputs(*paths: Path) -> str:
    return "\n".join(p.read_text("utf-8") for p in paths)


BUNDLED = _inputs(*sorted(RULES.glob("*.rule")), *sorted(RULES.glob("*.cases.yaml")))


def test_the_issuing_and_reading_commands_speak_chinese(peie_zh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ledger = tmp_path / "ledger.sqlite"
    base, year = SAMPLES / "units_2015.csv", SAMPLES / "units_2017.csv"
    runs = [
        ("check",),
        ("allocate", year, "--year", "2017", "--local-factors", SAMPLES / "local_factors.csv"),
        ("allocate", year, "--year", "2017", "--batch"),
        ("explain", year, "--year", "2017", "--unit", "U-000001"),
        ("preallocate", base, "--year", "2017", "--ledger", ledger),
        ("preallocate", base, "--year", "2017", "--ledger", ledger),  # nothing new
        ("trueup", year, "--year", "2017", "--ledger", ledger),
        ("position", year, "--year", "2017"),
        ("ledger", "show", "--ledger", ledger, "--all"),
        ("diff", RULES / "power.rule", RULES / "power-2019.rule"),
        ("diff", RULES / "power.rule", RULES / "power-2019.rule", "--format", "markdown"),
        ("diff", RULES / "power-2019.rule", RULES / "power-2021.rule",
         "--data", SAMPLES / "units_2019.csv"),
        ("diff", RULES / "power-2019.rule", RULES / "power-2021.rule",
         "--data", SAMPLES / "units_2019.csv", "--format", "markdown"),
        ("fmt", "--check"),
        ("test", "--coverage"),
    ]
    for argv in runs:
        status, output = peie_zh(*argv)
        assert status == 0, (argv, output)
        assert re.search(r"[\u4e00-\u9fff]", output), (argv, output[:500])
        english = _english(output, BUNDLED + _inputs(base, year))
        assert not english, f"peie {' '.join(map(str, argv))}:\n" + "\n".join(english)


def test_mistakes_are_reported_in_chinese(peie_zh, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rule = tmp_path / "broken.rule"
    rule.write_text(BROKEN_RULE, encoding="utf-8")
    unfinished = tmp_path / "unfinished.rule"
    unfinished.write_text('sector power "电力"\nlet a = (1 +\n', encoding="utf-8")
    data = tmp_path / "bad.csv"
    data.write_text(BAD_DATA, encoding="utf-8")
    shutil.copy(RULES / "power.rule", tmp_path / "power.rule")
    inputs = _inputs(rule, unfinished, data) + BUNDLED
    runs = [
        ("check", rule, unfinished),
        ("allocate", data, "--year", "2017"),
        ("allocate", data, "--year", "2017", "--format", "xlsx"),
        ("allocate", tmp_path / "missing.csv", "--year", "2017"),
        ("allocate", SAMPLES / "units_2017.csv", "--year", "1999"),
        ("trueup", SAMPLES / "units_2017.csv", "--year", "2017", "--ledger",
         tmp_path / "ledger.sqlite", "--reason", "why"),
        ("ledger", "show", "--ledger", tmp_path / "none.sqlite"),
    ]
    for argv in runs:
        status, output = peie_zh(*argv)
        assert status == 1, (argv, output)
        assert re.search(r"[\u4e00-\u9fff]", output), (argv, output)
        english = _english(output, inputs)
        assert not english, f"peie {' '.join(map(str, argv))}:\n" + "\n".join(english)


@pytest.mark.parametrize("command", [(), ("allocate",), ("trueup",), ("diff",), ("test",),
                                     ("fmt",), ("serve",), ("ledger", "show")])
def test_help_is_in_chinese(peie_zh, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    status, output = peie_zh(*command, "--help")
    assert status == 0
    assert output.startswith("用法：peie"), output
    english = _english(output, "")
    assert not english, f"peie {' '.join(command)} --help:\n" + "\n".join(english)


def test_the_walk_finds_english(peie_zh) -> None:  # type: ignore[no-untyped-def]
    """The check catches an English sentence and lets the user's own text through."""
    assert _english("规则文件中有 1 处错误", "") == []
    assert _english("1 error in rule files", "") != []
    assert _english("rules/power.rule:3: 错误: 'is not a rule' here", "") == []
    assert _english("case: the heat ratio is a fraction", "the heat ratio is a fraction") == []


@pytest.mark.parametrize("argv", [("allocate",), ("allocate", "x.csv", "--year", "y"),
                                  ("check", "--bogus"), ("fmt", "--keywords"),
                                  ("allocate", "x.csv", "--year", "1", "--format", "nope")])
def test_a_wrong_command_line_is_refused_in_chinese(peie_zh, argv: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    status, output = peie_zh(*argv)
    assert status == 2
    assert "错误：" in output, output
    english = _english(output, "")
    assert not english, f"peie {' '.join(argv)}:\n" + "\n".join(english)


def test_in_english_a_wrong_command_line_reads_as_argparse_words_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit:
        main(["--lang", "en", "allocate", "x.csv"])
    assert exit.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        "peie allocate: error: the following arguments are required: --year")
