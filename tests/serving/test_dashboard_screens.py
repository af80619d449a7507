"""The dashboard and the fixture page in Chromium at 400 and 1400 px: plots with axes and values, nothing
wider than the window, no console error (a CSP violation is one); screenshots under ``out/screenshots/``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import SecretStr

from scoreline import columns as c
from scoreline.serving import create_app
from scoreline.serving.api.routes.fixture import fixture_url
from scoreline.serving.fixture_page import HEATMAP_GOALS
from scoreline.settings import Settings

from .conftest import API_KEY, ModelsInMemory, write_to_store
from .live_server import live_server
from .test_dashboard import write_backtest, write_monitor
from .test_dashboard_browser import CHROMIUM, CHROMIUM_ARGS
from .test_fixture_page import played_match, simulated_odds

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
WIDTHS = (400, 1400)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store_with_odds(tmp_path_factory: pytest.TempPathFactory, league_matches: pd.DataFrame) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('screens_store') / 'scoreline.duckdb'}"
    write_to_store(url, league_matches, simulated_odds)
    return url


@contextmanager
def browser_page(url: str, width: int) -> Iterator[tuple[Any, list[str]]]:
    """A Chromium page ``width`` px wide at ``url`` (loaded), and the console errors it collects."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
            response = page.goto(url, wait_until="networkidle")
            assert response is not None and response.status == 200
            yield page, problems
        finally:
            browser.close()


def fits_the_window(page: Any, width: int) -> None:
    """Nothing is wider than the window, and no section scrolls sideways."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    clipped = page.evaluate(
        "[...document.querySelectorAll('section')]"
        ".filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.id)"
    )
    assert clipped == []


def labels_fit(page: Any, selector: str) -> None:
    """Every text of the SVGs matching ``selector`` lies inside its SVG, and no two texts overlap."""
    problems = page.evaluate(
        """sel => [...document.querySelectorAll(sel)].flatMap(svg => {
             const box = svg.getBoundingClientRect();
             const texts = [...svg.querySelectorAll('text')]
               .map(t => [t.textContent, t.getBoundingClientRect()]).filter(([, r]) => r.width > 0);
             const outside = texts.filter(([, r]) => r.left < box.left - 1 || r.right > box.right + 1 ||
                                                     r.top < box.top - 1 || r.bottom > box.bottom + 1)
               .map(([t]) => `${svg.id || svg.getAttribute('aria-label')}: ${t} outside`);
             const overlaps = texts.flatMap(([a, r], i) => texts.slice(i + 1)
               .filter(([, q]) => Math.min(r.right, q.right) - Math.max(r.left, q.left) > 1.5 &&
                                  Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top) > 1.5)
               .map(([b]) => `${svg.id || svg.getAttribute('aria-label')}: ${a} overlaps ${b}`));
             return [...outside, ...overlaps];
           })""",
        selector,
    )
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_fixture_page_in_chromium(
    width: int, tmp_path: Path, isolated_home: Path, store_with_odds: str, provider: ModelsInMemory,
    league_matches: pd.DataFrame,
) -> None:  # fmt: skip
    settings = Settings(home=isolated_home, db_url=store_with_odds, api_key=SecretStr(API_KEY))
    match = played_match(league_matches)
    path = fixture_url(match[c.LEAGUE], f"{match[c.DATE]:%Y-%m-%d}", match[c.HOME], match[c.AWAY])
    with (
        live_server(create_app(settings, provider)) as url,
        browser_page(url + path, width) as (page, problems),
    ):
        assert page.locator("#score-heatmap rect.cell").count() == (HEATMAP_GOALS + 1) ** 2
        assert page.locator("#score-heatmap text.value").count() == (HEATMAP_GOALS + 1) ** 2
        axes = page.locator("#score-heatmap text.axis").all_text_contents()
        assert axes == [f"{match[c.AWAY]} goals", f"{match[c.HOME]} goals"]
        assert page.locator("#one-x-two tbody tr").count() == 3
        assert (
            page.locator("#totals tbody tr").count() == 6 and page.locator("#handicaps tbody tr").count() > 0
        )
        assert page.locator("#form .form-table").count() == 2
        assert page.locator("#rating-chart polyline").count() == 2
        assert page.locator("#rating-chart text.axis").all_text_contents() == ["match day", "Elo rating"]
        assert len(page.locator("#rating-chart text.tick").all_text_contents()) >= 6
        assert page.evaluate("getComputedStyle(document.querySelector('svg.plot')).maxWidth") == "100%"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # first: a failure below still leaves the picture
        page.screenshot(path=str(SCREENSHOTS / f"fixture-{width}.png"), full_page=True)
        fits_the_window(page, width)
        labels_fit(page, "svg.plot")
    assert problems == []


@pytest.mark.parametrize("width", WIDTHS)
def test_dashboard_in_chromium(
    width: int, settings: Settings, provider: ModelsInMemory, league_matches: pd.DataFrame,
    fitted_models: dict[str, Any],
) -> None:  # fmt: skip
    write_backtest(settings.home_dir / "backtests" / "latest", league_matches, fitted_models)
    write_monitor(settings.home_dir, league_matches, fitted_models["dixon_coles"])
    with (
        live_server(create_app(settings, provider)) as url,
        browser_page(url + "/", width) as (page, problems),
    ):
        panels = page.locator("#calibration svg.plot")
        assert panels.count() == 3
        first = panels.first
        assert first.locator("text.axis").all_text_contents()[0] == "observed frequency"
        assert "mean forecast" in first.locator("text.axis").all_text_contents()[1]
        assert first.locator("text.tick").all_text_contents()[:6] == [
            "0.0",
            "0.2",
            "0.4",
            "0.6",
            "0.8",
            "1.0",
        ]
        assert first.locator("rect.count").count() > 0 and first.locator("text.count-label").count() > 0
        assert (
            page.locator("#calibration polyline").count() == 9
        )  # three models (truth, dixon_coles, poisson)
        assert first.locator("g[clip-path] polyline").count() == 3  # lines are clipped to the frame
        chart = page.locator("#monitor-chart")
        assert chart.locator("polyline").count() == 2 and chart.locator("text.axis").count() == 2
        assert len(chart.locator("text.tick").all_text_contents()) >= 4
        home_link = page.locator("#fixtures tbody tr a").first
        assert home_link.get_attribute("href").startswith("/fixtures/E0/")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # first: a failure below still leaves the picture
        page.screenshot(path=str(SCREENSHOTS / f"dashboard-{width}.png"), full_page=True)
        fits_the_window(page, width)
        labels_fit(page, "svg.plot")
    assert problems == []
