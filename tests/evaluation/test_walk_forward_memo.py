"""The walk-forward engine owns memoisation: a FitMemo per league-season, given to the models taking one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from scoreline import columns as c
from scoreline.evaluation.walk_forward import walk_forward
from scoreline.models.memo import FitMemo
from scoreline.simulate import simulate_league

MEMOS_SEEN: list[tuple[str, object]] = []


class MemoSpy(BaseEstimator):
    """Records the memo each fit was given (``tag`` tells the models apart)."""

    def __init__(self, tag: str = "", memory: FitMemo | None = None) -> None:
        self.tag = tag
        self.memory = memory

    def fit(self, matches: pd.DataFrame, y: object = None) -> MemoSpy:
        MEMOS_SEEN.append((self.tag, self.memory))
        return self

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        return np.full((len(matches), 3), 1 / 3)


def test_each_league_season_gets_its_own_memo_shared_by_its_models() -> None:
    matches = simulate_league(n_teams=6, seasons=("2223", "2324", "2425"), seed=4).matches
    MEMOS_SEEN.clear()
    spec = MemoSpy("a")
    walk_forward(
        matches,
        {"a": spec, "b": MemoSpy("b")},
        [matches[c.LEAGUE].iloc[0]],
        ["2324", "2425"],
        cadence="month",
    )
    assert spec.memory is None  # the spec itself is never given the memo: fresh clones are
    memos = [memo for _, memo in MEMOS_SEEN]
    assert all(isinstance(memo, FitMemo) for memo in memos)
    distinct = list(dict.fromkeys(map(id, memos)))
    assert len(distinct) == 2  # one per league-season, the same for both models and every round
    assert {tag for tag, memo in MEMOS_SEEN if memo is memos[0]} == {"a", "b"}


@pytest.mark.slow
def test_ensembles_of_one_round_fit_their_shared_base_models_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from scoreline.models.catalogue import make_model
    from scoreline.models.dixon_coles import DixonColesGoalModel

    fits: list[int] = []
    fit = DixonColesGoalModel.fit

    def counted(self: DixonColesGoalModel, X: pd.DataFrame, y: object = None) -> DixonColesGoalModel:
        fits.append(len(X))
        return fit(self, X, y)

    monkeypatch.setattr(DixonColesGoalModel, "fit", counted)
    matches = simulate_league(n_teams=8, seasons=("2223", "2324", "2425"), seed=4).matches
    models = {"ensemble": make_model("ensemble"), "twin": make_model("ensemble", combiner="logistic")}
    result = walk_forward(
        matches, models, [matches[c.LEAGUE].iloc[0]], ["2425"], cadence="season", all_history=True
    )
    assert result.failures.empty and result.n_fits == 2
    n_folds = models["ensemble"].n_folds
    assert len(fits) == n_folds + 1  # each out-of-time block and the final fit once, not once per ensemble
    first, twin = (result.predictions[result.predictions["model"] == m] for m in ("ensemble", "twin"))
    assert not np.allclose(first[list(c.PROBABILITY_COLUMNS)], twin[list(c.PROBABILITY_COLUMNS)])
