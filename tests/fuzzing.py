"""Fuzzing: mutated rule texts and data files run through the command line in-process.

Each trial writes one mutated input into a fresh folder and runs the commands a user would
run on it (`check`, `fmt`, `allocate` on the exact and the batch path). A trial is clean
when every command ends in a result or in a refusal (exit status 1 or 2 with a message on
standard error); it fails when a command raises (a traceback), runs past its time bound
(a hang, or unbounded work), or when the exact and batch paths disagree on a facility's
allocation. The mutations are driven by a `random.Random`, so that hypothesis (through
`st.randoms()`) and the long run below (a seed per trial) share them:

    python tests/fuzzing.py --rule-texts 10000 --data-files 10000 --seed 1 --keep DIR

prints what was tried, clean and failed, and writes each failing input to DIR.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from peie.cli import main

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
SAMPLES = ROOT / "samples"

# Per command. Generous: a busy machine runs a command on 12 units well under a second,
# so reaching this means a hang or work out of proportion to the input.
TIME_BOUND_S = 20.0

# Rule files whose year has a bundled sample to allocate; the others are checked and
# formatted only.
ALLOCATED = {"power.rule": 2017, "cement.rule": 2017, "aluminium.rule": 2017,
             "power-2019.rule": 2019}
RULES_2017 = sorted(name for name, year in ALLOCATED.items() if year == 2017)
SAMPLE_ROWS = 12

HOSTILE_NUMBERS = ["0", "-1", "1e70", "1E-999999999", "1e999999999", "9" * 40, "0.0000001",
                   "1" + "0" * 5000, "-0", "1e15", "2e15", "0.5"]
HOSTILE_CELLS = [*HOSTILE_NUMBERS, "", "N/A", "null", "NaN", "1,5", "1.000,5", "１２３．５",
                 "٣", "=1+1", "@SUM(A1)", "\x1b[2J", "\x00", "\ufeff", "江苏", "Jiangsu",
                 "true", "是", "否", "water", "sc_600", " ", "\u3000", "x" * 70000]
RULE_FRAGMENTS = ["(", ")", "((((", "))))", "+", "-", "*", "/", "^", "%", ",", ":", "=",
                  "if", "else", "then", "let", "table", "bracket", "input", "param", "sum",
                  "min", "max", "by", "of", "to", "tCO2", "MWh", "\"", "\"unterminated",
                  "#", "\n", "\r\n", "\t", "\ufeff", "\x00", "．", "，", "（", "）", "％", "输入",
                  "表", "令", "配额", "^ -1", "0 ^ -1", "/ 0"]


# -- mutations -------------------------------------------------------------------------

def _span(rng: random.Random, text: str) -> tuple[int, int]:
    start = rng.randrange(len(text) + 1)
    return start, min(len(text), start + rng.choice([1, 2, 5, 20, 100]))


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True) or [""]


def mutate_rule_text(text: str, rng: random.Random) -> str:
    """One to three edits of the kinds a person or a tool makes, and a few nobody should."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(8)
        if kind == 0:  # delete a span
            start, end = _span(rng, text)
            text = text[:start] + text[end:]
        elif kind == 1:  # insert a fragment
            at = rng.randrange(len(text) + 1)
            text = text[:at] + rng.choice(RULE_FRAGMENTS) + text[at:]
        elif kind == 2:  # duplicate a line
            lines = _lines(text)
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            text = "".join(lines)
        elif kind == 3:  # swap two lines
            lines = _lines(text)
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
            text = "".join(lines)
        elif kind == 4:  # a number replaced by a hostile one
            numbers = [i for i, c in enumerate(text) if c.isdigit()
                       and (i == 0 or not text[i - 1].isalnum())]
            if numbers:
                at = rng.choice(numbers)
                end = at
                while end < len(text) and (text[end].isdigit() or text[end] == "."):
                    end += 1
                text = text[:at] + rng.choice(HOSTILE_NUMBERS) + text[end:]
        elif kind == 5:  # a deep nest of parentheses around a number
            numbers = [i for i, c in enumerate(text) if c.isdigit()
                       and (i == 0 or not text[i - 1].isalnum())]
            if numbers:
                at, depth = rng.choice(numbers), rng.choice([10, 99, 101, 500, 3000])
                end = at
                while end < len(text) and (text[end].isdigit() or text[end] == "."):
                    end += 1
                text = text[:at] + "(" * depth + text[at:end] + ")" * depth + text[end:]
        elif kind == 6:  # a line repeated many times (long sums, many rows)
            lines = _lines(text)
            i = rng.randrange(len(lines))
            lines[i:i + 1] = [lines[i]] * rng.choice([2, 50, 300])
            text = "".join(lines)
        else:  # a byte-level flip
            if text:
                at = rng.randrange(len(text))
                text = text[:at] + chr(rng.randrange(0x20, 0x3000)) + text[at + 1:]
    return text


