"""Three weeks of the 2024/25 Premier League live over HTTP: a loopback stand-in for football-data.co.uk
serves the season as it looked each morning; the daily staging pipeline and the weekly training run against
it through the real download cache, ingest, registry and ledger (see ``live_season.py``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from scoreline import columns as c
from scoreline.staging.ledger import AS_OF_REPLAY_RUN, LIVE_RUN, MODEL_VERSION, PREDICTED_AT, Ledger
from scoreline.store import Store
from tests.staging.live_season import (
    RUN_AT,
    LiveSeason,
    backtest_rps,
    monitor_document,
    run_live_season,
    settings_environment,
)
from tests.staging.season_server import SeasonSite, serve

LEAGUE, SEASON = "E0", "2425"
# three rounds (the weeks of 14, 21 and 28 September 2024) and the mornings after the last one's Monday match
PERIOD = LiveSeason(LEAGUE, SEASON, ("2324",), start=date(2024, 9, 14), end=date(2024, 10, 1))
HALFWAY = date(2024, 9, 21)  # the second weekly champion takes over
RPS_TOLERANCE = 0.0005


@pytest.fixture(scope="module")
def site(shared_data: Path) -> SeasonSite:
    return SeasonSite.from_mirror(shared_data / "football-data", ["E0", "E1"], ["2324", SEASON])


def period_matches(store_url: str) -> pd.DataFrame:
    store = Store.from_url(store_url)
    try:
        matches = store.read_matches(leagues=[LEAGUE], seasons=[SEASON])
    finally:
        store.close()
    kickoff = pd.to_datetime(matches[c.KICKOFF])
    start, end = pd.Timestamp(PERIOD.start), pd.Timestamp(PERIOD.end)
    return matches[(kickoff >= start) & (kickoff < end)].reset_index(drop=True)


@pytest.mark.slow  # about 90 s: 18 simulated days, 4 weekly trainings (MLflow), 2 monitor runs
@pytest.mark.shared_data
def test_three_weeks_live_over_http(
    site: SeasonSite, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monitored = {HALFWAY + timedelta(days=2), PERIOD.end}
    with serve(site) as base_url:
        assert base_url.startswith("http://127.0.0.1:")
        for name, value in settings_environment(isolated_home, base_url).items():
            monkeypatch.setenv(name, value)
        run = run_live_season(site, PERIOD, monitor_on=monitored.__contains__)
    assert run.days == (PERIOD.end - PERIOD.start).days + 1
    # the first match day of each ISO week; Monday 30 September opens a week of its own (as in the backtest)
    assert sorted(run.champions) == [date(2024, 9, 14), HALFWAY, date(2024, 9, 28), date(2024, 9, 30)]
    assert list(run.champions.values()) == [1, 2, 3, 4]  # each weekly refit registered as the new champion

    from scoreline.settings import get_settings

    url = get_settings().resolved_db_url
    matches = period_matches(url)
    assert len(matches) == 30  # three full rounds
    store = Store.from_url(url)
    try:
        ledger = Ledger(store.engine)
        predictions = ledger.read(run=AS_OF_REPLAY_RUN)
        assert ledger.read(run=LIVE_RUN).empty  # simulated days are a replay run, never live rows
        scores = pd.read_sql(sa.text("SELECT * FROM prediction_scores"), store.engine.connect())
        scored = ledger.scored(AS_OF_REPLAY_RUN)
    finally:
        store.close()

    # every match predicted before its kickoff, no prediction at or after kickoff
    keys = [c.LEAGUE, c.SEASON, c.HOME, c.AWAY]
    joined = predictions.merge(matches[[*keys, c.KICKOFF]], on=keys, suffixes=("", "_real"))
    assert (joined[PREDICTED_AT] < joined[f"{c.KICKOFF}_real"]).all()
    assert (predictions[PREDICTED_AT] < predictions[c.KICKOFF]).all()
    first_prediction = joined.groupby(keys)[PREDICTED_AT].min()
    assert len(first_prediction) == len(matches)

    # each (match, version) scored once; every match scored, by the version in charge at kickoff
    assert not scores.duplicated(["run", *keys, MODEL_VERSION]).any()
    assert set(map(tuple, scored[keys].to_numpy())) == set(map(tuple, matches[keys].to_numpy()))
    in_charge = scored.sort_values(PREDICTED_AT).drop_duplicates(keys, keep="last")
    week_champion = {
        pd.Timestamp(day): str(version) for day, version in sorted(run.champions.items(), reverse=True)
    }
    expected_version = in_charge[c.KICKOFF].map(
        lambda kickoff: next(v for day, v in week_champion.items() if day <= kickoff)
    )
    assert (in_charge[MODEL_VERSION].astype(str) == expected_version).all()

    # revalidation: an unchanged file is downloaded at most once a day; the season file again only the
    # morning after a match day (its results appeared at the evening cut), else 304
    downloads = site.downloads()
    assert max(downloads.values()) == 1
    e0 = f"/mmz4281/{SEASON}/{LEAGUE}.csv"
    match_days = set(pd.to_datetime(matches[c.KICKOFF]).dt.date)
    assert {day for path, day in downloads if path == e0} == {PERIOD.start} | {
        day + timedelta(days=1) for day in match_days
    }
    not_modified = site.downloads(304)
    assert sum(n for (path, _), n in not_modified.items() if path == e0) >= run.days - len(match_days)

    # live RPS (the monitor's series: per match, the version in charge) against the weekly walk-forward
    document = monitor_document(isolated_home, AS_OF_REPLAY_RUN)
    summary = document["summary"]
    assert document["run"] == {"id": AS_OF_REPLAY_RUN, "replay": True}
    assert summary["scored"] == len(matches)
    backtest, backtest_score = backtest_rps(PERIOD)
    assert len(backtest) == len(matches)
    assert abs(summary["rps"] - backtest_score) < RPS_TOLERANCE
    # stronger: each match's live forecast is the walk-forward's, so each week's refit saw what it should
    paired = in_charge.merge(backtest, on=keys, suffixes=("", "_backtest"))
    assert len(paired) == len(matches)
    live = paired[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float)
    walked = paired[[f"{p}_backtest" for p in c.PROBABILITY_COLUMNS]].to_numpy(dtype=float)
    assert abs(live - walked).max() < 1e-6

    # the champions that took over show in the monitor, each from its first match
    assert [v["model_version"] for v in summary["versions"]] == ["1", "2", "3", "4"]
    changes = summary["champion_changes"]
    assert [change["model_version"] for change in changes] == ["1", "2", "3", "4"]
    assert datetime.fromisoformat(changes[1]["predicting_since"]) == datetime.combine(HALFWAY, RUN_AT)
    assert pd.Timestamp(changes[1]["first_kickoff"]).date() == HALFWAY
    assert summary["previous"]["model_version"] == "3"  # the former champion, beside the current one
    assert not (isolated_home / "staging" / "monitor.json").exists()  # the live monitor is untouched
