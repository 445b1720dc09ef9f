"""Facility data files -> rows of text cells, with no knowledge of the rules.

CSV, XLSX, JSON and YAML all come out the same way: a header and rows of stripped text
(an empty cell, or a spelling of nothing of peie.data.nothing, is None), each row numbered
where a person finds it (the spreadsheet row for CSV and XLSX, header being row 1; the
1-based record number for JSON and YAML).
Numbers are kept as the exact text written, never passed through float.

How a file is read beyond its suffix (the text encoding of a CSV file, the sheet and the
header row of a workbook) is a DataPath: a path with those options, which every function
taking a data file's path accepts in its place.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from peie.dsl.i18n import _
from peie.dsl.reading import read_regular
from peie.errors import DataError, DataProblem, UsageError

from .kinds import BEYOND_LIMITS, beyond_limits
from .nothing import text_or_none

SUFFIXES = (".csv", ".xlsx", ".json", ".yaml", ".yml")
# Limits of the JSON and YAML readers: a few bytes must not cost unbounded time or memory.
# Records are flat, so nesting beyond a few levels is never data; the limits of a number
# are those of every format (kinds.py).
MAX_DOCUMENT_BYTES = 256 << 20
# Any input file (a CSV of several million units is a few hundred MiB).
MAX_FILE_BYTES = 4 << 30
MAX_DEPTH = 100


# Without --header-row, a workbook's header is the first row, among the first
# HEADER_SEARCH_ROWS, that has a cell HEADER_MARK (title rows above it are passed by).
HEADER_MARK = "unit_id"
HEADER_SEARCH_ROWS = 20


@dataclass(frozen=True)
class DataPath(os.PathLike[str]):
    """A data file's path with how to read it: `encoding` of a CSV file (a byte-order mark
    is passed over in any), `sheet` of a workbook (default: the one sheet whose header has
    HEADER_MARK, else the first) and its `header_row` (1-based; default: found by
    HEADER_MARK, else 1)."""

    path: str
    encoding: str = "utf-8"
    sheet: str | None = None
    header_row: int | None = None

    def __post_init__(self) -> None:
        try:
            b"x".decode(self.encoding, "ignore")  # (base64, a bytes codec, is refused too)
        except LookupError:
            raise UsageError(_("unknown encoding '{encoding}' (for example utf-8, gb18030, "
                               "gbk)", encoding=self.encoding)) from None
        if self.header_row is not None and self.header_row < 1:
            raise UsageError(_("the header row is counted from 1, not {row}",
                               row=self.header_row))

    def __fspath__(self) -> str:
        return self.path

    def __str__(self) -> str:
        return self.path

    @classmethod
    def of(cls, path: str | os.PathLike[str]) -> DataPath:
        return path if isinstance(path, DataPath) else cls(os.fspath(path))

    @property
    def utf8(self) -> bool:
        return codecs.lookup(self.encoding).name == "utf-8"

    def decoded(self, raw: bytes) -> str:
        """The file's text in its encoding, without a byte-order mark; a byte that is not
        text in it is an error naming the line and the byte's offset."""
        try:
            text = raw.decode("utf-8-sig" if self.utf8 else self.encoding)
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            hint = (_("; it reads as GB18030: try --encoding gb18030")
                    if codecs.lookup(self.encoding).name != "gb18030"
                    and _decodes(raw, "gb18030") else "")
            raise _fail(self.path, _("line {line}, byte {offset} of the file: not valid "
                                     "{encoding} text{hint}", line=line, offset=error.start,
                                     encoding=self.encoding, hint=hint)) from None
        return text.removeprefix("\ufeff")


def _decodes(raw: bytes, encoding: str) -> bool:
    try:
        raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


@dataclass(frozen=True)
class Row:
    number: int
    cells: dict[str, str | None]


@dataclass(frozen=True)
class Table:
    path: str
    sha256: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]


