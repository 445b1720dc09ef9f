"""The allocation ledger: an SQLite record of every issuance and what it was computed from.

Where it lives: the path given with --ledger, else $PEIE_LEDGER, else `peie-ledger.sqlite`
in the current directory (a regulator's working folder holds its ledger beside its data).

A *run* is one issuing command for one (year, stage): stage `preallocation` or `trueup`.
Each run records the rule versions and sha256s, the data's and the local factors' sha256,
the command line and the time; its *issuances* are one line per facility. Repeating an
identical command writes nothing; a different one for the same (year, stage) is refused
unless superseded with a reason, which is kept. Every command is one transaction: a
failure anywhere leaves the file as it was (rollback journal; SQLite's atomic commit).

Processes share a ledger safely: an issuing command holds the ledger's write lock from
before its first read (the pre-allocation a true-up settles against, the run it repeats or
supersedes) to its commit, so that issuing commands run one after the other; one that
finds the lock held waits up to $PEIE_LEDGER_TIMEOUT seconds (30), then gives up with a
LedgerError. Readers take no write lock; the file is checked whole
(PRAGMA integrity_check) each time it is opened.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peie.dsl.i18n import _, joined
from peie.errors import PeieError, UsageError
from peie.provenance import Provenance

DEFAULT_LEDGER_ENV = "PEIE_LEDGER"
DEFAULT_LEDGER_NAME = "peie-ledger.sqlite"
LEDGER_TIMEOUT_ENV = "PEIE_LEDGER_TIMEOUT"
DEFAULT_TIMEOUT = 30.0  # seconds to wait for another process that holds the ledger
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
    # 2: a facility may span sectors (contract 8): one issuance per facility and sector.
    """
    CREATE TABLE issuances_by_sector (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        facility_id TEXT NOT NULL,
        sector TEXT NOT NULL,
        amount INTEGER NOT NULL,
        final INTEGER,
        preallocation INTEGER,
        PRIMARY KEY (run_id, facility_id, sector),
        CHECK (final IS NULL OR amount = final - preallocation)
    );
    INSERT INTO issuances_by_sector (run_id, facility_id, sector, amount, final, preallocation)
        SELECT run_id, facility_id, sector, amount, final, preallocation FROM issuances;
    DROP TABLE issuances;
    ALTER TABLE issuances_by_sector RENAME TO issuances;
    CREATE INDEX issuances_facility ON issuances(facility_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class LedgerError(PeieError):
    """The ledger file cannot be used, or a run conflicts with what it holds."""


class LedgerConflict(LedgerError):
    pass


# What a failure of the ledger file means to the user, by SQLite's result code (extended,
# else primary). Each is a whole message of the catalogue, filled by `storage_message`:
# {path} the ledger file, {timeout} the seconds waited, {env} the variable that sets them,
# {detail} SQLite's own words.
BUSY = _("{path}: another process holds this ledger and did not let go of it within "
         "{timeout:g} s; nothing was recorded. Run the command again when the other one has "
         "finished, or wait longer with {env}=SECONDS.")
FULL = _("{path}: the disk holding the ledger is full; nothing was recorded and the ledger "
         "is as it was. Free some space and run the command again.")
READ_ONLY = _("{path}: the ledger cannot be written, as the file (or the disk it is on) is "
              "read-only; nothing was recorded.")
READ_ONLY_DIRECTORY = _("{path}: the ledger cannot be written, as its directory is read-only "
                        "(SQLite writes a journal beside the ledger); nothing was recorded.")
CANNOT_OPEN = _("{path}: the ledger cannot be opened or created ({detail}); its directory "
                "must be writable, and the file readable and writable.")
DAMAGED = _("{path}: the ledger file is damaged ({detail}); nothing was recorded. Restore it "
            "from a backup: peie does not repair a ledger.")
NOT_A_DATABASE = _("{path}: not a peie ledger ({detail})")
UNREADABLE = _("{path}: the ledger could not be read or written ({detail}); nothing was "
               "recorded and the ledger is as it was.")
STORAGE_MESSAGES = {
    sqlite3.SQLITE_BUSY: BUSY,
    sqlite3.SQLITE_LOCKED: BUSY,
    sqlite3.SQLITE_FULL: FULL,
    sqlite3.SQLITE_READONLY: READ_ONLY,
    sqlite3.SQLITE_READONLY_DIRECTORY: READ_ONLY_DIRECTORY,
    sqlite3.SQLITE_CANTOPEN: CANNOT_OPEN,
    sqlite3.SQLITE_PERM: CANNOT_OPEN,
    sqlite3.SQLITE_CORRUPT: DAMAGED,
    sqlite3.SQLITE_NOTADB: NOT_A_DATABASE,
}


def storage_message(path: Path, error: sqlite3.Error, timeout: float) -> str:
    """SQLite's `error` on the ledger file `path`, in the user's terms."""
    code = getattr(error, "sqlite_errorcode", None) or 0
    template = STORAGE_MESSAGES.get(code) or STORAGE_MESSAGES.get(code & 0xFF, UNREADABLE)
    return _(template, path=path, timeout=timeout, env=LEDGER_TIMEOUT_ENV, detail=error)


def default_ledger_path() -> Path:
    return Path(os.environ.get(DEFAULT_LEDGER_ENV) or DEFAULT_LEDGER_NAME)


def lock_timeout() -> float:
    """Seconds to wait for another process that holds the ledger: $PEIE_LEDGER_TIMEOUT,
    else DEFAULT_TIMEOUT."""
    text = os.environ.get(LEDGER_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise UsageError(_("{variable}={text}: give the seconds to wait for another process that "
                           "holds the ledger, a number of 0 or more",
                           variable=LEDGER_TIMEOUT_ENV, text=text))
    return seconds


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
    """The ledger file, opened (its schema created or brought up to date) on construction.

    Issuing commands on one ledger are serialised: `transaction()` takes the ledger's write
    lock (BEGIN IMMEDIATE) before the first read an issuance depends on, waiting up to
    `timeout` seconds for another process that holds it. Every failure of the file (locked,
    full, read-only, damaged) is a LedgerError naming it, and leaves the ledger as it was.
    """

    def __init__(self, path: str | os.PathLike[str],
                 now: Callable[[], datetime.datetime] | None = None,
                 timeout: float | None = None,
                 _fault: Callable[[str], None] | None = None):
        self.path = Path(path)
        self.timeout = lock_timeout() if timeout is None else timeout
        self._now = now or _utc_now
        self._fault = _fault or (lambda point: None)
        self._writing: bool | None = None  # the open transaction: a write, a read, none
        with self._storage():
            self.db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            with self._storage():
                self.db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- transactions ----------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One issuing command: what it reads and what it writes, under the ledger's write
        lock, committed together or not at all. A `record` inside joins it."""
        with self._transaction(write=True):
            yield

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the ledger. It takes no write lock, but a commit
        waits for it to end (keep it short)."""
        with self._transaction(write=False):
            yield

    @contextlib.contextmanager
    def _transaction(self, write: bool) -> Iterator[None]:
        if self._writing is not None:
            if write and not self._writing:
                raise RuntimeError("a write inside a read transaction of the ledger")
            yield  # joins the transaction already open
            return
        with self._storage():
            self.db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        self._writing = write
        try:
            with self._storage():
                yield
                if write:
                    self._fault("before_commit")
                self.db.execute("COMMIT")
        except BaseException:
            self._rollback()
            raise
        finally:
            self._writing = None

    def _rollback(self) -> None:
        """Undo the open transaction, if SQLite has not undone it already (it does after a
        full disk or an I/O error). A rollback that fails leaves SQLite's journal behind,
        which the next process to open the file plays back: the ledger is as it was."""
        if self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")

    @contextlib.contextmanager
    def _storage(self) -> Iterator[None]:
        """SQLite's failures of the file as a LedgerError naming it."""
        try:
            yield
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError):
            raise  # a defect of peie, not of the file
        except sqlite3.DatabaseError as error:
            raise LedgerError(storage_message(self.path, error, self.timeout)) from None

    # ---- the schema ------------------------------------------------------------------

    def _migrate(self) -> None:
        """The one place where the schema is created or brought up to date. The version is
        read again under the write lock, so that processes opening a new ledger at the
        same moment create it once."""
        with self.snapshot():
            self._integrity()
            version = self._schema_version()
        if version == SCHEMA_VERSION:
            return
        with self.transaction():
            for target in range(self._schema_version() + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        self.db.execute(statement)
                self.db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                self.db.execute(f"PRAGMA user_version = {target}")

    def _schema_version(self) -> int:
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        (app,) = self.db.execute("PRAGMA application_id").fetchone()
        tables = self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if version == 0 and tables:
            raise LedgerError(_("{path}: this SQLite file holds other tables; it is not a peie "
                                "ledger", path=self.path))
        if version and app != APPLICATION_ID:
            raise LedgerError(_("{path}: not a peie ledger", path=self.path))
        if version > SCHEMA_VERSION:
            raise LedgerError(_("{path}: ledger schema version {version} is newer than this peie "
                                "knows ({schema_version}); upgrade peie", path=self.path,
                                version=version, schema_version=SCHEMA_VERSION))
        return int(version)

    def _integrity(self) -> None:
        """Refuse a damaged file before anything is read from it or issued on it: SQLite
        notices a damaged page only when it reads it, a row that disagrees with its index
        not at all, and a lost row would read as no row (a facility never pre-allocated)."""
        (verdict,) = self.db.execute("PRAGMA integrity_check(1)").fetchone()
        if verdict != "ok":
            detail = "; ".join(line for line in verdict.splitlines()
                               if line and not line.startswith("***"))
            raise LedgerError(DAMAGED.format(path=self.path, detail=detail))

    # ---- writing ---------------------------------------------------------------------

    def record(self, *, year: int, stage: str, issuances: Sequence[Issuance],
               provenance: Provenance, command: str,
               supersede_reason: str | None = None) -> RecordOutcome:
        """Record one run (see the module docstring for the rules): inside `transaction()`,
        where what the run was computed from was read, else in a transaction of its own."""
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        _validate(stage, issuances)
        with self.transaction():
            return self._record(year, stage, issuances, provenance, command,
                                supersede_reason)

    def _record(self, year: int, stage: str, issuances: Sequence[Issuance],
                provenance: Provenance, command: str,
                reason: str | None) -> RecordOutcome:
        current = self._current(year, stage)
        if current is not None:
            same_inputs = current["fingerprint"] == provenance.fingerprint()
            if same_inputs and self._issuances(current["id"]) == sorted(
                    issuances, key=lambda i: (i.facility_id, i.sector)):
                return RecordOutcome(current["id"], "unchanged")
            if reason is None:
                raise LedgerConflict(self._conflict_message(current, provenance, stage, year))
        settled = self._current(year, "trueup") if stage == "preallocation" else None
        if settled is not None:
            raise LedgerConflict(
                _("the true-up of {year} is recorded (run {settled}), settled against the "
                  "pre-allocation on record; a new pre-allocation now would break pre-allocation "
                  "+ true-up = final. Correct the true-up instead (trueup --supersede --reason "
                  "TEXT): it settles any difference", year=year, settled=settled["id"]))
        if current is None and reason is not None:
            raise LedgerConflict(_("nothing to supersede: no {stage} of {year} is recorded in "
                                   "{path}; run the command without --supersede", stage=stage,
                                   year=year, path=self.path))
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
            differs.append(_("rules"))
        if current["data_sha256"] != provenance.data_sha256:
            differs.append(_("data"))
        if current["local_factors_sha256"] != provenance.local_factors_sha256:
            differs.append(_("local factors"))
        return _("the {stage} of {year} was already recorded as run {run} at {at} from "
                 "different {what}; to replace it, repeat the command with --supersede "
                 "--reason TEXT", stage=stage, year=year, run=current["id"],
                 at=current["recorded_at"], what=joined(differs) if differs else _("amounts"))

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
            " WHERE run_id = ? ORDER BY facility_id, sector", (run_id,)).fetchall()
        return [Issuance(*tuple(r)) for r in rows]

    def preallocations(self, year: int) -> dict[tuple[str, str], int]:
        """What the current pre-allocation of `year` issued, per facility and sector."""
        with self._storage():
            run = self._current(year, "preallocation")
            if run is None:
                return {}
            return {(i.facility_id, i.sector): i.amount for i in self._issuances(run["id"])}

    def has_run(self, year: int, stage: str) -> bool:
        with self._storage():
            return self._current(year, stage) is not None

    def runs(self, year: int | None = None) -> list[RunInfo]:
        self.db.row_factory = sqlite3.Row
        query = "SELECT * FROM runs" + (" WHERE year = ?" if year is not None else "")
        with self._storage():
            rows = self.db.execute(query + " ORDER BY id",
                                   (year,) if year is not None else ()).fetchall()
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
        with self._storage():
            rows = self.db.execute(
                "SELECT r.id, r.year, r.stage, i.facility_id, i.sector, i.amount, i.final,"
                " i.preallocation, r.rules_json, r.data_sha256, r.local_factors_sha256,"
                " r.recorded_at, r.superseded_by IS NOT NULL, r.supersede_reason"
                " FROM issuances i JOIN runs r ON r.id = i.run_id" + where
                + " ORDER BY r.year, r.id, i.facility_id, i.sector", params).fetchall()
        return [LedgerEntry(*tuple(r)[:12], bool(r[12]), r[13])  # type: ignore[call-arg]
                for r in rows]


def _validate(stage: str, issuances: Sequence[Issuance]) -> None:
    seen: set[tuple[str, str]] = set()
    for item in issuances:
        if (item.facility_id, item.sector) in seen:
            raise ValueError(f"facility {item.facility_id} appears twice in sector "
                             f"{item.sector} in one run")
        seen.add((item.facility_id, item.sector))
        if stage == "trueup" and (item.final is None or item.preallocation is None
                                  or item.amount != item.final - item.preallocation):
            raise ValueError(f"true-up of {item.facility_id} breaks final = pre-allocation "
                             "+ true-up")
