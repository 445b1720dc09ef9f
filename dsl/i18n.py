"""Messages in the reader's language: catalogues of translations, chosen at run time.

A message is made with ``_("unknown name '{name}'", name=n)`` (or ``ngettext`` when it
counts something). The result is a :class:`Message`: a ``str`` whose value is the English
text, so JSON, the service and every comparison stay the same in every language, and
which keeps its template and arguments, so :func:`localized` renders it in the chosen
language when a person reads it. The templates are the catalogue's ids (gettext ``msgid``);
the translations are ``locale/<lang>.po`` files beside this module, read with Babel.

The language is chosen by :func:`choose_language` (``--lang``, ``PEIE_LANG``, the locale)
and set for the run with :func:`set_language`; without it everything is English. This
module lives in the dsl because the rule diagnostics need it and the dsl imports nothing
of the engine.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

LANGUAGES = ("en", "zh")
"""The languages peie speaks; English is the language of the source and the fallback."""

_language: contextvars.ContextVar[str] = contextvars.ContextVar("peie_language",
                                                                default="en")


class Message(str):
    """English text that remembers how it was made, to be rendered in another language.

    ``template`` is the catalogue id (for a plural, the pair of forms and ``number``);
    ``args`` are the named placeholders' values, themselves Messages where they are text
    of their own.
    """

    template: str | tuple[str, str]
    args: dict[str, Any]
    number: int | None  # what a plural counts (not `count`, which str has)

    def __new__(cls, template: str | tuple[str, str], args: Mapping[str, Any],
                number: int | None = None) -> Message:
        args = dict(args)
        self = super().__new__(cls, _render(template, args, number, "en"))
        self.template, self.args, self.number = template, args, number
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        # The English value is recomputed from the template, so a pickled Message (batch
        # workers, caches) comes back whole.
        return (Message, (self.template, self.args, self.number))

    def translated(self, language: str | None = None) -> str:
        """This message in `language` (the run's language when None)."""
        return _render(self.template, self.args, self.number, language or _language.get())


def _(template: str, /, **args: Any) -> Message:
    """The catalogue message `template`, its ``{name}`` placeholders filled from `args`."""
    return Message(template, args)


def ngettext(singular: str, plural: str, count: int, /, **args: Any) -> Message:
    """A message that counts: `singular` when `count` is 1 in English, `plural` otherwise
    (Chinese has one form); ``{count}`` is available to both."""
    return Message((singular, plural), {"count": count, **args}, count)


def joined(items: Iterable[object], separator: str = ", ") -> Message:
    """`items` (Messages among them) joined by `separator`, each in the reader's language
    when the whole is rendered."""
    parts = {f"item{i}": item for i, item in enumerate(items)}
    return Message(separator.join(f"{{{key}}}" for key in parts), parts)


def localized(text: object, language: str | None = None) -> str:
    """`text` as a person reads it: a Message in the chosen language, anything else as
    it is (names, numbers, and messages not yet in the catalogue)."""
    if isinstance(text, Message):
        return text.translated(language)
    return str(text)


def localized_each(texts: Iterable[object], language: str | None = None) -> tuple[str, ...]:
    """Each of `texts` as :func:`localized` renders it (a table's headings, say)."""
    return tuple(localized(text, language) for text in texts)


def _render(template: str | tuple[str, str], args: dict[str, Any], count: int | None,
            language: str) -> str:
    text = _lookup(template, count, language)
    if not args:
        return text
    if language == "en":  # a Message, or a type whose str() is one, formats as its English
        return text.format(**args)
    return text.format(**{k: _value(v, language) for k, v in args.items()})


def _value(value: Any, language: str) -> Any:
    """A placeholder's value: catalogue text (a Message, or an object such as a rule's
    type whose str() is one) in `language`; anything else as it is, for its format spec."""
    if isinstance(value, Message):
        return value.translated(language)
    if not isinstance(value, str | int | float):
        shown = str(value)
        if isinstance(shown, Message):
            return shown.translated(language)
    return value


def _lookup(template: str | tuple[str, str], count: int | None, language: str) -> str:
    singular, plural = (template, template) if isinstance(template, str) else template
    if language == "en":
        return singular if count is None or count == 1 else plural
    translation = catalogue(language).get(singular)
    if isinstance(translation, tuple):
        # Chinese, the only other language so far, has a single plural form.
        return translation[0]
    if translation:
        return translation
    return singular if count is None or count == 1 else plural


@functools.cache
def catalogue(language: str) -> dict[str, str | tuple[str, ...]]:
    """The translations of `language` by English template; empty for English. Fuzzy and
    untranslated entries are left out, so the English shows instead of a guess."""
    if language == "en":
        return {}
    from babel.messages.pofile import read_po  # only when a translation is asked for

    path = resources.files(__package__).joinpath("locale", f"{language}.po")
    with path.open("rb") as handle:
        po = read_po(handle)
    out: dict[str, str | tuple[str, ...]] = {}
    for entry in po:
        if not entry.id or entry.fuzzy:
            continue
        key = str(entry.id[0] if isinstance(entry.id, tuple | list) else entry.id)
        string = entry.string
        if isinstance(string, tuple) and all(string) or isinstance(string, str) and string:
            out[key] = string
    return out


def choose_language(option: str | None, environ: Mapping[str, str]) -> str:
    """The language of a run: `option` (``--lang``), else ``PEIE_LANG``, else the locale
    (the first set of ``LC_ALL``, ``LC_MESSAGES``, ``LANG``, as gettext reads them).
    Either is Chinese when it starts with ``zh`` (``zh``, ``zh_CN.UTF-8``, ``zh-Hans``),
    English otherwise (``C``, ``en_US``, a language peie does not speak)."""
    if option:
        return option
    for variable in ("PEIE_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(variable, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def beside(code: str, label: str | None) -> str:
    """A code as a person reads it, its label beside it in the run's order: `power 电力`,
    in Chinese `电力 power`; a code without a label (or labelled by itself) alone."""
    if not label or label == code:
        return code
    return f"{label} {code}" if _language.get() == "zh" else f"{code} {label}"


def set_language(language: str) -> contextvars.Token[str]:
    """Make `language` the run's language (a token to reset it with :func:`reset_language`)."""
    if language not in LANGUAGES:
        raise ValueError(f"peie speaks {', '.join(LANGUAGES)}, not {language!r}")
    return _language.set(language)


def reset_language(token: contextvars.Token[str]) -> None:
    _language.reset(token)


def language() -> str:
    """The run's language."""
    return _language.get()


__all__ = ["LANGUAGES", "Message", "_", "beside", "catalogue", "choose_language", "joined",
           "language", "localized", "localized_each", "ngettext", "reset_language",
           "set_language"]
