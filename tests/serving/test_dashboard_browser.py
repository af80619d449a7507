"""The dashboard in a real browser (Debian's Chromium through Playwright), served by uvicorn on loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scoreline.serving import create_app
from scoreline.settings import Settings

from .conftest import ModelsInMemory
from .live_server import live_server
from .test_api import upcoming_in_store
from .test_dashboard import write_backtest, write_monitor

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.mark.slow
def test_dashboard_renders_in_chromium_without_console_errors(
    tmp_path: Path,
    settings: Settings,
    provider: ModelsInMemory,
    league_matches: pd.DataFrame,
    fitted_models: dict[str, Any],
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    write_backtest(settings.home_dir / "backtests" / "latest", league_matches, fitted_models)
    write_monitor(settings.home_dir, league_matches, fitted_models["dixon_coles"])
    expected = upcoming_in_store(league_matches).head(100)
    problems: list[str] = []
    screenshot = tmp_path / "dashboard.png"
    with live_server(create_app(settings, provider)) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on(
                "console",
                lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
            )
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
            response = page.goto(url + "/", wait_until="networkidle")
            assert response is not None and response.status == 200
            rows = page.locator("#fixtures tbody tr")
            assert rows.count() == len(expected)
            first = rows.first.locator("td")
            assert first.nth(2).inner_text() == expected.iloc[0]["home"]
            assert first.nth(3).inner_text() == expected.iloc[0]["away"]
            assert page.locator("#calibration polyline").count() == 9
            assert page.locator("#monitor-chart polyline").count() == 2
            assert page.evaluate("getComputedStyle(document.body).marginTop") == "0px"  # the CSS was applied
            page.select_option("#league-filter", "E0")
            assert page.locator("#fixtures tbody tr:visible").count() == len(expected)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert screenshot.stat().st_size > 10_000
