"""Every example in README.md, samples/README.md and docs/*.md, and in their Chinese
counterparts README.zh-CN.md and docs/zh/*.md, is run, so a document that drifts from the
code fails the suite.

How the documents are read (the convention they already follow):

- A ```python block is executed, on its own (each block of these documents imports what
  it uses), in-process with the working directory a temporary copy of `samples/` and
  `rules/`; what it prints on standard output and standard error is its output.
- A ```sh block is a list of commands, one a line (`#` lines are comments), run in order
  by `sh -c` in that same directory, with `peie` and `python` the entry points of the
  virtual environment running the tests (sys.executable's bin directory first on PATH),
  `bench` importable, a terminal 80 columns wide and the ledger where the command says.
  The examples of one document share their directory, so later ones build on earlier
  ones (the ledger's runs 1, 2, 3 in cli.md).
- A command `peie serve ...` (after any VAR=value words) starts the service in the
  background, on a free port of 127.0.0.1 where the document says 127.0.0.1:8000, and
  waits until it answers; it is stopped after the document's examples (one a document).
  The commands after it speak to it with curl.
- The output shown is the block right after it (```text, or a plain ```), with nothing but
  blank lines between. Where there is one, the output of the commands (standard output
  and standard error as they come) must be the block's text; where the prose before the
  commands says "standard output not shown" (in Chinese: "标准输出从略"), standard error
  alone. Without one, every command must exit 0.
- Compared line by line, trailing spaces ignored. A line `...` in the shown output stands
  for any number of lines (the docs' "where marked `...`, trimmed"), a line ending in
  ` ...` for any line that starts with the text before it. Times of day
  (2026-11-23T10:49:04+00:00) are not compared. The places the docs name for written files
  (/tmp/peie-docs, /tmp/peie-api) are the temporary directory, and the bundled rules'
  installed path (shown as /work/main/rules) is that of this installation.
- Files an example uses that the document describes but does not give (cli.md's
  /tmp/peie-docs/cement.rule, draft.rule, bad.csv, cases/) are made from that description
  (FIXTURES); docs/zh/cli.md describes the same files.
- Examples that cannot run here are skipped by a rule in SKIPPED, with the reason, and
  shown as skipped tests (test_example_not_run); known failures, each with its reason,
  are in KNOWN_FAILURES and must still fail (the list is to be emptied, not grown).
- After a document's examples, the copies of samples/ and rules/ must be as in the
  repository (the samples README's regeneration commands reproduce the files exactly).

Inline `code` in prose is not run. After a deliberate change of what commands print (a
message reworded, or translated, which the Chinese documents show),
`PYTHONPATH=. python tests/test_docs.py DOC ...` writes the new outputs into the documents,
elided where they were (`update`); review them with `git diff`.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import peie
from bench.server import free_port, running_service

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = ["README.md", "README.zh-CN.md", "samples/README.md",
             *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")),
             *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "docs" / "zh").glob("*.md"))]
COPIED = ("samples", "rules")
BUNDLED_RULES = Path(peie.load_rules().rules[0].path).parent
WRITTEN_TO = ("/tmp/peie-docs", "/tmp/peie-api")  # where the docs say files went
SHOWN_RULES = "/work/main/rules"
SERVED_AT = "127.0.0.1:8000"  # where docs/service.md shows the service
SERVICE_PORT = free_port()
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
FENCE = re.compile(r"^(?P<indent> *)```(?P<info>\S*)\n(?P<body>.*?)^(?P=indent)```[ \t]*$",
                   re.M | re.S)
OUTPUT_INFOS = ("", "text")
# the prose's words before commands whose standard error alone is shown, in English and Chinese
STDERR_ONLY = ("standard output not shown", "标准输出从略")

SKIPPED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"python3 -m venv"),
     "creates a virtual environment and installs from a package index (network, minutes)"),
    (re.compile(r"-m pytest"), "runs the test suite, which this test is part of"),
    (re.compile(r"\S@\S"), "reads a file as committed at a git revision: needs the "
                           "repository's history, which the temporary copy has not"),
    (re.compile(r"^cp \S+ rules/"), "stands for the reader's copy of a rule file to edit by "
                                    "hand; the edits are the prose, not commands"),
]

# (document, line of the example's opening fence) -> why it fails today
KNOWN_FAILURES: dict[tuple[str, int], str] = {
}


@dataclass(frozen=True)
class Example:
    doc: str
    line: int
    kind: str  # "sh" or "python"
    code: str
    shown: str | None  # the output the document shows, if it shows one
    stderr_only: bool
    shown_at: tuple[int, int] | None = None  # where that output is in the document's text

    @property
    def name(self) -> str:
        return f"{self.doc}:{self.line}"

    def skip_reason(self) -> str | None:
        for pattern, reason in SKIPPED:
            if any(pattern.search(command) for command in self.commands()):
                return reason
        return None

    def commands(self) -> list[str]:
        if self.kind != "sh":
            return []
        return [s for line in self.code.splitlines() if (s := line.strip())
                and not s.startswith("#")]


def examples(doc: str) -> list[Example]:
    text = (ROOT / doc).read_text(encoding="utf-8")
    blocks = list(FENCE.finditer(text))
    found = []
    for i, block in enumerate(blocks):
        if block["info"] not in ("sh", "python"):
            continue
        after = blocks[i + 1] if i + 1 < len(blocks) else None
        shows = (after is not None and after["info"] in OUTPUT_INFOS
                 and not text[block.end():after.start()].strip())
        before = text[blocks[i - 1].end() if i else 0:block.start()]
        found.append(Example(doc, text.count("\n", 0, block.start()) + 1, block["info"],
                             block["body"], after["body"] if shows and after else None,
                             any(words in before for words in STDERR_ONLY),
                             after.span("body") if shows and after else None))
    return found


ALL = [e for doc in DOCUMENTS for e in examples(doc)]


# ---- files the documents describe but do not give ------------------------------------


def _cement_with_two_mistakes(folder: Path) -> None:
    text = (ROOT / "rules" / "cement.rule").read_text(encoding="utf-8")
    text = text.replace("[50000 t, 100000 t)  -> 2 %", "[60000 t, 100000 t)  -> 2 %")
    (folder / "cement.rule").write_text(text.replace("* local_factor\n", "* local_factr\n"),
                                        encoding="utf-8")


def _draft(folder: Path) -> None:
    shutil.copy(ROOT / "tests" / "cases" / "fmt" / "draft-of-the-cli-docs.rule",
                folder / "draft.rule")


def _bad_csv(folder: Path) -> None:
    """samples/units_2017.csv with the four cells cli.md describes changed."""
    with open(ROOT / "samples" / "units_2017.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for unit, field, value in [("U-000001", "heat_ratio", "1.4"),
                               ("U-000004", "molten_aluminium_t", ""),
                               ("U-000005", "category", "usc_1000"),
                               ("U-000006", "sector", "powr")]:
        next(r for r in rows if r["unit_id"] == unit)[field] = value
    with open(folder / "bad.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _hasty_cases(folder: Path) -> None:
    """A copy of rules/cement.rule beside a case file with the three mistakes cli.md shows
    (the document prints the file, so what it shows is this)."""
    (folder / "cases").mkdir()
    shutil.copy(ROOT / "rules" / "cement.rule", folder / "cases" / "cement.rule")
    line = "{facility_id: F-1, unit_id: L-1, sector: cement, province: 安徽, clinker_t: 1000000}"
    (folder / "cases" / "cement.cases.yaml").write_text(
        f'- name: the benchmark alone\n  year: "2017"\n  units:\n    - {line}\n  expect:\n'
        "    units: {L-1: 853400, L-1: 853400}\n    facilites: {F-1: 853400}\n",
        encoding="utf-8")


FIXTURES: dict[str, list[Callable[[Path], None]]] = {
    "docs/cli.md": [_cement_with_two_mistakes, _draft, _bad_csv, _hasty_cases],
}
FIXTURES["docs/zh/cli.md"] = FIXTURES["docs/cli.md"]  # its Chinese counterpart, same examples


# ---- running ---------------------------------------------------------------------------


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PEIE_LEDGER"}
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", COLUMNS="80")
    return env


def run_sh(example: Example, folder: Path,
           services: contextlib.ExitStack) -> tuple[str, list[str]]:
    """The commands' output, and the commands that failed."""
    output, failed = [], []
    for command in example.commands():
        if _serves(command):
            services.enter_context(_service(_placed(command, folder), folder))
            continue
        done = subprocess.run(
            ["sh", "-c", _placed(command, folder)], cwd=folder, env=_environment(),
            text=True, timeout=120, stdout=subprocess.DEVNULL if example.stderr_only
            else subprocess.PIPE, stderr=subprocess.PIPE if example.stderr_only
            else subprocess.STDOUT)
        output.append(done.stderr if example.stderr_only else done.stdout)
        if done.returncode:
            failed.append(f"{command} (exit {done.returncode})")
    return "".join(output), failed


