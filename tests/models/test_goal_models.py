"""Goal models: parameter recovery from simulated leagues, priors, several leagues, decay, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import OptimizeResult, approx_fprime
from scipy.stats import poisson

from scoreline import columns as c
from scoreline.models import _team_strength
from scoreline.models._goal_likelihood import GoalData, bivariate_poisson_nll, dixon_coles_nll, poisson_nll
from scoreline.models._team_strength import TeamStrengthModel
from scoreline.models.base import ConvergenceError
from scoreline.models.bivariate_poisson import BivariatePoissonGoalModel
from scoreline.models.dixon_coles import DixonColesGoalModel
from scoreline.models.poisson import PoissonGoalModel
from scoreline.simulate import SimulatedLeague, simulate_league

TEN_SEASONS = tuple(f"{y:02d}{y + 1:02d}" for y in range(14, 24))


def _truth(league: SimulatedLeague, teams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return np.array([league.attack[t] for t in teams]), np.array([league.defence[t] for t in teams])


@pytest.mark.slow
def test_dixon_coles_recovers_simulated_parameters() -> None:
    """10 seasons (3800 matches): standard errors are about 0.045 per strength and 0.02 for home advantage,
    so the tolerances (RMSE 0.1, worst team 0.25, home advantage / rho / intercept 0.05) are 2-5 SE wide."""
    league = simulate_league(seasons=TEN_SEASONS, seed=1, home_advantage=0.3, rho=-0.13, intercept=0.1)
    model = DixonColesGoalModel(xi=0.0, prior_weight=0.0).fit(league.matches)
    attack, defence = _truth(league, model.teams_)
    for fitted, true in ((model.attack_.to_numpy(), attack), (model.defence_.to_numpy(), defence)):
        assert np.sqrt(np.mean((fitted - true) ** 2)) < 0.1
        assert np.max(np.abs(fitted - true)) < 0.25
    assert model.home_advantage_ == pytest.approx(0.3, abs=0.05)
    assert model.rho_ == pytest.approx(-0.13, abs=0.05)
    assert model.intercept_["E0"] == pytest.approx(0.1, abs=0.05)
    truth = league.matches[["true_p_home", "true_p_draw", "true_p_away"]].to_numpy()
    assert np.mean(np.abs(model.predict_proba(league.matches) - truth)) < 0.025


@pytest.mark.slow
def test_poisson_and_bivariate_poisson_recover_simulated_parameters() -> None:
    independent = simulate_league(seasons=TEN_SEASONS[:6], seed=2, rho=0.0)
    model = PoissonGoalModel(xi=0.0, prior_weight=0.0).fit(independent.matches)
    attack, defence = _truth(independent, model.teams_)
    assert np.sqrt(np.mean((model.attack_.to_numpy() - attack) ** 2)) < 0.1
    assert np.sqrt(np.mean((model.defence_.to_numpy() - defence) ** 2)) < 0.1
    assert model.home_advantage_ == pytest.approx(0.25, abs=0.05)

    # the simulator makes *marginal* means log-linear, so only lambda3 and probabilities are compared
    correlated = simulate_league(seasons=TEN_SEASONS, seed=1, rho=0.0, covariance=0.2)
    bivariate = BivariatePoissonGoalModel(xi=0.0, prior_weight=0.0).fit(correlated.matches)
    independent_fit = PoissonGoalModel(xi=0.0, prior_weight=0.0).fit(correlated.matches)
    assert bivariate.lambda3_ == pytest.approx(0.2, abs=0.05)
    assert bivariate.log_likelihood_ > independent_fit.log_likelihood_ + 10  # likelihood-ratio test, 1 dof
    truth = correlated.matches[["true_p_home", "true_p_draw", "true_p_away"]].to_numpy()
    errors = [
        np.mean(np.abs(m.predict_proba(correlated.matches) - truth)) for m in (bivariate, independent_fit)
    ]
    assert errors[0] < 0.025 and errors[0] < errors[1]


def test_bivariate_home_effect_on_the_covariance(simulated_league: SimulatedLeague) -> None:
    """Data with no home-team covariance effect: the effects are small, and the ridge shrinks them."""
    matches = simulate_league(
        n_teams=10, seasons=("2122", "2223", "2324"), seed=9, rho=0.0, covariance=0.2
    ).matches
    constant = BivariatePoissonGoalModel(prior_weight=1.0).fit(matches)
    loose = BivariatePoissonGoalModel(prior_weight=1.0, home_effect=True).fit(matches)
    tight = BivariatePoissonGoalModel(prior_weight=30.0, home_effect=True).fit(matches)
    assert np.all(constant.home_covariance_ == 0)
    assert abs(loose.home_covariance_.sum()) < 1e-9
    assert loose.log_likelihood_ > constant.log_likelihood_  # more parameters fit the sample better
    assert np.std(tight.home_covariance_) < 0.5 * np.std(loose.home_covariance_)
    assert np.std(tight.home_covariance_) < 0.1
    fixture = matches.head(1)
    grid = tight.predict_grid(fixture)
    home = fixture[c.HOME].iloc[0]
    eta_home, eta_away = tight.predict_log_rates(fixture)
    lambda3 = tight.lambda3_ * np.exp(tight.home_covariance_[home])
    np.testing.assert_allclose(
        grid.expected_goals[0], np.exp([eta_home[0], eta_away[0]]) + lambda3, atol=1e-8
    )


def test_log_likelihood_is_the_weighted_poisson_log_probability(simulated_league: SimulatedLeague) -> None:
    matches = simulated_league.matches
    model = PoissonGoalModel(xi=0.01, prior_weight=3.0).fit(matches)
    eta_home, eta_away = model.predict_log_rates(matches)
    days = (matches[c.DATE].max() - matches[c.DATE]).dt.days.to_numpy()
    weights = np.exp(-0.01 * days)
    expected = weights @ (
        poisson.logpmf(matches[c.HOME_GOALS], np.exp(eta_home))
        + poisson.logpmf(matches[c.AWAY_GOALS], np.exp(eta_away))
    )
    assert model.log_likelihood_ == pytest.approx(expected, rel=1e-12)
    assert model.reference_date_ == matches[c.DATE].max()


def test_later_reference_date_only_rescales_weights(simulated_league: SimulatedLeague) -> None:
    """Without a prior, multiplying all weights by a constant leaves the maximum-likelihood fit unchanged."""
    matches = simulated_league.matches
    later = matches[c.DATE].max() + pd.Timedelta(days=200)
    base = DixonColesGoalModel(xi=0.003, prior_weight=0.0).fit(matches)
    shifted = DixonColesGoalModel(xi=0.003, prior_weight=0.0, reference_date=later).fit(matches)
    np.testing.assert_allclose(shifted.attack_, base.attack_, atol=1e-5)
    assert shifted.rho_ == pytest.approx(base.rho_, abs=1e-5)
    undecayed = DixonColesGoalModel(xi=0.0, prior_weight=0.0).fit(matches)
    assert np.max(np.abs(undecayed.attack_ - base.attack_)) > 1e-3  # the weights do matter


def _promotion_league() -> tuple[pd.DataFrame, dict[str, tuple[float, float]]]:
    """Seasons 2122-2324 of one league; each later season the three weakest teams are new (promoted) names.

    Strengths stay those of the simulation, so newcomers are as weak as the teams they replace. Only the first
    three rounds of 2324 are kept. Returns the matches and the newcomers' true (attack, defence).
    """
    league = simulate_league(n_teams=20, seasons=("2122", "2223", "2324"), seed=5, strength_spread=0.35)
    weakest = sorted(league.teams, key=lambda t: league.attack[t] - league.defence[t])[:3]
    matches = league.matches.copy()
    truth = {}
    for season, prefix in (("2223", "Promoted 1 "), ("2324", "Promoted 2 ")):
        rows = matches[c.SEASON] == season
        for team in weakest:
            name = prefix + team
            truth[name] = (league.attack[team], league.defence[team])
            for side in (c.HOME, c.AWAY):
                matches.loc[rows & (matches[side] == team), side] = name
    last = matches[matches[c.SEASON] == "2324"]
    keep = matches[c.SEASON].ne("2324") | matches[c.DATE].le(last[c.DATE].sort_values().iloc[29])
    return matches[keep].reset_index(drop=True), truth


def test_newcomers_are_detected_and_shrunk_toward_the_promoted_mean() -> None:
    matches, truth = _promotion_league()
    prior = DixonColesGoalModel(prior_weight=4.0).fit(matches)
    plain = DixonColesGoalModel(prior_weight=0.0).fit(matches)
    assert sorted(prior.newcomers_) == sorted(truth)
    # last season's promoted teams tell the model that newcomers are weak
    true_attack, true_defence = np.mean(list(truth.values()), axis=0)
    assert true_attack < -0.2 and true_defence > 0.1
    assert prior.unseen_attack_["E0"] == pytest.approx(true_attack, abs=0.15)
    assert prior.unseen_defence_["E0"] == pytest.approx(true_defence, abs=0.15)
    fresh = [name for name in truth if name.startswith("Promoted 2 ")]
    true = np.array([truth[name] for name in fresh])

    def error(model: DixonColesGoalModel) -> float:
        fitted = np.column_stack([model.attack_[fresh], model.defence_[fresh]])
        return float(np.mean(np.abs(fitted - true)))

    assert error(prior) < 0.6 * error(plain)


def test_unseen_teams_play_with_the_newcomer_strength() -> None:
    matches, _ = _promotion_league()
    model = DixonColesGoalModel().fit(matches)
    fixture = pd.DataFrame(
        {c.LEAGUE: ["E0", "E0"], c.HOME: ["Nobody FC", "Arsenal"], c.AWAY: ["Arsenal", "Nobody FC"]}
    )
    eta_home, eta_away = model.predict_log_rates(fixture)
    base = model.intercept_["E0"]
    expected_home = base + model.home_advantage_ + model.unseen_attack_["E0"] + model.defence_["Arsenal"]
    assert eta_home[0] == pytest.approx(expected_home)
    assert eta_away[1] == pytest.approx(base + model.unseen_attack_["E0"] + model.defence_["Arsenal"])
    # an unseen league is predicted with the main league's intercept and average strengths, never NaN
    other = model.predict_proba(pd.DataFrame({c.LEAGUE: ["XX"], c.HOME: ["A"], c.AWAY: ["B"]}))
    assert np.all(np.isfinite(other)) and other.sum() == pytest.approx(1.0)


def test_single_league_without_newcomers_is_a_plain_ridge(simulated_league: SimulatedLeague) -> None:
    model = DixonColesGoalModel(prior_weight=50.0).fit(simulated_league.matches)
    plain = DixonColesGoalModel(prior_weight=0.0).fit(simulated_league.matches)
    assert len(model.newcomers_) == 0
    assert model.unseen_attack_["E0"] == pytest.approx(0.0, abs=1e-12)
    assert np.std(model.attack_) < 0.8 * np.std(plain.attack_)
    assert abs(model.attack_.sum()) < 1e-9 and abs(model.defence_.sum()) < 1e-9


def test_two_leagues_fitted_jointly_keep_their_own_levels() -> None:
    top = simulate_league(n_teams=10, seasons=("2223", "2324"), seed=3, intercept=0.3).matches
    second = simulate_league(n_teams=10, seasons=("2223", "2324"), seed=4, intercept=-0.1).matches
    second = second.assign(**{c.LEAGUE: "E1", c.HOME: "E1 " + second[c.HOME], c.AWAY: "E1 " + second[c.AWAY]})
    joint = PoissonGoalModel(prior_weight=0.0).fit(pd.concat([top, second]))
    separate = sum(PoissonGoalModel(prior_weight=0.0).fit(part).log_likelihood_ for part in (top, second))
    # no team moved, so the joint fit differs from two separate fits only by sharing the home advantage:
    # one constraint, a likelihood-ratio statistic below chi2(1)'s 99% point
    assert 0 <= separate - joint.log_likelihood_ < 3.3
    # each league keeps its own goal level (the split between intercept and strengths is not identified
    # without movers, the predictions are)
    levels = []
    for part in (top, second):
        levels.append(joint.predict_grid(part).expected_goals.sum(axis=1).mean())
        assert levels[-1] == pytest.approx((part[c.HOME_GOALS] + part[c.AWAY_GOALS]).mean(), rel=0.03)
    assert levels[0] > 1.3 * levels[1]


def _two_divisions() -> pd.DataFrame:
    top = simulate_league(n_teams=10, seasons=("2223", "2324"), seed=3, intercept=0.3).matches
    second = simulate_league(n_teams=10, seasons=("2223", "2324"), seed=4, intercept=-0.1).matches
    second = second.assign(**{c.LEAGUE: "E1", c.HOME: "E1 " + second[c.HOME], c.AWAY: "E1 " + second[c.AWAY]})
    return pd.concat([top, second], ignore_index=True)


def test_predicting_by_team_names_uses_the_fitted_strengths() -> None:
    """Poisson expected goals are the rates: checked against the learned attributes, for known teams, an
    unseen team (its league's newcomer strength) and an unseen league (the main league's intercept)."""
    model = PoissonGoalModel().fit(_two_divisions())
    home = ["Team 01", "E1 Team 03", "Newcomers FC", "Team 02"]
    away = ["Team 02", "E1 Team 04", "E1 Team 05", "Team 01"]
    league = ["E0", "E1", "E1", "SC0"]
    main = model.reference_league_

    def attack(team: str, lg: str) -> float:
        return float(model.attack_.get(team, model.unseen_attack_.get(lg, 0.0)))

    def defence(team: str, lg: str) -> float:
        return float(model.defence_.get(team, model.unseen_defence_.get(lg, 0.0)))

    expected = []
    for h, a, lg in zip(home, away, league, strict=True):
        level = model.intercept_.get(lg, model.intercept_[main])
        expected.append(
            [
                np.exp(level + model.home_advantage_ + attack(h, lg) + defence(a, lg)),
                np.exp(level + attack(a, lg) + defence(h, lg)),
            ]
        )
    grid = model.predict_teams(home, away, league)
    np.testing.assert_allclose(grid.expected_goals, expected, rtol=1e-8)  # the grid stops at 15 goals
    # the match frame gives the same; without leagues, the main training league's level
    frame = pd.DataFrame({c.LEAGUE: league, c.HOME: home, c.AWAY: away})
    np.testing.assert_allclose(model.predict_grid(frame).probabilities, grid.probabilities, atol=1e-15)
    np.testing.assert_allclose(
        model.predict_teams(home[1:2], away[1:2]).probabilities,
        model.predict_teams(home[1:2], away[1:2], [main]).probabilities,
        atol=1e-15,
    )


def test_team_names_that_are_not_strings_are_read_as_strings() -> None:
    matches = simulate_league(n_teams=6, seasons=("2324",), seed=5).matches
    numbered = {team: str(i) for i, team in enumerate(sorted(matches[c.HOME].unique()))}
    matches = matches.replace({c.HOME: numbered, c.AWAY: numbered})
    model = DixonColesGoalModel().fit(matches)
    as_text = model.predict_teams(["0", "1"], ["1", "2"]).probabilities
    np.testing.assert_allclose(model.predict_teams([0, 1], [1, 2]).probabilities, as_text, atol=1e-15)
    assert not np.allclose(as_text[0], model.predict_teams(["Nobody"], ["1"]).probabilities[0])


@pytest.mark.parametrize(
    "model",
    [
        PoissonGoalModel(),
        DixonColesGoalModel(),
        BivariatePoissonGoalModel(home_effect=True, prior_weight=5.0),
    ],
    ids=["poisson", "dixon_coles", "bivariate"],
)
def test_team_name_predictions_check_their_lengths(model: TeamStrengthModel) -> None:
    model.fit(_two_divisions())
    with pytest.raises(ValueError, match="equally long"):
        model.predict_teams(["Team 01", "Team 02"], ["Team 03"])
    with pytest.raises(ValueError, match="one league per fixture"):
        model.predict_teams(["Team 01"], ["Team 03"], ["E0", "E1"])


def test_input_errors_name_the_row_and_field(simulated_league: SimulatedLeague) -> None:
    matches = simulated_league.matches.copy()
    matches.loc[7, c.HOME_GOALS] = -1
    with pytest.raises(ValueError, match=r"row 7: field 'home_goals'"):
        DixonColesGoalModel().fit(matches)
    early = simulated_league.matches[c.DATE].min()
    with pytest.raises(ValueError, match="after reference_date"):
        DixonColesGoalModel(reference_date=early).fit(simulated_league.matches)
    with pytest.raises(ValueError, match="needs the 'date' column"):
        DixonColesGoalModel(xi=0.01).fit(simulated_league.matches.drop(columns=[c.DATE]))
    with pytest.raises(ValueError, match="no played matches"):
        DixonColesGoalModel().fit(simulated_league.matches.assign(**{c.HOME_GOALS: np.nan}))
    with pytest.raises(
        ValueError,
        match=r"'prior_weight' parameter of DixonColesGoalModel must be a float in the range \[0.0, inf\)",
    ):
        DixonColesGoalModel(prior_weight=-1.0).fit(simulated_league.matches)


def _fail(*args: object, **kwargs: object) -> OptimizeResult:
    x0 = np.asarray(args[1], dtype=float)
    return OptimizeResult(x=x0, fun=1e6, success=False, message="forced failure", nit=0)


def test_non_convergence_raises_after_retries(
    simulated_league: SimulatedLeague, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_team_strength, "minimize", _fail)
    with pytest.raises(
        ConvergenceError, match=r"DixonColesGoalModel did not converge on 760 matches.*attempt 3"
    ):
        DixonColesGoalModel().fit(simulated_league.matches)


def test_a_failed_first_attempt_is_retried(
    simulated_league: SimulatedLeague, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real = _team_strength.minimize

    def flaky(*args: object, **kwargs: object) -> OptimizeResult:
        calls.append(1)
        return _fail(*args) if len(calls) == 1 else real(*args, **kwargs)

    monkeypatch.setattr(_team_strength, "minimize", flaky)
    model = DixonColesGoalModel(prior_weight=0.0).fit(simulated_league.matches)
    assert len(calls) == 2
    reference = DixonColesGoalModel(prior_weight=0.0).fit(simulated_league.matches)
    assert model.log_likelihood_ == pytest.approx(reference.log_likelihood_, rel=1e-9)


@pytest.mark.parametrize(
    ("nll", "extra"),
    [(poisson_nll, 0), (dixon_coles_nll, 1), (bivariate_poisson_nll, 1), (bivariate_poisson_nll, 3)],
)
def test_analytic_gradients_match_finite_differences(nll, extra: int) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    n, p = 400, 8
    penalty = np.zeros((p + extra, p + extra))
    penalty[2:5, 2:5] = 3 * np.eye(3) - 0.5
    penalty[p:, p:] += np.eye(extra)
    design = np.column_stack([np.ones(n), rng.normal(0, 0.5, (n, extra - 1))]) if extra > 1 else None
    data = GoalData(
        rng.normal(0, 0.3, (n, p)),
        rng.normal(0, 0.3, (n, p)),
        rng.poisson(1.5, n).astype(float),
        rng.poisson(1.1, n).astype(float),
        rng.uniform(0.2, 1.0, n),
        penalty,
        design,
    )
    theta = rng.normal(0, 0.2, p + extra)
    if extra:
        theta[p] = -0.1 if nll is dixon_coles_nll else np.log(0.15)
    analytic = nll(theta, data)[1]
    numeric = approx_fprime(theta, lambda t: nll(t, data)[0], 1e-7)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-4)
