"""Two-stage issuance as the application runs it: compute everything first, then open
the ledger only to record, in one transaction that also holds every read the record
depends on (a true-up's pre-allocation on record); and the ledger and position read back."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from peie.dsl.i18n import _
from peie.dsl.reading import file_kind
from peie.errors import DataProblem, UsageError
from peie.issuance.ledger import (
    Ledger,
    LedgerEntry,
    RecordOutcome,
    RunInfo,
    default_ledger_path,
)
from peie.issuance.position import FacilityPosition, SectorPosition, positions
from peie.issuance.stages import (
    Preallocation,
    TrueUp,
    preallocates,
    preallocation_issuances,
    preallocations,
    trueup_issuances,
    trueups,
)
from peie.provenance import Provenance

from .allocation import AllocationRun, allocate
from .inputs import DataLike, FactorsLike, RulesLike

LedgerLike = str | os.PathLike[str] | None  # None: $PEIE_LEDGER, else ./peie-ledger.sqlite


def open_ledger(path: LedgerLike, reading: bool = False) -> Ledger:
    """The ledger; reading one that does not exist is an error, not a new empty ledger."""
    where = Path(path) if path else default_ledger_path()
    if reading and not where.exists():
        raise UsageError(_("{where}: there is no ledger here (preallocate or trueup make one)",
                           where=where))
    if not where.parent.is_dir():
        raise UsageError(_("{where}: there is no directory {parent}", where=where,
                           parent=where.parent))
    if where.is_dir():
        raise UsageError(_("{where}: is a directory; give the ledger's file name", where=where))
    if where.exists() and not where.is_file():  # SQLite would read a FIFO, or /dev/zero
        raise UsageError(_("{path}: is {kind}, not a regular file; a ledger is an SQLite "
                           "file", path=str(where), kind=file_kind(where.stat().st_mode)))
    return Ledger(where)


@dataclass(frozen=True)
class Recorded:
    """What the ledger did with a run."""

    ledger: Path
    outcome: RecordOutcome


@dataclass(frozen=True)
class PreallocationRun:
    base: AllocationRun  # the allocation year's rules on base-year data
    items: Sequence[Preallocation]
    recorded: Recorded

    @property
    def provenance(self) -> Provenance:
        return self.base.provenance

    @property
    def warnings(self) -> tuple[DataProblem, ...]:
        return self.base.warnings


@dataclass(frozen=True)
class TrueUpRun:
    final: AllocationRun
    items: Sequence[TrueUp]
    recorded: Recorded
    preallocation_on_record: bool  # False: every facility was settled as a new entrant

    @property
    def expected_preallocation(self) -> bool:
        """Whether the rules in force pre-allocate this year at all."""
        return any(preallocates(rule, self.final.year) for rule in self.final.rules.values())

    @property
    def provenance(self) -> Provenance:
        return self.final.provenance

    @property
    def warnings(self) -> tuple[DataProblem, ...]:
        return self.final.warnings


def preallocate(data: DataLike, year: int, *, ledger: LedgerLike = None,
                rules: RulesLike = None, local_factors: FactorsLike = None,
                command: str = "", supersede_reason: str | None = None,
                strict: bool = False) -> PreallocationRun:
    """Pre-allocate `year` on base-year data and record it (with `strict`, a warning
    stops it before anything is recorded)."""
    base = allocate(data, year, rules=rules, local_factors=local_factors,
                    preallocation_basis=True, strict=strict)
    if not any(preallocates(rule, year) for rule in base.rules.values()):
        versions = ", ".join(f"{r.sector} {r.version} ({r.path})"
                             for _, r in sorted(base.rules.items()))
        raise UsageError(_("the rules in force for {year} pre-allocate nothing ({versions} say "
                           "'preallocation none'): the whole allocation is issued by trueup",
                           year=year, versions=versions))
    items = preallocations(base)
    with open_ledger(ledger) as book:
        outcome = book.record(year=year, stage="preallocation",
                              issuances=preallocation_issuances(items),
                              provenance=base.provenance, command=command,
                              supersede_reason=supersede_reason)
        return PreallocationRun(base, items, Recorded(book.path, outcome))


def trueup(data: DataLike, year: int, *, ledger: LedgerLike = None,
           rules: RulesLike = None, local_factors: FactorsLike = None,
           command: str = "", supersede_reason: str | None = None,
           strict: bool = False) -> TrueUpRun:
    """The final allocation on verified data, settled against the pre-allocation on
    record, and recorded (`strict` as for preallocate)."""
    final = allocate(data, year, rules=rules, local_factors=local_factors, strict=strict)
    with open_ledger(ledger) as book, book.transaction():
        on_record = book.has_run(year, "preallocation")
        items = trueups(final, book.preallocations(year), final.data_path)
        outcome = book.record(year=year, stage="trueup", issuances=trueup_issuances(items),
                              provenance=final.provenance, command=command,
                              supersede_reason=supersede_reason)
        return TrueUpRun(final, items, Recorded(book.path, outcome), on_record)


@dataclass(frozen=True)
class PositionReport:
    """Each facility's final allocation against its verified emissions."""

    result: AllocationRun
    facilities: Sequence[FacilityPosition]
    sectors: Sequence[SectorPosition]

    @property
    def provenance(self) -> Provenance:
        return self.result.provenance

    @property
    def warnings(self) -> tuple[DataProblem, ...]:
        return self.result.warnings


def position(data: DataLike, year: int, *, rules: RulesLike = None,
             local_factors: FactorsLike = None, strict: bool = False) -> PositionReport:
    result = allocate(data, year, rules=rules, local_factors=local_factors, strict=strict)
    assert result.compiled is not None
    facilities, sectors = positions(result, dict(result.compiled), result.data_path)
    return PositionReport(result, facilities, sectors)


@dataclass(frozen=True)
class LedgerView:
    """Issuances read back from a ledger, with the runs that recorded them."""

    path: Path
    entries: Sequence[LedgerEntry]
    runs: Sequence[RunInfo]


def ledger_entries(ledger: LedgerLike = None, *, year: int | None = None,
                   facility: str | None = None, include_superseded: bool = False
                   ) -> LedgerView:
    with open_ledger(ledger, reading=True) as book, book.snapshot():
        entries = book.entries(year=year, facility=facility,
                               include_superseded=include_superseded)
        return LedgerView(book.path, entries, book.runs(year))
