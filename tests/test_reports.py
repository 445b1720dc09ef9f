"""The HTML and XLSX reports of allocate, position, trueup and diff --data: self-contained
pages with their charts, breakdowns and provenance, in the run's language, every id
escaped; workbooks with formats, widths, frozen headers, and ids as text."""

from __future__ import annotations

import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from report_files import FORMULA_ID, REPORTS, SCRIPT_ID, write_reports

from peie.dsl.i18n import _, localized
from peie.report.charts import bins
from peie.report.workbook import number_format


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    written = write_reports(tmp_path_factory.mktemp("html"), "html")
    return {name: path.read_text(encoding="utf-8") for name, path in written.items()}


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_reports(tmp_path_factory.mktemp("xlsx"), "xlsx")


def test_a_page_is_self_contained_and_has_no_script(pages: dict[str, str]) -> None:
    for name, page in pages.items():
        assert page.startswith("<!DOCTYPE html>"), name
        assert "<script" not in page.lower(), name
        # Nothing is fetched: no external reference of any kind.
        assert not re.search(r"""(src|href)\s*=|url\(|@import""", page, re.I), name
        assert 'xmlns="http://www.w3.org/2000/svg"' in page  # the only URL, a namespace


def test_hostile_ids_are_escaped(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from test_breakdown import HAND

    data = tmp_path / "hand.csv"
    quoted = '"' + SCRIPT_ID.replace('"', '""') + '"'  # as CSV writes it
    data.write_text(HAND.replace("\nF1,", f"\n{quoted},"), encoding="utf-8")
    escaped = SCRIPT_ID.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    for command in ("allocate", "position"):
        out = tmp_path / f"{command}.html"
        status, _out, err = cli(command, str(data), "--year", "2017", "--format", "html",
                                "--out", str(out))
        assert status == 0, err
        page = out.read_text(encoding="utf-8")
        assert escaped in page, command  # in the list of the largest
        assert "<script" not in page


def test_each_page_has_its_charts_and_breakdowns(pages: dict[str, str]) -> None:
    charts = {name: page.count('<svg class="chart"') for name, page in pages.items()}
    # the three breakdowns, plus the largest; the position and the true-up a histogram,
    # the impact a waterfall
    assert charts == {"allocation": 4, "position": 5, "trueup": 5, "impact": 5}
    for page in pages.values():
        for title in (_("By sector"), _("By province"), _("By category"), _("Provenance")):
            assert f"<h2>{title}</h2>" in page


def test_the_steps_of_the_impact_add_up_to_its_change(pages: dict[str, str]) -> None:
    section = pages["impact"].split(f"<h2>{_('Where the change comes from')}</h2>")[1]
    table = section.split("<table>")[1].split("</table>")[0]
    numbers = [int(n.replace(",", "")) for n in re.findall(r"<td class=n>([-+0-9,]+)</td>",
                                                           table)]
    *steps, total = numbers
    assert len(steps) >= 2 and sum(steps) == total


def test_the_page_shows_the_provenance(pages: dict[str, str], tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    from report_files import SAMPLES, hostile_copy

    data = hostile_copy(SAMPLES / "units_2017.csv", tmp_path / "units.csv")
    status, out, err = cli("allocate", str(data), "--year", "2017", "--format", "json")
    assert status == 0, err
    document = json.loads(out)
    for rule in document["rules"].values():
        assert rule["sha256"] in pages["allocation"] and rule["version"] in pages["allocation"]
    assert document["data_sha256"] in pages["allocation"]
    total = f"{document['totals']['all']:,}"
    assert f'<div class="value">{total}</div>' in pages["allocation"]


def test_the_page_is_in_the_run_language(tmp_path: Path) -> None:
    written = write_reports(tmp_path, "html", "--lang", "zh")
    page = written["allocation"].read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page
    assert localized(_("Free allocation {year}", year=2017), "zh") in page
    assert localized(_("By province"), "zh") in page
    assert "Free allocation" not in page
    # Provinces by their Chinese names (GB/T 2260), sectors and categories by the labels
    # of the rule files.
    assert "<td>内蒙古</td>" in page and "inner_mongolia" not in page
    assert "<td>水泥</td>" in page  # sector cement "水泥"
    assert "<td>超超临界 1000MW 机组</td>" in page  # power.rule's usc_1000


def test_number_formats_follow_the_values() -> None:
    assert number_format([1, 2, None]) == "#,##0"
    assert number_format([Decimal("0.9565"), Decimal("1")]) == "#,##0.0000"
    assert number_format([Decimal("1500.5"), Decimal("-47")]) == "#,##0.0"
    assert number_format([Decimal("1278.760161253")]) == "#,##0.000000"  # at most six
    assert number_format(["F1", 2]) == "@"


def test_workbooks_have_headers_formats_and_provenance(books: dict[str, Path]) -> None:
    sheets = {"allocation": {"units", "facilities", "totals"}, "position": {"facilities"},
              "trueup": {"facilities"}, "impact": {"facilities", "steps"}}
    for name in REPORTS:
        book = load_workbook(books[name])
        assert set(book.sheetnames) == sheets[name] | {
            "by sector", "by province", "by category", "provenance"}, name
        for sheet in book.worksheets:
            assert sheet.freeze_panes == "A2", (name, sheet.title)
            header = next(sheet.iter_rows(max_row=1))
            assert all(c.font.b and c.data_type == "s" for c in header), (name, sheet.title)
            for index, cell in enumerate(header, 1):
                width = sheet.column_dimensions[cell.column_letter].width
                assert width >= len(str(cell.value)), (name, sheet.title, index)
        provenance = dict(book["provenance"].iter_rows(min_row=2, values_only=True))
        assert any(len(str(v)) == 64 for v in provenance.values()), name  # a sha256


def test_tonnes_are_whole_and_ids_text_in_the_workbook(books: dict[str, Path]) -> None:
    book = load_workbook(books["position"])
    facilities = book["facilities"]
    header = [c.value for c in facilities[1]]
    first = {h: c for h, c in zip(header, facilities[2], strict=True)}
    assert first["allocation"].number_format == "#,##0"
    assert first["allocation"].data_type == "n"
    assert first["emissions"].number_format.startswith("#,##0.")
    ids = [row[0] for row in facilities.iter_rows(min_row=2)]
    assert all(c.data_type == "s" and c.number_format == "@" for c in ids)
    assert SCRIPT_ID in {c.value for c in ids}
    units = load_workbook(books["allocation"])["units"]
    hostile = [c for c in units["A"] if c.value == FORMULA_ID]
    assert len(hostile) == 1 and hostile[0].data_type == "s"


def test_no_workbook_holds_a_formula(books: dict[str, Path]) -> None:
    for name, path in books.items():
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                if member.startswith("xl/worksheets/"):
                    assert b"<f>" not in archive.read(member), (name, member)


def test_a_workbook_needs_a_file(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from report_files import SAMPLES

    status, out, err = cli("position", str(SAMPLES / "units_2017.csv"), "--year", "2017",
                           "--format", "xlsx")
    assert (status, out) == (1, "") and "--out FILE" in err


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(st.integers(-10**12, 10**12).map(lambda n: n / 1000), max_size=60))
def test_histogram_bins_count_every_value_once(values: list[float]) -> None:
    """Tonnes to the kilogram, as the reports' balances are."""
    found = bins(values)
    assert sum(n for _low, _high, n in found) == len(values)
    if values and min(values) < max(values):
        width = found[0][1] - found[0][0]
        slack = width * 1e-9
        assert found[0][0] <= min(values) and max(values) <= found[-1][1] + slack
        # No bin holds both shortfall and surplus: zero is an edge.
        assert not any(low < -slack and high > slack for low, high, _n in found)
