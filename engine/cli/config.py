"""The project's settings for the command line: `peie.toml`, or `[tool.peie]` in
`pyproject.toml`, found as ruff finds its own.

The working directory and then each directory above it, up to the filesystem root, is
looked at; the first that has a `peie.toml`, or a `pyproject.toml` with a `[tool.peie]`
table, gives the settings (in one directory, `peie.toml` wins). Paths in it are relative
to the file's directory. An option on the command line wins over the environment
($PEIE_LEDGER, $PEIE_LANG), which wins over the file. The Python API reads no settings
file: a program passes what it means.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peie.api import ConfigRef
from peie.dsl.i18n import LANGUAGES, _
from peie.errors import UsageError

# The environment variables that win over the file (peie.issuance.ledger, peie.dsl.i18n).
LEDGER_ENV, LANG_ENV = "PEIE_LEDGER", "PEIE_LANG"


@dataclass(frozen=True)
class Config:
    """The settings of one file (`path` None: no file was found, nothing is set)."""

    path: Path | None = None
    sha256: str = ""
    rules: tuple[str, ...] = ()
    ledger: str | None = None
    local_factors: str | None = None
    lang: str | None = None

    @property
    def ref(self) -> ConfigRef | None:
        return None if self.path is None else ConfigRef(str(self.path), self.sha256)


def find_config(start: Path) -> Config:
    """The settings of the nearest file at or above `start`; Config() when there is none."""
    for directory in (start, *start.parents):
        own = directory / "peie.toml"
        if own.is_file():
            return read_config(own)
        project = directory / "pyproject.toml"
        if project.is_file():
            raw = _bytes(project)
            if re.search(rb"^\s*\[\s*tool\s*\.\s*peie\s*\]", raw, re.MULTILINE):
                return read_config(project, raw)
    return Config()


def read_config(path: Path, raw: bytes | None = None) -> Config:
    """One settings file (`raw`: its bytes, where read), every key and value checked; a
    wrong one is a UsageError at the file's line."""
    raw = _bytes(path) if raw is None else raw
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(_("{file}: not valid UTF-8 text", file=path)) from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib words its errors "... (at line L, column C)" or "... (at end of
        # document)": the place goes in front, as in every other message of a file.
        place = re.search(r" \(at (?:line (\d+), column (\d+)|end of document)\)$", str(error))
        what = str(error)[: place.start()] if place else str(error)
        where = str(path)
        if place:
            line, column = (place[1], place[2]) if place[1] else (
                text.count("\n") + 1, len(text) - text.rfind("\n"))
            where = f"{path}:{line}:{column}"
        raise UsageError(_("{where}: not valid TOML: {error}", where=where,
                           error=what)) from None
    table = document.get("tool", {}).get("peie", {}) if path.name == "pyproject.toml" \
        else document
    lines = _key_lines(text, path.name == "pyproject.toml")
    for key in table:
        if key not in KEYS:
            raise _wrong(path, lines, key, _("unknown setting '{key}'; the settings are "
                                             "{keys}", key=key, keys=", ".join(KEYS)))
    base = path.parent
    values: dict[str, Any] = {}
    for key, check in _CHECKS.items():
        if key in table:
            values[key] = check(path, lines, key, table[key], base)
    return Config(path.resolve(), hashlib.sha256(raw).hexdigest(), **values)


def _bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UsageError(_("{file}: cannot read: {reason}", file=path,
                           reason=error.strerror or error)) from None


def _key_lines(text: str, in_tool_table: bool) -> dict[str, int]:
    """The line of each key of the settings' table (1-based), for messages."""
    found: dict[str, int] = {}
    inside = not in_tool_table
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.match(r"\s*\[+\s*([^\]]*?)\s*\]", line)
        if header:
            inside = in_tool_table and re.sub(r"\s", "", header.group(1)) == "tool.peie"
            continue
        key = re.match(r"\s*[\"']?([A-Za-z0-9_-]+)[\"']?\s*=", line)
        if inside and key:
            found.setdefault(key.group(1), number)
    return found


def _wrong(path: Path, lines: Mapping[str, int], key: str, message: Any) -> UsageError:
    return UsageError(_("{file}:{line}: {message}", file=path, line=lines.get(key, 1),
                        message=message))


def _path(path: Path, lines: Mapping[str, int], key: str, value: Any, base: Path) -> str:
    """A path given relative to the file's directory (`..` taken out, for messages)."""
    if not isinstance(value, str) or not value:
        raise _wrong(path, lines, key, _("'{key}' is a path, given as a string", key=key))
    return os.path.normpath(base / value)


def _existing(path: Path, lines: Mapping[str, int], key: str, value: Any, base: Path) -> str:
    where = _path(path, lines, key, value, base)
    if not os.path.exists(where):
        raise _wrong(path, lines, key, _("'{key}': there is no {where}", key=key, where=where))
    return where


def _rules(path: Path, lines: Mapping[str, int], key: str, value: Any, base: Path
           ) -> tuple[str, ...]:
    given = [value] if isinstance(value, str) else value
    if not isinstance(given, list) or not given or not all(isinstance(g, str) for g in given):
        raise _wrong(path, lines, key, _("'rules' is a list of rule files and directories"))
    return tuple(_existing(path, lines, key, item, base) for item in given)


def _lang(path: Path, lines: Mapping[str, int], key: str, value: Any, base: Path) -> str:
    if value not in LANGUAGES:
        raise _wrong(path, lines, key, _("'lang' is one of {languages}, not {value}",
                                         languages=", ".join(LANGUAGES), value=repr(value)))
    return str(value)


_CHECKS: dict[str, Callable[[Path, Mapping[str, int], str, Any, Path], Any]] = {
    "rules": _rules, "ledger": _path, "local_factors": _existing, "lang": _lang}
KEYS = tuple(sorted(_CHECKS))


def with_language(config: Config, environ: Mapping[str, str]) -> Mapping[str, str]:
    """The environment the run's language is chosen from: the file's `lang` stands in
    for $PEIE_LANG where that is not set."""
    if config.lang and not environ.get(LANG_ENV):
        return {**environ, LANG_ENV: config.lang}
    return environ


def apply_config(config: Config, args: argparse.Namespace) -> None:
    """Fill in what the command line left unsaid, for the commands that take it."""
    if config.path is None:
        return
    command = getattr(args, "command", None)
    if config.rules:
        if command in ("check", "fmt", "test"):  # the files they are about, when none given
            given = "paths" if command == "test" else "files"
            if not getattr(args, given):
                setattr(args, given, list(config.rules))
        elif getattr(args, "rules", "absent") is None:
            args.rules = list(config.rules)
    # Not for diff: its --data is measured by one sector's versions, and the project's
    # factors for the other sectors would be refused as unknown there.
    if (config.local_factors and getattr(args, "local_factors", "absent") is None
            and command != "diff"):
        args.local_factors = config.local_factors
    if (config.ledger and getattr(args, "ledger", "absent") is None
            and not os.environ.get(LEDGER_ENV)):
        args.ledger = config.ledger
