"""Test cases that rule authors write beside the rules: `NAME.cases.yaml` files, read and
checked against a JSON Schema, every problem named by FILE:LINE:COL.

A case file is a YAML list of cases. A case has a `name`, the allocation `year`, its
`units` (data rows with the columns of a data file), optionally `base_units` (the
base-year data a pre-allocation is computed on; without them, the `units` stand for the
base year's output too) and `local_factors` (rows of province, sector, factor), and what
it `expect`s: exact unit amounts (`units`, `emissions`), whole-tonne facility amounts
(`facilities`, `preallocations`, `trueups`, `obligations`: what it owes at compliance; a
number for the facility's total, or a mapping sector: number), or an `error` (a data
problem: a fragment of its message, and its `field` and `unit` where given).

YAML, not a format of our own: a policy person reads and writes it in any editor, it
holds comments (the hand computation beside a number), and data rows are written as in a
data file. Numbers are read exactly (a YAML float becomes a Decimal, never a float), so
`1278.76016125` is compared digit for digit. Where each value is written is kept, so that
`peie test --update` rewrites only the numbers that changed and leaves every comment and
line as it was.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from peie.dsl.errors import Diagnostic, Span, did_you_mean
from peie.dsl.i18n import _, joined
from peie.errors import CaseError

from .readers import MAX_DOCUMENT_BYTES, read_bytes

if TYPE_CHECKING:
    import yaml
    from jsonschema.exceptions import ValidationError

CASES_SUFFIX = ".cases.yaml"
EXACT_KINDS = ("units", "emissions")  # unit id -> an exact amount
# facility id -> whole tonnes
WHOLE_KINDS = ("facilities", "preallocations", "trueups", "obligations")
ROW_LISTS = ("units", "base_units", "local_factors")

_TEXT = {"type": "string", "minLength": 1}
_KEYS = {"type": "string"}
_ROW = {"type": "object", "minProperties": 1, "propertyNames": _KEYS,
        "properties": {"facility_id": _TEXT, "unit_id": _TEXT},
        "additionalProperties": {"type": ["string", "number", "boolean", "null"]}}
_ROWS = {"type": "array", "minItems": 1, "items": _ROW}
_FACTOR = {"type": "object", "required": ["province", "sector", "factor"],
           "additionalProperties": False,
           "properties": {"province": _TEXT, "sector": _TEXT, "factor": {"type": "number"}}}
_WHOLE = {"type": "integer"}
_PER_SECTOR = {"anyOf": [_WHOLE, {"type": "object", "minProperties": 1, "propertyNames": _KEYS,
                                  "additionalProperties": _WHOLE}]}


def _amounts(value: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "minProperties": 1, "propertyNames": _KEYS,
            "additionalProperties": value}


_ERROR = {"type": "object", "required": ["message"], "additionalProperties": False,
          "properties": {"message": _TEXT, "field": {"type": ["string", "null"]},
                         "unit": _TEXT}}
_EXPECT = {"type": "object", "minProperties": 1, "additionalProperties": False,
           "properties": {**{k: _amounts({"type": "number"}) for k in EXACT_KINDS},
                          **{k: _amounts(_PER_SECTOR) for k in WHOLE_KINDS},
                          "error": _ERROR},
           "dependentSchemas": {"error": {"maxProperties": 1}}}
_CASE = {"type": "object", "required": ["name", "year", "units", "expect"],
         "additionalProperties": False,
         "properties": {"name": _TEXT, "year": {"type": "integer"}, "units": _ROWS,
                        "base_units": _ROWS, "local_factors": {"type": "array",
                                                               "items": _FACTOR},
                        "expect": _EXPECT}}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "peie test cases (NAME.cases.yaml)",
    "type": "array", "minItems": 1, "items": _CASE,
}


@dataclass(frozen=True)
class Place:
    """Where a value is written: its line and column (from 1) and its characters."""

    line: int
    column: int
    start: int
    end: int
    quoted: bool = False


@dataclass(frozen=True)
class Expected:
    """One amount a case pins."""

    kind: str  # one of EXACT_KINDS or WHOLE_KINDS
    key: str  # a unit id (EXACT_KINDS) or a facility id
    sector: str | None  # a facility's amount in this sector; None: its total
    value: Decimal
    place: Place


@dataclass(frozen=True)
class ExpectedError:
    """A data problem a case expects: its message holds `message`; `given` holds the
    field ('field': None for a problem of a whole row) and unit it must have, if said."""

    message: str
    given: dict[str, str | None]
    places: dict[str, Place]  # 'message', and each key of `given`


@dataclass(frozen=True)
class Case:
    file: str
    name: str
    line: int
    year: int
    rows: dict[str, tuple[dict[str, Any], ...]]  # units, base_units, local_factors given
    row_lines: dict[str, tuple[int, ...]]  # the line of each of those rows
    expected: tuple[Expected, ...]
    error: ExpectedError | None

    @property
    def base_rows(self) -> tuple[dict[str, Any], ...]:
        """The base-year data: `base_units`, or the units when the case gives none."""
        return self.rows.get("base_units", self.rows["units"])


@dataclass(frozen=True)
class CaseFile:
    path: str
    text: str  # as decoded (without a byte-order mark)
    sha256: str
    cases: tuple[Case, ...]
    bom: bool = False


def case_paths(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"*{CASES_SUFFIX}"))


def read_case_files(paths: Sequence[str | os.PathLike[str]]) -> list[CaseFile]:
    """Every file read and checked; the problems of all of them in one CaseError."""
    found: list[CaseFile] = []
    problems: list[Diagnostic] = []
    sources: dict[str, str] = {}
    for path in paths:
        try:
            found.append(read_case_file(path))
        except CaseError as error:
            problems.extend(error.diagnostics)
            sources.update(error.sources)
    if problems:
        raise CaseError(problems, sources)
    return found


def read_case_file(path: str | os.PathLike[str]) -> CaseFile:
    name = os.fspath(path)
    raw = read_bytes(name, MAX_DOCUMENT_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CaseError([Diagnostic(Span(name, line, 1, line, 1),
                                    _("is not valid UTF-8 text (save the file as UTF-8)"))],
                        {}) from None
    reader = _Reader(name, text)
    cases = reader.cases()
    if reader.problems:
        raise CaseError(reader.problems, {name: text})
    return CaseFile(name, text, hashlib.sha256(raw).hexdigest(), tuple(cases),
                    raw.startswith(b"\xef\xbb\xbf"))


def rewrite(file: CaseFile, replacements: Iterable[tuple[Place, str]]) -> bytes:
    """The file's bytes with each place's text replaced, everything else as it was."""
    text, done = file.text, set()
    for place, new in sorted(replacements, key=lambda r: r[0].start, reverse=True):
        if place.start in done:
            continue  # one value reached twice (a YAML alias) is written once
        done.add(place.start)
        text = text[: place.start] + new + text[place.end:]
    return ("\ufeff" if file.bom else "").encode() + text.encode("utf-8")


def amount_text(value: Decimal | int) -> str:
    """An amount as --update writes it: exact, without exponent or trailing zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _exact_float(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    import yaml

    text = node.value.replace("_", "").lower()
    try:
        value = Decimal(text.replace(".inf", "inf").replace(".nan", "nan"))
    except InvalidOperation:
        raise yaml.constructor.ConstructorError(
            None, None, _("cannot read '{text}' as a number", text=node.value),
            node.start_mark) from None
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(
            None, None, _("'{text}' is not a finite number", text=node.value), node.start_mark)
    return value


def _loader(text: str) -> yaml.SafeLoader:
    import yaml  # kept off the path of the other commands

    # libyaml, where PyYAML has it, reads a file ~5x faster; nodes and marks are the same.
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class ExactLoader(base):  # type: ignore[valid-type,misc]
        """YAML floats as exact decimals."""

    ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_float)
    return ExactLoader(text)  # type: ignore[no-any-return]


