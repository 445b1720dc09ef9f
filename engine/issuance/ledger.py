"""The allocation ledger: an SQLite record of every issuance and what it was computed from.

Where it lives: the path given with --ledger, else $PEIE_LEDGER, else `peie-ledger.sqlite`
in the current directory (a regulator's working folder holds its ledger beside its data).

A *run* is one issuing command for one (year, stage): stage `preallocation` or `trueup`.
Each run records the rule versions and sha256s, the data's and the local factors' sha256,
the command line and the time; its *issuances* are one line per facility. Repeating an
identical command writes nothing; a different one for the same (year, stage) is refused
unless superseded with a reason, which is kept. Every command is one transaction: a
failure anywhere leaves the file as it was (rollback journal; SQLite's atomic commit).
"""

from __future__ import annotations

import datetime
import json
import os
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peie.errors import PeieError
from peie.provenance import Provenance

DEFAULT_LEDGER_ENV = "PEIE_LEDGER"
DEFAULT_LEDGER_NAME = "peie-ledger.sqlite"
STAGES = ("preallocation", "trueup")
APPLICATION_ID = 0x70656965  # 'peie': marks the file as a peie ledger

# Schema versions, in order; each script moves the schema from version i to i + 1.
MIGRATIONS = (
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        year INTEGER NOT NULL,
        stage TEXT NOT NULL CHECK (stage IN ('preallocation', 'trueup')),
        recorded_at TEXT NOT NULL,
        command TEXT NOT NULL,
        rules_json TEXT NOT NULL,
        data_sha256 TEXT NOT NULL,
        local_factors_sha256 TEXT,
        fingerprint TEXT NOT NULL,
        superseded_by INTEGER REFERENCES runs(id),
        supersede_reason TEXT
    );
    CREATE INDEX runs_current ON runs(year, stage) WHERE superseded_by IS NULL;
    CREATE TABLE issuances (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        facility_id TEXT NOT NULL,
        sector TEXT NOT NULL,
        amount INTEGER NOT NULL,
        final INTEGER,
        preallocation INTEGER,
        PRIMARY KEY (run_id, facility_id),
        CHECK (final IS NULL OR amount = final - preallocation)
    );
    CREATE INDEX issuances_facility ON issuances(facility_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class LedgerError(PeieError):
    """The ledger file cannot be used, or a run conflicts with what it holds."""


class LedgerConflict(LedgerError):
    pass


def default_ledger_path() -> Path:
    return Path(os.environ.get(DEFAULT_LEDGER_ENV) or DEFAULT_LEDGER_NAME)


@dataclass(frozen=True)
class Issuance:
    facility_id: str
    sector: str
    amount: int  # whole tCO2 issued by this stage (signed for a true-up)
    final: int | None = None  # true-up only
    preallocation: int | None = None  # true-up only


@dataclass(frozen=True)
class RecordOutcome:
    run_id: int
    status: str  # recorded | unchanged | superseded
    replaced_run_id: int | None = None


@dataclass(frozen=True)
class RunInfo:
    id: int
    year: int
    stage: str
    recorded_at: str
    command: str
    rules: dict[str, Any]
    data_sha256: str
    local_factors_sha256: str | None
    superseded_by: int | None
    supersede_reason: str | None


@dataclass(frozen=True)
class LedgerEntry:
    run_id: int
    year: int
    stage: str
    facility_id: str
    sector: str
    amount: int
    final: int | None
    preallocation: int | None
    rules: str  # JSON text: sector -> version and sha256 (an object in JSON exports)
    data_sha256: str
    local_factors_sha256: str | None
    recorded_at: str
    superseded: bool
    supersede_reason: str | None


def _utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class Ledger:
    def __init__(self, path: str | os.PathLike[str],
                 now: Callable[[], datetime.datetime] | None = None,
                 _fault: Callable[[str], None] | None = None):
        self.path = Path(path)
        self._now = now or _utc_now
        self._fault = _fault or (lambda point: None)
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None)
            self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise LedgerError(f"{self.path}: not a peie ledger ({error})") from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        (app,) = self.db.execute("PRAGMA application_id").fetchone()
        tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables:
            raise LedgerError(f"{self.path}: this SQLite file holds other tables; it is not "
                              "a peie ledger")
        if version and app != APPLICATION_ID:
            raise LedgerError(f"{self.path}: not a peie ledger")
        if version > SCHEMA_VERSION:
            raise LedgerError(f"{self.path}: ledger schema version {version} is newer than "
                              f"this peie knows ({SCHEMA_VERSION}); upgrade peie")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {target}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    # ---- writing ---------------------------------------------------------------------

    def record(self, *, year: int, stage: str, issuances: Sequence[Issuance],
               provenance: Provenance, command: str,
               supersede_reason: str | None = None) -> RecordOutcome:
        """Record one run in one transaction (see the module docstring for the rules)."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        _validate(stage, issuances)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            outcome = self._record(year, stage, issuances, provenance, command,
                                   supersede_reason)
            self._fault("before_commit")
            self.db.execute("COMMIT")
            return outcome
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def _record(self, year: int, stage: str, issuances: Sequence[Issuance],
                provenance: Provenance, command: str,
                reason: str | None) -> RecordOutcome:
        current = self._current(year, stage)
        if current is not None:
            same_inputs = current["fingerprint"] == provenance.fingerprint()
            if same_inputs and self._issuances(current["id"]) == sorted(
                    issuances, key=lambda i: i.facility_id):
                return RecordOutcome(current["id"], "unchanged")
            if reason is None:
                raise LedgerConflict(self._conflict_message(current, provenance, stage, year))
        settled = self._current(year, "trueup") if stage == "preallocation" else None
        if settled is not None:
            raise LedgerConflict(
                f"the true-up of {year} is recorded (run {settled['id']}), settled against the "
                "pre-allocation on record; a new pre-allocation now would break "
                "pre-allocation + true-up = final. Correct the true-up instead "
                "(trueup --supersede --reason TEXT): it settles any difference")
        if current is None and reason is not None:
            raise LedgerConflict(f"nothing to supersede: no {stage} of {year} is recorded in "
                                 f"{self.path}; run the command without --supersede")
        cursor = self.db.execute(
            "INSERT INTO runs (year, stage, recorded_at, command, rules_json, data_sha256,"
            " local_factors_sha256, fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (year, stage, self._now().isoformat(timespec="seconds"), command,
             provenance.rules_json(), provenance.data_sha256, provenance.local_factors_sha256,
             provenance.fingerprint()))
        run_id = int(cursor.lastrowid or 0)
        self._fault("after_run_insert")
        self.db.executemany(
            "INSERT INTO issuances (run_id, facility_id, sector, amount, final, preallocation)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, i.facility_id, i.sector, i.amount, i.final, i.preallocation)
             for i in issuances])
        self._fault("after_issuances")
        if current is None:
            return RecordOutcome(run_id, "recorded")
        self.db.execute("UPDATE runs SET superseded_by = ?, supersede_reason = ? WHERE id = ?",
                        (run_id, reason, current["id"]))
        return RecordOutcome(run_id, "superseded", current["id"])

    def _conflict_message(self, current: sqlite3.Row, provenance: Provenance, stage: str,
                          year: int) -> str:
        differs = []
        if current["rules_json"] != provenance.rules_json():
            differs.append("rules")
        if current["data_sha256"] != provenance.data_sha256:
            differs.append("data")
        if current["local_factors_sha256"] != provenance.local_factors_sha256:
            differs.append("local factors")
        what = ", ".join(differs) or "amounts"
        return (f"the {stage} of {year} was already recorded as run {current['id']} at "
                f"{current['recorded_at']} from different {what}; to replace it, repeat the "
                "command with --supersede --reason TEXT")

    # ---- reading ---------------------------------------------------------------------

    def _current(self, year: int, stage: str) -> sqlite3.Row | None:
        self.db.row_factory = sqlite3.Row
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM runs WHERE year = ? AND stage = ? AND superseded_by IS NULL",
            (year, stage)).fetchone()
        return row

    def _issuances(self, run_id: int) -> list[Issuance]:
        rows = self.db.execute(
            "SELECT facility_id, sector, amount, final, preallocation FROM issuances"
            " WHERE run_id = ? ORDER BY facility_id", (run_id,)).fetchall()
        return [Issuance(*tuple(r)) for r in rows]

    def preallocations(self, year: int) -> dict[str, int]:
        run = self._current(year, "preallocation")
        if run is None:
            return {}
        return {i.facility_id: i.amount for i in self._issuances(run["id"])}

    def has_run(self, year: int, stage: str) -> bool:
        return self._current(year, stage) is not None

    def runs(self, year: int | None = None) -> list[RunInfo]:
        self.db.row_factory = sqlite3.Row
        query = "SELECT * FROM runs" + (" WHERE year = ?" if year is not None else "")
        rows = self.db.execute(query + " ORDER BY id", (year,) if year is not None else ())
        return [RunInfo(r["id"], r["year"], r["stage"], r["recorded_at"], r["command"],
                        json.loads(r["rules_json"]), r["data_sha256"],
                        r["local_factors_sha256"], r["superseded_by"], r["supersede_reason"])
                for r in rows]

    def entries(self, *, year: int | None = None, facility: str | None = None,
                include_superseded: bool = False) -> list[LedgerEntry]:
        self.db.row_factory = sqlite3.Row
        clauses: list[str] = []
        params: list[object] = []
        if year is not None:
            clauses.append("r.year = ?")
            params.append(year)
        if facility is not None:
            clauses.append("i.facility_id = ?")
            params.append(facility)
        if not include_superseded:
            clauses.append("r.superseded_by IS NULL")
        where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self.db.execute(
            "SELECT r.id, r.year, r.stage, i.facility_id, i.sector, i.amount, i.final,"
            " i.preallocation, r.rules_json, r.data_sha256, r.local_factors_sha256,"
            " r.recorded_at, r.superseded_by IS NOT NULL, r.supersede_reason"
            " FROM issuances i JOIN runs r ON r.id = i.run_id" + where
            + " ORDER BY r.year, r.id, i.facility_id", params)
        return [LedgerEntry(*tuple(r)[:12], bool(r[12]), r[13])  # type: ignore[call-arg]
                for r in rows]


def _validate(stage: str, issuances: Sequence[Issuance]) -> None:
    seen: set[str] = set()
    for item in issuances:
        if item.facility_id in seen:
            raise ValueError(f"facility {item.facility_id} appears twice in one run")
        seen.add(item.facility_id)
        if stage == "trueup" and (item.final is None or item.preallocation is None
                                  or item.amount != item.final - item.preallocation):
            raise ValueError(f"true-up of {item.facility_id} breaks final = pre-allocation "
                             "+ true-up")
