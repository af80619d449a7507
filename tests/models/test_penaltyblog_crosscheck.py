"""Cross-check against penaltyblog's DixonColesGoalModel on the Premier League 2023/24 (real data).

penaltyblog parametrises attack with mean one and no intercept; ours has sum-to-zero attack and defence plus
an intercept, the same model. penaltyblog 1.13's analytic gradient disagrees with finite differences of its
own loss for attack, defence and home advantage (by about 0.13 at its optimum), so SLSQP stops short with it;
its documented ``use_gradient=False`` converges. The acceptance tolerances (1e-6 relative likelihood, 1e-4 in
home/draw/away) are checked against that fit; the likelihood *function* and the grid are also compared
exactly at our parameters.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.models.dixon_coles import DixonColesGoalModel

pb = pytest.importorskip("penaltyblog")


def premier_league(shared_data: Path) -> pd.DataFrame:
    raw = pd.read_csv(shared_data / "football-data" / "E0" / "2324.csv", encoding="utf-8-sig")
    raw = raw.dropna(subset=["FTHG", "FTAG"])
    return pd.DataFrame(
        {
            c.LEAGUE: raw["Div"],
            c.SEASON: "2324",
            c.DATE: pd.to_datetime(raw["Date"], dayfirst=True),
            c.HOME: raw["HomeTeam"],
            c.AWAY: raw["AwayTeam"],
            c.HOME_GOALS: raw["FTHG"].astype(int),
            c.AWAY_GOALS: raw["FTAG"].astype(int),
        }
    )


@pytest.mark.shared_data
@pytest.mark.parametrize("xi", [0.0, 0.0018])
def test_dixon_coles_matches_penaltyblog(shared_data: Path, xi: float) -> None:
    matches = premier_league(shared_data)
    weights = pb.models.dixon_coles_weights(matches[c.DATE], xi)
    theirs = pb.models.DixonColesGoalModel(
        matches[c.HOME_GOALS], matches[c.AWAY_GOALS], matches[c.HOME], matches[c.AWAY], weights=weights
    )
    theirs.fit(use_gradient=False)
    ours = DixonColesGoalModel(xi=xi, prior_weight=0.0).fit(matches)

    # our parameters in penaltyblog's parametrisation: attack + 1, defence + intercept - 1
    teams = theirs.teams
    params = np.concatenate(
        [
            ours.attack_[teams].to_numpy() + 1,
            ours.defence_[teams].to_numpy() + ours.intercept_["E0"] - 1,
            [ours.home_advantage_, ours.rho_],
        ]
    )
    assert theirs._loss_function(params) == pytest.approx(-ours.log_likelihood_, rel=1e-12)
    assert ours.log_likelihood_ >= theirs.loglikelihood - 1e-9
    assert ours.log_likelihood_ == pytest.approx(theirs.loglikelihood, rel=1e-6)
    assert ours.rho_ == pytest.approx(theirs._params[-1], abs=1e-3)
    assert ours.home_advantage_ == pytest.approx(theirs._params[-2], abs=1e-3)

    fixtures = matches.iloc[::37]
    probabilities = ours.predict_proba(fixtures)
    own_fit = np.array(
        [theirs.predict(h, a).home_draw_away for h, a in zip(fixtures[c.HOME], fixtures[c.AWAY], strict=True)]
    )
    np.testing.assert_allclose(probabilities, own_fit, atol=1e-4)
    theirs._params = params  # penaltyblog's max_goals counts rows: 16 rows are our goals 0..15
    same_params = np.array(
        [
            theirs.predict(h, a, max_goals=16).home_draw_away
            for h, a in zip(fixtures[c.HOME], fixtures[c.AWAY], strict=True)
        ]
    )
    np.testing.assert_allclose(probabilities, same_params, atol=1e-9)
