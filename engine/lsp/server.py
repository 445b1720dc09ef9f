"""The language server: pygls speaks LSP over standard input and output, each open rule
file is a RuleDocument, and the answers are features.py's.

The client sends the whole text on each change (full sync: rule files are a few kilobytes,
and there is no edit to misapply). Diagnostics are published when a file opens and,
while it changes, once the typing has paused for DEBOUNCE_SECONDS; a request (hover,
completion ...) always reads the text as it is.
"""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from . import features
from .document import RuleDocument

DEBOUNCE_SECONDS = 0.3


class RuleServer(LanguageServer):
    """The server, with each open file's last analysis and last text that parsed."""

    def __init__(self, version: str, language: str):
        super().__init__("peie", version,
                         text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.language = language  # of the diagnostics and hovers
        self.analysed: dict[str, RuleDocument] = {}
        self.parsed: dict[str, RuleDocument] = {}  # for completion while a file is broken
        self.waiting: dict[str, asyncio.TimerHandle] = {}

    def document(self, uri: str) -> RuleDocument:
        """The open file at `uri`, analysed as its text now is."""
        text = self.workspace.get_text_document(uri).source
        found = self.analysed.get(uri)
        if found is None or found.text != text:
            encoding = self.workspace.position_encoding or types.PositionEncodingKind.Utf16
            found = RuleDocument(text, to_fs_path(uri) or uri, encoding)
            self.analysed[uri] = found
            if found.file is not None:
                self.parsed[uri] = found
        return found

    def publish(self, uri: str) -> None:
        self.waiting.pop(uri, None)
        version = self.workspace.get_text_document(uri).version
        found = features.diagnostics(self.document(uri), self.language)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=found, version=version))

    def publish_later(self, uri: str) -> None:
        if (waiting := self.waiting.pop(uri, None)) is not None:
            waiting.cancel()
        self.waiting[uri] = asyncio.get_running_loop().call_later(
            DEBOUNCE_SECONDS, self.publish, uri)

    def forget(self, uri: str) -> None:
        if (waiting := self.waiting.pop(uri, None)) is not None:
            waiting.cancel()
        self.analysed.pop(uri, None)
        self.parsed.pop(uri, None)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


def make_server(version: str, language: str) -> RuleServer:
    """The server with its features; `language` is that of its messages."""
    server = RuleServer(version, language)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: RuleServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: RuleServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.publish_later(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: RuleServer, params: types.DidSaveTextDocumentParams) -> None:
        ls.publish(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: RuleServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: RuleServer, params: types.HoverParams) -> types.Hover | None:
        return features.hover(ls.document(params.text_document.uri), params.position,
                              ls.language)

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def definition(ls: RuleServer, params: types.DefinitionParams) -> types.Location | None:
        uri = params.text_document.uri
        return features.definition(ls.document(uri), uri, params.position)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION)
    def completion(ls: RuleServer, params: types.CompletionParams) -> list[types.CompletionItem]:
        uri = params.text_document.uri
        document = ls.document(uri)
        return features.completion(document, ls.parsed.get(uri, document))

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: RuleServer, params: types.DocumentSymbolParams
                ) -> list[types.DocumentSymbol]:
        return features.symbols(ls.document(params.text_document.uri))

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: RuleServer, params: types.DocumentFormattingParams
                   ) -> list[types.TextEdit]:
        return features.formatting(ls.document(params.text_document.uri))

    return server


class _OneLine(logging.Formatter):
    """A log record on one line of standard error (the editor's log of the server): a
    message the client could not be answered about names its error, without the stack."""

    def format(self, record: logging.LogRecord) -> str:
        text = f"peie lsp: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text += f" ({type(error).__name__}: {error})"
        return text


def serve(version: str, language: str) -> None:
    """Answer LSP on standard input and output until the client says exit."""
    handler = logging.StreamHandler()
    handler.setFormatter(_OneLine())
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    make_server(version, language).start_io()
