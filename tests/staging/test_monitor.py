"""Rolling staging scores against hand computation; summary totals; monitor.json layout and atomic write."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.pipelines.staging import write_monitoring
from scoreline.settings import get_settings
from scoreline.simulate import SimulatedLeague
from scoreline.staging import monitor
from scoreline.staging.alerts import Alert
from scoreline.staging.ledger import MODEL_NAME, MODEL_VERSION, PREDICTED_AT, Ledger
from scoreline.staging.summary import ChampionChange, Comparison, WindowScores

TRUE = ["true_p_home", "true_p_draw", "true_p_away"]


def approx(expected: object) -> object:
    """Summaries round to 6 decimals."""
    return pytest.approx(expected, abs=1e-6)


def _row(day: int, home: str, probs: tuple[float, float, float], result: str | None, version: str = "v2"):
    kickoff = pd.Timestamp("2024-08-10 15:00") + pd.Timedelta(days=day)
    return {
        c.LEAGUE: "E0",
        c.SEASON: "2425",
        c.DATE: kickoff.normalize(),
        c.KICKOFF: kickoff,
        c.HOME: home,
        c.AWAY: f"{home} Away",
        MODEL_VERSION: version,
        PREDICTED_AT: kickoff - pd.Timedelta(days=1),
        c.P_HOME: probs[0],
        c.P_DRAW: probs[1],
        c.P_AWAY: probs[2],
        c.RESULT: result,
    }


@pytest.fixture
def tiny() -> pd.DataFrame:
    """Four played matches of v2 (given out of kickoff order), one unplayed, two of the older v1."""
    return pd.DataFrame(
        [
            _row(2, "C", (0.2, 0.3, 0.5), "A"),
            _row(0, "A", (0.5, 0.3, 0.2), "H"),
            _row(3, "D", (0.6, 0.2, 0.2), "A"),
            _row(1, "B", (0.4, 0.4, 0.2), "D"),
            _row(4, "E", (0.5, 0.3, 0.2), None),
            _row(0, "A", (0.4, 0.3, 0.3), "H", version="v1"),
            _row(3, "D", (0.3, 0.3, 0.4), "A", version="v1"),
        ]
    )


@pytest.fixture
def tiny_market() -> pd.DataFrame:
    """Closing probabilities for matches A, B and D (none for C)."""
    return pd.DataFrame(
        {
            c.LEAGUE: "E0",
            c.DATE: pd.to_datetime(["2024-08-10", "2024-08-11", "2024-08-13"]),
            c.HOME: ["A", "B", "D"],
            c.AWAY: ["A Away", "B Away", "D Away"],
            c.P_HOME: [0.6, 0.3, 0.5],
            c.P_DRAW: [0.2, 0.4, 0.3],
            c.P_AWAY: [0.2, 0.3, 0.2],
        }
    )


# Hand computation. RPS = ((P1 - O1)^2 + (P1 + P2 - O1 - O2)^2) / 2 with cumulative forecast P and outcome O.
# model v2 (kickoff order A, B, C, D):
#   A (.5,.3,.2) H: ((.5-1)^2 + (.8-1)^2)/2 = (.25+.04)/2 = .145        log loss -ln .5
#   B (.4,.4,.2) D: ((.4-0)^2 + (.8-1)^2)/2 = (.16+.04)/2 = .100        log loss -ln .4
#   C (.2,.3,.5) A: ((.2)^2 + (.5)^2)/2     = (.04+.25)/2 = .145        log loss -ln .5
#   D (.6,.2,.2) A: ((.6)^2 + (.8)^2)/2     = (.36+.64)/2 = .500        log loss -ln .2
# market: A (.6,.2,.2) H: (.16+.04)/2 = .100; B (.3,.4,.3) D: (.09+.09)/2 = .090; C none;
#         D (.5,.3,.2) A: (.25+.64)/2 = .445
# previous v1: A (.4,.3,.3) H: (.36+.09)/2 = .225; D (.3,.3,.4) A: (.09+.36)/2 = .225
MODEL_RPS = [0.145, 0.100, 0.145, 0.500]
MARKET_RPS = [0.100, 0.090, math.nan, 0.445]


def test_rolling_scores_match_hand_computation(tiny: pd.DataFrame, tiny_market: pd.DataFrame) -> None:
    frame = monitor.rolling_scores(tiny, tiny_market, window=2, previous_version="v1")

    assert list(frame[c.HOME]) == ["A", "B", "C", "D"]  # kickoff order, v2 only, unplayed E left out
    np.testing.assert_allclose(frame[monitor.RPS], MODEL_RPS)
    np.testing.assert_allclose(frame[monitor.LOGLOSS], -np.log([0.5, 0.4, 0.5, 0.2]))
    np.testing.assert_allclose(frame[monitor.MARKET_RPS], MARKET_RPS)
    np.testing.assert_allclose(frame[monitor.PREVIOUS_RPS], [0.225, math.nan, math.nan, 0.225])
    np.testing.assert_allclose(frame[monitor.GAP_TO_MARKET], [0.045, 0.010, math.nan, 0.055])
    # window of 2: the first point averages one match; NaN (no forecast) is skipped, not counted
    np.testing.assert_allclose(frame[monitor.rolling_column(monitor.RPS)], [0.145, 0.1225, 0.1225, 0.3225])
    np.testing.assert_allclose(frame[monitor.rolling_column(monitor.MARKET_RPS)], [0.1, 0.095, 0.09, 0.445])
    np.testing.assert_allclose(
        frame[monitor.rolling_column(monitor.GAP_TO_MARKET)], [0.045, 0.0275, 0.01, 0.055]
    )
    np.testing.assert_allclose(
        frame[monitor.rolling_column(monitor.LOGLOSS)],
        [-np.log(0.5), -np.log(0.5 * 0.4) / 2, -np.log(0.4 * 0.5) / 2, -np.log(0.5 * 0.2) / 2],
    )
    assert list(frame[monitor.WINDOW_N]) == [1, 2, 2, 2]
    assert list(frame[monitor.WINDOW_MARKET_N]) == [1, 2, 1, 1]
    assert list(frame[monitor.WINDOW_PREVIOUS_N]) == [1, 1, 0, 1]


def test_rolling_scores_leave_the_callers_frames_alone(tiny: pd.DataFrame, tiny_market: pd.DataFrame) -> None:
    before, market_before = tiny.copy(), tiny_market.copy()
    monitor.rolling_scores(tiny, tiny_market, window=3)
    pd.testing.assert_frame_equal(tiny, before)
    pd.testing.assert_frame_equal(tiny_market, market_before)


def test_champion_defaults_to_the_version_that_predicted_last(tiny: pd.DataFrame) -> None:
    assert monitor.champion_version(tiny) == "v2"
    frame = monitor.rolling_scores(tiny, window=2, model_version="v1")
    np.testing.assert_allclose(frame[monitor.RPS], [0.225, 0.225])
    assert frame[monitor.MARKET_RPS].isna().all()  # no market given


def test_summary_totals_are_paired_with_the_market(tiny: pd.DataFrame, tiny_market: pd.DataFrame) -> None:
    summary = monitor.summarise(tiny, tiny_market, window=2, previous_version="v1", points=3)

    assert summary.model_version == "v2" and summary.run == "live" and not summary.replay
    assert summary.predictions == 5  # the unplayed match counts as a prediction
    assert summary.scored == 4
    assert summary.rps == approx(np.mean(MODEL_RPS))
    assert summary.logloss == approx(-np.log([0.5, 0.4, 0.5, 0.2]).mean())
    assert summary.market_matches == 3
    assert summary.market_closing_rps == approx((0.1 + 0.09 + 0.445) / 3)
    # model minus market over A, B, D: (0.045 + 0.010 + 0.055) / 3
    assert summary.rps_gap_to_market == approx(0.11 / 3)
    assert summary.previous == Comparison(
        model_version="v1",
        matches=2,
        rps=approx(0.225),
        champion_rps=approx((0.145 + 0.5) / 2),
        rps_gap_to_previous=approx(((0.145 - 0.225) + (0.5 - 0.225)) / 2),
    )
    assert summary.window == WindowScores(
        size=2,
        n=2,
        rps=approx(0.3225),
        logloss=approx(-np.log(0.5 * 0.2) / 2),
        market_n=1,
        market_rps=approx(0.445),
        gap_to_market=approx(0.055),
    )
    assert [point.rps for point in summary.rolling] == approx([0.1225, 0.1225, 0.3225])
    assert summary.rolling[-1].kickoff == "2024-08-13T15:00:00"
    assert summary.rolling[1].market_rps == approx(0.09)
    json.dumps(summary.to_dict(), allow_nan=False)  # JSON-ready: no NaN


def test_summary_of_an_empty_ledger_is_zero_not_an_error(tiny: pd.DataFrame) -> None:
    summary = monitor.summarise(tiny.iloc[0:0], None)
    assert summary.predictions == summary.scored == summary.market_matches == 0
    assert summary.rps is None
    assert summary.window.n == 0
    assert summary.rolling == () and summary.versions == () and summary.champion_changes == ()


def test_repeated_market_rows_are_refused_with_the_match(
    tiny: pd.DataFrame, tiny_market: pd.DataFrame
) -> None:
    doubled = pd.concat([tiny_market, tiny_market.iloc[[1]]])
    with pytest.raises(
        ValueError, match=r"market holds 2 rows for repeated matches, e\.g\. E0 2024-08-11 B v"
    ):
        monitor.rolling_scores(tiny, doubled)


def test_unknown_model_version_is_refused(tiny: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"scored has no model_version 'v3'; it has \['v1', 'v2'\]"):
        monitor.rolling_scores(tiny, previous_version="v3")


def test_missing_columns_are_named(tiny: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"scored lacks column\(s\) \['result'\]"):
        monitor.rolling_scores(tiny.drop(columns=c.RESULT))


def test_monitor_json_layout(tmp_path: Path, tiny: pd.DataFrame, tiny_market: pd.DataFrame) -> None:
    summary = monitor.summarise(tiny, tiny_market, window=2)
    frame = monitor.rolling_scores(tiny, tiny_market, window=2)
    alert = Alert(kind="rps_vs_market", message="worse", value=0.05, threshold=0.01, details={"n": 2})

    path = monitor.write_monitor(tmp_path / "out", summary, frame, None, [alert])

    assert path == tmp_path / "out" / "monitor.json"
    assert [p.name for p in path.parent.iterdir()] == ["monitor.json"]  # no temporary file left behind
    document = json.loads(path.read_text())
    assert list(document) == [
        "schema_version",
        "generated_at",
        "run",
        "summary",
        "rolling",
        "drift",
        "alerts",
    ]
    assert document["schema_version"] == 2
    assert document["run"] == {"id": "live", "replay": False}
    assert "rolling" not in document["summary"]  # the series is at the top level only
    assert document["summary"]["rps"] == pytest.approx(np.mean(MODEL_RPS))
    assert [point["kickoff"][:10] for point in document["rolling"]] == [
        "2024-08-10", "2024-08-11", "2024-08-12", "2024-08-13",
    ]  # fmt: skip
    assert document["rolling"][2] == {
        "kickoff": "2024-08-12T15:00:00",
        "model_version": "v2",
        "n": 2,
        "rps": 0.1225,
        "logloss": pytest.approx(-np.log(0.2) / 2),
        "market_rps": 0.09,
        "previous_rps": None,
    }
    assert document["drift"] is None
    assert document["alerts"] == [alert.to_dict()]


def test_long_series_is_thinned_but_keeps_the_last_point(simulated_league: SimulatedLeague) -> None:
    scored = scored_frame(simulated_league, simulated_league.matches[TRUE].to_numpy())
    frame = monitor.rolling_scores(scored, window=50)
    points = monitor.series_points(frame, max_points=100)
    assert len(frame) == 760
    assert len(points) == 100
    assert points[-1].kickoff == frame[c.KICKOFF].iloc[-1].isoformat()
    assert points[0].kickoff == frame[c.KICKOFF].iloc[0].isoformat()


def scored_frame(league: SimulatedLeague, probs: np.ndarray, version: str = "v2") -> pd.DataFrame:
    """A ledger-like scored frame: the league's matches forecast with ``probs`` the day before."""
    matches = league.matches
    return pd.DataFrame(
        {
            c.LEAGUE: matches[c.LEAGUE],
            c.SEASON: matches[c.SEASON],
            c.DATE: matches[c.DATE],
            c.KICKOFF: matches[c.KICKOFF],
            c.HOME: matches[c.HOME],
            c.AWAY: matches[c.AWAY],
            MODEL_VERSION: version,
            PREDICTED_AT: matches[c.KICKOFF] - pd.Timedelta(days=1),
            c.P_HOME: probs[:, 0],
            c.P_DRAW: probs[:, 1],
            c.P_AWAY: probs[:, 2],
            c.RESULT: matches[c.RESULT],
        }
    )