def _serves(command: str) -> bool:
    words = shlex.split(command)
    while words and "=" in words[0]:
        words.pop(0)
    return words[:2] == ["peie", "serve"]


def _service(command: str, folder: Path) -> contextlib.AbstractContextManager[str]:
    """`peie serve ...` on SERVICE_PORT, with the environment the command gives."""
    words = shlex.split(command)
    env = _environment()
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return running_service(*words[2:], cwd=folder, env=env, port=SERVICE_PORT)


def run_python(example: Example, folder: Path,
               services: contextlib.ExitStack) -> tuple[str, list[str]]:
    printed = io.StringIO()
    failed = []
    with contextlib.chdir(folder), contextlib.redirect_stdout(printed), \
            contextlib.redirect_stderr(printed):
        try:
            exec(compile(_placed(example.code, folder), example.name, "exec"),
                 {"__name__": "__main__"})
        except Exception:
            failed.append(traceback.format_exc(limit=-3))
    return printed.getvalue() + "".join(failed), failed


def _placed(text: str, folder: Path) -> str:
    for place in WRITTEN_TO:
        text = text.replace(place, str(folder))
    return text.replace(SERVED_AT, f"127.0.0.1:{SERVICE_PORT}")


def _lines(text: str) -> list[str]:
    return TIME.sub("<time>", text).rstrip().splitlines()


