"""Columnar ingest and validation (pyarrow and numpy; no per-row Python), for the batch
path and, on large files, for the exact path's records.

Cells are read as the exact reader reads them: stripped of surrounding white space, and
empty text or a spelling of nothing (peie.data.nothing) as no value. Validation by columns
only decides *whether* every row is certainly valid, erring on the side of doubt (a number
written in an unusual form, a float equal to a range bound it may not represent). With any
doubt, the whole file goes through the per-record JSON Schema validation of
peie.data.records, so the errors reported, and the decision to go on, are exactly the
exact path's. A property test holds the column check to never pass data that the record
check rejects.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from peie.dsl import ast
from peie.dsl.model import Range, Rule

from . import conditions
from .kinds import ACCOUNTING_COLUMNS, IDENTITY_COLUMNS, MAX_DIGITS, Kind, field_kinds
from .nothing import NOTHING
from .provinces import NAMES as PROVINCES
from .readers import DataPath, Row, Table, cell_text, checked_header, read_bytes, read_table
from .records import UnitRecord, validate_table
from .spellings import Spelling

if TYPE_CHECKING:
    from peie.ruleset import RulesInForce

PLAIN_NUMBER = r"^-?[0-9]+(\.[0-9]+)?$"
FEW_ROWS = 1000  # Columns.rows: up to this many rows are sliced out one by one
# The ASCII that str.strip() removes from a cell, apart from the line ends of a CSV file.
ASCII_WHITE_SPACE = tuple(bytes([b]) for b in range(128) if chr(b).isspace() and b not in b"\r\n")


@dataclass
class Columns:
    """One data file as columns of text (None for empty), with conversions cached."""

    path: str
    sha256: str
    table: pa.Table
    source: Table | None = None  # the exact reader's rows, where they were read
    # Row i is line i + 2 of the file (no blank lines, no cell over several lines), or
    # line lines[i] for rows selected from such a file (of_sector).
    numbered: bool = True
    lines: np.ndarray | None = field(default=None, repr=False)
    # The spelling the columns were mapped by (spelled_columns): the exact reader's rows,
    # read again from the file, are mapped by it too.
    spelling: Spelling | None = field(default=None, repr=False)
    _cache: dict[tuple[str, ...], np.ndarray] = field(default_factory=dict, repr=False)
    _distinct: dict[str, list[str]] = field(default_factory=dict, repr=False)
    # The checks of the data alone (all_valid), kept: a what-if run re-checks only what
    # depends on the rules.
    _data_ok: bool | None = field(default=None, repr=False)
    # The file and how it was read, for reading it again row by row (exact_rows).
    origin: DataPath | None = field(default=None, repr=False)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.table.column_names)

    @property
    def size(self) -> int:
        return int(self.table.num_rows)

    def filled(self, name: str) -> np.ndarray:
        if ("filled", name) not in self._cache:
            nulls = pc.is_null(self.table[name]).to_numpy(zero_copy_only=False)
            self._cache[("filled", name)] = ~np.asarray(nulls, dtype=bool)
        return self._cache[("filled", name)]

    def floats(self, name: str) -> np.ndarray:
        """float64; NaN where empty or not a plain decimal number."""
        if ("floats", name) not in self._cache:
            column = self.table[name]
            try:  # the common case: every cell a number
                values = pc.cast(column, pa.float64())
            except pa.ArrowInvalid:
                plain = pc.fill_null(pc.match_substring_regex(column, PLAIN_NUMBER), False)
                values = pc.cast(pc.if_else(plain, column, None), pa.float64())
            floats = np.array(values.to_numpy(zero_copy_only=False), dtype=float)
            floats[~np.isfinite(floats)] = np.nan  # 'inf' and 'nan' are not amounts
            self._cache[("floats", name)] = floats
        return self._cache[("floats", name)]

    def strangers(self, name: str, members: tuple[str, ...]) -> np.ndarray:
        """Filled cells that are not one of `members`."""
        key = ("strangers", name, *members)
        if key not in self._cache:
            self._cache[key] = self.filled(name) & (self.codes(name, members) < 0)
        return self._cache[key]

    def unbounded(self, name: str) -> np.ndarray:
        """Cells with an exponent or of more than MAX_DIGITS bytes: only such a number may
        have more digits or a larger exponent than any amount (read_number refuses those;
        a double would read 1E-999999999 as a plain 0)."""
        if ("unbounded", name) not in self._cache:
            column = self.table[name]
            unbounded = pc.or_(pc.match_substring(column, "e", ignore_case=True),
                               pc.greater(pc.binary_length(column), MAX_DIGITS))
            self._cache[("unbounded", name)] = np.asarray(
                pc.fill_null(unbounded, False).to_numpy(zero_copy_only=False), dtype=bool)
        return self._cache[("unbounded", name)]

    def short(self, name: str) -> np.ndarray:
        """Cells of at most 15 bytes: such decimals round-trip through a double. (Bytes,
        not characters, are cheaper to count; a longer cell is only in more doubt.)"""
        if ("short", name) not in self._cache:
            short = pc.fill_null(pc.less_equal(pc.binary_length(self.table[name]), 15), False)
            self._cache[("short", name)] = np.asarray(short.to_numpy(zero_copy_only=False),
                                                      dtype=bool)
        return self._cache[("short", name)]

    def mapped(self, key: tuple[str, ...], indices: np.ndarray, table: list[int]
               ) -> np.ndarray:
        """table[i] for each index i of `indices` (-1 picks its last entry), kept under
        `key`: a column's distinct values read once each."""
        if key not in self._cache:
            self._cache[key] = np.asarray(table, dtype=np.int64)[indices]
        return self._cache[key]

    def codes(self, name: str, members: tuple[str, ...]) -> np.ndarray:
        """Index of each cell in `members`; -1 where empty or not a member."""
        key = ("codes", name, *members)
        if key not in self._cache:
            index = pc.fill_null(pc.index_in(self.table[name], value_set=pa.array(members)), -1)
            self._cache[key] = np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int64)
        return self._cache[key]

    def doubtful(self, name: str, rng: Range | None) -> np.ndarray:
        """Cells not certainly a number inside `rng`: not a plain number (or empty), or
        perhaps beyond the digits or exponent of any amount, or outside, or equal to a bound
        that a double may not represent, or too long to round-trip through a double."""
        values = self.floats(name)
        doubtful = np.isnan(values) | self.unbounded(name)
        if rng is not None:
            short = self.short(name)
            for bound, closed, inside in ((rng.low, rng.low_closed, np.greater),
                                          (rng.high, rng.high_closed, np.less)):
                if bound is None:
                    continue
                value = float(bound)
                tie_ok = closed and Decimal(value) == bound
                doubtful |= ~(inside(values, value) | ((values == value) & tie_ok & short))
        return doubtful

    def per_sector(self, key: tuple[str, ...], marked: Callable[[], np.ndarray]
                   ) -> np.ndarray:
        """How many rows of each sector (by its code in encoded('sector')) `marked()`
        marks, kept under `key`: a later run of the checks on the same data costs a
        lookup per check, not a pass over a column."""
        if ("per sector", *key) not in self._cache:
            codes, sectors = self.encoded("sector")
            counted = codes[marked() & (codes >= 0)]
            self._cache[("per sector", *key)] = np.bincount(counted, minlength=len(sectors))
        return self._cache[("per sector", *key)]

    def encoded(self, name: str) -> tuple[np.ndarray, list[str]]:
        """Dictionary codes of a text column (-1 where empty), and the distinct values."""
        if ("encoded", name) not in self._cache:
            encoded = self.table[name].combine_chunks().dictionary_encode()
            indices = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            # The values first: another thread (batch_allocate's check) takes the codes'
            # presence to mean both are there.
            self._distinct[name] = encoded.dictionary.to_pylist()
            self._cache[("encoded", name)] = np.asarray(indices, dtype=np.int64)
        return self._cache[("encoded", name)], self._distinct[name]

    def pairs(self, first: str, second: str) -> set[tuple[str, str]]:
        """The distinct (first, second) values of the rows where both are filled."""
        a_codes, a_values = self.encoded(first)
        b_codes, b_values = self.encoded(second)
        both = (a_codes >= 0) & (b_codes >= 0)
        combined = np.unique(a_codes[both] * len(b_values) + b_codes[both])
        return {(a_values[c // len(b_values)], b_values[c % len(b_values)])
                for c in combined.tolist()}

    def line_numbers(self, rows: np.ndarray) -> np.ndarray:
        """The file's line of each of `rows` (meaningful when `numbered`)."""
        return rows + 2 if self.lines is None else self.lines[rows]

    def of_sector(self, sector: str) -> Columns:
        """The rows of one sector, numbered as in the whole file."""
        if self.source is None and not self.numbered:  # only the exact reader knows lines
            return columns_from_table(self.exact_rows()).of_sector(sector)
        codes, sectors = self.encoded("sector")
        rows = np.flatnonzero(codes == sectors.index(sector)) if sector in sectors else \
            np.arange(0)
        source = None if self.source is None else Table(
            self.path, self.sha256, self.source.columns,
            tuple(self.source.rows[i] for i in rows.tolist()))
        return Columns(self.path, self.sha256, self.table.take(pa.array(rows, type=pa.int64())),
                       source, self.numbered, self.line_numbers(rows), spelling=self.spelling,
                       origin=self.origin)

    def rows_filled(self) -> int:
        """Rows with a cell filled (the exact reader passes over the others)."""
        filled = np.zeros(self.size, dtype=bool)
        for name in self.columns:
            filled |= self.filled(name)
        return int(filled.sum())

    def exact_rows(self) -> Table:
        """The file as the exact path reads it, row numbers included (of the selected
        rows only, for the rows of one sector)."""
        if self.source is None and self.origin is not None and (
                Path(self.path).exists() or not self.numbered):  # (read from a file)
            whole = read_table(self.origin)  # (if the file went away: its error, not a loop)
            if self.spelling is not None:
                whole = self.spelling.table(whole)
            if self.lines is not None:
                wanted = set(self.lines.tolist())
                whole = Table(whole.path, whole.sha256, whole.columns,
                              tuple(r for r in whole.rows if r.number in wanted))
            self.source = whole
        if self.source is not None:
            return self.source
        return self.rows(np.arange(self.size))

    def rows(self, indices: np.ndarray) -> Table:
        """Selected rows in the per-record form, numbered as the exact reader numbers
        them. (For columns that validated: the exact reader skips rows with no cell
        filled, which such columns do not have, so its rows are the columns' rows.)"""
        if self.source is not None or not self.numbered:
            every = self.exact_rows().rows
            return Table(self.path, self.sha256, self.columns,
                         tuple(every[int(i)] for i in indices))
        if len(indices) <= FEW_ROWS:  # a take gathers from every chunk; slices do not
            picked = pa.concat_tables([self.table.slice(int(i), 1) for i in indices]
                                      or [self.table.slice(0, 0)])
        else:
            picked = self.table.take(pa.array(indices, type=pa.int64()))
        data = picked.to_pydict()
        names = self.columns
        rows = tuple(Row(line, {n: data[n][i] for n in names})
                     for i, line in enumerate(self.line_numbers(np.asarray(indices)).tolist()))
        return Table(self.path, self.sha256, names, rows)


def read_columns(path: str | os.PathLike[str]) -> Columns:
    """CSV through pyarrow's reader (every column as text, so nothing is guessed);
    other formats through peie.data.readers. A CSV file in another encoding than UTF-8
    (DataPath.encoding) is read as its UTF-8 transcoding; its hash is of its bytes."""
    source = DataPath.of(path)
    name = source.path
    if Path(name).suffix.lower() != ".csv" or not Path(name).exists():
        return columns_from_table(read_table(source))
    raw = read_bytes(name)
    sha256 = hashlib.sha256(raw).hexdigest()
    if not source.utf8:
        raw = source.decoded(raw).encode("utf-8")
    names = _plain_header(raw[: raw.find(b"\n")] if b"\n" in raw else raw)
    if names is None:
        return columns_from_table(read_table(source))  # read (or refused) as the exact reader does
    try:
        table = pacsv.read_csv(
            pa.BufferReader(raw),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, null_values=list(NOTHING),
                strings_can_be_null=True))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return columns_from_table(read_table(source))  # the exact reader words the error
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    table = _without_empty_rows(_stripped(table) if _may_need_trimming(raw) else table)
    return Columns(name, sha256, table, numbered=lines == table.num_rows + 1, origin=source)


def _may_need_trimming(raw: bytes) -> bool:
    """Whether a cell may have white space around it. A file of ASCII without any white
    space but line ends cannot: a byte scan saves trimming every column (a third of a
    second per million rows)."""
    return (not raw.isascii() or any(space in raw for space in ASCII_WHITE_SPACE)
            or raw.count(b"\r") != raw.count(b"\r\n"))


def _plain_header(line: bytes) -> list[str] | None:
    """The column names of a header line with nothing for the exact reader to word: UTF-8,
    no quotes, every name given once."""
    try:
        text = line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    names = [n.strip() for n in text.split(",")]
    if '"' in text or "" in names or len(set(names)) != len(names):
        return None
    return names


def _without_empty_rows(table: pa.Table) -> pa.Table:
    """The rows with a cell filled, as the exact reader keeps them. (An empty row has an
    empty first cell: a first column without one spares the search.)"""
    if not table.num_columns or not table.column(0).null_count:
        return table
    filled = pc.is_valid(table.column(0))
    for column in table.columns[1:]:
        filled = pc.or_(filled, pc.is_valid(column))
    return table.filter(filled)


def _stripped(table: pa.Table) -> pa.Table:
    """Cells as peie.data.readers reads them; only the columns that need it are rebuilt, so
    clean data costs one trim per column."""
    for index, name in enumerate(table.column_names):
        trimmed = _trimmed(table[name])
        if trimmed is not None:
            table = table.set_column(index, name, trimmed)
    return table


def _trimmed(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """The column's cells as the exact reader reads them (peie.data.nothing.text_or_none),
    or None when every cell already is. (A cell no trimming changes is as pyarrow read
    it, its null values being the spellings of nothing.)"""
    trimmed = pc.utf8_trim_whitespace(column)
    length = pc.binary_length(trimmed)
    if not pc.any(pc.or_(pc.not_equal(length, pc.binary_length(column)),
                         pc.equal(length, 0))).as_py():
        return None
    nothing = pc.fill_null(pc.is_in(trimmed, value_set=pa.array(NOTHING, pa.string())), False)
    return pc.if_else(nothing, pa.scalar(None, pa.string()), trimmed)


def spelled_columns(columns: Columns, rules: RulesInForce | Spelling) -> Columns:
    """The columns with the names and codes the rules declare (peie.data.spellings); the
    same Columns, nothing rebuilt, when every distinct value already is one."""
    spelling = rules if isinstance(rules, Spelling) else Spelling.of(rules)
    names = spelling.names(columns.columns, columns.path)
    table = columns.table
    for index, (written, name) in enumerate(zip(columns.columns, names, strict=True)):
        if name not in spelling.values:
            continue
        if name in spelling.codes and not columns.strangers(written,
                                                            spelling.codes[name]).any():
            continue  # (the check the batch path makes of an enum's column anyway)
        codes, distinct = columns.encoded(written)
        mapped, ambiguous = spelling.mapping(name, distinct)
        if ambiguous:
            spelling.table(columns.exact_rows())  # raises, naming each row
        if mapped:
            values = pa.array([mapped.get(v, v) for v in distinct], pa.string())
            table = table.set_column(index, written,
                                     values.take(pa.array(codes, mask=codes < 0)))
    if table is columns.table and names == columns.columns:
        return columns
    source = None if columns.source is None else spelling.table(columns.source)
    return Columns(columns.path, columns.sha256, table.rename_columns(list(names)), source,
                   columns.numbered, columns.lines, spelling=spelling, origin=columns.origin)


def columns_from_table(table: Table) -> Columns:
    data = {n: pa.array([r.cells.get(n) for r in table.rows], type=pa.string())
            for n in table.columns}
    return Columns(table.path, table.sha256, pa.table(data) if data else pa.table({}), table)


def columns_from_arrow(table: pa.Table, name: str = "<records>") -> Columns:
    """An Arrow table (or record batch) in memory as the exact reader reads its records
    (peie.data.readers' cell text, record i numbered i): text, integer and boolean columns
    by pyarrow, the others (floats, decimals) through the exact reader's cell by cell.
    Hashed as the Arrow IPC stream of the text columns."""
    checked_header(name, list(table.column_names), None)
    texts = {}
    for column_name, column in zip(table.column_names, table.columns, strict=True):
        texts[column_name] = _arrow_text(column, name, column_name)
    text_table = pa.table(texts) if texts else pa.table({})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, text_table.schema) as stream:
        stream.write_table(text_table.combine_chunks())
    sha256 = hashlib.sha256(sink.getvalue().to_pybytes()).hexdigest()
    lines = np.arange(1, text_table.num_rows + 1)
    return Columns(name, sha256, text_table, lines=lines)


def _arrow_text(column: pa.ChunkedArray | pa.Array, name: str, field_name: str
                ) -> pa.ChunkedArray | pa.Array:
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = pc.cast(column, kind.value_type), kind.value_type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or \
            pa.types.is_string_view(kind):
        trimmed = pc.utf8_trim_whitespace(pc.cast(column, pa.string()))
        nothing = pc.is_in(trimmed, value_set=pa.array(NOTHING, pa.string()))
        return pc.if_else(pc.fill_null(nothing, False), pa.scalar(None, pa.string()), trimmed)
    if pa.types.is_integer(kind):
        return pc.cast(column, pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(column, "true", "false")
    return pa.array([cell_text(v, name, number, field_name)
                     for number, v in enumerate(column.to_pylist(), start=1)], pa.string())


def _sector_ok(columns: Columns, code: int, rule: Rule, others: set[str]) -> bool:
    """Every row of the sector (`code` in encoded('sector')) certainly valid under its
    rule, from counts per sector of filled and doubtful cells."""
    names = set(columns.columns)

    def filled(name: str) -> int:
        if name not in names:
            return 0
        return int(columns.per_sector(("filled", name), partial(columns.filled, name))[code])

    def any_doubtful(name: str, kind: Kind) -> bool:
        return bool(columns.per_sector(("doubtful", name, repr(kind)),
                                       partial(kind.doubtful, columns, name))[code])

    size = int(columns.per_sector(("rows",), partial(np.ones, columns.size, dtype=bool))[code])
    known = set(IDENTITY_COLUMNS) | set(ACCOUNTING_COLUMNS) | set(rule.inputs)
    if any(filled(n) for n in names - known - others):
        return False  # a cell of another sector's column is filled
    if any(any_doubtful(name, kind) for name, kind in field_kinds(rule).items()
           if name in names):
        return False
    for name, item in rule.inputs.items():
        kind = item.decl.requirement.kind
        if kind == "required" and filled(name) < size:
            return False
        if kind == "when" and filled(name) < size:
            assert item.decl.requirement.when is not None
            sector_codes, _ = columns.encoded("sector")
            missing = sector_codes == code
            if name in names:
                missing &= ~columns.filled(name)
            if (missing & _required_when(columns, rule, item.decl.requirement.when)).any():
                return False
    return True


def _required_when(columns: Columns, rule: Rule, when: ast.Condition) -> np.ndarray:
    """Rows whose codes make the `required when` condition hold."""
    present = set(columns.columns)

    def equals(name: str, code: str) -> np.ndarray:
        if name not in present:
            return np.zeros(columns.size, dtype=bool)
        return columns.codes(name, (code,)) == 0

    return np.broadcast_to(conditions.evaluate(when, rule.inputs, equals), (columns.size,))


def _cells_clean(columns: Columns) -> bool:
    """No cell with surrounding white space, and no empty text that is not null, in
    columns made from rows (read_columns strips the cells it reads itself)."""
    return all(_trimmed(columns.table[name]) is None for name in columns.columns)


def _text_ok(columns: Columns) -> bool:
    """Clean cells, identity columns filled, no unit id twice, and every province one of
    the national market's (by its canonical name)."""
    return ((columns.source is None or _cells_clean(columns))
            and not any(columns.table[n].null_count for n in IDENTITY_COLUMNS)
            and len(pc.unique(columns.table["unit_id"])) == columns.size
            and PROVINCES.issuperset(columns.encoded("province")[1]))


def all_valid(columns: Columns, rules: RulesInForce) -> bool:
    """True only when every row is certainly valid (see the module docstring)."""
    every = rules.versions
    known = set(IDENTITY_COLUMNS) | set(ACCOUNTING_COLUMNS) | {n for r in every
                                                                for n in r.inputs}
    names = columns.columns
    if any(n not in names for n in IDENTITY_COLUMNS) or any(n not in known for n in names):
        return False
    if columns.size == 0:
        return True
    if columns._data_ok is None:
        # The text checks are pyarrow's work alone, which runs without the GIL: on a
        # thread of their own they overlap with the rest (a third off a million rows on
        # two cores).
        with ThreadPoolExecutor(max_workers=1) as pool:
            text_ok = pool.submit(_text_ok, columns)
            facility_sector_codes(columns)  # meanwhile: the batch path groups by these
            columns._data_ok = text_ok.result()
    return columns._data_ok and _sectors_ok(columns, rules.by_sector, every)


SPANS_SECTORS = -2  # facility_sector_codes: a facility with units of several sectors


def facility_sector_codes(columns: Columns) -> np.ndarray:
    """Each facility's sector (its code in encoded('sector'), by encoded('facility_id')),
    or SPANS_SECTORS for a facility with units of several sectors (contract 8)."""
    if ("facility sectors",) not in columns._cache:
        sector_codes, _ = columns.encoded("sector")
        facility_codes, facilities = columns.encoded("facility_id")
        first = np.zeros(len(facilities) + 1, dtype=np.int64)
        first[facility_codes] = sector_codes
        spanning = facility_codes[first[facility_codes] != sector_codes]
        first[spanning] = SPANS_SECTORS
        columns._cache[("facility sectors",)] = first[:len(facilities)]
    return columns._cache[("facility sectors",)]


def _sectors_ok(columns: Columns, rules: Mapping[str, Rule], every: Iterable[Rule]) -> bool:
    sector_codes, sectors = columns.encoded("sector")
    if (sector_codes < 0).any() or any(s not in rules for s in sectors):
        return False
    for code, sector in enumerate(sectors):
        others = {n for r in every if r.sector == sector for n in r.inputs}
        if not _sector_ok(columns, code, rules[sector], others):
            return False
    return True


def validate_columns(columns: Columns, rules: RulesInForce) -> None:
    """Raise exactly the DataError the exact path would raise, or return."""
    columns = spelled_columns(columns, rules)
    if not all_valid(columns, rules):
        validate_table(columns.exact_rows(), rules)


def unit_records(columns: Columns, rules: RulesInForce) -> list[UnitRecord]:
    """The exact path's records, error for error those of peie.data.records.validate_table, but
    made straight from the columns when these are certainly valid (no per-row checks)."""
    columns = spelled_columns(columns, rules)
    if columns.source is None and columns.numbered and all_valid(columns, rules):
        try:
            return _records(columns, rules.by_sector)
        except InvalidOperation:
            pass  # a number pyarrow read and Decimal does not: the record check words it
    return validate_table(columns.exact_rows(), rules)


def _records(columns: Columns, rules: Mapping[str, Rule]) -> list[UnitRecord]:
    """Records of valid columns, in the rows' order; cells as peie.data.records converts them."""
    sector_codes, sectors = columns.encoded("sector")
    if len(sectors) == 1:
        return _sector_records(columns.table, rules[sectors[0]],
                               columns.line_numbers(np.arange(columns.size)))
    parts = [np.flatnonzero(sector_codes == code) for code in range(len(sectors))]
    made = [record for sector, rows in zip(sectors, parts, strict=True)
            for record in _sector_records(columns.table.take(pa.array(rows)), rules[sector],
                                          columns.line_numbers(rows))]
    return [made[i] for i in np.argsort(np.concatenate(parts), kind="stable").tolist()]


def _sector_records(part: pa.Table, rule: Rule, lines: np.ndarray) -> list[UnitRecord]:
    """The records of one sector's rows (`part`), at these lines of the file."""
    def cells(name: str) -> list[Any]:
        """Text, None where empty (identity columns of valid data are never empty)."""
        return part[name].to_pylist() if name in part.column_names else [None] * len(lines)

    kinds = field_kinds(rule)
    inputs = []
    defaulted: dict[int, set[str]] = {}
    for name, item in rule.inputs.items():
        values = kinds[name].read_valid(cells(name))
        if item.default is not None:
            for i in (i for i, v in enumerate(values) if v is None):
                values[i] = item.default
                defaulted.setdefault(i, set()).add(name)
        inputs.append(values)
    accounting = [(n, kinds[n].read_valid(cells(n))) for n in ACCOUNTING_COLUMNS
                  if n in part.column_names]
    names = tuple(rule.inputs)
    nothing: frozenset[str] = frozenset()
    return [
        UnitRecord(number, facility, unit, rule.sector, province,
                   dict(zip(names, values, strict=True)),
                   frozenset(defaulted[i]) if i in defaulted else nothing,
                   {n: column[i] for n, column in accounting if column[i] is not None})
        for i, (number, facility, unit, province, values) in enumerate(zip(
            lines.tolist(), cells("facility_id"), cells("unit_id"), cells("province"),
            zip(*inputs, strict=True) if inputs else [()] * len(lines), strict=True))
    ]

