"""`peie serve` as a registry's system uses it: a real server process on a free port of
127.0.0.1 (bench.server), spoken to over HTTP with httpx. Every answer is held to the
service's own OpenAPI document; the documents are the command line's, byte for byte;
broken requests of every kind get a JSON 4xx naming every problem, never a 500.

Requests go to 127.0.0.1 only, a bounded number of them, each with a time-out; every
server is stopped when its module's tests end. No timing is asserted."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from bench.server import running_service
from bench.synth import generate_units

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
RULES = ROOT / "rules"
TOKEN = "a-test-token-of-some-length"
TIMEOUT = 120.0  # seconds for one request: generous, the machine is shared


def records(name: str) -> list[dict[str, str]]:
    """A sample CSV's rows as records, empty cells left out (as a system sends them)."""
    with open(SAMPLES / name, newline="", encoding="utf-8") as handle:
        return [{k: v for k, v in row.items() if v != ""} for row in csv.DictReader(handle)]


def canonical_file(path: Path, units: list[dict[str, Any]]) -> Path:
    """The units as a JSON data file whose bytes are the canonical JSON the service hashes
    records by (peie.data.readers.table_from_records), so that the command line's
    data_sha256 and the service's agree."""
    text = json.dumps([{k: u[k] for k in sorted(u)} for u in units], ensure_ascii=False,
                      separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return path


def peie(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "peie.cli", *args], capture_output=True,
                          text=True, cwd=cwd, check=True)
    return done.stdout


def rule_file(name: str) -> dict[str, str]:
    return {"name": name, "text": (ROOT / name).read_text(encoding="utf-8")}


@pytest.fixture(scope="module")
def openapi(service: str) -> dict[str, Any]:
    return httpx.get(service + "/openapi.json", timeout=TIMEOUT).json()


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ledger = tmp_path_factory.mktemp("served") / "ledger.sqlite"
    with running_service("--ledger", str(ledger)) as url:
        yield url


def conforms(openapi: dict[str, Any], method: str, path: str,
             response: httpx.Response) -> None:
    """The answer is JSON of the schema the OpenAPI document gives for its status."""
    assert response.headers["content-type"] == "application/json"
    answers = openapi["paths"][path][method.lower()]["responses"]
    schema = answers[str(response.status_code)]["content"]["application/json"]["schema"]
    jsonschema.validate(response.json(), {**schema, "components": openapi["components"]})


def call(url: str, openapi: dict[str, Any], path: str, body: Any = None,
         **options: Any) -> httpx.Response:
    """A request whose answer conforms to the OpenAPI document: GET without a body."""
    method = "GET" if body is None and "content" not in options else "POST"
    response = httpx.request(method, url + path, json=body, timeout=TIMEOUT, **options)
    conforms(openapi, method, path, response)
    return response


# ---- the documents are the command line's ---------------------------------------------


def test_allocate_answers_the_document_of_allocate_format_json(
        service: str, openapi: dict[str, Any], tmp_path: Path) -> None:
    units = records("units_2017.csv")
    factors = [{"province": "hebei", "sector": "power", "factor": "0.98"}]
    answer = call(service, openapi, "/v1/allocate",
                  {"year": 2017, "units": units, "local_factors": factors})
    data = canonical_file(tmp_path / "units.json", units)
    expected = peie("allocate", str(data), "--year", "2017", "--format", "json",
                    "--local-factors", str(canonical_file(tmp_path / "factors.json", factors)))
    assert answer.status_code == 200 and answer.text == expected
    assert len(answer.json()["units"]) == len(units) and "local_factors_sha256" in expected
    plain = call(service, openapi, "/v1/allocate", {"year": 2017, "units": units})
    assert plain.text == peie("allocate", str(data), "--year", "2017", "--format", "json")


