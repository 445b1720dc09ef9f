"""The endpoints: each takes its validated request, calls peie.api, and answers with the
JSON text peie.report builds for the command line's `--format json`."""

from __future__ import annotations

import typing
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Query
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response

from peie import api
from peie.errors import RuleError
from peie.report.allocation import allocation_json
from peie.report.checks import check_failed_json, check_json
from peie.report.diff import diff_json, impact_json
from peie.report.encoding import json_text
from peie.report.explain import explanation_json
from peie.report.issuance import (
    ledger_json,
    ledger_runs_json,
    position_json,
    preallocation_json,
    trueup_json,
)

from .models import (
    AllocateRequest,
    CheckRequest,
    DiffRequest,
    ExplainRequest,
    ImpactRequest,
    IssueRequest,
    LedgerQuery,
    PositionRequest,
    RuleFile,
    RunsQuery,
    UnitsRequest,
)

if TYPE_CHECKING:
    from peie.data.readers import Table
    from peie.ruleset import RuleSet

    from .running import Service

ISSUED_BY = "POST {path} (peie serve)"  # the command the ledger records for a run


class Endpoints:
    """One method per endpoint, over the rules and the ledger the service started with."""

    def __init__(self, rules: RuleSet, ledger: str | None):
        self.rules = rules
        self.ledger = ledger

    def check(self, ask: CheckRequest) -> str:
        """Rule files, given as texts, checked together: each version found sound, or
        every diagnostic (file, line, column, message). Answers 200 either way."""
        try:
            return json_text(check_json(api.check([_text(r) for r in ask.rules])))
        except RuleError as error:
            return json_text(check_failed_json(error))

    def allocate(self, ask: AllocateRequest) -> str:
        """The free allocation of every unit and facility, as `peie allocate --format
        json` writes it."""
        run = api.allocate(_units(ask), ask.year, rules=self._rules(ask),
                           local_factors=_factors(ask))
        return json_text(allocation_json(run))

    def explain(self, ask: ExplainRequest) -> str:
        """How one unit's allocation is computed, as `peie explain --format json`."""
        explanation = api.explain(_units(ask), ask.year, ask.unit_id, rules=self._rules(ask),
                                  local_factors=_factors(ask))
        return explanation_json(explanation)

    def position(self, ask: PositionRequest) -> str:
        """Each facility's final allocation against its verified emissions, as `peie
        position --format json`."""
        report = api.position(_units(ask), ask.year, rules=self._rules(ask),
                              local_factors=_factors(ask))
        return position_json(report)

    def diff(self, ask: DiffRequest) -> str:
        """What changed in meaning between two versions of a sector's rule file, as
        `peie diff OLD NEW --format json`."""
        versions = api.diff(_text(ask.old), _text(ask.new))
        return diff_json(versions.diff, versions.old, versions.new)

    def impact(self, ask: ImpactRequest) -> str:
        """What the new version does to every facility of the units, attributed to each
        edit, as `peie diff OLD NEW --data DATA --format json`."""
        result = api.impact(_text(ask.old), _text(ask.new), _units(ask),
                            local_factors=_factors(ask), exact=ask.exact)
        return impact_json(result, ask.top)

    def preallocate(self, ask: IssueRequest) -> str:
        """Pre-allocate the year on base-year data under the service's rules, and record
        it in the ledger, as `peie preallocate --format json`."""
        run = api.preallocate(_units(ask), ask.year, ledger=self.ledger, rules=self.rules,
                              local_factors=_factors(ask),
                              command=ISSUED_BY.format(path="/v1/preallocate"),
                              supersede_reason=ask.supersede_reason)
        return preallocation_json(run)

    def trueup(self, ask: IssueRequest) -> str:
        """The final allocation on verified data under the service's rules, settled
        against the pre-allocation on record, and recorded, as `peie trueup --format
        json`."""
        run = api.trueup(_units(ask), ask.year, ledger=self.ledger, rules=self.rules,
                         local_factors=_factors(ask),
                         command=ISSUED_BY.format(path="/v1/trueup"),
                         supersede_reason=ask.supersede_reason)
        return trueup_json(run)

    def issuances(self, ask: Annotated[LedgerQuery, Query()]) -> str:
        """Issuances on record, by year and by facility, as `peie ledger export --format
        json` (current runs only unless `superseded`)."""
        view = api.ledger_entries(self.ledger, year=ask.year, facility=ask.facility,
                                  include_superseded=ask.superseded)
        return ledger_json(view)

    def runs(self, ask: Annotated[RunsQuery, Query()]) -> str:
        """The runs on record (of one year), superseded ones too."""
        return ledger_runs_json(api.ledger_entries(self.ledger, year=ask.year,
                                                   include_superseded=True))

    def _rules(self, ask: AllocateRequest) -> RuleSet | list[api.RuleText]:
        return self.rules if ask.rules is None else [_text(r) for r in ask.rules]


def _text(rule: RuleFile) -> api.RuleText:
    return api.RuleText(rule.name, rule.text)


def _units(ask: UnitsRequest) -> Table:
    """The units as a data file named `units` (problems name it, and each record by
    its number from 1)."""
    return api.read_data(ask.units, "units")


def _factors(ask: UnitsRequest) -> Table | None:
    if ask.local_factors is None:
        return None
    return api.read_data([f.model_dump() for f in ask.local_factors], "local_factors")


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class Answering(APIRoute):
    """A route whose endpoint is worked on by the Service (peie.service.running): FastAPI
    documents it from the endpoint's signature; the Service reads, validates, bounds and
    answers it."""

    issuing = False

    def get_route_handler(self) -> Handler:
        endpoint = self.endpoint
        hints = typing.get_type_hints(endpoint)
        ask = next(t for name, t in hints.items() if name != "return")
        issuing = self.issuing

        async def handle(request: Request) -> Response:
            service: Service = request.app.state.service
            return await service.answer(request, endpoint, ask, issuing)

        return handle


class Issuing(Answering):
    """A route that records in the ledger: only with the service's token."""

    issuing = True
