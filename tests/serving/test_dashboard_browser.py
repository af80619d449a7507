"""The dashboard and the API docs in a real browser (Debian's Chromium through Playwright), served by uvicorn
on loopback: rendered under the app's Content-Security-Policy (no violation reported) and, for the docs, with
every request to another host blocked (as offline)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scoreline.serving import create_app
from scoreline.serving.security_headers import CONTENT_SECURITY_POLICY, REDOC_CONTENT_SECURITY_POLICY
from scoreline.settings import Settings

from .conftest import ModelsInMemory
from .live_server import HOST, live_server
from .test_api import upcoming_in_store
from .test_dashboard import write_backtest, write_monitor

CHROMIUM = Path("/usr/bin/chromium")
OPERATIONS = 9  # documented operations of the API
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# records every CSP violation of the page (Chromium also logs them as console errors)
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


def watch(page: Any, problems: list[str]) -> None:
    """Collect the page's console errors, script errors and failed requests into ``problems``."""
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))


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
            watch(page, problems)
            response = page.goto(url + "/", wait_until="networkidle")
            assert response is not None and response.status == 200
            assert "style-src 'self';" in response.headers["content-security-policy"] + ";"
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
            assert page.locator("#fixtures svg.bar rect.h").count() == len(expected)
            bar = page.locator("#fixtures svg.bar rect.h").first.bounding_box()
            assert bar is not None and 0 < bar["width"] < 140  # the bar is drawn, as wide as its probability
            assert page.evaluate("window.__cspViolations") == []
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert problems == []
    assert screenshot.stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "rendered", "policy", "tolerated"),
    [
        ("/docs", ".swagger-ui .opblock", CONTENT_SECURITY_POLICY, ()),
        # ReDoc's side menu always shows Redocly's logo from its CDN (hidden when it fails to load): the CSP
        # refuses it, and that one refusal is all that is tolerated
        (
            "/redoc",
            "[data-section-id^='operation/']",
            REDOC_CONTENT_SECURITY_POLICY,
            ("https://cdn.redoc.ly/redoc/logo-mini.svg",),
        ),
    ],
    ids=["swagger-ui", "redoc"],
)
def test_api_docs_render_offline_under_the_csp(
    settings: Settings,
    provider: ModelsInMemory,
    path: str,
    rendered: str,
    policy: str,
    tolerated: tuple[str, ...],
) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    problems: list[str] = []
    blocked: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith(f"http://{HOST}:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with live_server(create_app(settings, provider)) as url, sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.route("**/*", offline)
            watch(page, problems)
            response = page.goto(url + path, wait_until="networkidle")
            assert response is not None and response.status == 200
            assert response.headers["content-security-policy"] == policy
            page.wait_for_selector(rendered, timeout=30_000)
            assert page.locator(rendered).count() >= OPERATIONS
            assert "scoreline" in page.locator("h1, h2").first.inner_text()
            violations = page.evaluate("window.__cspViolations")
        finally:
            browser.close()
    assert [v for v in violations if not any(t in v for t in tolerated)] == []
    assert blocked == []  # nothing was even asked of another host
    assert [p for p in problems if not any(t in p for t in tolerated)] == []