def shown_pattern(shown: str, folder: Path) -> re.Pattern[str]:
    """The shown output as a pattern over the actual one (the elisions of the docstring)."""
    parts = []
    for line in _lines(_placed(shown, folder).replace(SHOWN_RULES, str(BUNDLED_RULES))):
        line = line.rstrip()
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        elif line.endswith(" ..."):
            parts.append(re.escape(line[:-4]) + r"[^\n]*\n")
        else:
            parts.append(re.escape(line) + r"\n")
    return re.compile("".join(parts))


def run_example(example: Example, folder: Path,
                services: contextlib.ExitStack) -> tuple[str, list[str]]:
    run = run_sh if example.kind == "sh" else run_python
    return run(example, folder, services)


def shows_its_output(example: Example, output: str, folder: Path) -> bool:
    assert example.shown is not None
    actual = "".join(line.rstrip() + "\n" for line in _lines(output))
    return shown_pattern(example.shown, folder).fullmatch(actual) is not None


def problem(example: Example, folder: Path, services: contextlib.ExitStack) -> str | None:
    """What is wrong with the example, or None."""
    output, failed = run_example(example, folder, services)
    if example.shown is not None:
        if shows_its_output(example, output, folder):
            return None
        actual = "".join(line.rstrip() + "\n" for line in _lines(output))
        return f"its output is not the one shown:\n{actual}"
    return f"failed: {'; '.join(failed)}\n{output}" if failed else None


def changed_copies(folder: Path) -> list[str]:
    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for name in COPIED
                for p in (root / name).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    before, after = files(ROOT), files(folder)
    return sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))


def prepare(doc: str, folder: Path) -> None:
    """The folder the document's examples run in."""
    for name in COPIED:
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    for make in FIXTURES.get(doc, []):
        make(folder)


# ---- the outputs shown, brought up to date after a deliberate change --------------------
# `PYTHONPATH=. python tests/test_docs.py DOC ...` rewrites, in each document given, every
# output it shows that is no longer its example's (after messages were reworded, or
# translated: the Chinese documents show peie --lang zh). Where the document elided lines,
# the new output is elided alike; read the result with `git diff` before committing it.

