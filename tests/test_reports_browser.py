"""Each HTML report opened in a real headless browser (Chromium): no console message, a
screenshot that is not blank and shows the charts' colours, and the charts in the DOM the
browser built.

Skipped where no Chromium is installed, except under CI (CI=true), where that fails:
.ci/run installs it, and CI must not pass without having looked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from pixels import read_png
from report_files import REPORTS, write_reports

from peie.report import charts

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
SECONDS = 120  # a loaded machine is slow to start a browser


def _browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but no Chromium is on PATH: .ci/run installs the Debian "
                    "package `chromium`")
    pytest.skip("no Chromium on PATH (Debian: apt-get install chromium); CI installs it")


def _colour(hex_colour: str) -> tuple[int, int, int]:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _open(browser: str, page: Path, shot: Path, profile: Path) -> tuple[str, str]:
    """(DOM, console log) of `page` opened in the browser, its screenshot saved to `shot`
    at half scale (a small PNG to decode; the page is laid out at 1100 CSS pixels)."""
    run = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={profile}", "--window-size=1100,1400",
         "--force-device-scale-factor=0.5", "--enable-logging=stderr", "--v=0",
         f"--screenshot={shot}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=SECONDS, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout, "\n".join(line for line in run.stderr.splitlines() if ":CONSOLE" in line)


@pytest.fixture(scope="module")
def opened(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str, str]]:
    """report -> (screenshot, console log, DOM) as the browser saw each page."""
    browser = _browser()
    folder = tmp_path_factory.mktemp("browser")
    pages = write_reports(folder, "html")
    out = {}
    for name in REPORTS:
        shot = folder / f"{name}.png"
        dom, console = _open(browser, pages[name], shot, folder / "profile")
        out[name] = (shot, console, dom)
    return out


def test_the_console_is_seen(tmp_path: Path) -> None:
    """The method sees a page's console: a script's error is logged."""
    page = tmp_path / "error.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('seen'); missing();"
                    "</script>", encoding="utf-8")
    _dom, console = _open(_browser(), page, tmp_path / "error.png", tmp_path / "profile")
    assert "seen" in console and "missing is not defined" in console


@pytest.mark.parametrize("name", REPORTS)
def test_the_browser_logs_nothing_on_the_console(opened, name: str) -> None:  # type: ignore[no-untyped-def]
    _shot, console, _dom = opened[name]
    assert not console


@pytest.mark.parametrize("name", REPORTS)
def test_the_screenshot_shows_a_page_with_charts(opened, name: str) -> None:  # type: ignore[no-untyped-def]
    shot, _log, _dom = opened[name]
    image = read_png(shot)
    height, width, _ = image.shape
    assert (height, width) == (700, 550)  # 1100 x 1400 at half scale
    pixels = image.reshape(-1, 3)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    assert counts.max() < 0.9 * len(pixels)  # not one colour all over
    assert len(colours) > 50  # text, charts, shades
    header = image[5, 5]
    assert tuple(int(c) for c in header) == _colour("#1f3a5f")  # the page's header band
    drawn = {colour: int((image == _colour(colour)).all(axis=2).sum())
             for colour in (charts.GAIN, charts.LOSS, charts.NEUTRAL)}
    assert sum(drawn.values()) > 500, drawn  # bars in the first screen


@pytest.mark.parametrize("name", REPORTS)
def test_the_dom_has_the_charts_and_no_script(opened, name: str) -> None:  # type: ignore[no-untyped-def]
    _shot, _log, dom = opened[name]
    assert len(re.findall(r'<svg class="chart"', dom)) >= 4
    assert len(re.findall(r"<rect ", dom)) >= 10
    assert "<script" not in dom.lower()


def test_the_report_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m bench.report` on a few units: every figure is measured (none asserted)."""
    _browser()
    from bench import report

    assert report.main(["--units", "300", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    for name in ("allocation", "position"):
        assert f"{name} HTML page rendered in Chromium" in out
