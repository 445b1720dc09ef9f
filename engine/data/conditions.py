"""`required when`: whether an input must be given, for a record and for columns.

The checker lets these conditions test only code inputs (`==`, `!=`, `in`, `and`, `or`,
`not`), so one small evaluator decides them for the record check (one unit's codes) and
for the column check (boolean masks over many rows) alike, and states them as JSON
Schema. An empty code equals no code: `fuel != gas` holds for a unit that leaves fuel
empty, as in the record check.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Mapping
from typing import Any, TypeVar, assert_never

from peie.dsl import ast

Truth = TypeVar("Truth")  # a bool for one record, a boolean numpy array for columns


def evaluate(condition: ast.Condition, inputs: Container[str],
             equals: Callable[[str, str], Truth]) -> Truth:
    """The condition, given the rule's `inputs` and `equals(input, code)`: whether an
    input holds a code. `&`, `|` and `^ True` work on bools and boolean arrays alike."""
    match condition:
        case ast.Logical(op=op, left=left, right=right):
            a, b = evaluate(left, inputs, equals), evaluate(right, inputs, equals)
            return a & b if op == "and" else a | b  # type: ignore[operator]
        case ast.Not(operand=operand):
            return evaluate(operand, inputs, equals) ^ True  # type: ignore[operator]
        case ast.InSet(subject=ast.Name(id=subject), members=members):
            found = [equals(subject, member.id) for member in members]
            result = found[0]
            for more in found[1:]:
                result = result | more  # type: ignore[operator]
            return result
        case ast.Compare(op=op):
            subject, code = _subject_and_code(condition, inputs)
            equal = equals(subject, code)
            return equal if op == "==" else equal ^ True  # type: ignore[operator]
        case ast.InSet():
            raise AssertionError("the checker lets 'required when' test code inputs only")
        case _:
            assert_never(condition)


def holds(condition: ast.Condition, inputs: Container[str],
          codes: Mapping[str, object]) -> bool:
    """The condition for one record's values (an empty input is absent or None)."""
    return evaluate(condition, inputs, lambda name, code: codes.get(name) == code)


def schema(condition: ast.Condition, inputs: Container[str]) -> dict[str, Any]:
    """The condition as JSON Schema over a record (for its `if`)."""
    match condition:
        case ast.Logical(op=op, left=left, right=right):
            key = "allOf" if op == "and" else "anyOf"
            return {key: [schema(left, inputs), schema(right, inputs)]}
        case ast.Not(operand=operand):
            return {"not": schema(operand, inputs)}
        case ast.InSet(subject=ast.Name(id=subject), members=members):
            codes = sorted(m.id for m in members)
            return {"properties": {subject: {"enum": codes}}, "required": [subject]}
        case ast.Compare(op=op):
            subject, code = _subject_and_code(condition, inputs)
            equal = {"properties": {subject: {"const": code}}, "required": [subject]}
            return equal if op == "==" else {"not": equal}
        case ast.InSet():
            raise AssertionError("the checker lets 'required when' test code inputs only")
        case _:
            assert_never(condition)


def _subject_and_code(compare: ast.Compare, inputs: Container[str]) -> tuple[str, str]:
    """(input, code) of `input == code` or of `code == input`."""
    left, right = compare.left, compare.right
    assert isinstance(left, ast.Name) and isinstance(right, ast.Name)
    return (right.id, left.id) if right.id in inputs and left.id not in inputs \
        else (left.id, right.id)
