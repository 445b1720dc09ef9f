"""How a request is worked on: the token checked for an issuing one, the body read within
its size limit, then parsed, validated and answered on one of a few worker threads, all
within the time limit, so that a slow request answers 408, 503 or 504 instead of hanging
and the event loop stays free for the others."""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from functools import partial
from typing import Any

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response

from peie.collector import collector_paused
from peie.errors import PeieError

from . import answers
from .settings import Settings

Endpoint = Callable[[Any], str]  # the validated request -> the answer's JSON text


class Service:
    """The running service's settings, its workers, and the one lock that lets a single
    issuing run at a time reach the ledger."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.limits = settings.limits
        self._pool = ThreadPoolExecutor(self.limits.threads, thread_name_prefix="peie")
        self._free: asyncio.Semaphore | None = None  # made in the event loop's thread
        self._issuing = threading.Lock()

    async def answer(self, request: Request, endpoint: Endpoint, ask: type[BaseModel],
                     issuing: bool) -> Response:
        """The answer to `request`, all of it (the body's arrival too) within the time
        limit."""
        deadline = asyncio.get_running_loop().time() + self.limits.seconds
        if issuing and (refusal := self._refusal(request)) is not None:
            return refusal
        given: bytes | dict[str, str]
        if request.method == "GET":
            given = dict(request.query_params)
        else:
            try:
                body = await asyncio.wait_for(read_body(request, self.limits.body_bytes),
                                              self.limits.seconds)
            except TimeoutError:
                return answers.refused(408, "timeout", answers.BODY_LATE.format(
                    seconds=self.limits.seconds))
            if body is None:
                return answers.refused(413, "limit", answers.BODY_TOO_LARGE.format(
                    limit=self.limits.body_bytes))
            given = body
        work = partial(self._work, endpoint, ask, given, issuing)
        return await self._within_limits(work, issuing, deadline)

    def _refusal(self, request: Request) -> Response | None:
        token = self.settings.token
        if not token:
            return answers.refused(403, "token", answers.NO_TOKEN)
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(),
                                                              token.encode()):
            return None
        return answers.refused(401, "token", answers.WRONG_TOKEN,
                               headers={"WWW-Authenticate": "Bearer"})

    async def _within_limits(self, work: Callable[[threading.Event], Response],
                             issuing: bool, deadline: float) -> Response:
        """`work` on a worker thread; 503 when none is free by the deadline, 504 when it
        is not done by then (the thread finishes on its own: Python cannot stop it, and
        its worker is free again only then, so that an overloaded service sheds
        requests)."""
        loop = asyncio.get_running_loop()
        seconds = self.limits.seconds
        if self._free is None:
            self._free = asyncio.Semaphore(self.limits.threads)
        free = self._free
        try:
            await asyncio.wait_for(free.acquire(), deadline - loop.time())
        except TimeoutError:
            return answers.refused(503, "busy", answers.BUSY.format(seconds=seconds))
        abandoned = threading.Event()
        future = loop.run_in_executor(self._pool, work, abandoned)
        future.add_done_callback(lambda _: free.release())
        try:
            return await asyncio.wait_for(asyncio.shield(future), deadline - loop.time())
        except TimeoutError:
            abandoned.set()
            late = answers.LATE_ISSUING if issuing else answers.LATE
            return answers.refused(504, "timeout", late.format(seconds=seconds))

    def _work(self, endpoint: Endpoint, ask: type[BaseModel], given: bytes | dict[str, str],
              issuing: bool, abandoned: threading.Event) -> Response:
        # The request's objects, made by the ten thousand, hold no cycles: the collector
        # is paused among them as the engine pauses it (a tenth of a large request).
        with collector_paused():
            return self._answered(endpoint, ask, given, issuing, abandoned)

    def _answered(self, endpoint: Endpoint, ask: type[BaseModel],
                  given: bytes | dict[str, str], issuing: bool,
                  abandoned: threading.Event) -> Response:
        place = "body" if isinstance(given, bytes) else "query"
        try:
            request = ask.model_validate(parse_json(given) if isinstance(given, bytes)
                                         else given)
        except NotJson as error:
            return answers.request_problems([{"location": ["body"], "message": str(error)}])
        except ValidationError as error:
            return answers.not_matching(error, place)
        units = len(getattr(request, "units", ()))
        if units > self.limits.units:
            return answers.refused(413, "limit", answers.TOO_MANY_UNITS.format(
                limit=self.limits.units, count=units))
        try:
            if not issuing:
                return answers.answer(200, endpoint(request))
            with self._issuing:
                if abandoned.is_set():  # given up while it waited: it issues nothing
                    return answers.refused(504, "timeout", answers.LATE.format(
                        seconds=self.limits.seconds))
                return answers.answer(200, endpoint(request))
        except PeieError as error:
            return answers.user_error(error, endpoint.__name__)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is larger than `limit` bytes (refused before it is read
    when its Content-Length says so)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class NotJson(ValueError):
    pass


def parse_json(body: bytes) -> Any:
    """JSON with its numbers kept exact (a fraction as a Decimal, never a float); NaN and
    Infinity, which JSON has not, are refused."""
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
        reason = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        where = (f" at line {error.lineno} column {error.colno}"
                 if isinstance(error, json.JSONDecodeError) else "")
        raise NotJson(answers.NOT_JSON.format(reason=reason + where)) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
