"""Live staging steps: fixtures.csv ahead of a round, predictions before kickoff, then the results."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines import steps
from scoreline.simulate import simulate_league, write_football_data_csv
from scoreline.staging.ledger import MODEL_VERSION, PREDICTED_AT, Ledger
from scoreline.store import Store
from tests.sources.fixtures_csv import fixtures_table, write_fixtures_csv

ROUNDS_AHEAD = 8  # the last two rounds of an 8-team season, four matches each
HORIZON_DAYS = 3


@pytest.fixture(scope="module")
def league() -> pd.DataFrame:
    return simulate_league(n_teams=8, seasons=("2324", "2425"), seed=11).matches


def write_folder(root: Path, league: pd.DataFrame, with_results_of_the_last_rounds: bool) -> None:
    """``root/E0/<season>.csv`` and ``root/fixtures.csv`` (the last two rounds, E0 and an SP1 copy)."""
    current = league[league[c.SEASON] == "2425"]
    write_football_data_csv(league[league[c.SEASON] == "2324"], root / "E0" / "2324.csv", bom=True)
    played = current if with_results_of_the_last_rounds else current.iloc[:-ROUNDS_AHEAD]
    write_football_data_csv(played, root / "E0" / "2425.csv", bom=True, trailing_empty_column=True)
    ahead = current.tail(ROUNDS_AHEAD)
    write_fixtures_csv(
        fixtures_table(pd.concat([ahead, ahead.assign(**{c.LEAGUE: "SP1"})])), root / "fixtures.csv"
    )


@pytest.mark.slow  # about 10 s: trains and registers a Dixon-Coles champion in MLflow
def test_live_steps_predict_each_scheduled_fixture_once_before_kickoff(
    league: pd.DataFrame, tmp_path: Path
) -> None:
    root = tmp_path / "football-data"
    write_folder(root, league, with_results_of_the_last_rounds=False)
    ahead = league.tail(ROUNDS_AHEAD)
    as_of = ahead[c.KICKOFF].iloc[0].normalize() - pd.Timedelta(hours=6)  # the evening before the round
    window = ahead[(ahead[c.KICKOFF] > as_of) & (ahead[c.KICKOFF] <= as_of + pd.Timedelta(days=HORIZON_DAYS))]
    assert 0 < len(window) < ROUNDS_AHEAD

    steps.ingest_step(["E0"], "2324", str(root))
    refreshed = steps.refresh_step(["E0"], None, str(root), str(as_of))  # season 2425 from as_of
    assert set(refreshed["statuses"]) == {"E0/2425.csv"}
    assert refreshed["fixtures"]["status"] == "stored" and refreshed["fixtures"]["fixtures"] == 16
    assert refreshed["fixtures"]["leagues"] == ["E0", "SP1"]
    trained = steps.train_step("dixon_coles", ["E0"], until=str(as_of))
    steps.register_step([trained], backtests=[])  # no champion yet: the baseline becomes champion

    predicted = steps.predict_upcoming_step(["E0"], str(as_of), HORIZON_DAYS)
    assert (predicted["fixtures"], predicted["from_fixtures_csv"], predicted["added"]) == (len(window),) * 3
    with Store.from_settings() as store:
        ledger = Ledger(store.engine).read()
    key = [c.LEAGUE, c.HOME, c.AWAY, c.KICKOFF]
    assert ledger[key].values.tolist() == window[key].values.tolist()
    assert (ledger[PREDICTED_AT] == as_of).all() and (ledger[PREDICTED_AT] < ledger[c.KICKOFF]).all()
    np.testing.assert_allclose(ledger[list(c.PROBABILITY_COLUMNS)].sum(axis=1), 1.0, atol=1e-9)
    assert ledger[c.SEASON].eq("2425").all() and ledger[MODEL_VERSION].nunique() == 1

    again = steps.refresh_step(["E0"], "2425", str(root), str(as_of))
    assert again["statuses"] == {"E0/2425.csv": "unchanged"} and again["fixtures"]["status"] == "unchanged"
    rerun = steps.predict_upcoming_step(["E0"], str(as_of), HORIZON_DAYS)
    assert (rerun["added"], rerun["already_present"]) == (0, len(window))

    # the round is played: the season file now has the results, fixtures.csv still lists the fixtures
    shutil.rmtree(root / "E0")
    write_folder(root, league, with_results_of_the_last_rounds=True)
    after = ahead[c.KICKOFF].iloc[-1] + pd.Timedelta(hours=3)
    refreshed = steps.refresh_step(["E0"], "2425", str(root), str(after))
    assert refreshed["statuses"] == {"E0/2425.csv": "replaced"}
    assert steps.validate_step(refreshed)["rejected_rows"] == 0  # no fixture quarantined as a duplicate match
    with Store.from_settings() as store:
        matches = store.read_matches(leagues=["E0"], seasons=["2425"])
        assert len(matches) == len(league[league[c.SEASON] == "2425"]) and matches[c.RESULT].notna().all()
        assert store.read_fixtures(leagues=["E0"]).empty
        assert len(store.read_fixtures(leagues=["SP1"])) == ROUNDS_AHEAD
    assert steps.score_finished_step(str(after))["scored"] == len(window)
    assert steps.predict_upcoming_step(["E0"], str(after), HORIZON_DAYS)["fixtures"] == 0
