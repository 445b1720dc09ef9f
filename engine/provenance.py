"""What a result was computed from: the rule versions with their hashes, the data's hash
and the local factors' hash, so that any number issued can be reproduced.

Every result (an allocation, a batch run, a pre-allocation, a true-up, an impact) offers
one `Provenance`; peie.report renders it one way per format, and the ledger records it
with each run.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import NamedTuple

from peie.dsl.model import Rule


class RuleRef(NamedTuple):
    """One rule file as a result names it."""

    version: str
    sha256: str
    path: str = ""
    status: str = ""
    sector_label: str = ""  # as the rule declares it (`sector power "电力"`)


class ConfigRef(NamedTuple):
    """The settings file (peie.toml) a command ran with."""

    path: str
    sha256: str


_CONFIG: contextvars.ContextVar[ConfigRef | None] = contextvars.ContextVar("peie_config",
                                                                           default=None)


@contextlib.contextmanager
def settings_file(config: ConfigRef | None) -> Iterator[None]:
    """Every provenance made inside names `config`, the settings file the command line
    runs with (None: no file)."""
    token = _CONFIG.set(config)
    try:
        yield
    finally:
        _CONFIG.reset(token)


@dataclass(frozen=True)
class Provenance:
    rules: Mapping[str, RuleRef]  # sector -> the version used
    data_sha256: str
    local_factors_sha256: str | None = None
    year: int | None = None
    data_path: str = ""
    config: ConfigRef | None = field(default_factory=_CONFIG.get)

    @classmethod
    def of(cls, year: int, rules: Mapping[str, Rule], data_sha256: str,
           local_factors_sha256: str | None, data_path: str = "") -> Provenance:
        refs = {sector: RuleRef(r.version, r.sha256, r.path, r.status, r.sector_label)
                for sector, r in sorted(rules.items())}
        return cls(refs, data_sha256, local_factors_sha256, year, data_path)

    def rules_json(self) -> str:
        """The rules as the ledger stores them: sector -> version and sha256."""
        return json.dumps({s: {"version": r.version, "sha256": r.sha256}
                           for s, r in sorted(self.rules.items())}, sort_keys=True)

    def fingerprint(self) -> str:
        """Equal for runs computed from the same rules, data and local factors."""
        text = json.dumps([self.rules_json(), self.data_sha256, self.local_factors_sha256])
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def program_version() -> str:
    """peie's version as installed ("unknown" run from a checkout that is not)."""
    try:
        return metadata.version("peie")
    except metadata.PackageNotFoundError:
        return "unknown"
