"""The dashboard: fixtures with probabilities, leaderboard and calibration, staging monitor, empty states."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from scoreline import columns as c
from scoreline.serving import create_app
from scoreline.serving.dashboard import load_backtest, load_monitor
from scoreline.settings import Settings

from .conftest import ModelsInMemory
from .test_api import upcoming_in_store

POOLED = {
    "dixon_coles": {"n": 760, "rps": 0.2011, "logloss": 0.99, "brier": 0.59, "accuracy": 0.51, "ece": 0.02},
    "market": {"n": 760, "rps": 0.1975, "logloss": 0.97, "brier": 0.58, "accuracy": 0.53, "ece": 0.01},
    "<script>alert(1)</script>": {"n": 760, "rps": 0.2301, "logloss": 1.09, "brier": 0.66, "accuracy": 0.45,
                                  "ece": 0.05},
}  # fmt: skip


def reliability_rows(models: list[str]) -> list[dict[str, Any]]:
    return [
        {"model": model, "outcome": outcome, "bin": b, "mean_predicted": (b + 0.5) / 10,
         "observed_frequency": min(1.0, (b + 0.5) / 10 + 0.02 * i), "count": 50}
        for i, model in enumerate(models)
        for outcome in c.OUTCOMES
        for b in range(1, 8)
    ]  # fmt: skip


def write_backtest(folder: Path, with_reliability: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    scores: dict[str, Any] = {"pooled": POOLED, "by_league_season": [], "pairwise": []}
    (folder / "metrics.json").write_text(json.dumps(scores))
    if with_reliability:
        (folder / "reliability.json").write_text(json.dumps(reliability_rows(list(POOLED))))
    return folder


def write_monitor(home: Path) -> Path:
    series = [
        {"date": f"2026-10-{d:02d}", "n": 50, "model_rps": 0.2 + 0.001 * (d % 5), "market_rps": 0.198}
        for d in range(1, 29)
    ]
    path = home / "staging" / "monitor.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"updated": "2026-10-28T12:00:00Z", "model": "dixon_coles", "version": "2",
                                "window": 50, "series": series}))  # fmt: skip
    return path


def fixture_rows(html: str) -> list[str]:
    table = html.split('<table id="fixtures">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-league="([^"]+)">', table)


def test_empty_states_say_what_is_missing(client: TestClient, settings: Settings) -> None:
    html = client.get("/").text
    assert (
        f"no backtest yet: {settings.home_dir / 'backtests' / 'latest' / 'metrics.json'} does not exist"
        in html
    )
    assert "No reliability data" in html
    assert "no staging monitor yet" in html
    assert 'id="calibration"' not in html and 'id="monitor-chart"' not in html


def test_page_shows_fixtures_leaderboard_calibration_and_monitor(
    settings: Settings, provider: ModelsInMemory, league_matches: pd.DataFrame
) -> None:
    write_backtest(settings.home_dir / "backtests" / "latest")
    write_monitor(settings.home_dir)
    with TestClient(create_app(settings, provider)) as client:
        response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert len(fixture_rows(html)) == min(100, len(upcoming_in_store(league_matches)))
    assert "dixon_coles</strong> version <strong>2" in html
    leaderboard = html.split('id="leaderboard"', 1)[1]
    order = [leaderboard.index(name) for name in ("market", "dixon_coles", "&lt;script&gt;")]
    assert order == sorted(order)  # sorted by RPS, names escaped
    assert "<script>alert" not in html
    calibration = html.split('id="calibration"', 1)[1].split("</svg>", 1)[0]
    assert calibration.count("<polyline") == 3 * len(POOLED)
    monitor = html.split('id="monitor-chart"', 1)[1].split("</svg>", 1)[0]
    assert monitor.count("<polyline") == 2
    assert "model 0.2030" in html and "market 0.1980" in html


def test_a_backtest_dir_can_be_given_and_bad_files_give_a_reason(
    tmp_path: Path, settings: Settings, provider: ModelsInMemory
) -> None:
    folder = write_backtest(tmp_path / "run-7", with_reliability=False)
    with TestClient(create_app(settings, provider, backtest_dir=folder)) as client:
        html = client.get("/").text
    assert str(folder) in html and "0.1975" in html
    (folder / "metrics.json").write_text("{not json")
    assert load_backtest(folder).problem is not None
    assert "cannot read" in str(load_backtest(folder).problem)
    bad = tmp_path / "monitor.json"
    bad.write_text(json.dumps({"series": [{"date": "x", "model_rps": None}]}))
    assert "no rolling RPS values" in str(load_monitor(bad).problem)


def test_reliability_points_are_scaled_into_the_panel(tmp_path: Path) -> None:
    scores = {"pooled": POOLED, "reliability": reliability_rows(["dixon_coles"])}
    (tmp_path / "metrics.json").write_text(json.dumps(scores))
    backtest = load_backtest(tmp_path)
    assert [line.label for line in backtest.legend] == ["dixon_coles"]
    home = next(p for p in backtest.panels if p.title == "home")
    points = [tuple(map(float, xy.split(","))) for xy in home.lines[0].points.split()]
    assert points[0] == (0.15 * 180, 180 - 0.15 * 180)
    assert all(0 <= x <= 180 and 0 <= y <= 180 for x, y in points)


def test_assets_are_served_by_the_app_and_nothing_is_fetched_from_elsewhere(client: TestClient) -> None:
    html = client.get("/").text
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    for asset, kind in (("/static/dashboard.css", "text/css"), ("/static/dashboard.js", "javascript")):
        response = client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert asset in html