# --- several model versions through a real ledger --------------------------------------------------------

REPLAY = "season-2425"
KICKOFFS = pd.date_range("2024-08-17 15:00", periods=8, freq="7D")
HOMES = [f"Home {i}" for i in range(8)]


def _ledger_rows(version: str, matches: list[int], predicted_days_before: int, p_home: float) -> pd.DataFrame:
    kickoffs = KICKOFFS[matches]
    return pd.DataFrame(
        {
            c.LEAGUE: "E0",
            c.SEASON: "2425",
            c.DATE: kickoffs.normalize(),
            c.KICKOFF: kickoffs,
            c.HOME: [HOMES[i] for i in matches],
            c.AWAY: [f"Away {i}" for i in matches],
            MODEL_NAME: "dixon_coles",
            MODEL_VERSION: version,
            PREDICTED_AT: kickoffs - pd.Timedelta(days=predicted_days_before),
            c.P_HOME: p_home,
            c.P_DRAW: 0.3,
            c.P_AWAY: 0.7 - p_home,
        }
    )


def _results() -> pd.DataFrame:
    return pd.DataFrame(
        {
            c.LEAGUE: "E0",
            c.SEASON: "2425",
            c.DATE: KICKOFFS.normalize(),
            c.KICKOFF: KICKOFFS,
            c.HOME: HOMES,
            c.AWAY: [f"Away {i}" for i in range(8)],
            c.RESULT: "H",
        }
    )


