"""The keywords of the rule language in their two forms, English and Chinese, and the
conversion of a file's keywords from one form to the other.

Each English keyword has one Chinese form that `peie fmt --keywords zh` writes, and a
few have a synonym that is read as well (若 and 如果 are both `if`). The grammar spells
each keyword as a rule `_word: "word" | "中文" ...` (tests/test_keywords.py checks that
grammar.lark and this table agree); the reasons for each choice are in docs/language.md,
"Chinese keywords / 中文关键字".

A Chinese keyword is a whole name, never a part of one: the lexer reads the longest name
and takes it as a keyword only if all of it is one, so `输入量` is a name and `输入` a
keyword, as `inputs` is a name and `input` a keyword.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from lark import Token

Form = Literal["en", "zh"]
FORMS: tuple[Form, ...] = ("en", "zh")

# English -> its Chinese forms, the one `fmt --keywords zh` writes first; in the
# grammar's order.
CHINESE: dict[str, tuple[str, ...]] = {
    "sector": ("行业",),
    "version": ("版本",),
    "status": ("状态",),
    "effective": ("生效",),
    "to": ("至",),
    "published": ("发布",),
    "source": ("来源",),
    "enum": ("分类",),
    "input": ("输入",),
    "in": ("属于",),
    "optional": ("可选",),
    "default": ("默认",),
    "required": ("必填",),
    "when": ("当",),
    "table": ("表",),
    "by": ("按",),
    "bracket": ("阶梯",),
    "over": ("依据",),
    "param": ("参数",),
    "let": ("令",),
    "allocation": ("配额",),
    "emissions": ("排放量",),
    "ensure": ("确保",),
    "preallocation": ("预分配",),
    "of": ("的",),
    "base": ("基准",),
    "year": ("年",),
    "previous": ("上一",),
    "none": ("无",),
    "basis": ("基数",),
    "rounding": ("取整",),
    "facility": ("企业",),
    "obligation": ("清缴",),
    "inf": ("无穷",),
    "if": ("若", "如果"),
    "then": ("则",),
    "else": ("否则",),
    "or": ("或", "或者"),
    "and": ("且", "并且"),
    "not": ("非",),
}

ENGLISH: dict[str, str] = {
    word: english for english, words in CHINESE.items() for word in (english, *words)
}  # every form of a keyword -> its English form


def form_of(word: str) -> Form:
    """The form a keyword is written in."""
    return "en" if ENGLISH[word] == word else "zh"


def spelled(word: str, form: Form) -> str:
    """A keyword in the form given: English, or its first Chinese form. A Chinese synonym
    asked for in Chinese stays as it is."""
    english = ENGLISH[word]
    if form == "en":
        return english
    return word if form_of(word) == "zh" else CHINESE[english][0]


def keyword_tokens(tokens: Iterable[Token]) -> Iterator[Token]:
    """The keywords among a text's tokens. A token that reads as a keyword is one: the
    lexer gives a name that is a keyword the keyword's type, and a quoted text keeps its
    quotes."""
    return (t for t in tokens if t in ENGLISH)


def majority_form(tokens: Iterable[Token]) -> Form:
    """The form most of these keywords are written in; English on a tie (or none)."""
    forms = [form_of(t) for t in keyword_tokens(tokens)]
    return "zh" if forms.count("zh") > forms.count("en") else "en"


def respelled(text: str, tokens: Iterable[Token], form: Form) -> str:
    """`text` with each of its keywords (among `tokens`, the text's) written in `form`,
    every other character kept."""
    pieces, done = [], 0
    for token in keyword_tokens(tokens):
        assert token.start_pos is not None and token.end_pos is not None
        pieces += [text[done : token.start_pos], spelled(token, form)]
        done = token.end_pos
    return "".join(pieces) + text[done:]