def _fail(path: str, message: str, row: int | None = None, field: str | None = None) -> DataError:
    return DataError([DataProblem(path, row, field, message)])


def _native(value: Any) -> Any:
    """A data tool's scalar as the Python value it stands for: pandas' NA and NaT as None,
    numpy's integers and booleans as int and bool, its floats as the Decimal of their own
    shortest repr (a float32 0.1 is 0.1, not 0.10000000149011612). Duck-typed: neither
    library is imported."""
    kind = type(value)
    library = kind.__module__.partition(".")[0]
    if library == "pandas" and kind.__name__ in ("NAType", "NaTType"):
        return None
    if library == "numpy" and hasattr(value, "dtype"):
        if value.dtype.kind in "iub":
            return value.item()
        if value.dtype.kind == "f":
            return Decimal(str(value))
    return value


def cell_text(value: Any, path: str, row: int, field: str) -> str | None:
    """A JSON/YAML/XLSX value, or a value in memory, as exact text; None for empty."""
    value = _native(value)
    if value is None:
        return None
    if isinstance(value, bool):  # a yes/no input reads it; a number refuses it
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if beyond_limits(value):
            raise _fail(path, BEYOND_LIMITS, row, field)
        text = format(value, "f")
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = float.__repr__(value)  # the decimal one sees (also of a float subclass)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _fail(path, _("holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape), "
                                "which is not text"), row, field) from None
        text = value
    else:
        raise _fail(path, _("must be a number or text, got a {type}",
                            type=type(value).__name__), row, field)
    return text_or_none(text)


def checked_header(path: str, names: list[str], row: int | None = 1) -> tuple[str, ...]:
    columns = tuple(n.strip() for n in names)
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise _fail(path, _("the header has an empty column name"), row)
        if name in seen:
            raise _fail(path, _("column '{name}' appears twice in the header", name=name), row,
                        name)
        seen.add(name)
    return columns


def _read_csv(source: DataPath, raw: bytes) -> tuple[tuple[str, ...], list[Row]]:
    path, text = source.path, source.decoded(raw)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise _fail(path, _("the file is empty: a header line is expected"))
        columns = checked_header(path, header)
        rows = []
        start = reader.line_num + 1
        for cells in reader:
            number, start = start, reader.line_num + 1
            texts = [text_or_none(c) for c in cells]
            if all(t is None for t in texts):
                continue
            if len(cells) != len(columns):
                raise _fail(path, _("has {cells} cells but the header has {columns}",
                                    cells=len(cells), columns=len(columns)),
                            number)
            rows.append(Row(number, dict(zip(columns, texts, strict=True))))
    except csv.Error as error:
        raise _fail(path, _("is not valid CSV: {error}", error=error), reader.line_num) from None
    return columns, rows


def _read_xlsx(source: DataPath, raw: bytes) -> tuple[tuple[str, ...], list[Row]]:
    """The workbook read from the bytes read_bytes read (and hashed), not from the path
    again, where another file may be by now."""
    from openpyxl import load_workbook  # only XLSX input pays for the import

    path = source.path
    _workbook_archive(path, raw)
    books = []
    try:
        books.append(load_workbook(io.BytesIO(raw), read_only=True, data_only=True))
        if _has_formulas(raw):
            # A formula cell without a stored value reads as empty among the values; the
            # formulas tell it apart (read only where there are any: it doubles the time).
            books.append(load_workbook(io.BytesIO(raw), read_only=True, data_only=False))
        return _xlsx_rows(source, *books)
    except DataError:
        raise
    except Exception as error:  # noqa: BLE001
        # openpyxl reads a damaged archive's XML with whatever its parts raise (BadZipFile,
        # zlib.error, ParseError, IndexError, NotImplementedError for a compression method
        # ...: the fuzzer found each): all of them mean this file cannot be read.
        raise _fail(path, _("is not a readable XLSX workbook ({type}: {error})",
                            type=type(error).__name__, error=error)) from None
    finally:
        for book in books:
            book.close()


