"""Honest past forecasts: the probabilities of ``--as-of``/``?as_of=`` come only from a model that saw matches
before that date (a backtest's walk-forward fits, else a served model trained before it, else none)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.pipelines.upcoming import (
    BacktestPredictions,
    ServedModel,
    choose_past_forecasts,
)

AS_OF = pd.Timestamp("2025-03-01")
FIXTURES = pd.DataFrame(
    {
        c.LEAGUE: ["E0", "E0", "E0"],
        c.SEASON: ["2425", "2425", "2425"],
        c.KICKOFF: pd.to_datetime(["2025-03-01 15:00", "2025-03-02 16:30", "2025-03-06 20:00"]),
        c.HOME: ["Arsenal", "Chelsea", "Everton"],
        c.AWAY: ["Fulham", "Brighton", "Wolves"],
    },
    index=[7, 8, 9],  # not 0..n: the probabilities must follow the fixtures' own index
)


def predictions(model: str, cutoffs: list[str], base: float) -> pd.DataFrame:
    """A backtest's predictions of the three fixtures by ``model``, one fit cutoff per fixture."""
    n = len(cutoffs)
    return pd.DataFrame(
        {
            "model": model,
            c.LEAGUE: FIXTURES[c.LEAGUE].to_numpy()[:n],
            c.KICKOFF: FIXTURES[c.KICKOFF].to_numpy()[:n],
            c.HOME: FIXTURES[c.HOME].to_numpy()[:n],
            c.AWAY: FIXTURES[c.AWAY].to_numpy()[:n],
            c.P_HOME: base + np.arange(n) / 100,
            c.P_DRAW: 0.25,
            c.P_AWAY: 0.75 - base - np.arange(n) / 100,
            "train_cutoff": pd.to_datetime(cutoffs),
        }
    )


def backtest(path: str, *frames: pd.DataFrame, ranking: tuple[str, ...] = ()) -> BacktestPredictions:
    return BacktestPredictions(path, pd.concat(frames, ignore_index=True), ranking)


WEEKLY = ["2025-02-24", "2025-02-24", "2025-03-03"]  # the third fixture's round was fitted after as_of
EARLY = ["2025-02-24", "2025-02-24", "2025-02-24"]
LEAKED = ServedModel("dixon_coles", "4", pd.Timestamp("2025-06-01"))


def test_a_served_model_trained_after_as_of_never_gives_the_probabilities() -> None:
    chosen = choose_past_forecasts(FIXTURES, AS_OF, [], LEAKED)
    assert chosen.source == "none" and chosen.model is None
    assert chosen.probabilities.isna().all().all() and list(chosen.probabilities.index) == [7, 8, 9]
    assert "trained on matches up to 2025-06-01, so it has seen these matches' results" in chosen.note
    assert "`scoreline backtest --leagues E0 --test-seasons 2425`" in chosen.note
    unknown = choose_past_forecasts(FIXTURES, AS_OF, [], ServedModel("dixon_coles", "4", None))
    assert unknown.source == "none" and "no model is known to have been trained before" in unknown.note


def test_a_backtest_covering_every_fixture_gives_the_champions_walk_forward_with_its_cutoff() -> None:
    older = backtest("/bt/old", predictions("dixon_coles", EARLY, 0.30))
    newer = backtest(
        "/bt/new", predictions("elo", EARLY, 0.40), predictions("dixon_coles", EARLY, 0.50), ranking=("elo",)
    )
    chosen = choose_past_forecasts(FIXTURES, AS_OF, [newer, older], LEAKED)
    assert (chosen.source, chosen.model, chosen.path) == ("backtest", "dixon_coles", "/bt/new")
    assert chosen.train_cutoff == pd.Timestamp("2025-02-24") and chosen.train_cutoff < AS_OF
    assert chosen.probabilities[c.P_HOME].to_dict() == {7: 0.50, 8: 0.51, 9: 0.52}
    assert "dixon_coles from the backtest /bt/new" in chosen.note and "before 2025-02-24" in chosen.note
    without_champion = choose_past_forecasts(FIXTURES, AS_OF, [newer], None)
    assert without_champion.model == "elo"  # the backtest's best by its leaderboard


def test_fits_after_as_of_are_dropped_and_an_honest_served_model_is_preferred_to_a_partial_backtest() -> None:
    partial = backtest("/bt/weekly", predictions("dixon_coles", WEEKLY, 0.50))
    chosen = choose_past_forecasts(FIXTURES, AS_OF, [partial], LEAKED)
    assert chosen.source == "backtest" and chosen.train_cutoff == pd.Timestamp("2025-02-24")
    assert chosen.probabilities[c.P_HOME].isna().to_dict() == {7: False, 8: False, 9: True}
    assert "1 of 3 fixtures have no fit before 2025-03-01" in chosen.note
    honest = ServedModel("dixon_coles", "3", pd.Timestamp("2025-02-01"))
    served = choose_past_forecasts(FIXTURES, AS_OF, [partial], honest)
    assert (served.source, served.model, served.train_cutoff) == (
        "served",
        "dixon_coles",
        honest.train_cutoff,
    )
    assert "trained on matches before 2025-02-01" in served.note


def test_market_rows_without_a_fit_and_backtests_of_other_matches_are_not_sources() -> None:
    market = predictions("market_closing", EARLY, 0.45).assign(train_cutoff=pd.NaT)
    other = predictions("elo", EARLY, 0.45).assign(**{c.HOME: "Nobody"})
    chosen = choose_past_forecasts(FIXTURES, AS_OF, [backtest("/bt/m", market, other)], None)
    assert chosen.source == "none" and chosen.probabilities.isna().all().all()