def _sample(year: int) -> list[list[str]]:
    import csv
    with open(SAMPLES / f"units_{year}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[:SAMPLE_ROWS + 1]


def mutate_rows(rows: list[list[str]], rng: random.Random) -> list[list[str]]:
    """Cells replaced by hostile ones, rows or columns dropped, doubled or blanked."""
    rows = [list(r) for r in rows]
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        width = len(rows[0])
        if kind <= 2 and len(rows) > 1:
            row = rows[rng.randrange(1, len(rows))]
            if row:
                row[rng.randrange(len(row))] = rng.choice(HOSTILE_CELLS)
        elif kind == 3 and len(rows) > 1:
            i = rng.randrange(1, len(rows))
            rows.insert(i, rng.choice([list(rows[i]), [""] * width, []]))
        elif kind == 4:
            column = rng.randrange(width)
            for row in rows:
                if column < len(row):
                    del row[column]
        else:
            rows[0][rng.randrange(width)] = rng.choice([*HOSTILE_CELLS[:8], rows[0][0]])
    return rows


def _csv(rows: list[list[str]], rng: random.Random) -> bytes:
    import csv
    out = io.StringIO()
    csv.writer(out, lineterminator=rng.choice(["\n", "\r\n"])).writerows(rows)
    data = out.getvalue().encode(rng.choice(["utf-8", "utf-8-sig"]))
    return _damage(data, rng)


def _records(rows: list[list[str]]) -> list[dict[str, object]]:
    head = rows[0]
    return [dict(zip(head, row, strict=False)) for row in rows[1:]]


def _json(rows: list[list[str]], rng: random.Random) -> bytes:
    text = json.dumps(_records(rows), ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.1:  # nested, a little or very deeply
        depth = rng.choice([5, 5000])
        text = "[" * depth + text + "]" * depth
    if rng.random() < 0.1:
        text = text.replace("U-000001", "U-\\ud800", 1)  # a lone surrogate
    if rng.random() < 0.1:
        text = text.replace('"0"', "1e999999999", 1).replace('""', "1e999999999", 1)
    return _damage(text.encode("utf-8"), rng)


def _yaml(rows: list[list[str]], rng: random.Random) -> bytes:
    text = yaml.safe_dump(_records(rows), allow_unicode=True)
    if rng.random() < 0.1:
        text = ("a: &a [" + ",".join(["x"] * 10) + "]\n"
                + "".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n"
                          for p, c in zip("abcdefgh", "bcdefghi", strict=True))
                + "units: *i\n")
    return _damage(text.encode("utf-8"), rng)


def _xlsx(rows: list[list[str]], rng: random.Random) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if rng.random() < 0.2:
        sheet.append(["Allocation data, 2017"])  # a title row above the header
        sheet.append([])
    for row in rows:  # a workbook cannot hold control characters: Excel writes none
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", cell)[:32767] for cell in row])
    out = io.BytesIO()
    book.save(out)
    return _damage(out.getvalue(), rng, rate=0.1)


def _damage(data: bytes, rng: random.Random, rate: float = 0.05) -> bytes:
    """Now and then, a file cut short or a byte changed, as a bad copy leaves it."""
    if data and rng.random() < rate:
        data = data[:rng.randrange(len(data))]
    if data and rng.random() < rate:
        at = rng.randrange(len(data))
        data = data[:at] + bytes([rng.randrange(256)]) + data[at + 1:]
    return data


WRITERS: dict[str, Callable[[list[list[str]], random.Random], bytes]] = {
    ".csv": _csv, ".json": _json, ".yaml": _yaml, ".xlsx": _xlsx}


# -- running ---------------------------------------------------------------------------

class Overran(Exception):
    """A command ran past TIME_BOUND_S."""


@contextlib.contextmanager
def _bounded(seconds: float) -> Iterator[None]:
    def stop(signum: int, frame: object) -> None:
        raise Overran(f"no answer within {seconds:g} s")
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Trial:
    """What one input did: the commands run, and what went wrong (empty: clean)."""

    name: str
    failures: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.failures


def run_peie(argv: Sequence[str], trial: Trial) -> tuple[int, str] | None:
    """`peie ARGV` in-process: (exit status, standard output), or None after a failure."""
    # Binary-backed, as a terminal's: some writers write bytes to sys.stdout.buffer.
    out, err = io.TextIOWrapper(io.BytesIO(), "utf-8"), io.StringIO()
    try:
        with _bounded(TIME_BOUND_S), contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(err):
            status = main(list(argv))
    except SystemExit as stop:  # argparse
        status = stop.code if isinstance(stop.code, int) else 2
    except Overran as overran:
        trial.failures.append(f"peie {' '.join(argv)}: {overran}")
        return None
    except BaseException as raised:  # noqa: BLE001 - a traceback is what we look for
        trial.failures.append(f"peie {' '.join(argv)}: {type(raised).__name__}: {raised}")
        return None
    if status not in (0, 1, 2):
        trial.failures.append(f"peie {' '.join(argv)}: exit status {status}")
        return None
    if status and not err.getvalue().strip():
        trial.failures.append(f"peie {' '.join(argv)}: exit {status} with nothing said")
    out.flush()
    return status, out.buffer.getvalue().decode("utf-8")  # type: ignore[attr-defined]


def _facility_totals(document: str) -> dict[str, object]:
    parsed = json.loads(document)
    return {f["facility_id"]: f.get("allocation") for f in parsed.get("facilities", [])}


def _compare_paths(data: Path, year: int, rules: Sequence[str], trial: Trial) -> None:
    exact = run_peie([*("allocate", str(data), "--year", str(year)), *rules,
                      "--format", "json"], trial)
    batch = run_peie([*("allocate", str(data), "--year", str(year)), *rules,
                      "--format", "json", "--batch"], trial)
    if exact is None or batch is None:
        return
    if exact[0] == 0 and batch[0] == 0:
        ours, theirs = _facility_totals(exact[1]), _facility_totals(batch[1])
        if ours != theirs:
            differ = sorted(k for k in ours.keys() | theirs.keys()
                            if ours.get(k) != theirs.get(k))
            trial.failures.append(f"exact and batch paths disagree on {differ[:5]}")
    elif (exact[0] == 0) != (batch[0] == 0):
        trial.failures.append(f"exact path exit {exact[0]}, batch path exit {batch[0]}")


def rule_trial(name: str, rng: random.Random, folder: Path) -> Trial:
    """A mutated copy of bundled rule file `name` beside the other bundled files of its
    years: checked, formatted, and where it checks and a sample exists, allocated."""
    trial = Trial(f"rule {name}")
    text = mutate_rule_text((RULES / name).read_text(encoding="utf-8"), rng)
    rules = folder / "rules"
    rules.mkdir()
    year = ALLOCATED.get(name)
    if year == 2017:
        for other in RULES_2017:
            if other != name:
                (rules / other).write_bytes((RULES / other).read_bytes())
    path = rules / name
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    trial.name += f" -> {path}"
    checked = run_peie(["check", "-q", str(path)], trial)
    run_peie(["fmt", "--check", str(path)], trial)
    if checked is not None and checked[0] == 0 and year is not None:
        data = folder / "units.csv"
        data.write_bytes(_csv(_sample(year), random.Random(0)))
        _compare_paths(data, year, ["--rules", str(rules)], trial)
    return trial


def data_trial(suffix: str, rng: random.Random, folder: Path) -> Trial:
    """A mutated copy of the first units of the 2017 sample in format `suffix`, allocated
    on both paths under the bundled 2017 rules."""
    data = folder / f"units{suffix}"
    data.write_bytes(WRITERS[suffix](mutate_rows(_sample(2017), rng), rng))
    trial = Trial(f"data {data}")
    rules = [arg for name in RULES_2017 for arg in ("--rules", str(RULES / name))]
    _compare_paths(data, 2017, rules, trial)
    return trial


def long_run(rule_texts: int, data_files: int, seed: int, keep: Path | None) -> int:
    """The documented long run (docs/reliability.md): counts per kind, failures kept."""
    names = sorted(p.name for p in RULES.glob("*.rule"))
    started = time.monotonic()
    totals = {"rule texts": [0, 0], "data files": [0, 0]}
    for kind, count in (("rule texts", rule_texts), ("data files", data_files)):
        for i in range(count):
            rng = random.Random(f"{seed}:{kind}:{i}")
            with tempfile.TemporaryDirectory() as tmp:
                if kind == "rule texts":
                    trial = rule_trial(rng.choice(names), rng, Path(tmp))
                else:
                    trial = data_trial(rng.choice(sorted(WRITERS)), rng, Path(tmp))
                totals[kind][0] += 1
                if totals[kind][0] % 500 == 0:
                    print(f"{kind}: tried {totals[kind][0]}, failed {totals[kind][1]}, "
                          f"{time.monotonic() - started:.0f} s", flush=True)
                if not trial.clean:
                    totals[kind][1] += 1
                    print(f"FAILED {kind} #{i}: {trial.name}", *trial.failures, sep="\n  ",
                          flush=True)
                    if keep is not None:
                        kept = keep / f"{kind.split()[0]}-{i}"
                        kept.mkdir(parents=True, exist_ok=True)
                        for item in Path(tmp).rglob("*"):
                            if item.is_file():
                                (kept / item.name).write_bytes(item.read_bytes())
                        (kept / "failures.txt").write_text("\n".join(trial.failures))
    for kind, (tried, failed) in totals.items():
        print(f"{kind}: tried {tried}, clean {tried - failed}, failed {failed}")
    print(f"seed {seed}, {time.monotonic() - started:.0f} s")
    return 1 if any(failed for _, failed in totals.values()) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rule-texts", type=int, default=1000)
    parser.add_argument("--data-files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write each failing input here")
    options = parser.parse_args()
    sys.exit(long_run(options.rule_texts, options.data_files, options.seed, options.keep))
