"""`--help` in the reader's language: a parser whose help texts may be catalogue messages,
rendered when the help is printed, and the global `--lang` read before the parser is built.
A malformed command line is a CommandLineError, so that the caller reports it as the run
asks (argparse's usage and message, or JSON with --format json)."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from peie.dsl.i18n import LANGUAGES, _, choose_language, localized


class HelpFormatter(argparse.HelpFormatter):
    """Help texts, descriptions, headings and the usage line in the run's language."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return None if action.help is None else localized(action.help)

    def _format_text(self, text: str) -> str:
        return super()._format_text(localized(text))

    def start_section(self, heading: str | None) -> None:
        super().start_section(None if heading is None else localized(heading))

    def add_usage(self, usage: str | None, actions: Any, groups: Any,
                  prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups,
                          localized(_("usage: ")) if prefix is None else prefix)


class CommandLineError(Exception):
    """A malformed command line (exit 2): `parser` is the (sub-)command's, whose usage
    goes with `message`."""

    def __init__(self, parser: argparse.ArgumentParser, message: str):
        super().__init__(message)
        self.parser, self.message = parser, message

    def report(self) -> NoReturn:
        """As argparse reports it: the usage, then the message; exit 2."""
        argparse.ArgumentParser.error(self.parser, self.message)


class Parser(argparse.ArgumentParser):
    """An argument parser whose sub-commands (same class) print help through
    HelpFormatter, argparse's own headings among the catalogue's messages."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = _("show this help message and exit")

    def error(self, message: str) -> NoReturn:
        raise CommandLineError(self, message)


def lang_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", choices=LANGUAGES,
                        help=_("the language of messages, help and tables (default: "
                               "$PEIE_LANG, else the locale: zh when it starts with zh, "
                               "else en)"))


def asks_json(argv: Sequence[str]) -> bool:
    """Whether a command line, malformed perhaps, asks for --format json (`--format json`,
    `--format=json`, or an abbreviation argparse takes, `--form json`)."""
    words = list(argv)
    for index, word in enumerate(words):
        name, equals, value = word.partition("=")
        if len(name) > 3 and "--format".startswith(name):
            given = value if equals else (words[index + 1] if index + 1 < len(words) else "")
            if given == "json":
                return True
    return False


def run_language(argv: Sequence[str], environ: Mapping[str, str]) -> str:
    """The language of this run, read before the parser is built so that its own --help
    is in that language; a wrong --lang is left for the parser to refuse."""
    early = argparse.ArgumentParser(add_help=False)
    early.add_argument("--lang")
    known, _rest = early.parse_known_args(argv)
    return choose_language(known.lang if known.lang in LANGUAGES else None, environ)
