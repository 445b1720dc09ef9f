"""`peie.toml` (or `[tool.peie]` in pyproject.toml) in the working directory or above it
names the rules, ledger, local factors and language; the command line wins; a wrong key
or value is an error at the file's line; every output's head names the file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = str(ROOT / "samples" / "units_2017.csv")
BASE = str(ROOT / "samples" / "units_2015.csv")
FACTORS = ROOT / "samples" / "local_factors.csv"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory with its own copy of the rules and factors; the run is in a
    directory below it, with no ledger or language from the environment."""
    (tmp_path / "rules").mkdir()
    for name in ("cement", "power", "aluminium"):
        (tmp_path / "rules" / f"{name}.rule").write_bytes(
            (ROOT / "rules" / f"{name}.rule").read_bytes())
    (tmp_path / "factors.csv").write_bytes(FACTORS.read_bytes())
    (tmp_path / "work" / "deep").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work" / "deep")
    for variable in ("PEIE_LEDGER", "PEIE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    return tmp_path


def allocation(cli, *argv: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    status, out, err = cli("allocate", DATA, "--year", "2017", "--format", "json", *argv)
    assert status == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def test_the_file_names_rules_and_factors_and_the_head_names_the_file(cli, project) -> None:  # type: ignore[no-untyped-def]
    config = project / "peie.toml"
    config.write_text('rules = ["rules"]\nlocal_factors = "factors.csv"\n', encoding="utf-8")
    configured = allocation(cli)
    explicit = allocation(cli, "--rules", str(project / "rules"),
                          "--local-factors", str(project / "factors.csv"))
    assert configured["units"] == explicit["units"]
    assert configured["local_factors_sha256"] == hashlib.sha256(
        FACTORS.read_bytes()).hexdigest()
    assert configured["config"] == {"path": str(config),
                                    "sha256": hashlib.sha256(config.read_bytes()).hexdigest()}
    status, out, _ = cli("allocate", DATA, "--year", "2017")
    assert f"  config {config}, sha256 " in out.split("\n\n")[0]  # the table's head
    status, out, _ = cli("explain", DATA, "--year", "2017", "--unit", "U-000001",
                         "--format", "json")
    assert json.loads(out)["config"] == configured["config"]
    status, out, _ = cli("check")  # with no FILE: the configured rules
    assert status == 0 and str(project / "rules" / "cement.rule") in out
    (project / "rules" / "cement.rule").write_text(
        (ROOT / "rules" / "cement.rule").read_text(encoding="utf-8") + "\n\n\n",
        encoding="utf-8")
    status, _, err = cli("fmt", "--check")
    assert status == 1 and "cement.rule" in err and "1 file would be reformatted" in err


def test_the_command_line_wins(cli, project) -> None:  # type: ignore[no-untyped-def]
    (project / "peie.toml").write_text('local_factors = "factors.csv"\n', encoding="utf-8")
    ones = project / "ones.csv"
    ones.write_text("province,sector,factor\nhebei,power,1\n", encoding="utf-8")
    document = allocation(cli, "--local-factors", str(ones))
    assert document["local_factors_sha256"] == hashlib.sha256(ones.read_bytes()).hexdigest()
    assert all(r["sha256"] == allocation(cli)["rules"][s]["sha256"]
               for s, r in document["rules"].items())


def test_without_a_file_nothing_changes(cli, project) -> None:  # type: ignore[no-untyped-def]
    document = allocation(cli)
    assert "config" not in document and "local_factors_sha256" not in document


def test_the_nearest_file_is_used_and_peie_toml_before_pyproject(cli, project) -> None:  # type: ignore[no-untyped-def]
    (project / "peie.toml").write_text('local_factors = "factors.csv"\n', encoding="utf-8")
    work = project / "work"
    (work / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert allocation(cli)["config"]["path"] == str(project / "peie.toml")  # no [tool.peie]
    (work / "pyproject.toml").write_text(
        '[project]\nname = "x"\n\n[tool.peie]\nrules = ["../rules/cement.rule", '
        '"../rules/power.rule", "../rules/aluminium.rule"]\n', encoding="utf-8")
    document = allocation(cli)
    assert document["config"]["path"] == str(work / "pyproject.toml")
    assert "local_factors_sha256" not in document  # the higher file is not merged in
    (work / "peie.toml").write_text('lang = "en"\n', encoding="utf-8")
    assert allocation(cli)["config"]["path"] == str(work / "peie.toml")


@pytest.mark.parametrize("text, line, said", [
    ('rules = ["rules"]\nrule = "x"\n', 2, "unknown setting 'rule'"),
    ('lang = "fr"\n', 1, "'lang' is one of en, zh, not 'fr'"),
    ('\n\nrules = ["nowhere"]\n', 3, "'rules': there is no"),
    ('local_factors = 1\n', 1, "'local_factors' is a path, given as a string"),
    ('ledger = ""\n', 1, "'ledger' is a path"),
    ('rules = []\n', 1, "'rules' is a list of rule files and directories"),
    ('lang = "en"\nrules = ["rules", 1]\n', 2, "'rules' is a list of rule files"),
])
def test_a_wrong_key_or_value_is_named_at_its_line(cli, project, text, line, said) -> None:  # type: ignore[no-untyped-def]
    (project / "peie.toml").write_text(text, encoding="utf-8")
    status, out, err = cli("allocate", DATA, "--year", "2017")
    assert status == 1 and out == ""
    assert err.startswith(f"peie: error: {project / 'peie.toml'}:{line}: ")
    assert said in err


def test_a_wrong_key_in_tool_peie_is_named_at_its_line(cli, project) -> None:  # type: ignore[no-untyped-def]
    (project / "pyproject.toml").write_text(
        '[tool.ruff]\nline-length = 100\n\n[tool.peie]\nlang = "zh"\nline-length = 1\n',
        encoding="utf-8")
    status, _, err = cli("check")
    assert status == 1
    assert err.startswith(f"peie: error: {project / 'pyproject.toml'}:6: unknown setting "
                          "'line-length'")


def test_a_file_that_is_not_toml_is_named_at_its_line_and_column(cli, project) -> None:  # type: ignore[no-untyped-def]
    (project / "peie.toml").write_text('lang = "en"\nrules = [\n', encoding="utf-8")
    status, out, err = cli("check")
    assert status == 1 and out == ""
    assert err.startswith(f"peie: error: {project / 'peie.toml'}:3:1: not valid TOML")


def test_the_language(cli, project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (project / "peie.toml").write_text('lang = "zh"\n', encoding="utf-8")
    assert cli("allocate", "missing.csv", "--year", "2017")[2].startswith("peie：错误：")
    assert cli("--lang", "en", "allocate", "missing.csv", "--year", "2017")[2].startswith(
        "peie: error: ")
    monkeypatch.setenv("PEIE_LANG", "en")
    assert cli("allocate", "missing.csv", "--year", "2017")[2].startswith("peie: error: ")


def test_the_ledger(cli, project, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (project / "peie.toml").write_text('ledger = "issued/ledger.sqlite"\n', encoding="utf-8")
    (project / "issued").mkdir()
    status, _, err = cli("preallocate", BASE, "--year", "2017")
    assert status == 0, err
    assert (project / "issued" / "ledger.sqlite").exists()
    assert not (project / "work" / "deep" / "peie-ledger.sqlite").exists()
    elsewhere = project / "env.sqlite"
    monkeypatch.setenv("PEIE_LEDGER", str(elsewhere))  # the environment wins over the file
    assert cli("preallocate", BASE, "--year", "2018")[0] == 0
    assert elsewhere.exists()


def test_diff_and_test_take_what_they_are_about(cli, project) -> None:  # type: ignore[no-untyped-def]
    """diff reads no local factors from the file (one sector's versions would refuse the
    other sectors' factors); test runs the cases beside the configured rules."""
    (project / "peie.toml").write_text('rules = ["rules"]\nlocal_factors = "factors.csv"\n',
                                       encoding="utf-8")
    cement = str(project / "rules" / "cement.rule")
    status, out, err = cli("diff", cement, cement)
    assert status == 0, err
    status, out, err = cli("diff", cement, cement, "--data", DATA, "--format", "json")
    assert status == 0, err
    assert json.loads(out)["local_factors_sha256"] is None
    (project / "rules" / "cement.cases.yaml").write_bytes(
        (ROOT / "rules" / "cement.cases.yaml").read_bytes())
    status, out, err = cli("test")
    assert status == 0, err
    assert str(project / "rules" / "cement.cases.yaml") in out
