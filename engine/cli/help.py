"""`--help` in the reader's language: a parser whose help texts may be catalogue messages,
rendered when the help is printed, and the global `--lang` read before the parser is built.
A malformed command line is a CommandLineError, so that the caller reports it as the run
asks (argparse's usage and message, or JSON with --format json)."""

from __future__ import annotations

import argparse
import re
import sys
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
        """As argparse reports it, in the run's language: the usage, then the message;
        exit 2."""
        self.parser.print_usage(sys.stderr)
        self.parser.exit(2, localized(_("{prog}: error: {message}", prog=self.parser.prog,
                                        message=self.message)) + "\n")


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
        """argparse's refusal of a command line, in the catalogue's words where argparse
        words it so (argparse's own gettext domain is not reached by --lang)."""
        raise CommandLineError(self, usage_problem(message))


# argparse's messages of a wrong command line, as it words them (Python 3.11 to 3.13),
# and each as the catalogue has it: a named group of the pattern is a placeholder.
_ARGPARSE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), template) for pattern, template in (
        (r"the following arguments are required: (?P<names>.+)",
         _("the following arguments are required: {names}")),
        (r"unrecognized arguments: (?P<words>.+)", _("unrecognized arguments: {words}")),
        (r"one of the arguments (?P<names>.+) is required",
         _("one of the arguments {names} is required")),
        (r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)",
         _("ambiguous option: {option} could match {matches}")),
        (r"argument (?P<name>\S+): invalid choice: (?P<value>.+) \(choose from (?P<choices>.+)\)",
         _("argument {name}: invalid choice: {value} (choose from {choices})")),
        (r"argument (?P<name>\S+): invalid (?P<type>\w+) value: (?P<value>.+)",
         _("argument {name}: invalid {type} value: {value}")),
        (r"argument (?P<name>\S+): expected one argument",
         _("argument {name}: expected one argument")),
        (r"argument (?P<name>\S+): expected at least one argument",
         _("argument {name}: expected at least one argument")),
        (r"argument (?P<name>\S+): not allowed with argument (?P<other>\S+)",
         _("argument {name}: not allowed with argument {other}")),
        (r"argument (?P<name>\S+): ignored explicit argument (?P<value>.+)",
         _("argument {name}: ignored explicit argument {value}")),
    ))


def usage_problem(message: str) -> str:
    """An argparse message as a catalogue message where it is one argparse words so;
    else as it is."""
    for pattern, template in _ARGPARSE:
        match = pattern.fullmatch(message)
        if match:
            return _(template, **match.groupdict())
    return message


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
