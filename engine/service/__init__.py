"""peie as a web service (`peie serve`, docs/service.md): the application layer
(peie.api) behind an HTTP API on FastAPI and uvicorn, answering with the documents of
peie.report. Names are imported on first use, so that `peie` builds its command line
(which reads the default limits from peie.service.settings) without the web stack.

Modules: app (the application, `serve`), routes (the endpoints), running (how a request
is worked on: token, limits, worker threads), models (the request and answer types the
OpenAPI document is made from), answers (errors and limits as JSON), settings, docs_page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peie._exports import lazy_exports

_EXPORTS = {"Limits": ".settings", "Settings": ".settings", "create_app": ".app",
            "serve": ".app"}
__all__ = ["Limits", "Settings", "create_app", "serve"]

if TYPE_CHECKING:
    from .app import create_app, serve
    from .settings import Limits, Settings

__getattr__ = lazy_exports(__name__, _EXPORTS)
