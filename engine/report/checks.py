"""What `peie check` and `peie fmt` say when all is well, `fmt --diff`'s diffs, and a
check's finding as JSON (the service's answer)."""

from __future__ import annotations

import difflib
from typing import Any

from peie.api import CheckResult, Layout
from peie.dsl.i18n import _, localized, ngettext
from peie.errors import RuleError

from .diff import rule_version
from .problems import rule_errors_json, rule_errors_line


def check_text(result: CheckResult) -> str:
    lines = [localized(_("{path}: ok ({sector} {version}, {status}, {first}-{last})",
                         path=r.path, sector=r.sector, version=r.version, status=r.status,
                         first=r.effective[0], last=r.effective[1])) for r in result.rules]
    lines += [localized(_("{path}: ok (local adjustment factors)", path=path))
              for path in result.factor_files]
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
                                        localized(_("{name} (as it is)", name=name)),
                                        localized(_("{name} (formatted)", name=name))))


def layout_summary(layout: Layout, written: bool) -> list[str]:
    """Each file that changes (or would), then the count line."""
    lines = [localized(_("reformatted {path}", path=path) if written
                       else _("would reformat {path}", path=path)) for path in layout.changed]
    count = len(layout.changed)
    if written:
        summary = ngettext("{count} file reformatted, {unchanged} already formatted",
                           "{count} files reformatted, {unchanged} already formatted", count,
                           unchanged=layout.unchanged)
    else:
        summary = ngettext("{count} file would be reformatted, {unchanged} already formatted",
                           "{count} files would be reformatted, {unchanged} already formatted",
                           count, unchanged=layout.unchanged)
    lines.append(localized(summary))
    return lines