# the numbers, ids, paths and names (heat_benchmark) of a line, which a rewording or a
# translation keeps
SKELETON = re.compile(r"[A-Za-z0-9_.:/+-]*[0-9_][A-Za-z0-9_.,:/%+-]*")


def reshown(shown: str, actual: str) -> str:
    """`actual` elided where `shown` elides (`...` lines, lines ending ` ...`): each run of
    lines shown between elisions becomes the run of actual lines that agrees with it best
    in the numbers, codes and names its lines hold, the first run at the start and the last
    at the end unless an elision is there. When the two cannot be matched so (more lines
    shown than there are), `actual` whole."""
    if not actual.strip():
        return ""
    lines = actual.rstrip("\n").split("\n")
    runs: list[list[str]] = [[]]
    elisions = []
    for line in shown.rstrip("\n").split("\n"):
        if line.strip() == "...":
            runs.append([])
            elisions.append(line)
        else:
            runs[-1].append(line)
    if sum(map(len, runs)) > len(lines) or len(runs) == 1 and len(runs[0]) != len(lines):
        return "\n".join(lines) + "\n"

    def agreement(run: list[str], start: int) -> int:
        return sum(_agreement(line, got) for line, got in zip(run, lines[start:], strict=False))

    out, at = [], 0
    for i, run in enumerate(runs):
        if i:
            out.append(elisions[i - 1])
        if not run:
            continue
        last = len(lines) - sum(map(len, runs[i:]))
        if i == 0:
            start = 0
        elif i == len(runs) - 1:
            start = len(lines) - len(run)
        else:
            start = max(range(at, last + 1), key=lambda s: (agreement(run, s), -s))
        for line, got in zip(run, lines[start:start + len(run)], strict=True):
            out.append(_cut(got, len(line) - 4) if line.endswith(" ...") else got)
        at = start + len(run)
    return "\n".join(out) + "\n"


def _agreement(shown: str, got: str) -> int:
    """How many of the numbers, ids and names of a line shown a line of output repeats, as
    the line shows them (all, or the first ones for a line ending ` ...`); 0 if not."""
    elided = shown.endswith(" ...")
    kept = SKELETON.findall(shown[:-4] if elided else shown)
    found = SKELETON.findall(got)
    return len(kept) if kept == (found[:len(kept)] if elided else found) else 0


def _cut(line: str, length: int) -> str:
    """The line shown by its first `length` characters or fewer, ending at a word; whole
    if it is no longer."""
    if len(line) <= length:
        return line
    length = max(length, 1)
    word_ends = max(line.rfind(c, 0, length + 1) for c in " ;；,，、")
    return (line[:word_ends + 1] if word_ends > 0 else line[:length]).rstrip() + " ..."


def _unplaced(output: str, folder: Path, text: str) -> str:
    """The output with the places of this run written as the document writes them."""
    written_to = next((place for place in WRITTEN_TO if place in text), WRITTEN_TO[0])
    output = output.replace(str(folder), written_to).replace(str(BUNDLED_RULES), SHOWN_RULES)
    output = output.replace(f"127.0.0.1:{SERVICE_PORT}", SERVED_AT)
    return "".join(line.rstrip() + "\n" for line in output.rstrip().splitlines())


