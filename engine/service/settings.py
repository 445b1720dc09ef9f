"""What the service is started with: its rules, its ledger, its token, and the limits of
one request (docs/service.md gives the same values)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

BODY_BYTES = 64 * 1024 * 1024
UNITS = 100_000
SECONDS = 60.0
THREADS = 4


@dataclass(frozen=True)
class Limits:
    """What one request may ask: its body's size, its units, its time (waiting for a
    worker included). `threads` requests are worked on at once; others wait their turn."""

    body_bytes: int = BODY_BYTES
    units: int = UNITS
    seconds: float = SECONDS
    threads: int = THREADS


@dataclass(frozen=True)
class Settings:
    rules: Sequence[str] = ()  # rule files or directories; none: the bundled rules
    ledger: str | None = None  # None: $PEIE_LEDGER, else ./peie-ledger.sqlite (as the CLI)
    token: str | None = None  # None: the issuing endpoints answer 403
    limits: Limits = field(default_factory=Limits)