_WORDS = {"string": _("text"), "integer": _("a whole number"), "number": _("a number"),
          "array": _("a list"), "object": _("a mapping of name: value"),
          "boolean": _("yes/no"), "null": _("empty")}


@dataclass
class _Reader:
    """One case file: its YAML nodes (for places) and what was wrong in it."""

    path: str
    text: str
    problems: list[Diagnostic] = field(default_factory=list)
    root: Any = None

    def problem(self, node: Any, message: str) -> None:
        start, end = node.start_mark, node.end_mark
        self.problems.append(Diagnostic(Span(self.path, start.line + 1, start.column + 1,
                                             end.line + 1, end.column + 1), message))

    def load(self) -> Any:
        import yaml

        loader = _loader(self.text)
        try:
            self.root = loader.get_single_node()
            return None if self.root is None else loader.construct_document(self.root)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            problem = error.problem or _("syntax error")
            message = (problem if isinstance(error, yaml.constructor.ConstructorError)
                       else _("is not valid YAML: {problem}", problem=problem))
            self.problems.append(Diagnostic(Span(self.path, line, column, line, column + 1),
                                            message))
            return None
        finally:
            loader.dispose()

    def cases(self) -> list[Case]:
        document = self.load()
        if self.problems:
            return []
        if self.root is None:
            self.problems.append(Diagnostic(Span(self.path, 1, 1, 1, 1),
                                            _("the file is empty: a list of cases is expected")))
            return []
        self.duplicate_keys(self.root, set())
        from jsonschema import Draft202012Validator

        for error in Draft202012Validator(SCHEMA).iter_errors(document):
            self.schema_problem(error)
        if self.problems:
            return []
        cases = [self.case(index, item) for index, item in enumerate(document)]
        self.duplicate_names(cases)
        return cases

    def node(self, path: Iterable[Any], key: bool = False) -> Any:
        """The node at a path of keys and indices (the deepest that exists); with `key`,
        the node of the last key itself."""
        import yaml

        node, names = self.root, list(path)
        for depth, step in enumerate(names):
            if isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                    and step < len(node.value):
                node = node.value[step]
            elif isinstance(node, yaml.MappingNode):
                pair = next(((k, v) for k, v in node.value if k.value == str(step)), None)
                if pair is None:
                    return node
                node = pair[0] if key and depth == len(names) - 1 else pair[1]
            else:
                return node
        return node

    def place(self, path: Iterable[Any]) -> Place:
        node = self.node(path)
        return Place(node.start_mark.line + 1, node.start_mark.column + 1,
                     node.start_mark.index, node.end_mark.index,
                     getattr(node, "style", None) in ("'", '"'))

    def duplicate_keys(self, node: Any, stack: set[int]) -> None:
        """PyYAML keeps the last of two equal keys; a case that pins a unit twice is
        refused instead."""
        import yaml

        if id(node) in stack:
            return
        stack = stack | {id(node)}
        if isinstance(node, yaml.MappingNode):
            first: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value in first:
                    self.problem(key, _("'{value}' is given twice in this mapping (first on line "
                                        "{first})", value=key.value, first=first[key.value]))
                elif isinstance(key, yaml.ScalarNode):
                    first[key.value] = key.start_mark.line + 1
                self.duplicate_keys(value, stack)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                self.duplicate_keys(item, stack)

    def schema_problem(self, error: ValidationError) -> None:
        path = list(error.absolute_path)
        validator, instance = error.validator, error.instance
        if validator == "type" and "propertyNames" in error.absolute_schema_path:
            self.problem(self.node([*path, instance], key=True),
                         _("write the name {instance} as text, in quotes: '{instance}'",
                           instance=instance))
        elif validator == "additionalProperties":
            known = list(error.schema.get("properties", {}))
            for name in sorted(set(instance) - set(known), key=str):
                self.problem(self.node([*path, name], key=True),
                             _("'{name}' is not known here{hint}; write one of: {known}",
                               name=name, hint=did_you_mean(str(name), known),
                               known=", ".join(known)))
        elif validator == "required":
            for name in error.validator_value:
                if name not in instance:
                    self.problem(self.node(path), _("'{name}' is missing here", name=name))
        elif validator == "maxProperties":  # an expected error with amounts beside it
            self.problem(self.node([*path, "error"], key=True), _schema_message(error))
        else:
            self.problem(self.node(path), _schema_message(error))

    def case(self, index: int, item: dict[str, Any]) -> Case:
        rows = {name: tuple(item[name]) for name in ROW_LISTS if name in item}
        lines = {name: tuple(self.place([index, name, i]).line for i in range(len(given)))
                 for name, given in rows.items()}
        expect = item["expect"]
        expected = [self.expected(index, kind, key, value)
                    for kind in (*EXACT_KINDS, *WHOLE_KINDS) for key, value in
                    expect.get(kind, {}).items()]
        error = None
        if "error" in expect:
            given = {k: expect["error"][k] for k in ("field", "unit") if k in expect["error"]}
            places = {k: self.place([index, "expect", "error", k]) for k in (*given, "message")}
            error = ExpectedError(expect["error"]["message"], given, places)
        case = Case(self.path, item["name"], self.place([index]).line, item["year"], rows,
                    lines, tuple(e for found in expected for e in found), error)
        self.unknown_ids(index, case)
        return case

    def expected(self, index: int, kind: str, key: str, value: Any) -> list[Expected]:
        path = [index, "expect", kind, key]
        if isinstance(value, dict):
            return [Expected(kind, key, sector, Decimal(amount), self.place([*path, sector]))
                    for sector, amount in value.items()]
        return [Expected(kind, key, None, Decimal(value), self.place(path))]

    def unknown_ids(self, index: int, case: Case) -> None:
        """Each unit or facility expected is one the case's data has."""
        def ids(name: str, rows: Iterable[dict[str, Any]]) -> set[str]:
            return {str(r[name]) for r in rows if r.get(name) is not None}

        units, base = case.rows["units"], case.base_rows
        where = {"units": ("unit_id", units), "emissions": ("unit_id", units),
                 "facilities": ("facility_id", units), "trueups": ("facility_id", units),
                 "obligations": ("facility_id", units),
                 "preallocations": ("facility_id", base)}
        for expected in case.expected:
            column, rows = where[expected.kind]
            if expected.key not in ids(column, rows):
                data = "base_units" if rows is not units else "units"
                self.problem(self.node([index, "expect", expected.kind, expected.key],
                                       key=True),
                             _("'{key}' is not a {column} of the case's {data}", key=expected.key,
                               column=column, data=data))
        if "base_units" in case.rows and not any(
                e.kind in ("preallocations", "trueups") for e in case.expected):
            self.problem(self.node([index, "base_units"], key=True),
                         _("base_units are read only for preallocations and trueups, and the "
                           "case expects neither"))

    def duplicate_names(self, cases: list[Case]) -> None:
        first: dict[str, int] = {}
        for index, case in enumerate(cases):
            if case.name in first:
                self.problem(self.node([index, "name"]), _("a second case named '{name}' (the "
                                                           "first is on line {first})",
                                                           name=case.name, first=first[case.name]))
            first.setdefault(case.name, case.line)


def _schema_message(error: ValidationError) -> str:
    validator = error.validator
    if validator == "type":
        wanted = error.validator_value
        words = [_WORDS[t] for t in (wanted if isinstance(wanted, list) else [wanted])]
        if len(words) == 1:
            return _("must be {what}", what=words[0])
        return _("must be {some} or {last}", some=joined(words[:-1]), last=words[-1])
    if validator in ("minItems", "minProperties", "minLength"):
        return _("must not be empty")
    if validator == "anyOf":
        return _("must be a whole number of tonnes, or a mapping of sector: whole number")
    if validator == "maxProperties":
        return _("a case that expects an error expects nothing else")
    return str(error.message)

