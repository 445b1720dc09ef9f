"""The Chinese documents keep pace with the English ones: each English document below has
its Chinese counterpart, the two link to each other, and both run the same commands and
name the same `peie` subcommands, so that an example added to or changed in one and not
the other fails here; the Chinese language reference shows the English one's rule texts
in Chinese keywords, and both list the keywords of dsl/keywords.py. (That every example
of both runs as shown is tests/test_docs.py.)"""

from __future__ import annotations

import argparse
import posixpath
import re
from pathlib import PurePosixPath

import pytest
from lark import Lark
from lark.exceptions import LarkError
from test_docs import FENCE, ROOT, examples

from peie.cli.main import build_parser
from peie.dsl.keywords import CHINESE, ENGLISH, form_of, respelled

# English document -> its Chinese counterpart
COUNTERPARTS = {
    "README.md": "README.zh-CN.md",
    "docs/authoring.md": "docs/zh/authoring.md",
    "docs/language.md": "docs/zh/language.md",
    "docs/cli.md": "docs/zh/cli.md",
    "docs/versions.md": "docs/zh/versions.md",
}
IN_CHINESE = re.compile(r"\bpeie --lang zh\b")  # how the Chinese examples call peie
MENTION = re.compile(r"\bpeie (?:--lang \w+ )?([a-z]+)\b")


def subcommands() -> set[str]:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def commands(doc: str) -> set[str]:
    """The command lines the document's examples run, each peie in its default language."""
    return {IN_CHINESE.sub("peie", c) for e in examples(doc) for c in e.commands()}


def mentioned(doc: str) -> set[str]:
    """The peie subcommands the document names anywhere: examples, tables, prose."""
    text = (ROOT / doc).read_text(encoding="utf-8")
    return set(MENTION.findall(text)) & subcommands()


@pytest.mark.parametrize("english", COUNTERPARTS)
def test_the_chinese_counterpart_runs_the_same_commands(english: str) -> None:
    chinese = COUNTERPARTS[english]
    assert (ROOT / chinese).is_file(), f"{english} has no Chinese counterpart {chinese}"
    assert commands(chinese) == commands(english)


@pytest.mark.parametrize("english", COUNTERPARTS)
def test_the_chinese_counterpart_names_the_same_subcommands(english: str) -> None:
    assert mentioned(COUNTERPARTS[english]) == mentioned(english)


@pytest.mark.parametrize("chinese", COUNTERPARTS.values())
def test_the_chinese_examples_ask_peie_for_chinese(chinese: str) -> None:
    """Every peie the Chinese examples run is `peie --lang zh` (the README's set-up line
    runs it from the virtual environment, .venv/bin/peie --lang zh)."""
    called = [c for e in examples(chinese) for c in e.commands() if re.search(r"\bpeie ", c)]
    assert called
    assert [c for c in called if re.search(r"\bpeie (?!--lang zh\b)", c)] == []


@pytest.mark.parametrize("english", COUNTERPARTS)
def test_each_links_to_the_other(english: str) -> None:
    chinese = COUNTERPARTS[english]
    english_text = (ROOT / english).read_text(encoding="utf-8")
    chinese_text = (ROOT / chinese).read_text(encoding="utf-8")
    english_name = english.rpartition("/")[2]
    assert f"](../{english_name})" in chinese_text or f"]({english_name})" in chinese_text
    if english == "README.md":  # the other English documents are edited by others
        assert "](README.zh-CN.md)" in english_text.split("\n## ")[0]


@pytest.mark.parametrize("doc", ["docs/language.md", "docs/zh/language.md"])
def test_the_keyword_table_is_the_grammars(doc: str) -> None:
    """§22 of both references lists every keyword with its Chinese forms as
    dsl/keywords.py has them (the first the one `peie fmt --keywords zh` writes), each once,
    and nothing else."""
    section = (ROOT / doc).read_text(encoding="utf-8").split("\n## 22. ")[1]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", section, re.M)
    listed = {english: tuple(re.findall(r"`([^`]+)`", forms)) for english, forms in rows}
    assert len(listed) == len(rows)
    assert listed == CHINESE


def test_the_chinese_reserved_words_are_the_keywords() -> None:
    text = (ROOT / "docs/zh/language.md").read_text(encoding="utf-8")
    block = text.split("它们的中文写法（第 22 节）同样是保留字：\n\n```\n")[1].split("```")[0]
    assert block.split() == [word for forms in CHINESE.values() for word in forms]


LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(path: str) -> set[str]:
    """The anchors of a document's headings, as GitHub makes them."""
    text = (ROOT / path).read_text(encoding="utf-8")
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.*)$", FENCE.sub("", text), re.M)}


@pytest.mark.parametrize("chinese", COUNTERPARTS.values())
def test_the_chinese_links_lead_somewhere(chinese: str) -> None:
    """Each relative link of a Chinese document names a file of the repository, and each
    anchor a heading of its document."""
    text = FENCE.sub("", (ROOT / chinese).read_text(encoding="utf-8"))
    folder = PurePosixPath(chinese).parent
    for target in LINK.findall(text):
        if re.match(r"\w+://", target):
            continue
        path, _, anchor = target.partition("#")
        linked = posixpath.normpath(folder / path) if path else chinese
        assert (ROOT / linked).is_file(), f"{chinese}: {target}"
        assert not anchor or anchor in anchors(linked), f"{chinese}: {target}"


GRAMMAR = Lark.open_from_package("peie.dsl", "grammar.lark", parser="lalr", lexer="basic")
CJK = re.compile(r"[\u4e00-\u9fff]")


def in_english(block: str) -> str | None:
    """A block of rule text with its keywords in English; None for a block that is not a
    rule's text (output, a template with placeholder names, a list of keywords)."""
    lines, chinese, other = [], False, False
    for line in block.split("\n"):
        if line.strip() == "...":
            lines.append(line)
            continue
        try:
            tokens = list(GRAMMAR.lex(line))
        except LarkError:
            return None
        if any(t.type == "NAME" and CJK.search(t) for t in tokens):
            return None
        chinese = chinese or any(t in ENGLISH and form_of(t) == "zh" for t in tokens)
        other = other or any(t not in ENGLISH for t in tokens)
        lines.append(respelled(line, tokens, "en"))
    return "\n".join(lines) if chinese and other else None


def test_the_chinese_reference_shows_the_english_references_rules() -> None:
    """Each rule text of the Chinese reference is one of the English reference, its keywords
    in Chinese, so that the two show the same rules."""
    def blocks(doc: str) -> list[str]:
        return [m["body"] for m in FENCE.finditer((ROOT / doc).read_text(encoding="utf-8"))
                if m["info"] == ""]
    english = set(blocks("docs/language.md"))
    shown = [rule for rule in map(in_english, blocks("docs/zh/language.md")) if rule]
    assert len(shown) >= 20
    assert [rule for rule in shown if rule not in english] == []