def update(doc: str, folder: Path) -> list[str]:
    """Rewrite the outputs of `doc` that are not its examples' (run in `folder`); the names
    of the examples whose output was rewritten."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    prepare(doc, folder)
    new: dict[tuple[int, int], str] = {}
    names = []
    with contextlib.ExitStack() as services:
        for example in examples(doc):
            if example.skip_reason() or (example.doc, example.line) in KNOWN_FAILURES:
                continue
            output, _ = run_example(example, folder, services)
            if example.shown is None or example.shown_at is None \
                    or shows_its_output(example, output, folder):
                continue
            new[example.shown_at] = reshown(example.shown, _unplaced(output, folder, text))
            names.append(example.name)
    for (start, end), body in sorted(new.items(), reverse=True):
        text = text[:start] + body + text[end:]
    (ROOT / doc).write_text(text, encoding="utf-8")
    return names


@pytest.mark.parametrize("doc", DOCUMENTS)
def test_examples_of(doc: str, tmp_path: Path) -> None:
    prepare(doc, tmp_path)
    wrong = []
    with contextlib.ExitStack() as services:  # a service started by the examples
        for example in examples(doc):
            if example.skip_reason():
                continue
            found = problem(example, tmp_path, services)
            known = KNOWN_FAILURES.get((example.doc, example.line))
            if known and not found:
                wrong.append(f"{example.name} passes now: remove it from KNOWN_FAILURES")
            elif found and not known:
                wrong.append(f"{example.name} {found}")
    assert not wrong, "\n\n".join(wrong)
    assert changed_copies(tmp_path) == [], "the examples changed samples/ or rules/"


def test_an_output_brought_up_to_date_is_elided_as_before() -> None:
    shown = ("Free allocation 2017\n...\n"
             "facility    sector     units  allocation tCO2\n"
             "----------  ---------  -----  ---------------\n"
             "F-HE-00001  power          3        4,899,559\n"
             "...\n"
             "all               134    300      493,165,851\n")
    actual = ("2017 年免费配额\n"
              "  规则 aluminium：2017-draft（draft），sha256 27078cc4eead67a9\n"
              "  规则 cement：2017-draft（draft），sha256 e0414351e8d89816\n"
              "\n"
              "企业        行业       机组数  配额 tCO2\n"
              "----------  ---------  ------  ---------\n"
              "F-HE-00001  power           3  4,899,559\n"
              "F-GD-00002  aluminium       1    726,117\n"
              "\n"
              "合计              134     300  493,165,851\n")
    assert reshown(shown, actual) == (
        "2017 年免费配额\n...\n"
        "企业        行业       机组数  配额 tCO2\n"
        "----------  ---------  ------  ---------\n"
        "F-HE-00001  power           3  4,899,559\n"
        "...\n"
        "合计              134     300  493,165,851\n")
    assert reshown("Edits with no effect on this data: enum unit_code added; ...\n",
                   "无影响的修改：enum unit_code added；metadata version changed\n") \
        == "无影响的修改：enum unit_code added；metadata version changed\n"  # it is all there
    assert reshown("a 1\n...\nEdits with no effect: enum unit_code added; ...\n",
                   "甲 1\n乙 2\n无影响的修改：enum unit_code added；metadata version changed\n") \
        == "甲 1\n...\n无影响的修改：enum unit_code added；metadata ...\n"
    assert reshown("run 1: 2017 preallocation ...\n",
                   "run 1: 2017 预分配, 当前有效; rules aluminium 2017-draft (27078cc4eead)\n") \
        == "run 1: 2017 预分配, 当前有效; ...\n"  # 26 characters shown, to the last word


LINE = st.text(alphabet="ab .,:-%12345汉字", max_size=12)
SHOWN_LINE = st.one_of(LINE, st.just("..."), LINE.map(lambda line: line + " ..."))


@settings(max_examples=200, derandomize=True, deadline=None)
@given(st.lists(SHOWN_LINE, min_size=1, max_size=8), st.lists(LINE, min_size=1, max_size=12))
def test_an_output_brought_up_to_date_is_the_one_shown(shown: list[str],
                                                       actual: list[str]) -> None:
    """Whatever was shown before, the output written in its place shows the actual one."""
    output = "".join(line.rstrip() + "\n" for line in _lines("\n".join(actual)))
    pattern = shown_pattern(reshown("\n".join(shown) + "\n", output), Path("/nowhere"))
    assert pattern.fullmatch(output)


@pytest.mark.parametrize("example", [e for e in ALL if e.skip_reason()
                                     or (e.doc, e.line) in KNOWN_FAILURES],
                         ids=lambda e: e.name)
def test_example_not_run(example: Example) -> None:
    """Listed so that what is not run shows in the summary, with why."""
    known = KNOWN_FAILURES.get((example.doc, example.line))
    if known:
        pytest.xfail(f"known failure: {known}")
    pytest.skip(f"{example.name}: {example.skip_reason()}")


def test_the_lists_name_real_examples() -> None:
    assert set(KNOWN_FAILURES) <= {(e.doc, e.line) for e in ALL}
    assert all(any(p.search(c) for e in ALL for c in e.commands()) for p, _ in SKIPPED)


if __name__ == "__main__":
    for document in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as scratch:
            for example_name in update(document, Path(scratch)):
                print(f"updated the output shown by {example_name}")