# An XLSX file is a zip archive; what its members unpack to is bounded before openpyxl
# reads them, so a small file cannot make us unpack gigabytes (a "zip bomb").
XLSX_UNPACKED_BYTES = 1 << 30
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # also how Excel stores encrypted files
FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a cell's formula element in a sheet's XML


def _workbook_archive(path: str, raw: bytes) -> None:
    if raw.startswith(OLE2_SIGNATURE):
        raise _fail(path, _("is an encrypted (password-protected) or old-format (.xls) "
                            "workbook: save it from Excel as an unprotected .xlsx"))
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise _fail(path, _("is not a readable XLSX workbook ({error})", error=error)) from None
    if unpacked > XLSX_UNPACKED_BYTES:
        raise _fail(path, _("unpacks to {unpacked:,} bytes, more than the "
                            "{limit:,} an XLSX data file may hold",
                            unpacked=unpacked, limit=XLSX_UNPACKED_BYTES))


def _has_formulas(raw: bytes) -> bool:
    """Whether a sheet of the (bounded) archive has a formula cell."""
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return any(FORMULA.search(archive.read(member))
                   for member in archive.namelist() if member.startswith("xl/worksheets/"))


def _xlsx_rows(source: DataPath, values: Any, formulas: Any = None
               ) -> tuple[tuple[str, ...], list[Row]]:
    path = source.path
    name = _sheet_name(source, values)
    header_row = source.header_row or _found_header(values[name]) or 1
    rows_iter = values[name].iter_rows(min_row=header_row, values_only=True)
    written = (formulas[name].iter_rows(min_row=header_row + 1, values_only=True)
               if formulas is not None else None)
    header = next(rows_iter, None)
    if header is None:
        raise _fail(path, _("sheet '{sheet}' has no row {row}: a header row is expected",
                            sheet=name, row=header_row))
    names = list(header)
    while names and names[-1] is None:
        names.pop()
    columns = checked_header(path, ["" if n is None else str(n) for n in names], header_row)
    rows = []
    for number, cells in enumerate(rows_iter, start=header_row + 1):
        texts = {c: cell_text(v, path, number, c) for c, v in zip(columns, cells, strict=False)}
        row = Row(number, {c: texts.get(c) for c in columns})
        if written is not None:  # (also in a row that reads as empty: it may be all formulas)
            _stored_values(source, name, row, cells, next(written, ()))
        if any(v is not None for v in texts.values()):
            rows.append(row)
    return columns, rows


def _sheet_name(source: DataPath, book: Any) -> str:
    """The sheet to read: --sheet, else the one sheet whose header has HEADER_MARK, else
    the first; two such sheets are refused (which one holds this year's units?)."""
    if source.sheet is not None:
        if source.sheet not in book.sheetnames:
            raise _fail(source.path, _("has no sheet '{sheet}'; its sheets: {sheets}",
                                       sheet=source.sheet, sheets=", ".join(book.sheetnames)))
        return str(source.sheet)
    if len(book.sheetnames) == 1:
        return str(book.sheetnames[0])
    marked = [n for n in book.sheetnames if _found_header(book[n]) is not None]
    if len(marked) > 1:
        raise _fail(source.path, _("sheets {sheets} all have a '{mark}' column: choose one "
                                   "with --sheet", sheets=", ".join(marked), mark=HEADER_MARK))
    return str(marked[0] if marked else book.sheetnames[0])


def _found_header(sheet: Any) -> int | None:
    """The first row, among the first HEADER_SEARCH_ROWS, with a cell HEADER_MARK."""
    for number, cells in enumerate(sheet.iter_rows(max_row=HEADER_SEARCH_ROWS,
                                                   values_only=True), start=1):
        if any(isinstance(v, str) and v.strip() == HEADER_MARK for v in cells):
            return number
    return None


