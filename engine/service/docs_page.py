"""The API docs page (/docs): every endpoint and schema of the OpenAPI document on one
HTML page, with no script and nothing fetched from elsewhere, so that it works offline."""

from __future__ import annotations

import html
import json
import re
from typing import Any

_REF = re.compile(r"&quot;#/components/schemas/([A-Za-z0-9_.-]+)&quot;")
_STYLE = ("body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
          "pre{background:#f4f4f4;padding:.5em;overflow-x:auto}h3{margin-top:2em}"
          "code.method{font-weight:bold}")


def docs_page(openapi: dict[str, Any]) -> str:
    info = openapi.get("info", {})
    parts = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
             f"<title>{_e(info.get('title', ''))} API</title><style>{_STYLE}</style></head>",
             f"<body><h1>{_e(info.get('title', ''))} API {_e(info.get('version', ''))}</h1>",
             f"<p>{_e(info.get('description', ''))}</p>",
             "<p>The machine-readable document: <a href='/openapi.json'>/openapi.json</a>."
             "</p><h2>Endpoints</h2>"]
    for path, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            parts += _operation(method, path, operation)
    parts.append("<h2>Schemas</h2>")
    for name, schema in openapi.get("components", {}).get("schemas", {}).items():
        parts += [f"<h3 id='schema-{_e(name)}'>{_e(name)}</h3>", _json(schema)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _operation(method: str, path: str, operation: dict[str, Any]) -> list[str]:
    parts = [f"<h3><code class='method'>{_e(method.upper())}</code> <code>{_e(path)}</code>"
             "</h3>", f"<p>{_e(operation.get('description') or operation.get('summary', ''))}"
             "</p>"]
    if operation.get("security"):
        parts.append("<p>Needs the service's token: <code>Authorization: Bearer TOKEN"
                     "</code>.</p>")
    parameters = operation.get("parameters", [])
    if parameters:
        parts.append("<p>Query parameters:</p><ul>" + "".join(
            f"<li><code>{_e(p['name'])}</code>: {_json(p.get('schema', {}), inline=True)}"
            f" {_e(p.get('description', ''))}</li>" for p in parameters) + "</ul>")
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body:
        parts += ["<p>Request body:</p>", _json(body.get("schema", {}))]
    parts.append("<p>Answers:</p><ul>")
    for status, response in operation.get("responses", {}).items():
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        parts.append(f"<li>{_e(status)} {_e(response.get('description', ''))}: "
                     f"{_json(schema, inline=True)}</li>")
    parts.append("</ul>")
    return parts


def _json(schema: dict[str, Any], inline: bool = False) -> str:
    text = _e(json.dumps(schema, ensure_ascii=False, indent=None if inline else 2))
    linked = _REF.sub(lambda m: f"<a href='#schema-{m[1]}'>{m[1]}</a>", text)
    return f"<code>{linked}</code>" if inline else f"<pre>{linked}</pre>"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