def test_numbers_are_read_exactly_not_as_floats(service: str, openapi: dict[str, Any]) -> None:
    """A JSON number with more digits than a float holds is the allocation of the same
    digits given as text; a float would have rounded it away."""
    units = records("units_2017.csv")[:1]
    long = "1574685.2380000000000000001"  # as a float: 1574685.238
    as_text = {**units[0], "electricity_supplied_mwh": long}
    as_number = json.loads(json.dumps(as_text).replace(f'"{long}"', long))
    assert as_number["electricity_supplied_mwh"] == float(long)  # json.loads rounds it
    body = json.dumps({"year": 2017, "units": [as_text]}).replace(f'"{long}"', long)
    numeric = call(service, openapi, "/v1/allocate", content=body.encode()).json()
    textual = call(service, openapi, "/v1/allocate", {"year": 2017, "units": [as_text]}).json()
    rounded = {**as_text, "electricity_supplied_mwh": "1574685.238"}
    floated = call(service, openapi, "/v1/allocate", {"year": 2017, "units": [rounded]}).json()
    amount = numeric["units"][0]["allocation"]
    assert amount == textual["units"][0]["allocation"]
    assert Decimal(amount) != Decimal(floated["units"][0]["allocation"])


def test_explain_and_position_answer_their_documents(service: str, openapi: dict[str, Any],
                                                     tmp_path: Path) -> None:
    units = records("units_2017.csv")
    data = str(canonical_file(tmp_path / "units.json", units))
    explained = call(service, openapi, "/v1/explain",
                     {"year": 2017, "units": units, "unit_id": "U-000005"})
    cli = peie("explain", data, "--year", "2017", "--unit", "U-000005", "--format", "json")
    # the tree names the data file where it read each value: 'units' here, a path there
    assert explained.text == cli.replace(data, "units")
    position = call(service, openapi, "/v1/position", {"year": 2017, "units": units})
    assert position.text == peie("position", data, "--year", "2017", "--format", "json")


def test_diff_and_impact_answer_their_documents(service: str, openapi: dict[str, Any],
                                                tmp_path: Path) -> None:
    old, new = rule_file("rules/power-2021.rule"), rule_file("rules/power-2022.rule")
    diff = call(service, openapi, "/v1/diff", {"old": old, "new": new})
    assert diff.text == peie("diff", old["name"], new["name"], "--format", "json", cwd=ROOT)
    assert diff.json()["edits"]
    units = records("units_2019.csv")
    data = str(canonical_file(tmp_path / "units.json", units))
    impact = call(service, openapi, "/v1/impact",
                  {"old": old, "new": new, "units": units, "top": 3})
    cli = peie("diff", old["name"], new["name"], "--data", data, "--top", "3", "--format",
               "json", cwd=ROOT)
    assert impact.text == cli.replace(json.dumps(data), json.dumps("units"))


def test_check_answers_versions_or_every_diagnostic(service: str,
                                                    openapi: dict[str, Any]) -> None:
    sound = call(service, openapi, "/v1/check", {"rules": [rule_file("rules/cement.rule"),
                                                           rule_file("rules/power.rule")]})
    assert sound.status_code == 200 and sound.json()["ok"] is True
    assert [r["sector"] for r in sound.json()["rules"]] == ["cement", "power"]
    text = rule_file("rules/cement.rule")["text"].replace("* local_factor\n",
                                                          "* local_factr\n")
    wrong = call(service, openapi, "/v1/check", {"rules": [{"name": "c.rule", "text": text}]})
    found = wrong.json()
    assert wrong.status_code == 200 and found["ok"] is False and found["rules"] == []
    assert found["message"] == "1 error in rule files"
    [diagnostic] = found["diagnostics"]
    line = text.splitlines().index(next(x for x in text.splitlines() if "local_factr" in x))
    assert (diagnostic["file"], diagnostic["line"]) == ("c.rule", line + 1)
    assert diagnostic["column"] == text.splitlines()[line].index("local_factr") + 1
    assert "unknown name 'local_factr'" in diagnostic["message"]


