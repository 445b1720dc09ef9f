"""The web application: the routes, the OpenAPI document and its page, the answers to
requests no route takes; and `serve`, which runs it on uvicorn."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from peie import api

from . import answers, models
from .docs_page import docs_page
from .routes import Answering, Endpoints, Issuing
from .running import Service
from .settings import Settings

ANSWERED = "the document asked for (docs/service.md)"
DESCRIPTION = ("Free carbon-allowance allocation for China's national ETS, from rule files: "
               "the application layer of peie as a web API (docs/service.md).")


def _refusals(*statuses: int) -> dict[int | str, dict[str, Any]]:
    said = {401: "no token, or not the service's", 403: "the service has no token",
            408: "the body did not arrive in time", 413: "larger than the limits",
            422: "a mistake in the request, its rules or its data: every problem",
            503: "no worker free in time", 504: "took too long"}
    return {s: {"model": models.Unprocessable if s == 422 else models.Refused,
                "description": said[s]} for s in statuses}


Routes = list[tuple[str, Callable[..., str], Any]]  # path, endpoint, the answer's type


def _routers(endpoints: Endpoints, issuing_shown: bool) -> list[APIRouter]:
    posting = APIRouter(route_class=Answering,
                        responses=_refusals(408, 413, 422, 503, 504))
    posts: Routes = [
            ("/v1/check", endpoints.check, models.CheckAnswer),
            ("/v1/allocate", endpoints.allocate, models.AllocationDocument),
            ("/v1/explain", endpoints.explain, models.ExplanationDocument),
            ("/v1/position", endpoints.position, models.PositionDocument),
            ("/v1/diff", endpoints.diff, models.DiffDocument),
            ("/v1/impact", endpoints.impact, models.ImpactDocument)]
    for path, endpoint, document in posts:
        posting.add_api_route(path, endpoint, methods=["POST"], response_model=document,
                              response_description=ANSWERED)
    reading = APIRouter(route_class=Answering, responses=_refusals(422, 503, 504))
    reading.add_api_route("/v1/ledger/issuances", endpoints.issuances, methods=["GET"],
                          response_model=list[models.LedgerEntry],
                          response_description=ANSWERED)
    reading.add_api_route("/v1/ledger/runs", endpoints.runs, methods=["GET"],
                          response_model=list[models.LedgerRun], response_description=ANSWERED)
    issuing = APIRouter(route_class=Issuing, include_in_schema=issuing_shown,
                        responses=_refusals(401, 403, 408, 413, 422, 503, 504))
    issues: Routes = [
            ("/v1/preallocate", endpoints.preallocate, models.PreallocationDocument),
            ("/v1/trueup", endpoints.trueup, models.TrueUpDocument)]
    for path, endpoint, document in issues:
        issuing.add_api_route(path, endpoint, methods=["POST"], response_model=document,
                              response_description=ANSWERED,
                              openapi_extra={"security": [{"bearer": []}]})
    return [posting, reading, issuing]


def create_app(settings: Settings) -> FastAPI:
    """The service over `settings`; its rules are loaded and compiled now, so that a
    mistake in them stops the start (a RuleError) and no request pays for them."""
    rules = api.load_rules(list(settings.rules) or None)
    for rule in rules.rules:
        rules.compiled(rule)
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        service.close()

    app = FastAPI(title="peie", version="1", description=DESCRIPTION, docs_url=None,
                  redoc_url=None, lifespan=lifespan)
    app.state.service = service
    for router in _routers(Endpoints(rules, settings.ledger), settings.token is not None):
        app.include_router(router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_api_route("/docs", lambda: HTMLResponse(docs_page(app.openapi())),
                      include_in_schema=False)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _defect)
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version,
                               description=app.description, routes=app.routes)
        document.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer",
                       "description": "the token the service was started with"}}
        app.openapi_schema = document
    return app.openapi_schema


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return answers.refused(error.status_code, "http", str(error.detail),
                           headers=dict(error.headers or {}))


async def _defect(request: Request, error: Exception) -> Response:
    return answers.refused(500, "internal", answers.DEFECT)


def serve(settings: Settings, host: str, port: int) -> None:
    """Run the service until it is stopped (Ctrl-C, SIGTERM)."""
    import uvicorn

    uvicorn.run(create_app(settings), host=host, port=port)
