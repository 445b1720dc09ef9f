"""JSON and YAML data files within bounds: small hostile files are refused with a clear
DataError naming the file (and row and field where there is one), quickly."""

from __future__ import annotations

from pathlib import Path

import pytest

from peie.data.kinds import MAX_DIGITS
from peie.data.readers import MAX_DEPTH, read_table
from peie.errors import DataError


def refusal(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        read_table(path)
    problem = caught.value.problems[0]
    assert problem.file == str(path)
    return str(problem)


def test_a_huge_exponent_is_refused_with_row_and_field(tmp_path: Path) -> None:
    message = refusal(tmp_path, "d.json", '[{"unit_id": "u1", "output": 1e999999999}]')
    assert "row 1" in message and "field 'output'" in message and "exponent" in message


def test_an_integer_of_thousands_of_digits_is_refused(tmp_path: Path) -> None:
    digits = "7" * 5000
    for name, text in (("d.json", f'[{{"unit_id": "u1", "output": {digits}}}]'),
                       ("d.yaml", f"- unit_id: u1\n  output: {digits}\n")):
        message = refusal(tmp_path, name, text)
        assert f"more than {MAX_DIGITS} digits" in message and "field 'output'" in message


def test_numbers_within_the_limits_keep_their_exact_text(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_text('[{"unit_id": "u1", "a": 12, "b": 0.1, "c": 1.5e3}]', encoding="utf-8")
    cells = read_table(path).rows[0].cells
    assert (cells["a"], cells["b"], cells["c"]) == ("12", "0.1", "1500")
    path = tmp_path / "d.yaml"
    path.write_text("- unit_id: u1\n  a: 12\n  b: 0.1\n", encoding="utf-8")
    cells = read_table(path).rows[0].cells
    assert (cells["a"], cells["b"]) == ("12", "0.1")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 100_000])
def test_deep_nesting_is_refused(tmp_path: Path, depth: int) -> None:
    message = refusal(tmp_path, "d.json", "[" * depth + "]" * depth)
    assert f"more than {MAX_DEPTH} deep" in message
    message = refusal(tmp_path, "d.yaml", "[" * depth + "]" * depth)
    assert "deep" in message


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    laughs = 'a: &a ["lol","lol"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nunits: [*c]\n'
    message = refusal(tmp_path, "d.yaml", laughs)
    assert "aliases" in message and "line 2" in message


def test_duplicate_keys_are_refused_by_name(tmp_path: Path) -> None:
    message = refusal(tmp_path, "d.json", '[{"unit_id": "u1", "output": 1, "output": 2}]')
    assert "'output' twice" in message
    message = refusal(tmp_path, "d.yaml", "- unit_id: u1\n  output: 1\n  output: 2\n")
    assert "'output' appears twice" in message and "line 3" in message


def test_a_lone_surrogate_is_refused_with_row_and_field(tmp_path: Path) -> None:
    message = refusal(tmp_path, "d.json", '[{"unit_id": "ok"}, {"unit_id": "\\ud800"}]')
    assert "row 2" in message and "field 'unit_id'" in message and "surrogate" in message


def test_an_oversized_document_is_refused(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("peie.data.readers.MAX_DOCUMENT_BYTES", 10)
    assert "larger than" in refusal(tmp_path, "d.json", '[{"unit_id": "u1"}]')