def test_a_draft_given_as_text_is_allocated_instead_of_the_service_rules(
        service: str, openapi: dict[str, Any]) -> None:
    units = [u for u in records("units_2017.csv") if u["sector"] == "cement"]
    text = rule_file("rules/cement.rule")["text"]
    draft = text.replace('version "2017-draft"', 'version "try"').replace(
        "* local_factor\n", "* local_factor * 2\n")
    base = call(service, openapi, "/v1/allocate", {"year": 2017, "units": units}).json()
    tried = call(service, openapi, "/v1/allocate", {
        "year": 2017, "units": units, "rules": [{"name": "try.rule", "text": draft}]}).json()
    assert tried["rules"]["cement"]["version"] == "try"
    assert tried["totals"]["cement"] > base["totals"]["cement"]


def test_parallel_requests_give_identical_documents(service: str) -> None:
    """20 requests at once, of two kinds in turn: each answer is the one the same request
    gets alone (no state of one request reaches another)."""
    units = records("units_2017.csv")
    bodies = [{"year": 2017, "units": units},
              {"year": 2017, "units": [u for u in units if u["sector"] == "cement"]}]
    alone = [httpx.post(service + "/v1/allocate", json=b, timeout=TIMEOUT).text
             for b in bodies]
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda i: httpx.post(service + "/v1/allocate",
                                                     json=bodies[i % 2], timeout=TIMEOUT),
                                range(20)))
    assert {a.status_code for a in answers} == {200}
    assert [a.text for a in answers] == [alone[i % 2] for i in range(20)]
    assert alone[0] != alone[1]


# ---- a user's mistakes ---------------------------------------------------------------


