"""Positions and diagnostics shared by every stage that reads a rule file.

A diagnostic is rendered the way compilers do, so editors and people can jump to it::

    rules/power.rule:12:5: error: unknown name 'heat_raito' (did you mean 'heat_ratio'?)
        let heat_factor = 1 - 0.25 * heat_raito
                                     ^^^^^^^^^^
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .i18n import _, localized

# Characters that would act on a terminal instead of showing: C0 controls but tab and line
# feed (ESC starts every ANSI escape sequence, CR overwrites a line), DEL, C1 controls, the
# line and paragraph separators, and the bidirectional controls that make text read in
# another order than it is written (the "Trojan Source" trick, CVE-2021-42574).
_ACTIVE = r"\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_SHOWN = re.compile(f"[{_ACTIVE}]")
_SHOWN_IN_A_LINE = re.compile(f"[{_ACTIVE}\\t\\n]")


def printable(text: str, one_line: bool = False) -> str:
    """`text` from a file (a name, an id, a rule line) as it may be shown on a terminal:
    every character that would act on the terminal written as its Python escape (ESC as
    \\x1b). Tab and line feed are kept, unless `one_line` (a cell, a name). JSON and CSV
    keep the text itself."""
    pattern = _SHOWN_IN_A_LINE if one_line else _SHOWN
    return pattern.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    return found.group().encode("unicode_escape").decode("ascii")


def display_width(text: str) -> int:
    """Columns on a terminal: wide (CJK) characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file; lines and columns count from 1."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Diagnostic:
    span: Span
    message: str
    severity: str = "error"

    def render(self, source: str | None = None, language: str | None = None) -> str:
        """FILE:LINE:COL, severity and message in `language` (the run's when None), and
        the line with a caret under the place when `source` is given."""
        severity = localized(SEVERITIES.get(self.severity, self.severity), language)
        head = printable(f"{self.span}: {severity}: {localized(self.message, language)}")
        if source is None:
            return head
        lines = source.splitlines()
        if not 1 <= self.span.line <= len(lines):
            return head
        text = lines[self.span.line - 1].rstrip("\n")
        start = self.span.column - 1
        end = self.span.end_column - 1 if self.span.end_line == self.span.line else len(text)
        # Columns as a terminal shows them, so the caret stands under a label in Chinese too
        # (and under a control character's escape).
        before, marked = printable(text[:start]), printable(text[start:end])
        caret = " " * display_width(before) + "^" * max(1, display_width(marked))
        return f"{head}\n    {printable(text)}\n    {caret}"


# How a severity reads in a message; `severity` itself stays the English word (JSON).
SEVERITIES = {"error": _("error"), "warning": _("warning")}


class PeieError(Exception):
    """Base of every error caused by a user's input; the CLI exits 1 on it."""

    exit_status = 1

    def localized(self) -> str:
        """The error as a person reads it, in the run's language (str() is English)."""
        return localized(self.args[0]) if len(self.args) == 1 else str(self)


class DiagnosticError(PeieError):
    """Problems at places in text files (FILE:LINE:COL), all reported at once; `sources`
    holds each file's text, for the line shown under a problem."""

    def __init__(self, diagnostics: Iterable[Diagnostic], sources: dict[str, str] | None = None):
        self.diagnostics = sorted(diagnostics, key=lambda d: d.span)
        self.sources = dict(sources or {})
        super().__init__(self.render("en"))

    def render(self, language: str | None = None) -> str:
        return "\n".join(d.render(self.sources.get(d.span.file), language)
                         for d in self.diagnostics)

    def localized(self) -> str:
        return self.render()


class RuleError(DiagnosticError):
    """One or more problems in rule files, all reported at once."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """A ' (did you mean 'x'?)' suffix, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return _(" (did you mean '{name}'?)", name=close[0]) if close else ""
