"""`peie lsp` driven by a real client over standard input and output: a subprocess, spoken
to in LSP's JSON-RPC framing (written here, so the test depends on no client library),
every wait bounded. Places are LSP's: lines from 0, columns in UTF-16 code units, computed
here from the texts themselves."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from peie.api import laid_out

ROOT = Path(__file__).resolve().parent.parent
POWER = ROOT / "rules" / "power.rule"
WAIT = 20.0  # seconds, at most, for any one answer (a slow shared machine)
PEIE = str(Path(sys.executable).parent / "peie")

Message = dict[str, Any]


class Client:
    """An LSP client over a subprocess's pipes: requests wait for their answer, and the
    server's notifications are kept for `notification` to find."""

    def __init__(self, *args: str):
        self.process = subprocess.Popen([PEIE, *args, "lsp"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.inbox: queue.Queue[Message | None] = queue.Queue()
        self.kept: list[Message] = []
        self.next_id = 0
        self.answer: Message = {}  # to `initialize`
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.process.stdout
        assert out is not None
        while True:
            headers: dict[str, str] = {}
            while (line := out.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("ascii").partition(":")
                headers[name.strip().lower()] = value.strip()
            if not line:
                self.inbox.put(None)  # the server closed its output
                return
            self.inbox.put(json.loads(out.read(int(headers["content-length"]))))

    def _send(self, message: Message) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        stdin.flush()

    def _next(self) -> Message:
        message = self.inbox.get(timeout=WAIT)
        assert message is not None, "the server stopped"
        if "method" in message and "id" in message:  # a request of the server's
            self._send({"id": message["id"], "result": None})
        return message

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        self._send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self._next()
            if message.get("id") == self.next_id and "method" not in message:
                assert "error" not in message, message["error"]
                return message.get("result")
            self.kept.append(message)

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def notification(self, method: str, where: Callable[[Any], bool]) -> Any:
        """The params of the first notification `method` (kept or to come) that `where`
        holds of, taken from those kept."""
        while True:
            for message in self.kept:
                if message.get("method") == method and where(message["params"]):
                    self.kept.remove(message)
                    return message["params"]
            self.kept.append(self._next())

    def diagnostics(self, uri: str, version: int | None = None) -> list[Message]:
        params = self.notification(
            "textDocument/publishDiagnostics",
            lambda p: p["uri"] == uri and (version is None or p.get("version") == version))
        return params["diagnostics"]

    def open(self, uri: str, text: str) -> None:
        self.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "peie", "version": 1, "text": text}})

    def at(self, method: str, uri: str, line: int, character: int) -> Any:
        return self.request(method, {"textDocument": {"uri": uri},
                                     "position": {"line": line, "character": character}})

    def stop(self) -> int:
        self.request("shutdown", None)
        self.notify("exit", None)
        try:
            return self.process.wait(timeout=WAIT)
        finally:
            if self.process.poll() is None:
                self.process.kill()