def test_bad_records_get_every_problem_as_the_command_line_lists_them(
        service: str, openapi: dict[str, Any], tmp_path: Path) -> None:
    units = records("units_2017.csv")
    for unit, field, value in [("U-000001", "heat_ratio", "1.4"),
                               ("U-000005", "category", "usc_1000"),
                               ("U-000006", "sector", "powr")]:
        next(u for u in units if u["unit_id"] == unit)[field] = value
    answer = call(service, openapi, "/v1/allocate", {"year": 2017, "units": units})
    assert answer.status_code == 422
    refused = answer.json()
    data = canonical_file(tmp_path / "bad.json", units)
    done = subprocess.run([sys.executable, "-m", "peie.cli", "allocate", str(data), "--year",
                           "2017", "--problems", str(tmp_path / "problems.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert refused["error"] == "data" and refused["message"] == done.stderr.splitlines()[-1]
    with open(tmp_path / "problems.csv", newline="", encoding="utf-8") as handle:
        listed = [{**row, "file": "units", "row": int(row["row"])}
                  for row in csv.DictReader(handle)]
    got = [{k: "" if v is None else v for k, v in p.items()} for p in refused["problems"]]
    assert got == listed and len(got) >= 3


def test_a_bad_rule_text_gets_its_diagnostics(service: str, openapi: dict[str, Any]) -> None:
    text = rule_file("rules/cement.rule")["text"].replace("[50000 t, 100000 t)  -> 2 %",
                                                          "[60000 t, 100000 t)  -> 2 %")
    answer = call(service, openapi, "/v1/allocate", {
        "year": 2017, "units": records("units_2017.csv"),
        "rules": [{"name": "cement.rule", "text": text}]})
    refused = answer.json()
    assert answer.status_code == 422 and refused["error"] == "rules"
    assert refused["message"] == f"{len(refused['diagnostics'])} error" + (
        "s" * (len(refused["diagnostics"]) != 1)) + " in rule files"
    assert all(d["file"] == "cement.rule" and d["line"] > 0 and d["column"] > 0
               and d["text"].startswith(f"cement.rule:{d['line']}:{d['column']}: error: ")
               for d in refused["diagnostics"])


BROKEN: list[tuple[str, str, bytes | Any]] = [
    # (why, path, body: bytes as sent, or a value sent as JSON)
    ("not JSON", "/v1/allocate", b'{"year": 2017,'),
    ("empty", "/v1/allocate", b""),
    ("not UTF-8", "/v1/allocate", b'\xff\xfe{"year"'),
    ("NaN is not JSON", "/v1/allocate", b'{"year": 2017, "units": [{"heat_ratio": NaN}]}'),
    ("nested too deeply", "/v1/allocate", b"[" * 100_000 + b"]" * 100_000),
    ("a list, not an object", "/v1/allocate", []),
    ("year as text", "/v1/allocate", {"year": "2017", "units": []}),
    ("year as a fraction", "/v1/allocate", b'{"year": 2017.0, "units": []}'),
    ("year out of range", "/v1/allocate", {"year": 10**30, "units": []}),
    ("units missing", "/v1/allocate", {"year": 2017}),
    ("a unit that is a number", "/v1/allocate", {"year": 2017, "units": [1]}),
    ("a cell that is a list", "/v1/allocate", {"year": 2017, "units": [{"unit_id": [1]}]}),
    ("a field the request has not", "/v1/allocate", {"year": 2017, "units": [], "x": 1}),
    ("two rule files of one name", "/v1/check",
     {"rules": [{"name": "a.rule", "text": ""}, {"name": "a.rule", "text": ""}]}),
    ("no rule file", "/v1/check", {"rules": []}),
    ("a rule file without text", "/v1/diff", {"old": {"name": "a"}, "new": {"name": "b"}}),
    ("a year without rules", "/v1/allocate", {"year": 1990, "units": []}),
    ("a unit not in the data", "/v1/explain", {"year": 2017, "units": [], "unit_id": "U-1"}),
    ("a factor that is not a number", "/v1/allocate", {
        "year": 2017, "units": [],
        "local_factors": [{"province": "hebei", "sector": "power", "factor": "high"}]}),
    ("two sectors' versions", "/v1/impact", {"old": rule_file("rules/power.rule"),
                                             "new": rule_file("rules/cement.rule"),
                                             "units": []}),
    ("an empty rule text", "/v1/diff", {"old": {"name": "a.rule", "text": ""},
                                        "new": {"name": "b.rule", "text": ""}}),
]


@pytest.mark.parametrize(("why", "path", "body"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_requests_are_refused_with_what_is_wrong(
        service: str, openapi: dict[str, Any], why: str, path: str, body: Any) -> None:
    sent = {"content": body} if isinstance(body, bytes) else {"json": body}
    answer = httpx.post(service + path, timeout=TIMEOUT, **sent)  # type: ignore[arg-type]
    assert answer.status_code == 422, answer.text
    conforms(openapi, "POST", path, answer)
    refused = answer.json()
    assert refused["message"] and (refused["error"] == "usage" or refused.get("problems")
                                   or refused.get("diagnostics"))


def test_the_request_problems_say_where(service: str) -> None:
    answer = httpx.post(service + "/v1/allocate", json={"year": "2017", "units": [1],
                                                        "x": 1}, timeout=TIMEOUT).json()
    assert answer["message"] == "the request does not match its schema (3 problems; see /docs)"
    assert sorted(p["location"] for p in answer["problems"]) == [
        ["body", "units", 0], ["body", "x"], ["body", "year"]]


def test_unknown_paths_and_methods_answer_json(service: str) -> None:
    missing = httpx.get(service + "/v1/nothing", timeout=TIMEOUT)
    wrong = httpx.get(service + "/v1/allocate", timeout=TIMEOUT)
    assert (missing.status_code, wrong.status_code) == (404, 405)
    assert missing.json()["error"] == wrong.json()["error"] == "http"


# ---- limits -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def limited() -> Iterator[str]:
    with running_service("--max-units", "5000", "--max-body-mib", "2") as url:
        yield url


@pytest.fixture(scope="module")
def hurried() -> Iterator[str]:
    with running_service("--timeout", "0.1", "--threads", "1") as url:
        yield url


def test_too_many_units_and_too_large_a_body_answer_413(limited: str) -> None:
    many = httpx.post(limited + "/v1/allocate", timeout=TIMEOUT,
                      json={"year": 2017, "units": [{"unit_id": "U"}] * 5001})
    assert many.status_code == 413
    assert many.json()["message"] == ("a request holds at most 5,000 units; this one holds "
                                      "5,001")
    large = httpx.post(limited + "/v1/allocate", timeout=TIMEOUT,
                       content=b'{"year": 2017, "units": [], "x": "' + b"x" * 2**21 + b'"}')
    assert large.status_code == 413 and large.json()["error"] == "limit"
    assert "2,097,152 bytes" in large.json()["message"]


def test_a_slow_request_answers_504_and_one_beside_it_503(hurried: str) -> None:
    """With one worker and 0.1 s a request: 5,000 units take longer (records are checked
    and evaluated at some 10^4 a second), and the request sent beside it finds no
    worker free in time."""
    units = [{k: v for k, v in u.items() if v} for u in generate_units(5000, seed=4)]
    slow = {"year": 2017, "units": units}
    with ThreadPoolExecutor(2) as pool:
        sent = [pool.submit(httpx.post, hurried + "/v1/allocate", json=slow,
                            timeout=TIMEOUT) for _ in range(2)]
        answers = sorted((f.result() for f in sent), key=lambda a: a.status_code)
    assert [a.status_code for a in answers] == [503, 504]
    assert [a.json()["message"] for a in answers] == [
        "the service is busy: no worker was free within 0.1 s; send the request again later",
        "the request took longer than 0.1 s and was given up"]


def test_a_body_that_does_not_arrive_in_time_answers_408(hurried: str) -> None:
    def trickle() -> Iterator[bytes]:
        yield b'{"year": 2017, '
        time.sleep(1)  # ten times the service's limit
        yield b'"units": []}'

    answer = httpx.post(hurried + "/v1/allocate", content=trickle(), timeout=TIMEOUT)
    assert answer.status_code == 408
    assert answer.json() == {"error": "timeout", "message": "the request body did not "
                                                            "arrive within 0.1 s"}


# ---- issuing and the ledger ---------------------------------------------------------


def test_without_a_token_nothing_is_issued(service: str, tmp_path: Path) -> None:
    answer = httpx.post(service + "/v1/preallocate", timeout=TIMEOUT,
                        json={"year": 2017, "units": records("units_2015.csv")},
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 403 and answer.json()["error"] == "token"
    runs = httpx.get(service + "/v1/ledger/runs", timeout=TIMEOUT)
    assert runs.status_code == 422 and "there is no ledger here" in runs.json()["message"]
    schema = httpx.get(service + "/openapi.json", timeout=TIMEOUT).json()
    assert "/v1/preallocate" not in schema["paths"]


@pytest.fixture(scope="module")
def issuing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    ledger = tmp_path_factory.mktemp("issuing") / "ledger.sqlite"
    with running_service("--ledger", str(ledger), env={**os.environ, "PEIE_TOKEN": TOKEN}
                         ) as url:
        yield url, ledger


def test_issuing_needs_the_token_and_records_in_the_ledger(
        issuing: tuple[str, Path]) -> None:
    url, ledger = issuing
    openapi = httpx.get(url + "/openapi.json", timeout=TIMEOUT).json()
    base = {"year": 2017, "units": records("units_2015.csv")}
    for headers in ({}, {"Authorization": "Bearer not-the-token"},
                    {"Authorization": TOKEN}):
        refused = call(url, openapi, "/v1/preallocate", base, headers=headers)
        assert refused.status_code == 401 and not ledger.exists()
    good = {"Authorization": f"Bearer {TOKEN}"}
    pre = call(url, openapi, "/v1/preallocate", base, headers=good)
    assert pre.status_code == 200 and pre.json()["ledger"].endswith("recorded as run 1")
    again = call(url, openapi, "/v1/preallocate", base, headers=good)
    assert again.json()["ledger"].endswith("identical to run 1 recorded before; nothing new "
                                           "was issued")
    final = {"year": 2017, "units": records("units_2017.csv")}
    settled = call(url, openapi, "/v1/trueup", final, headers=good).json()
    assert settled["stage"] == "trueup" and not settled["new_entrants"]
    issued = call(url, openapi, "/v1/ledger/issuances",
                  params={"year": 2017, "superseded": "true"})
    assert issued.text == peie("ledger", "export", "--ledger", str(ledger), "--year", "2017",
                               "--format", "json")
    one = call(url, openapi, "/v1/ledger/issuances", params={"facility": "F-HE-00001"}).json()
    assert {e["stage"] for e in one} == {"preallocation", "trueup"}
    assert {e["facility_id"] for e in one} == {"F-HE-00001"}
    runs = call(url, openapi, "/v1/ledger/runs", params={"year": 2017}).json()
    assert [r["command"] for r in runs] == ["POST /v1/preallocate (peie serve)",
                                            "POST /v1/trueup (peie serve)"]


def test_a_conflicting_run_is_refused_and_superseded_with_a_reason(
        issuing: tuple[str, Path]) -> None:
    url, _ = issuing
    good = {"Authorization": f"Bearer {TOKEN}"}
    changed = {"year": 2018, "units": records("units_2015.csv")[:40]}
    first = httpx.post(url + "/v1/preallocate", json=changed, headers=good, timeout=TIMEOUT)
    assert first.status_code == 200
    changed["units"] = changed["units"][:30]
    conflict = httpx.post(url + "/v1/preallocate", json=changed, headers=good, timeout=TIMEOUT)
    assert conflict.status_code == 422 and "already recorded" in conflict.json()["message"]
    replaced = httpx.post(url + "/v1/preallocate", headers=good, timeout=TIMEOUT,
                          json={**changed, "supersede_reason": "ten units withdrawn"})
    assert "superseding run" in replaced.json()["ledger"]
    runs = httpx.get(url + "/v1/ledger/runs?year=2018", timeout=TIMEOUT).json()
    assert runs[0]["superseded_by"] == runs[1]["id"]
    assert runs[0]["supersede_reason"] == "ten units withdrawn"


# ---- the documents about the service -------------------------------------------------


def test_the_docs_page_lists_every_endpoint_and_fetches_nothing(
        issuing: tuple[str, Path]) -> None:
    url, _ = issuing
    page = httpx.get(url + "/docs", timeout=TIMEOUT)
    schema = httpx.get(url + "/openapi.json", timeout=TIMEOUT).json()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert schema["openapi"].startswith("3.")
    for path in schema["paths"]:
        assert f"<code>{path}</code>" in page.text
    for name in schema["components"]["schemas"]:
        assert f"id='schema-{name}'" in page.text
    assert "<script" not in page.text and "http://" not in page.text.replace(url, "")
    assert "https://" not in page.text


def test_the_command_line_starts_without_the_web_stack() -> None:
    """`peie check` and every other command but `serve` leave FastAPI, Starlette,
    pydantic and uvicorn unloaded."""
    code = ("import sys, importlib; importlib.import_module('peie.cli.main').build_parser(); "
            "import peie.cli; peie.cli.main(['check', '--quiet']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'starlette', 'pydantic', 'uvicorn')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_mistakes_in_how_it_is_started_stop_it_with_the_command_line_s_errors(
        tmp_path: Path) -> None:
    text = (RULES / "cement.rule").read_text(encoding="utf-8")
    (tmp_path / "cement.rule").write_text(text.replace("* local_factor\n", "* local_fact\n"))

    def serve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "peie.cli", "serve", *args],
                              capture_output=True, text=True, timeout=TIMEOUT,
                              env={k: v for k, v in os.environ.items() if k != "PEIE_TOKEN"})

    short, rules, port = (serve("--token", "short"), serve("--rules", str(tmp_path)),
                          serve("--port", "70000"))
    assert short.returncode == 1
    assert "the token must be at least 16 characters long" in short.stderr
    assert rules.returncode == 1 and rules.stderr.endswith("1 error in rule files\n")
    assert f"{tmp_path / 'cement.rule'}:" in rules.stderr
    assert port.returncode == 2 and "a port is 1 to 65535, not 70000" in port.stderr
