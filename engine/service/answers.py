"""The service's answers other than the document asked for: a user's mistake as a 422
with every problem in it, a limit, the token, a defect. Each message is written once,
here or (for what the command line says too) in peie.report.problems."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from starlette.responses import Response

from peie.errors import PeieError
from peie.report.problems import error_document

BODY_TOO_LARGE = ("the request body is larger than this service takes ({limit:,} bytes); "
                  "send fewer units in each request")
TOO_MANY_UNITS = "a request holds at most {limit:,} units; this one holds {count:,}"
NOT_JSON = "the request body is not JSON: {reason}"
NOT_MATCHING = "the request does not match its schema ({count} problem{s}; see /docs)"
BODY_LATE = "the request body did not arrive within {seconds:g} s"
BUSY = ("the service is busy: no worker was free within {seconds:g} s; send the request "
        "again later")
LATE = "the request took longer than {seconds:g} s and was given up"
LATE_ISSUING = ("the request took longer than {seconds:g} s and was given up, but its run "
                "may still be recorded: read the ledger (/v1/ledger/runs) before sending it "
                "again (an identical run is never recorded twice)")
NO_TOKEN = ("this service was started without a token (--token or PEIE_TOKEN): it issues "
            "nothing")
WRONG_TOKEN = "give the service's token in the header Authorization: Bearer TOKEN"
DEFECT = ("the service failed on this request: a defect of peie, not of the request; the "
          "server's log has the details")


def answer(status: int, document: dict[str, Any] | str,
           headers: dict[str, str] | None = None) -> Response:
    """A JSON answer, ending in a new line; a document already written as JSON text (by
    peie.report) is sent as it is."""
    body = document if isinstance(document, str) else json.dumps(document,
                                                                   ensure_ascii=False) + "\n"
    return Response(body, status, headers, media_type="application/json")


def refused(status: int, kind: str, message: str, *, headers: dict[str, str] | None = None,
            **more: Any) -> Response:
    """An answer of kind `kind` (models.Refused and its kin) instead of the document."""
    return answer(status, {"error": kind, "message": message, **more}, headers)


def user_error(error: PeieError, command: str) -> Response:
    """A rule, data or usage error of `command`, as the command line reports it with
    --format json."""
    return answer(422, error_document(error, command))


def not_matching(error: ValidationError, place: str) -> Response:
    """Every place where the request's `place` (body, query) departs from its schema."""
    problems = [{"location": [place, *details["loc"]], "message": _message(details)}
                for details in error.errors(include_url=False)]
    return request_problems(problems)


def request_problems(problems: Sequence[dict[str, Any]]) -> Response:
    count = len(problems)
    return refused(422, "request", NOT_MATCHING.format(count=count, s="s" * (count != 1)),
                   problems=list(problems))


def _message(details: ErrorDetails) -> str:
    reason = (details.get("ctx") or {}).get("error")
    return str(reason) if details["type"] == "value_error" and reason else details["msg"]