def started(*args: str, capabilities: Message | None = None) -> Client:
    """A server with the handshake done; its answer to `initialize` in `answer`."""
    client = Client(*args)
    client.answer = client.request("initialize", {
        "processId": None, "rootUri": None, "capabilities": capabilities or {}})
    client.notify("initialized", {})
    return client


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    server = started()
    yield server
    if server.process.poll() is None:
        server.process.kill()


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def place(text: str, piece: str, nth: int = 0, offset: int = 0) -> tuple[int, int]:
    """The LSP line and character of the nth occurrence of `piece` in `text`, moved on
    by `offset` characters."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(piece, index + 1)
    before = text[: index + offset].split("\n")
    return len(before) - 1, utf16(before[-1])


def uri(name: str) -> str:
    return (Path("/tmp/lsp-test") / name).as_uri()


def opened(client: Client, name: str, text: str) -> str:
    """The uri of a clean file `name` the client has opened with `text`."""
    client.open(uri(name), text)
    assert client.diagnostics(uri(name)) == []
    return uri(name)


# ---- the tests -------------------------------------------------------------------------


def test_the_server_says_what_it_answers(client: Client) -> None:
    capabilities = client.answer["capabilities"]
    for provider in ("hoverProvider", "definitionProvider", "completionProvider",
                     "documentSymbolProvider", "documentFormattingProvider"):
        assert capabilities.get(provider) not in (None, False), provider
    assert capabilities["textDocumentSync"]["change"] == 1  # the whole text each change
    assert capabilities["positionEncoding"] == "utf-16"


def test_a_bundled_rule_file_has_no_diagnostics(client: Client) -> None:
    opened(client, "clean.rule", POWER.read_text(encoding="utf-8"))


def test_a_misspelled_name_is_reported_where_it_is_and_a_fix_clears_it(client: Client) -> None:
    good = POWER.read_text(encoding="utf-8")
    bad = good.replace("* heat_ratio\n", "* heat_raito\n")
    assert bad != good
    client.open(uri("broken.rule"), bad)
    [problem] = client.diagnostics(uri("broken.rule"))
    line, character = place(bad, "heat_raito")
    assert problem["range"]["start"] == {"line": line, "character": character}
    assert problem["range"]["end"] == {"line": line, "character": character + len("heat_raito")}
    assert problem["severity"] == 1 and problem["source"] == "peie"
    assert "unknown name 'heat_raito'" in problem["message"]
    assert "did you mean 'heat_ratio'" in problem["message"]

    client.notify("textDocument/didChange", {
        "textDocument": {"uri": uri("broken.rule"), "version": 2},
        "contentChanges": [{"text": good}]})
    assert client.diagnostics(uri("broken.rule"), version=2) == []


def test_a_syntax_error_is_reported_at_its_token(client: Client) -> None:
    text = POWER.read_text(encoding="utf-8").replace(
        "let heat_allowance \"供热配额\" = heat_supplied_gj",
        "let heat_allowance \"供热配额\" = = heat_supplied_gj")
    client.open(uri("syntax.rule"), text)
    problems = client.diagnostics(uri("syntax.rule"))
    line, character = place(text, "= heat_supplied_gj")
    assert [p["range"]["start"] for p in problems] == [{"line": line, "character": character}]
    assert problems[0]["message"].startswith("unexpected '='")


# A rule file in Chinese keywords and names, one of them beyond the BMP (U+20000, two
# UTF-16 code units), so that places after it differ between code points and LSP.
CHINESE = """\
行业 cement "水泥"
版本 "test"
状态 draft
生效 2017 至 2018
发布 2017-05-09
来源 "test source"
分类 品种 "水泥品种" { 灰 "灰水泥" 白 "白水泥" }
输入 品种: 品种 "品种"
输入 𠀀产量: t 属于 [0, 无穷) "熟料产量"
参数 基准值 "熟料基准值" = 0.8534 tCO2/t 来源 "方案 附件 2"
表 系数 "品种修正系数" 按 品种 属于 1 {
    灰 1    来源 "表 3"
    白 1.1  来源 "表 4"
}
令 配额量 "熟料配额" = 𠀀产量 * 基准值 * 系数[品种]
配额 = 配额量 * local_factor
预分配 50 % 的 基准 年 2015
取整 企业 half_up 至 1 tCO2
"""


def test_places_in_chinese_text_are_counted_in_utf16(client: Client) -> None:
    text = CHINESE.replace("* 系数[品种]", "* 系娄[品种]")
    client.open(uri("chinese-broken.rule"), text)
    problems = client.diagnostics(uri("chinese-broken.rule"))
    line, character = place(text, "系娄")
    assert character == text.split("\n")[line].index("系娄") + 1  # 𠀀 counts twice
    about = [p["range"]["start"] for p in problems if "unknown table '系娄'" in p["message"]]
    assert about == [{"line": line, "character": character}], problems


def test_hover_on_a_name_shows_its_label_unit_line_and_source(client: Client) -> None:
    file = opened(client, "hover-name.rule", CHINESE)
    line, character = place(CHINESE, "基准值", nth=2)  # in the formula (1 is in a label)
    value = client.at("textDocument/hover", file, line, character + 1
                      )["contents"]["value"]
    assert '参数 基准值 "熟料基准值" = 0.8534 tCO2/t' in value
    assert "unit: tCO2/t" in value
    assert f"declared at line {place(CHINESE, '参数')[0] + 1}" in value
    assert "source: 方案 附件 2" in value

    line, character = place(CHINESE, "𠀀产量", nth=1)
    hovered = client.at("textDocument/hover", file, line, character + 2)
    assert "熟料产量" in hovered["contents"]["value"]
    assert hovered["range"] == {"start": {"line": line, "character": character},
                                "end": {"line": line, "character": character + 4}}


def test_hover_on_a_table_row_shows_its_value_and_source(client: Client) -> None:
    file = opened(client, "hover-row.rule", CHINESE)
    line, character = place(CHINESE, "白 1.1")
    value = client.at("textDocument/hover", file, line, character
                      )["contents"]["value"]
    assert "`系数[白]` = `1.1`" in value  # a table `in 1`: no unit after the value
    assert "source: 表 4" in value
    assert "白水泥" in value  # the code's label, from its enum

    text = POWER.read_text(encoding="utf-8")
    file = opened(client, "hover-row-unit.rule", text)
    line, character = place(text, "0.8066  source")
    value = client.at("textDocument/hover", file, line, character + 1)["contents"]["value"]
    assert "`supply_benchmark[usc_1000]` = `0.8066 tCO2/MWh`" in value
    assert "source: seed 002 L78" in value


def test_hover_on_a_bracket_row_shows_its_value_and_source(client: Client) -> None:
    text = POWER.read_text(encoding="utf-8")
    file = opened(client, "hover-bracket.rule", text)
    line, character = place(text, "[3000 kcal/kg, inf)")
    value = client.at("textDocument/hover", file, line, character + 2
                      )["contents"]["value"]
    assert "`low_calorific_factor` = `1`" in value
    assert "[3000 kcal/kg, inf)" in value and "source: seed 002 L108-116" in value


def test_definition_goes_to_the_declared_name(client: Client) -> None:
    text = POWER.read_text(encoding="utf-8")
    file = opened(client, "definition.rule", text)
    line, character = place(text, "heat_ratio", nth=1)  # in heat_supply_factor
    found = client.at("textDocument/definition", file, line, character)
    declared_line, declared_character = place(text, "heat_ratio")  # `input heat_ratio`
    assert found == {"uri": file, "range": {
        "start": {"line": declared_line, "character": declared_character},
        "end": {"line": declared_line, "character": declared_character + len("heat_ratio")}}}

    file = opened(client, "definition-chinese.rule", CHINESE)
    line, character = place(CHINESE, "𠀀产量", nth=1)
    found = client.at("textDocument/definition", file, line, character)
    declared_line, declared_character = place(CHINESE, "𠀀产量")
    assert found["range"]["start"] == {"line": declared_line, "character": declared_character}
    assert found["range"]["end"]["character"] == declared_character + 4


def test_definition_of_a_code_goes_to_its_enum(client: Client) -> None:
    file = opened(client, "definition-code.rule", CHINESE)
    line, character = place(CHINESE, "白 1.1")  # a table row's key
    found = client.at("textDocument/definition", file, line, character)
    code_line, code_character = place(CHINESE, '白 "白水泥"')
    assert found["range"]["start"] == {"line": code_line, "character": code_character}


def test_completion_offers_names_codes_and_the_files_keywords(client: Client) -> None:
    file = opened(client, "completion-chinese.rule", CHINESE)
    items = client.at("textDocument/completion", file, place(CHINESE, "配额 =")[0], 0)
    labels = {item["label"] for item in items}
    assert {"𠀀产量", "基准值", "系数", "配额量", "local_factor", "品种", "灰", "白"} <= labels
    assert {"令", "输入", "表", "若", "则", "否则"} <= labels  # Chinese, as the file is written
    assert not {"let", "input", "if"} & labels

    file = opened(client, "completion.rule", POWER.read_text(encoding="utf-8"))
    items = client.at("textDocument/completion", file, 0, 0)
    labels = {item["label"] for item in items}
    assert {"let", "input", "if", "heat_ratio", "supply_benchmark", "usc_1000"} <= labels
    assert "令" not in labels


def test_completion_while_the_file_is_broken_offers_the_names_it_had(client: Client) -> None:
    file = opened(client, "completion-broken.rule", POWER.read_text(encoding="utf-8"))
    broken = POWER.read_text(encoding="utf-8") + "\nlet = =\n"
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": file, "version": 2}, "contentChanges": [{"text": broken}]})
    items = client.at("textDocument/completion", file, 0, 0)
    assert "heat_ratio" in {item["label"] for item in items}
    assert client.diagnostics(file, version=2) != []


def test_document_symbols_are_the_declarations_with_their_rows(client: Client) -> None:
    file = opened(client, "symbols.rule", CHINESE)
    found = client.request("textDocument/documentSymbol", {"textDocument": {"uri": file}})
    names = [symbol["name"] for symbol in found]
    assert names == ["行业", "版本", "状态", "生效", "发布", "来源", "分类 品种", "输入 品种",
                     "输入 𠀀产量", "参数 基准值", "表 系数", "令 配额量", "配额", "预分配",
                     "取整"]
    table = found[names.index("表 系数")]
    assert [row["name"] for row in table["children"]] == ["灰", "白"]
    line, character = place(CHINESE, "系数 \"品种修正系数\"")
    assert table["selectionRange"]["start"] == {"line": line, "character": character}


def test_formatting_is_fmts_output_as_one_edit(client: Client) -> None:
    untidy = CHINESE.replace("令 配额量 \"熟料配额\" = ", "令   配额量 \"熟料配额\"=")
    file = opened(client, "formatting.rule", untidy)
    [edit] = client.request("textDocument/formatting", {
        "textDocument": {"uri": file},
        "options": {"tabSize": 4, "insertSpaces": True}})
    assert edit["newText"] == laid_out(untidy, "chinese.rule")
    lines = untidy.split("\n")
    assert edit["range"] == {"start": {"line": 0, "character": 0},
                             "end": {"line": len(lines) - 1, "character": utf16(lines[-1])}}
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": file, "version": 2},
        "contentChanges": [{"text": edit["newText"]}]})
    assert client.request("textDocument/formatting", {
        "textDocument": {"uri": file},
        "options": {"tabSize": 4, "insertSpaces": True}}) == []


def test_a_file_that_does_not_parse_is_not_formatted(client: Client) -> None:
    client.open(uri("unformattable.rule"), "let = =\n")
    assert client.diagnostics(uri("unformattable.rule")) != []
    assert client.request("textDocument/formatting", {
        "textDocument": {"uri": uri("unformattable.rule")},
        "options": {"tabSize": 4, "insertSpaces": True}}) == []


def test_closing_a_file_clears_its_diagnostics(client: Client) -> None:
    client.open(uri("closed.rule"), "let = =\n")
    assert client.diagnostics(uri("closed.rule")) != []
    client.notify("textDocument/didClose", {"textDocument": {"uri": uri("closed.rule")}})
    assert client.diagnostics(uri("closed.rule")) == []


def test_the_server_answers_in_chinese_and_in_utf32_when_asked() -> None:
    server = started("--lang", "zh", capabilities={"general": {"positionEncodings": ["utf-32"]}})
    try:
        assert server.answer["capabilities"]["positionEncoding"] == "utf-32"
        server.open(uri("chinese.rule"), CHINESE)
        assert server.diagnostics(uri("chinese.rule")) == []
        line = CHINESE.split("\n").index("令 配额量 \"熟料配额\" = 𠀀产量 * 基准值 * 系数[品种]")
        character = CHINESE.split("\n")[line].index("基准值")  # code points, as asked
        value = server.at("textDocument/hover", uri("chinese.rule"), line, character
                          )["contents"]["value"]
        assert "单位：tCO2/t" in value and "来源：方案 附件 2" in value
    finally:
        assert server.stop() == 0


def test_shutdown_and_exit_end_the_server() -> None:
    server = started()
    assert server.stop() == 0


def test_a_file_too_long_to_check_as_it_changes_says_so(client: Client) -> None:
    text = POWER.read_text(encoding="utf-8")
    text += "#" * (100_001 - len(text)) + "\n"
    client.open(uri("long.rule"), text)
    [problem] = client.diagnostics(uri("long.rule"))
    assert problem["range"]["start"] == {"line": 0, "character": 0}
    assert "too long to check as it changes" in problem["message"]
    assert "peie check" in problem["message"]


def test_a_name_refers_to_what_its_place_says(client: Client) -> None:
    """品种 is an enum and an input: the input's type and a table's key are the enum, a
    name in a formula is the input."""
    file = opened(client, "places.rule", CHINESE)
    enum = place(CHINESE, "分类 品种", offset=3)
    input_name = place(CHINESE, "输入 品种", offset=3)

    def declared(piece: str, offset: int) -> tuple[int, int]:
        line, character = place(CHINESE, piece, offset=offset)
        start = client.at("textDocument/definition", file, line, character)["range"]["start"]
        return start["line"], start["character"]

    assert declared("分类 品种", 3) == enum
    assert declared("输入 品种", 3) == input_name
    assert declared("输入 品种: 品种", 7) == enum  # the input's type
    assert declared("按 品种", 2) == enum  # the table's key
    assert declared("系数[品种]", 3) == input_name  # in a formula


def test_hover_on_local_factor_and_on_a_keyword(client: Client) -> None:
    file = opened(client, "hover-more.rule", CHINESE)
    line, character = place(CHINESE, "local_factor")
    value = client.at("textDocument/hover", file, line, character)["contents"]["value"]
    assert "local adjustment factor" in value
    line, character = place(CHINESE, "预分配")
    value = client.at("textDocument/hover", file, line, character)["contents"]["value"]
    assert value.startswith("`preallocation` · `预分配`")
    assert "预分配 50 % 的 基准 年 2015" in value  # the declaration it starts

    text = POWER.read_text(encoding="utf-8")
    file = opened(client, "hover-keyword.rule", text)
    line, character = place(text, "preallocation 70 %")
    value = client.at("textDocument/hover", file, line, character)["contents"]["value"]
    assert "source: seed 002 L128-130; seed 001 L120" in value
    assert "Contract 7: pre-allocation applies these rules" in value  # the comment above
    line, character = place(text, "if category in")
    value = client.at("textDocument/hover", file, line, character)["contents"]["value"]
    assert value == "`if` · `若` · `如果`"  # within a declaration: the keyword alone
