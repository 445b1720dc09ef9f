"""`check`: rule files and directories of them checked together (versions must not
overlap), and local-factor files checked against the sectors of those rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from peie.data.readers import DataPath
from peie.dsl.i18n import _
from peie.dsl.model import Rule
from peie.errors import UsageError
from peie.ruleset import RuleText, expand_rule_paths

from .inputs import load_rules, read_local_factors

FACTOR_SUFFIXES = (".csv", ".yaml", ".yml")


@dataclass(frozen=True)
class CheckResult:
    """What was checked and found sound (a problem raises instead)."""

    rules: Sequence[Rule]  # the rule files asked about (none when only factor files were)
    factor_files: Sequence[Path]


def check(files: Sequence[str | RuleText], encoding: str = "utf-8") -> CheckResult:
    """Check what `files` names (the bundled rules when it names none); rule files given
    as texts are checked with the files; local-factor CSV files read in `encoding`."""
    rule_paths: list[Path | RuleText] = []
    factor_paths: list[Path] = []
    for given in files:
        if isinstance(given, RuleText):
            rule_paths.append(given)
            continue
        path = Path(given)
        if path.is_dir():
            found = expand_rule_paths([path])
            if not found:
                raise UsageError(_("{given}: no *.rule files in this directory", given=given))
            rule_paths.extend(found)
        elif path.suffix in FACTOR_SUFFIXES:
            factor_paths.append(path)
        elif path.suffix == ".rule":
            rule_paths.append(path)
        else:
            raise UsageError(_("{given}: give rule files (.rule), directories of them, or "
                               "local-factor files ({factor_suffixes})", given=given,
                               factor_suffixes=", ".join(FACTOR_SUFFIXES)))
    ruleset = load_rules(rule_paths or None)
    for path in factor_paths:
        read_local_factors(DataPath(str(path), encoding), ruleset.sectors, ruleset.sector_labels)
    shown = ruleset.rules if rule_paths or not factor_paths else []
    return CheckResult(shown, factor_paths)
