"""`peie serve`: the service (peie.service, docs/service.md) on a host and port, until it
is stopped. The web stack is imported only when the command runs."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

from peie.dsl.i18n import _
from peie.errors import UsageError
from peie.service import settings

from .options import ledger_arg, rules_arg

TOKEN_ENV = "PEIE_TOKEN"
SHORTEST_TOKEN = 16


def cmd_serve(args: argparse.Namespace) -> int:
    from peie.service import serve

    token = args.token or os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < SHORTEST_TOKEN:
        raise UsageError(_("the token must be at least {length} characters long; make "
                           "one with: python -c 'import secrets; print(secrets.token_urlsafe())'",
                           length=SHORTEST_TOKEN))
    limits = settings.Limits(body_bytes=args.max_body_mib * 1024 * 1024, units=args.max_units,
                             seconds=args.timeout, threads=args.threads)
    serve(settings.Settings(tuple(args.rules or ()), args.ledger, token, limits),
          args.host, args.port)
    return 0


def _positive(kind: Callable[[str], Any]) -> Callable[[str], Any]:
    def read(text: str) -> Any:
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, not {text}")
        return value

    return read


def _port(text: str) -> int:
    value = int(text)
    if not 0 < value < 65536:
        raise argparse.ArgumentTypeError(f"a port is 1 to 65535, not {text}")
    return value


def add_serve_command(sub: argparse._SubParsersAction  # type: ignore[type-arg]
                      ) -> None:
    p = sub.add_parser("serve", help=_("answer over HTTP: check, allocate, explain, position, "
                                       "diff, the ledger (docs/service.md)"))
    p.add_argument("--host", default="127.0.0.1", help=_("the address to listen on (default "
                                                         "127.0.0.1: this machine only)"))
    p.add_argument("--port", type=_port, default=8000, help=_("default 8000"))
    rules_arg(p)
    ledger_arg(p)
    p.add_argument("--token", help=_("the token that issuing requests must bear (default: "
                                     "${variable}); without one, the service issues nothing",
                                     variable=TOKEN_ENV))
    limits = settings.Limits()
    p.add_argument("--max-body-mib", type=_positive(int), metavar="N",
                   default=limits.body_bytes // (1024 * 1024),
                   help=_("the largest request body, in MiB (default %(default)s)"))
    p.add_argument("--max-units", type=_positive(int), metavar="N", default=limits.units,
                   help=_("the most units in one request (default %(default)s)"))
    p.add_argument("--timeout", type=_positive(float), metavar="SECONDS",
                   default=limits.seconds,
                   help=_("the longest a request may take (default %(default)s)"))
    p.add_argument("--threads", type=_positive(int), metavar="N", default=limits.threads,
                   help=_("requests worked on at once (default %(default)s)"))
    p.set_defaults(run=cmd_serve)