def _stored_values(source: DataPath, sheet: str, row: Row, cells: Any,
                   formulas: Any) -> None:
    """A formula cell read as empty has no stored value (a file written by a program,
    never opened in Excel): refused, since empty would be read as "nothing" silently.
    (A text cell that starts with = is not empty among the values.)"""
    from openpyxl.utils import get_column_letter

    for index, ((column, text), value, formula) in enumerate(
            zip(row.cells.items(), cells, formulas, strict=False), start=1):
        if text is None and value is None and isinstance(formula, str) \
                and formula.startswith("="):
            raise DataError([DataProblem(
                source.path, row.number, column,
                _("sheet '{sheet}', cell {cell}: a formula without a stored value: open and "
                  "save it in Excel", sheet=sheet, cell=f"{get_column_letter(index)}{row.number}"),
                row.cells.get(HEADER_MARK))])


def _records(path: str, document: Any) -> tuple[tuple[str, ...], list[Row]]:
    if isinstance(document, Mapping) and "units" in document:
        document = document["units"]
    if not isinstance(document, list):
        raise _fail(path, _("must hold a list of records, or an object with a 'units' list"))
    columns: dict[str, None] = {}
    for number, record in enumerate(document, start=1):
        if not isinstance(record, Mapping):
            raise _fail(path, _("is not an object of field: value"), number)
        for key in record:
            columns.setdefault(str(key).strip(), None)
    rows = [Row(number, {c: cell_text(record.get(c), path, number, c) for c in columns})
            for number, record in enumerate(document, start=1)]
    return tuple(columns), rows


def _document_size(path: str, raw: bytes) -> None:
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise _fail(path, _("is larger than {mib} MiB; give large datasets as CSV",
                            mib=MAX_DOCUMENT_BYTES >> 20))


