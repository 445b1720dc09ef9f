"""Facility data files -> rows of text cells, with no knowledge of the rules.

CSV, XLSX, JSON and YAML all come out the same way: a header and rows of stripped text
(an empty cell, or a spelling of nothing of peie.data.nothing, is None), each row numbered
where a person finds it (the spreadsheet row for CSV and XLSX, header being row 1; the
1-based record number for JSON and YAML).
Numbers are kept as the exact text written, never passed through float.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from peie.dsl.i18n import _
from peie.errors import DataError, DataProblem, UsageError

from .kinds import BEYOND_LIMITS, beyond_limits
from .nothing import text_or_none

SUFFIXES = (".csv", ".xlsx", ".json", ".yaml", ".yml")
# Limits of the JSON and YAML readers: a few bytes must not cost unbounded time or memory.
# Records are flat, so nesting beyond a few levels is never data; the limits of a number
# are those of every format (kinds.py).
MAX_DOCUMENT_BYTES = 256 << 20
MAX_DEPTH = 100


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


def _cell_text(value: Any, path: str, row: int, field: str) -> str | None:
    """A JSON/YAML/XLSX value as exact text; None for empty."""
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
        text = repr(value)
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


def _header(path: str, names: list[str]) -> tuple[str, ...]:
    columns = tuple(n.strip() for n in names)
    seen: set[str] = set()
    for name in columns:
        if not name:
            raise _fail(path, _("the header has an empty column name"), 1)
        if name in seen:
            raise _fail(path, _("column '{name}' appears twice in the header", name=name), 1, name)
        seen.add(name)
    return columns


def _read_csv(path: str, raw: bytes) -> tuple[tuple[str, ...], list[Row]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise _fail(path, _("line {line} is not valid UTF-8 text (save the file as UTF-8)",
                            line=line),
                    line) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise _fail(path, _("the file is empty: a header line is expected"))
        columns = _header(path, header)
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


def _read_xlsx(path: str) -> tuple[tuple[str, ...], list[Row]]:
    from openpyxl import load_workbook  # only XLSX input pays for the import

    _workbook_archive(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
        return _xlsx_rows(path, book)
    except DataError:
        raise
    except Exception as error:  # noqa: BLE001
        # openpyxl reads a damaged archive's XML with whatever its parts raise (BadZipFile,
        # zlib.error, ParseError, IndexError, NotImplementedError for a compression method
        # ...: the fuzzer found each): all of them mean this file cannot be read.
        raise _fail(path, _("is not a readable XLSX workbook ({type}: {error})",
                            type=type(error).__name__, error=error)) from None


# An XLSX file is a zip archive; what its members unpack to is bounded before openpyxl
# reads them, so a small file cannot make us unpack gigabytes (a "zip bomb").
XLSX_UNPACKED_BYTES = 1 << 30
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # also how Excel stores encrypted files


def _workbook_archive(path: str) -> None:
    with open(path, "rb") as handle:
        if handle.read(len(OLE2_SIGNATURE)) == OLE2_SIGNATURE:
            raise _fail(path, _("is an encrypted (password-protected) or old-format (.xls) "
                                "workbook: save it from Excel as an unprotected .xlsx"))
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, EOFError) as error:
        raise _fail(path, _("is not a readable XLSX workbook ({error})", error=error)) from None
    if unpacked > XLSX_UNPACKED_BYTES:
        raise _fail(path, _("unpacks to {unpacked:,} bytes, more than the "
                            "{limit:,} an XLSX data file may hold",
                            unpacked=unpacked, limit=XLSX_UNPACKED_BYTES))


def _xlsx_rows(path: str, book: Any) -> tuple[tuple[str, ...], list[Row]]:
    sheet = book.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    header = next(rows_iter, None)
    if header is None:
        raise _fail(path, _("the first sheet is empty: a header row is expected"))
    names = list(header)
    while names and names[-1] is None:
        names.pop()
    columns = _header(path, ["" if n is None else str(n) for n in names])
    rows = []
    for number, values in enumerate(rows_iter, start=2):
        cells = {c: _cell_text(v, path, number, c) for c, v in zip(columns, values, strict=False)}
        if any(v is not None for v in cells.values()):
            rows.append(Row(number, {c: cells.get(c) for c in columns}))
    book.close()
    return columns, rows


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
    rows = [Row(number, {c: _cell_text(record.get(c), path, number, c) for c in columns})
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


def read_bytes(name: str) -> bytes:
    """A file's bytes; a file that is not there, or cannot be read, is a UsageError."""
    try:
        return Path(name).read_bytes()
    except FileNotFoundError:
        raise UsageError(_("{name}: no such file", name=name)) from None
    except OSError as error:
        raise UsageError(_("{name}: cannot read: {reason}", name=name,
                           reason=error.strerror or error)) from None


def read_table(path: str | os.PathLike[str]) -> Table:
    """Read one data file; the format comes from the file's suffix."""
    name = os.fspath(path)
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(_("{name}: cannot read '{suffix}' files; give one of {suffixes}",
                           name=name, suffix=suffix or _("no suffix"),
                           suffixes=", ".join(SUFFIXES)))
    raw = read_bytes(name)
    if suffix == ".csv":
        columns, rows = _read_csv(name, raw)
    elif suffix == ".xlsx":
        columns, rows = _read_xlsx(name)
    elif suffix == ".json":
        columns, rows = _read_json(name, raw)
    else:
        columns, rows = _read_yaml(name, raw)
    return Table(name, hashlib.sha256(raw).hexdigest(), columns, tuple(rows))


def table_from_records(records: Iterable[Mapping[str, Any]], name: str = "<records>") -> Table:
    """Records given in memory (dicts, a DataFrame's rows); hashed as canonical JSON."""
    listed = [dict(r) for r in records]
    columns, rows = _records(name, listed)
    canonical = json.dumps([{k: r[k] for k in sorted(r, key=str)} for r in listed],
                           default=str, ensure_ascii=False, separators=(",", ":"))
    return Table(name, hashlib.sha256(canonical.encode("utf-8")).hexdigest(), columns,
                 tuple(rows))
