"""The dashboard after a newcomer's tour: the newest recorded backtest, past fixtures, empty panels."""

from __future__ import annotations

import html as html_text
import json
import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from scoreline import columns as c
from scoreline.pipelines.backtest_index import index_path, latest_backtest, read_backtests, record_backtest
from scoreline.serving import create_app
from scoreline.serving.service import ModelHandle
from scoreline.settings import Settings

from .conftest import ModelsInMemory


def write_metrics(folder: Path, model: str, rps: float, leagues: list[str]) -> dict[str, object]:
    """A minimal ``metrics.json`` as ``run_backtest`` writes it (pooled scores and the config)."""
    folder.mkdir(parents=True, exist_ok=True)
    metrics = {
        "pooled": {model: {"n": 380, "rps": rps, "logloss": 1.0, "brier": 0.6, "accuracy": 0.5, "ece": 0.04}},
        "matches": {"n_scored": 380},
        "config": {"leagues": leagues, "test_seasons": ["2425"], "models": [model]},
    }
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return metrics


def fixture_rows(html: str) -> list[tuple[str, str]]:
    table = html.split('<table id="fixtures">', 1)[1].split("</table>", 1)[0]
    home = r"<td>(?:<a [^>]+>)?([^<]+)(?:</a>)?</td>"  # the home team links to the fixture's page
    rows = re.findall(rf"<td>\w+</td>\s*<td>[^<]+</td>\s*{home}\s*<td>([^<]+)</td>", table)
    return [(html_text.unescape(home), html_text.unescape(away)) for home, away in rows]


def test_the_newest_recorded_backtest_is_shown_wherever_it_was_written_and_all_are_listed(
    tmp_path: Path, settings: Settings, provider: ModelsInMemory
) -> None:
    index = index_path(settings.home_dir)
    latest = settings.home_dir / "backtests" / "latest"
    write_metrics(latest, "old_default", 0.2101, ["E0"])
    os.utime(latest / "metrics.json", (1_000_000_000, 1_000_000_000))  # written long ago
    first = write_metrics(tmp_path / "out" / "bt", "elo", 0.2013, ["E0"])
    record_backtest(index, tmp_path / "out" / "bt", first, datetime(2026, 1, 1, tzinfo=UTC))
    second = write_metrics(tmp_path / "runs" / "dixon_coles-E1", "dixon_coles", 0.2017, ["E1"])
    record_backtest(index, tmp_path / "runs" / "dixon_coles-E1", second, datetime(2026, 1, 2, tzinfo=UTC))
    with TestClient(create_app(settings, provider)) as client:
        html = client.get("/").text
    leaderboard = html.split('id="leaderboard"', 1)[1].split("</table>", 1)[0]
    assert "<td>dixon_coles</td>" in leaderboard and "0.2017" in leaderboard
    assert "<td>elo</td>" not in leaderboard and "old_default" not in leaderboard
    listed = html.split('<table id="backtests">', 1)[1].split("</table>", 1)[0]
    assert listed.index("runs/dixon_coles-E1") < listed.index("out/bt")  # newest first
    assert "2026-01-02 00:00" in listed and "<td>E1</td>" in listed and "(shown)" in listed


