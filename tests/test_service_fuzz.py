"""The service fuzzed from its own OpenAPI document with schemathesis: requests made from
every operation's schemas, valid and not, sent to a real server on 127.0.0.1 (with the
token, so that the issuing operations are in the document and reached). Every answer
must be documented (status, content type, schema), and none a server error; a request
that does not match its schema must be refused. Bounded: a few examples an operation,
so that the module runs in well under a minute."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from bench.server import running_service

TOKEN = "a-token-for-the-fuzzer-0123"
EXAMPLES = 8  # per operation and mode: ten operations, some 160 requests


@pytest.fixture(scope="module")
def fuzzed_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ledger = tmp_path_factory.mktemp("fuzz") / "ledger.sqlite"
    with running_service("--ledger", str(ledger), "--timeout", "20",
                         env={**os.environ, "PEIE_TOKEN": TOKEN}) as url:
        yield url


@pytest.fixture(scope="module")
def api_schema(fuzzed_service: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(fuzzed_service + "/openapi.json")


OPERATIONS = [("POST", path) for path in ("/v1/check", "/v1/allocate", "/v1/explain",
                                          "/v1/position", "/v1/diff", "/v1/impact",
                                          "/v1/preallocate", "/v1/trueup")]
OPERATIONS += [("GET", "/v1/ledger/issuances"), ("GET", "/v1/ledger/runs")]


# schemathesis's own pytest wiring (schemathesis.pytest.from_fixture) fails on pytest 9
# (it reads a node attribute pytest no longer has); its strategies serve as well.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[p for _, p in OPERATIONS])
def test_every_answer_is_documented_and_none_is_a_server_error(
        api_schema: schemathesis.BaseSchema, method: str, path: str,
        mode: GenerationMode) -> None:
    operation = api_schema[path][method]

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def answered(case: schemathesis.Case) -> None:
        # A request can match its schema and still be refused for what it says (a year
        # no rules are in force for, a value out of its range): a documented 422.
        case.call_and_validate(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60,
                               excluded_checks=[positive_data_acceptance])

    answered()


def test_the_fuzzed_document_has_every_operation(api_schema: schemathesis.BaseSchema,
                                                 ) -> None:
    found = {(method.upper(), path) for path, methods in api_schema.raw_schema["paths"].items()
             for method in methods}
    assert found == set(OPERATIONS)
