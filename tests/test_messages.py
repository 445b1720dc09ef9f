"""Every catalogue message of the source has its Chinese translation, with the same
placeholders; a message renders in the run's language and stays English for JSON."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir

from peie.dsl.i18n import (
    _,
    catalogue,
    choose_language,
    localized,
    ngettext,
    reset_language,
    set_language,
)

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)")


def _source_messages() -> dict[str, str]:
    found = {}
    for folder in ("dsl", "engine"):
        for name, line, message, _c, _x in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")]):
            key = message[0] if isinstance(message, tuple) else message
            found[key] = f"{folder}/{name}:{line}"
    return found


def test_every_message_of_the_source_is_translated_with_its_placeholders():
    zh = catalogue("zh")
    source = _source_messages()
    missing = [f"{where}: {key!r}" for key, where in source.items() if key not in zh]
    assert not missing, "messages without a Chinese translation in dsl/locale/zh.po:\n" + \
        "\n".join(missing)
    for key in source:
        translation = zh[key]
        text = translation[0] if isinstance(translation, tuple) else translation
        assert set(PLACEHOLDER.findall(text)) <= set(PLACEHOLDER.findall(key)) | {"count"}, key


def test_a_message_is_english_text_rendered_in_the_chosen_language():
    message = _(", row {row}", row=7)
    assert message == ", row 7"
    assert localized(message, "zh") == "，第 7 行"
    token = set_language("zh")
    try:
        assert localized(message) == "，第 7 行"
        assert str(message) == ", row 7"  # JSON and comparisons stay English
    finally:
        reset_language(token)
    assert localized(message) == ", row 7"
    assert pickle.loads(pickle.dumps(message)).translated("zh") == "，第 7 行"


def test_plurals_count_in_english_and_have_one_form_in_chinese():
    one = ngettext("{count} error in rule files", "{count} errors in rule files", 1)
    two = ngettext("{count} error in rule files", "{count} errors in rule files", 2)
    assert (one, two) == ("1 error in rule files", "2 errors in rule files")
    assert localized(two, "zh") == "规则文件中有 2 处错误"


def test_the_language_is_the_option_then_peie_lang_then_the_locale():
    assert choose_language("en", {"PEIE_LANG": "zh"}) == "en"
    assert choose_language(None, {"PEIE_LANG": "zh", "LANG": "en_US.UTF-8"}) == "zh"
    assert choose_language(None, {"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US"}) == "zh"
    assert choose_language(None, {"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}) == "en"
    assert choose_language(None, {"LC_MESSAGES": "zh_TW.UTF-8"}) == "zh"
    assert choose_language(None, {}) == "en"


def test_a_locale_or_peie_lang_that_starts_with_zh_is_chinese():
    for chinese in ("zh", "zh_CN", "zh_CN.UTF-8", "zh-Hans", "ZH_cn.utf8", "zh_TW.Big5"):
        assert choose_language(None, {"PEIE_LANG": chinese}) == "zh", chinese
        assert choose_language(None, {"LANG": chinese}) == "zh", chinese
    for english in ("C", "C.UTF-8", "POSIX", "en_US", "en_GB.UTF-8", "fr_FR.UTF-8"):
        assert choose_language(None, {"PEIE_LANG": english, "LANG": "zh_CN"}) == "en", english
        assert choose_language(None, {"LC_ALL": english, "LANG": "zh_CN"}) == "en", english


def test_the_command_line_reports_in_chinese_with_lang_zh(tmp_path, capsys):
    from peie.cli import main

    rule = tmp_path / "bad.rule"
    rule.write_text("this is not a rule\n", encoding="utf-8")
    assert main(["--lang", "zh", "check", str(rule)]) == 1
    err = capsys.readouterr().err
    assert f"{rule}:1:" in err and ": 错误: " in err
    assert "规则文件中有 1 处错误" in err
    assert main(["--lang", "en", "check", str(rule)]) == 1
    assert "1 error in rule files" in capsys.readouterr().err


FIELD = re.compile(r"\{(\w+)(:[^}]*)?\}")


def test_every_translation_renders_with_the_values_its_english_takes():
    """Each message of zh.po formats with the values its English template takes (a number
    where the template gives a format spec, text elsewhere), and shows each value that
    its translation names: no stray brace, no placeholder lost or misspelt."""
    for key, translation in catalogue("zh").items():
        plural = isinstance(translation, tuple)
        fields = {name: 1234 if spec else f"<{name}>" for name, spec in FIELD.findall(key)}
        if plural:
            fields.pop("count", None)
            message = ngettext(key, key, 2, **fields)
        else:
            message = _(key, **fields)
        if not fields and not plural:
            continue  # rendered as it is written, braces and all
        text = localized(message, "zh")
        values = {**fields, "count": 2} if plural else fields
        for name, spec in FIELD.findall(translation[0] if plural else translation):
            assert format(values[name], spec[1:]) in text, (key, text)
