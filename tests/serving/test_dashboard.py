"""The dashboard: fixtures with probabilities, leaderboard and calibration, staging monitor, empty states."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from scoreline import columns as c
from scoreline.evaluation.predictions import N_TRAIN, PREDICTION_COLUMNS, TRAIN_CUTOFF
from scoreline.evaluation.scoring import score
from scoreline.serving import create_app
from scoreline.serving.dashboard import load_backtest, load_monitor
from scoreline.settings import Settings
from scoreline.staging.alerts import Alert
from scoreline.staging.ledger import MODEL_VERSION, PREDICTED_AT
from scoreline.staging.monitor import rolling_scores, summarise
from scoreline.staging.monitor import write_monitor as write_monitor_file
from scoreline.staging.summary import Summary

from .conftest import ModelsInMemory
from .test_api import upcoming_in_store


def backtest_predictions(matches: pd.DataFrame, models: dict[str, Any]) -> pd.DataFrame:
    """Backtest predictions (``predictions.parquet`` layout) of ``models`` and the true probabilities."""
    played = matches[matches[c.HOME_GOALS].notna()].reset_index(drop=True)
    parts = [played.assign(model="truth", p_home=played["true_p_home"], p_draw=played["true_p_draw"],
                           p_away=played["true_p_away"])]  # fmt: skip
    for name, model in models.items():
        probs = model.predict_proba(played)
        parts.append(played.assign(model=name, p_home=probs[:, 0], p_draw=probs[:, 1], p_away=probs[:, 2]))
    frame = pd.concat(parts, ignore_index=True)
    frame[TRAIN_CUTOFF] = frame[c.DATE]  # not used by the dashboard
    frame[N_TRAIN] = 0
    return frame.loc[:, list(PREDICTION_COLUMNS)]


def write_backtest(folder: Path, matches: pd.DataFrame, models: dict[str, Any]) -> dict[str, Any]:
    """What ``scoreline backtest`` writes: ``metrics.json`` (the scores) and ``predictions.parquet``."""
    folder.mkdir(parents=True, exist_ok=True)
    predictions = backtest_predictions(matches, models)
    scores = score(predictions, n_boot=50)
    (folder / "metrics.json").write_text(json.dumps(scores, default=str))
    predictions.to_parquet(folder / "predictions.parquet", index=False)
    return scores


def write_monitor(home: Path, matches: pd.DataFrame, model: Any) -> Summary:
    """What staging writes: ``monitor.json`` from a scored ledger of ``model`` and a market."""
    played = matches[matches[c.HOME_GOALS].notna()].tail(200).reset_index(drop=True)
    probs = model.predict_proba(played)
    scored = played.assign(
        **{MODEL_VERSION: "2", PREDICTED_AT: played[c.KICKOFF] - pd.Timedelta(days=1),
           c.P_HOME: probs[:, 0], c.P_DRAW: probs[:, 1], c.P_AWAY: probs[:, 2]}
    )  # fmt: skip
    market = played[[c.LEAGUE, c.DATE, c.HOME, c.AWAY]].assign(
        p_home=played["true_p_home"], p_draw=played["true_p_draw"], p_away=played["true_p_away"]
    )
    summary = summarise(scored, market, window=50)
    alert = Alert(kind="rps_vs_market", message="RPS 0.01 worse than the market", value=0.01, threshold=0.005)
    write_monitor_file(home / "staging", summary, rolling_scores(scored, market, window=50), None, [alert])
    return summary


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
    settings: Settings, provider: ModelsInMemory, league_matches: pd.DataFrame, fitted_models: dict[str, Any]
) -> None:
    scores = write_backtest(settings.home_dir / "backtests" / "latest", league_matches, fitted_models)
    summary = write_monitor(settings.home_dir, league_matches, fitted_models["dixon_coles"])
    with TestClient(create_app(settings, provider)) as client:
        response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert len(fixture_rows(html)) == min(100, len(upcoming_in_store(league_matches)))
    assert "dixon_coles</strong> version <strong>2" in html
    leaderboard = html.split('id="leaderboard"', 1)[1].split("</table>", 1)[0]
    ranked = sorted(scores["pooled"], key=lambda name: scores["pooled"][name]["rps"])
    order = [leaderboard.index(f"<td>{name}</td>") for name in ranked]
    assert order == sorted(order)  # sorted by RPS
    assert f"{scores['pooled'][ranked[0]]['rps']:.4f}" in leaderboard
    calibration = html.split('id="calibration"', 1)[1].split("</div>", 1)[0]
    assert calibration.count("<polyline") == 3 * len(scores["pooled"])
    assert (
        calibration.count('class="plot plot-panel"') == 3 and calibration.count(">observed frequency<") == 3
    )
    monitor = html.split('id="monitor-chart"', 1)[1].split("</svg>", 1)[0]
    assert monitor.count("<polyline") == 2  # served model and market (no previous champion)
    assert summary.rps is not None and summary.window.rps is not None
    assert f"RPS {summary.rps:.4f}" in html
    assert f"model {summary.window.rps:.4f}" in html
    assert 'class="switch"' not in monitor and "Replay run" not in html  # one live version
    assert "RPS 0.01 worse than the market" in html


def test_names_from_files_are_escaped(tmp_path: Path, settings: Settings, provider: ModelsInMemory) -> None:
    pooled = {
        "<script>alert(1)</script>": {
            "n": 10,
            "rps": 0.2,
            "logloss": 1,
            "brier": 0.6,
            "accuracy": 0.5,
            "ece": 0.1,
        }
    }
    rows = [{"model": "<script>alert(1)</script>", "outcome": o, "mean_predicted": x, "observed_frequency": x}
            for o in c.OUTCOMES for x in (0.2, 0.5)]  # fmt: skip
    (tmp_path / "metrics.json").write_text(json.dumps({"pooled": pooled, "reliability": rows}))
    with TestClient(create_app(settings, provider, backtest_dir=tmp_path)) as client:
        html = client.get("/").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.split('id="calibration"', 1)[1].split("</div>", 1)[0].count("<polyline") == 3


def test_a_backtest_dir_can_be_given_and_bad_files_give_a_reason(
    tmp_path: Path, settings: Settings, provider: ModelsInMemory
) -> None:
    folder = tmp_path / "run-7"
    folder.mkdir()
    pooled = {"market": {"n": 10, "rps": 0.1975, "logloss": 1, "brier": 0.6, "accuracy": 0.5, "ece": 0.1}}
    (folder / "metrics.json").write_text(json.dumps({"pooled": pooled}))
    with TestClient(create_app(settings, provider, backtest_dir=folder)) as client:
        html = client.get("/").text
    assert str(folder) in html and "0.1975" in html
    assert "No reliability data" in html
    (folder / "metrics.json").write_text("{not json")
    assert "cannot read" in str(load_backtest(folder).problem)
    bad = tmp_path / "monitor.json"
    bad.write_text(json.dumps({"schema_version": 1, "rolling": [{"kickoff": "x", "rps": None}]}))
    assert "no rolling RPS values" in str(load_monitor(bad).problem)
    bad.write_text(json.dumps({"something": "else"}))
    assert "cannot read" in str(load_monitor(bad).problem)


def test_reliability_panels_have_axis_values_counts_and_stay_inside_their_frame(tmp_path: Path) -> None:
    rows = [
        {"model": "dc", "outcome": o, "mean_predicted": x, "observed_frequency": y, "count": n}
        for o in c.OUTCOMES
        for x, y, n in ((0.15, 0.15, 120), (0.55, 1.4, 3))  # a bin of three forecasts, all "hits" beyond 1
    ]
    (tmp_path / "metrics.json").write_text(json.dumps({"pooled": {"dc": {"rps": 0.2}}, "reliability": rows}))
    backtest = load_backtest(tmp_path)
    assert [line.label for line in backtest.legend] == ["dc"]
    home = next(p for p in backtest.panels if p.title == "home")
    assert [(b.mean_predicted, b.observed_frequency, b.count) for b in home.models[0][2]] == [
        (0.15, 0.15, 120), (0.55, 1.0, 3)
    ]  # fmt: skip
    svg = str(home.svg)
    ticks = re.findall(r'class="tick" text-anchor="[a-z]+">([0-9.]+)<', svg)
    assert ticks == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"] * 2  # y axis, then x axis under the bars
    assert ">observed frequency<" in svg and "mean forecast" in svg
    assert re.findall(r'class="value count-label"[^>]*>(\d+)<', svg) == ["120", "3"]
    frame = re.search(
        r'<rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="([0-9.]+)" class="frame"', svg
    )
    assert frame is not None
    left, top, width, height = map(float, frame.groups())
    line = svg.split("<polyline", 1)[1].split(">", 1)[0]
    points = [tuple(map(float, xy.split(","))) for xy in re.search(r'points="([^"]+)"', line)[1].split()]
    assert points == [(left + 0.15 * width, top + 0.85 * height), (left + 0.55 * width, top)]
    assert 'stroke-linejoin="round"' in line and 'clip-path="url(#clip' in svg


def test_a_replay_is_labelled_replay_not_served_model(
    tmp_path: Path, league_matches: pd.DataFrame, fitted_models: dict[str, Any]
) -> None:
    write_monitor(tmp_path, league_matches, fitted_models["dixon_coles"])
    path = tmp_path / "staging" / "monitor.json"
    assert load_monitor(path).lines[0].label == "served model"
    document = json.loads(path.read_text())
    document["run"] = {"id": "replay-2425", "replay": True}
    path.write_text(json.dumps(document))
    assert [line.label for line in load_monitor(path).lines] == ["replay", "market (closing)"]


def test_assets_are_served_by_the_app_and_nothing_is_fetched_from_elsewhere(client: TestClient) -> None:
    html = client.get("/").text
    assert not re.search(r"""(src|href)=["'](https?:)?//""", html)
    for asset, kind in (("/static/dashboard.css", "text/css"), ("/static/dashboard.js", "javascript")):
        response = client.get(asset)
        assert response.status_code == 200 and kind in response.headers["content-type"]
        assert asset in html


def test_monitor_marks_a_change_of_champion_and_a_replay(
    tmp_path: Path, league_matches: pd.DataFrame
) -> None:
    played = league_matches[league_matches[c.HOME_GOALS].notna()].tail(40).reset_index(drop=True)
    scored = played.assign(
        **{MODEL_VERSION: ["1"] * 30 + ["2"] * 10, PREDICTED_AT: played[c.KICKOFF] - pd.Timedelta(days=1),
           c.P_HOME: 0.45, c.P_DRAW: 0.27, c.P_AWAY: 0.28}
    )  # fmt: skip
    summary = summarise(scored, None, window=10, run="replay-2425")
    rolling = rolling_scores(scored, None, window=10, previous_version="1")
    path = write_monitor_file(tmp_path, summary, rolling)

    monitor = load_monitor(path)

    assert monitor.meta["run"] == "replay replay-2425"
    assert [switch.label for switch in monitor.switches] == ["v2"]
    assert abs(monitor.switches[0].x - 30 / 39) < 1e-9