def _closing_odds() -> pd.DataFrame:
    """Closing 1X2 prices of every match: 2.0 / 3.5 / 4.0 at Pinnacle."""
    rows = [
        {c.LEAGUE: "E0", c.DATE: kickoff.normalize(), c.HOME: home, c.AWAY: f"Away {i}",
         c.BOOKMAKER: "pinnacle", c.MARKET: c.MARKET_1X2, c.LINE: np.nan, c.TIMING: c.CLOSING,
         c.OUTCOME: outcome, c.PRICE: price}
        for i, (kickoff, home) in enumerate(zip(KICKOFFS, HOMES, strict=True))
        for outcome, price in zip(c.OUTCOMES, (2.0, 3.5, 4.0), strict=True)
    ]  # fmt: skip
    return pd.DataFrame(rows)


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    monkeypatch.setenv("SCORELINE_LEDGER_KEY", "monitor-test-key")
    get_settings.cache_clear()
    return Ledger(sa.create_engine(f"duckdb:///{tmp_path / 'ledger.duckdb'}"))


def test_two_versions_predicting_the_same_matches_are_monitored_side_by_side(
    ledger: Ledger, tmp_path: Path
) -> None:
    """Reproduces issue 21: the monitor raised "market holds N rows for repeated matches" once a second
    version predicted the matches the first had."""
    ledger.append(_ledger_rows("1", list(range(8)), predicted_days_before=2, p_home=0.5), replay_run=REPLAY)
    ledger.append(_ledger_rows("2", list(range(8)), predicted_days_before=1, p_home=0.6), replay_run=REPLAY)
    ledger.score(_results(), pd.Timestamp("2024-10-10"), replay_run=REPLAY)

    monitoring = write_monitoring(ledger, _closing_odds(), out_dir=tmp_path / "staging", run=REPLAY)

    summary = monitoring.summary
    assert monitoring.path == tmp_path / "staging" / "replays" / REPLAY / "monitor.json"
    assert summary.model_version == "2" and summary.replay and summary.run == REPLAY
    assert summary.market_matches == 8  # the market once per match, not once per version
    # RPS of a home win forecast (p, 0.3, 0.7 - p): ((p - 1)^2 + (p + 0.3 - 1)^2) / 2
    rps = {p: ((p - 1) ** 2 + (p + 0.3 - 1) ** 2) / 2 for p in (0.5, 0.6)}
    assert summary.previous == Comparison(
        model_version="1",
        matches=8,
        rps=approx(rps[0.5]),
        champion_rps=approx(rps[0.6]),
        rps_gap_to_previous=approx(rps[0.6] - rps[0.5]),
    )
    assert [(v.model_version, v.predictions, v.scored) for v in summary.versions] == [
        ("1", 8, 8),
        ("2", 8, 8),
    ]
    assert [v.rps for v in summary.versions] == approx([rps[0.5], rps[0.6]])
    document = json.loads(monitoring.path.read_text())
    assert document["run"] == {"id": REPLAY, "replay": True}
    assert {point["model_version"] for point in document["rolling"]} == {"2"}
    assert document["summary"]["previous"]["matches"] == 8
    assert not (tmp_path / "staging" / "monitor.json").exists()  # the live monitor is not touched