def _deeper_than(document: Any, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` deep (walked without recursion)."""
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, Mapping | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1)
                         for child in (node.values() if isinstance(node, Mapping) else node))
    return False


def _too_deep(path: str) -> DataError:
    return _fail(path, _("nests lists or objects more than {max_depth} deep; a data file is a "
                         "list of flat records", max_depth=MAX_DEPTH))


class _DuplicateKey(ValueError):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


def _read_json(path: str, raw: bytes) -> tuple[tuple[str, ...], list[Row]]:
    _document_size(path, raw)
    try:
        # Integers as Decimal too: int() of a long digit string is refused by Python
        # (over 4,300 digits) where the digits limit words it.
        document = json.loads(raw.decode("utf-8-sig"), parse_float=Decimal,
                              parse_int=Decimal, object_pairs_hook=_no_duplicates)
    except UnicodeDecodeError:
        raise _fail(path, _("is not valid UTF-8 text")) from None
    except RecursionError:
        raise _too_deep(path) from None
    except _DuplicateKey as key:
        raise _fail(path, _("an object gives key '{key}' twice", key=key)) from None
    except json.JSONDecodeError as error:
        raise _fail(path, _("is not valid JSON: {msg} at line {lineno} column {colno}",
                            msg=error.msg, lineno=error.lineno, colno=error.colno)) from None
    if _deeper_than(document, MAX_DEPTH):
        raise _too_deep(path)
    return _records(path, document)


@cache
def _yaml_loader() -> type:
    """yaml.SafeLoader without aliases (a few lines of them expand to billions of
    values) and without duplicate keys (the later would silently win)."""
    import yaml

    class Loader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(
                    None, None, _("aliases (*name) are not accepted in data files"),
                    event.start_mark)
            return super().compose_node(parent, index)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[Any] = set()
            for key_node, _value in node.value:
                key = self.construct_object(key_node, deep=deep)
                if isinstance(key, str) and key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, _("key '{key}' appears twice in one mapping", key=key),
                        key_node.start_mark)
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    Loader.add_constructor("tag:yaml.org,2002:int", _yaml_int)
    return Loader


def _yaml_int(loader: Any, node: Any) -> Any:
    """An integer as Decimal when plain decimal digits (no int() of a 5,000-digit text)."""
    text = loader.construct_scalar(node).replace("_", "")
    digits = text.lstrip("+-")
    if digits.isdigit() and digits.isascii() and not (len(digits) > 1 and digits[0] == "0"):
        return Decimal(text)
    return loader.construct_yaml_int(node)


def _read_yaml(path: str, raw: bytes) -> tuple[tuple[str, ...], list[Row]]:
    import yaml

    _document_size(path, raw)
    try:
        document = yaml.load(raw.decode("utf-8-sig"), Loader=_yaml_loader())  # noqa: S506
    except UnicodeDecodeError:
        raise _fail(path, _("is not valid UTF-8 text")) from None
    except RecursionError:
        raise _too_deep(path) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = _(" at line {line} column {column}", line=mark.line + 1,
                  column=mark.column + 1) if mark else ""
        problem = getattr(error, "problem", None) or _("syntax error")
        raise _fail(path, _("is not valid YAML: {problem}{where}", problem=problem,
                            where=where)) from None
    if _deeper_than(document, MAX_DEPTH):
        raise _too_deep(path)
    return _records(path, document)


def read_bytes(name: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` of them; a file that is not there, cannot
    be read, is not a regular file (a FIFO, a device, a directory) or is larger is a
    UsageError naming it."""
    try:
        return read_regular(name, limit)
    except FileNotFoundError:
        raise UsageError(_("{name}: no such file", name=name)) from None
    except OSError as error:
        raise UsageError(_("{name}: cannot read: {reason}", name=name,
                           reason=error.strerror or str(error))) from None


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read one data file; the format comes from the file's suffix, how to read it from
    the DataPath where `path` is one."""
    source = DataPath.of(path)
    name = source.path
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(_("{name}: cannot read '{suffix}' files; give one of {suffixes}",
                           name=name, suffix=suffix or _("no suffix"),
                           suffixes=", ".join(SUFFIXES)))
    raw = read_bytes(name)
    if suffix == ".csv":
        columns, rows = _read_csv(source, raw)
    elif suffix == ".xlsx":
        columns, rows = _read_xlsx(source, raw)
    elif suffix == ".json":
        columns, rows = _read_json(name, raw)
    else:
        columns, rows = _read_yaml(name, raw)
    return Table(name, hashlib.sha256(raw).hexdigest(), columns, tuple(rows))


def frame_records(frame: Any, name: str) -> list[dict[str, Any]]:
    """A DataFrame-like's rows (its `to_dict(orient="records")`), its column names given
    once each; a column of floats narrower than float64 read from its own scalars, since
    to_dict widens them (a float32 0.1 to 0.10000000149011612)."""
    columns = list(getattr(frame, "columns", ()))
    checked_header(name, [str(c) for c in columns], None)
    try:
        records = frame.to_dict(orient="records")
    except TypeError:  # a to_dict of another kind (a pandas Series, a polars DataFrame)
        records = None
    if not isinstance(records, list):
        raise UsageError(_("cannot read data from a {kind}: give a DataFrame, an Arrow "
                           "table or a list of records", kind=type(frame).__name__))
    for column, dtype in zip(columns, getattr(frame, "dtypes", ()), strict=False):
        if getattr(dtype, "kind", "") == "f" and getattr(dtype, "itemsize", 8) < 8:
            for record, value in zip(records, frame[column].to_numpy(), strict=True):
                record[column] = value
    return records


def table_from_records(records: Iterable[Mapping[str, Any]], name: str = "<records>") -> Table:
    """Records given in memory (dicts, a DataFrame's rows); hashed as canonical JSON."""
    listed = [dict(r) for r in records]
    columns, rows = _records(name, listed)
    canonical = json.dumps([{k: r[k] for k in sorted(r, key=str)} for r in listed],
                           default=str, ensure_ascii=False, separators=(",", ":"))
    return Table(name, hashlib.sha256(canonical.encode("utf-8")).hexdigest(), columns,
                 tuple(rows))
