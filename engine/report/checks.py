"""What `peie check` and `peie fmt` say when all is well, `fmt --diff`'s diffs, and a
check's finding as JSON (the service's answer)."""

from __future__ import annotations

import difflib
from typing import Any

from peie.api import CheckResult, Layout
from peie.errors import RuleError

from .diff import rule_version
from .problems import rule_errors_json, rule_errors_line


def check_text(result: CheckResult) -> str:
    lines = [f"{r.path}: ok ({r.sector} {r.version}, {r.status}, "
             f"{r.effective[0]}-{r.effective[1]})" for r in result.rules]
    lines += [f"{path}: ok (local adjustment factors)" for path in result.factor_files]
    return "\n".join(lines) + "\n"


def check_json(result: CheckResult) -> dict[str, Any]:
    """Rules found sound: each version checked."""
    return {"ok": True, "rules": [rule_version(r) for r in result.rules], "diagnostics": []}


def check_failed_json(error: RuleError) -> dict[str, Any]:
    """Rules found wrong: every diagnostic, with its file, line and column."""
    return {"ok": False, "message": rule_errors_line(error), "rules": [],
            "diagnostics": rule_errors_json(error)}


def unified_diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        f"{name} (as it is)", f"{name} (formatted)"))


def layout_summary(layout: Layout, written: bool) -> list[str]:
    """Each file that changes (or would), then the count line."""
    verb = "reformatted" if written else "would reformat"
    lines = [f"{verb} {path}" for path in layout.changed]
    done = "reformatted" if written else "would be reformatted"
    count = len(layout.changed)
    lines.append(f"{count} file{'s' * (count != 1)} {done}, {layout.unchanged} already "
                 "formatted")
    return lines