def test_rerunning_into_a_folder_replaces_its_entry_and_a_deleted_folder_is_skipped(tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    metrics = write_metrics(tmp_path / "a", "elo", 0.2, ["E0"])
    record_backtest(index, tmp_path / "a", metrics, datetime(2026, 1, 1, tzinfo=UTC))
    record_backtest(index, tmp_path / "b", write_metrics(tmp_path / "b", "elo", 0.2, ["SP1"]))
    record_backtest(index, tmp_path / "a", metrics, datetime(2030, 1, 1, tzinfo=UTC))
    records = read_backtests(index)
    assert [(Path(r.path).name, r.leagues, r.matches) for r in records] == [
        ("a", ("E0",), 380),
        ("b", ("SP1",), 380),
    ]
    assert records[0].written_at == "2030-01-01T00:00:00+00:00"
    (tmp_path / "a" / "metrics.json").unlink()
    found = latest_backtest(index)
    assert found is not None and Path(found.path).name == "b"


def test_a_malformed_index_entry_is_skipped_and_the_others_kept(tmp_path: Path) -> None:
    index = tmp_path / "index.json"
    record_backtest(index, tmp_path / "a", write_metrics(tmp_path / "a", "elo", 0.2, ["E0"]))
    document = json.loads(index.read_text())
    document["backtests"].append({"path": "x", "written_at": "not a date"})
    index.write_text(json.dumps(document))
    assert [Path(r.path).name for r in read_backtests(index)] == ["a"]
    record_backtest(index, tmp_path / "b", write_metrics(tmp_path / "b", "elo", 0.2, ["E0"]))
    assert sorted(Path(r.path).name for r in read_backtests(index)) == ["a", "b"]


def past_week(league_matches: pd.DataFrame) -> tuple[pd.Timestamp, pd.DataFrame]:
    """A past date in the middle of the played matches and its following week's matches, page order."""
    played = league_matches[league_matches[c.HOME_GOALS].notna()]
    as_of = played[c.KICKOFF].iloc[len(played) // 2].normalize() - pd.Timedelta(days=1)
    window = played[(played[c.KICKOFF] > as_of) & (played[c.KICKOFF] <= as_of + pd.Timedelta(days=7))]
    assert len(window) > 0
    return as_of, window.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable")


def fixture_percentages(html: str) -> list[str]:
    table = html.split('<table id="fixtures">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="num">(\d+%)</td>', table)


def forecast_note(html: str) -> str:
    return html_text.unescape(html.split('id="forecast-source">', 1)[1].split("</span>", 1)[0])


class TrainedUntil(ModelsInMemory):
    """The in-memory models with a training cutoff, as the registry's run records it."""

    def __init__(self, models: ModelsInMemory, cutoff: datetime) -> None:
        super().__init__(models._versions, models.aliases)
        self.cutoff = cutoff

    def load(self, ref: str) -> ModelHandle:
        return replace(super().load(ref), train_cutoff=self.cutoff)


def test_as_of_a_past_date_lists_that_weeks_matches_without_probabilities_of_a_model_of_unknown_cutoff(
    client: TestClient, league_matches: pd.DataFrame
) -> None:
    as_of, expected = past_week(league_matches)
    html = client.get(f"/?as_of={as_of:%Y-%m-%d}").text
    assert f"Fixtures as of {as_of:%Y-%m-%d}" in html
    assert fixture_rows(html) == list(zip(expected[c.HOME], expected[c.AWAY], strict=True))
    assert fixture_percentages(html) == []
    assert "no model is known to have been trained before this date" in forecast_note(html)
    assert client.get("/?as_of=yesterday-ish").status_code == 422


def test_a_served_model_trained_after_as_of_never_shows_its_probabilities(
    settings: Settings, provider: ModelsInMemory, league_matches: pd.DataFrame
) -> None:
    as_of, expected = past_week(league_matches)
    leaked = TrainedUntil(provider, (as_of + pd.Timedelta(days=30)).to_pydatetime())
    with TestClient(create_app(settings, leaked)) as client:
        html = client.get(f"/?as_of={as_of:%Y-%m-%d}").text
        assert fixture_percentages(client.get("/").text) != []  # the same model still predicts what is ahead
    assert len(fixture_rows(html)) == len(expected) and fixture_percentages(html) == []
    note = forecast_note(html)
    assert "dixon_coles version 2 was trained on matches up to" in note and "has seen these" in note
    assert "`scoreline backtest --leagues E0 --test-seasons" in note
    honest = TrainedUntil(provider, (as_of - pd.Timedelta(days=10)).to_pydatetime())
    with TestClient(create_app(settings, honest)) as client:
        html = client.get(f"/?as_of={as_of:%Y-%m-%d}").text
    assert len(fixture_percentages(html)) == 5 * len(expected)  # 1X2, over 2.5 and both teams to score
    assert f"trained on matches before {as_of - pd.Timedelta(days=10):%Y-%m-%d}" in forecast_note(html)


def test_a_recorded_backtests_walk_forward_predictions_are_shown_with_their_cutoff(
    tmp_path: Path, settings: Settings, provider: ModelsInMemory, league_matches: pd.DataFrame
) -> None:
    as_of, expected = past_week(league_matches)
    cutoff = as_of - pd.Timedelta(days=3)
    folder = tmp_path / "out" / "bt"
    metrics = write_metrics(folder, "dixon_coles", 0.2, ["E0"])
    n = len(expected)
    p_home = np.linspace(0.31, 0.69, n)
    pd.DataFrame(
        {
            "model": "dixon_coles",
            c.LEAGUE: expected[c.LEAGUE].to_numpy(),
            c.KICKOFF: expected[c.KICKOFF].to_numpy(),
            c.HOME: expected[c.HOME].to_numpy(),
            c.AWAY: expected[c.AWAY].to_numpy(),
            c.P_HOME: p_home,
            c.P_DRAW: 0.2,
            c.P_AWAY: 0.8 - p_home,
            "train_cutoff": cutoff,
        }
    ).to_parquet(folder / "predictions.parquet")
    record_backtest(index_path(settings.home_dir), folder, metrics)
    leaked = TrainedUntil(provider, (as_of + pd.Timedelta(days=30)).to_pydatetime())
    with TestClient(create_app(settings, leaked)) as client:
        html = client.get(f"/?as_of={as_of:%Y-%m-%d}").text
    shown = fixture_percentages(html)
    assert shown[0::3] == [f"{100 * p:.0f}%" for p in p_home] and set(shown[1::3]) == {"20%"}
    note = forecast_note(html)
    assert f"Walk-forward predictions of dixon_coles from the backtest {folder.resolve()}" in note
    assert f"fitted on matches before {cutoff:%Y-%m-%d} at the latest (before {as_of:%Y-%m-%d})" in note


def test_as_of_a_date_without_matches_names_the_command_that_fills_it(client: TestClient) -> None:
    html = client.get("/?as_of=1990-01-01").text
    assert "no matches in the store in the 7 days after 1990-01-01" in html
    assert "scoreline ingest --leagues ... --seasons ..." in html


def test_every_empty_panel_names_the_command_that_fills_it(
    tmp_path: Path, settings: Settings, provider: ModelsInMemory
) -> None:
    empty_store = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    bare = settings.model_copy(update={"db_url": empty_store})
    with TestClient(create_app(bare, provider)) as client:
        html = client.get("/").text
    fixtures = html.split('id="fixtures-empty">', 1)[1].split("</p>", 1)[0]
    assert "scoreline fixtures fetch" in fixtures and "?as_of=" in fixtures
    leaderboard = html.split('id="leaderboard"', 1)[1].split("<h3>", 1)[0]
    assert "scoreline backtest --leagues E0" in leaderboard
    assert "scoreline backtest --leagues E0" in html.split('id="calibration-empty">', 1)[1]
    assert "scoreline stage --league E0 --season 2425" in html.split('id="monitor"', 1)[1]


def test_without_a_live_monitor_the_newest_replay_is_shown(
    settings: Settings, provider: ModelsInMemory
) -> None:
    replay = settings.home_dir / "staging" / "replays" / "E0-2425" / "monitor.json"
    replay.parent.mkdir(parents=True)
    rolling = [
        {"kickoff": f"2025-01-{day:02d}", "rps": 0.2 + day / 1000, "market_rps": 0.19} for day in (1, 2)
    ]
    replay.write_text(
        json.dumps({"schema_version": 1, "rolling": rolling, "summary": {"model_version": "7"}})
    )
    with TestClient(create_app(settings, provider)) as client:
        html = client.get("/").text
    monitor = html.split('id="monitor-chart"', 1)[1].split("</svg>", 1)[0]
    assert monitor.count("<polyline") == 2
    assert "Model version 7" in html