def test_a_champion_change_mid_season_shows_on_the_series(ledger: Ledger, tmp_path: Path) -> None:
    ledger.append(_ledger_rows("1", [0, 1, 2, 3], predicted_days_before=1, p_home=0.5), replay_run=REPLAY)
    ledger.append(_ledger_rows("2", [4, 5, 6, 7], predicted_days_before=1, p_home=0.6), replay_run=REPLAY)
    ledger.score(_results(), pd.Timestamp("2024-10-10"), replay_run=REPLAY)

    monitoring = write_monitoring(ledger, _closing_odds(), out_dir=tmp_path, run=REPLAY)

    summary = monitoring.summary
    assert summary.model_version == "2" and summary.scored == 8  # the whole season, under both champions
    assert summary.champion_changes == (
        ChampionChange("1", "2024-08-16T15:00:00", "2024-08-17T15:00:00"),
        ChampionChange("2", "2024-09-13T15:00:00", "2024-09-14T15:00:00"),
    )
    assert summary.previous is not None and summary.previous.matches == 0  # never predicted the same match
    document = json.loads(monitoring.path.read_text())
    assert [point["model_version"] for point in document["rolling"]] == ["1"] * 4 + ["2"] * 4
    assert [change["model_version"] for change in document["summary"]["champion_changes"]] == ["1", "2"]


def test_the_live_monitor_never_counts_replay_rows(ledger: Ledger, tmp_path: Path) -> None:
    ledger.append(_ledger_rows("1", list(range(8)), predicted_days_before=1, p_home=0.5), replay_run=REPLAY)
    ledger.score(_results(), pd.Timestamp("2024-10-10"), replay_run=REPLAY)
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    live = _ledger_rows("7", [0], predicted_days_before=1, p_home=0.4).assign(
        **{
            c.KICKOFF: now + pd.Timedelta(days=1),
            c.DATE: (now + pd.Timedelta(days=1)).normalize(),
            PREDICTED_AT: now,
        }
    )
    ledger.append(live)

    monitoring = write_monitoring(ledger, _closing_odds(), out_dir=tmp_path)

    summary = monitoring.summary
    assert monitoring.path == tmp_path / "monitor.json"
    assert (summary.run, summary.model_version, summary.predictions, summary.scored) == ("live", "7", 1, 0)
    assert [v.model_version for v in summary.versions] == ["7"]
