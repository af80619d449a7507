"""Shared machinery of the team-strength goal models (Poisson, Dixon-Coles, bivariate Poisson).

Scoring rates are log-linear: for a match of league ``l`` between ``h`` (home) and ``a`` (away)::

    log(rate_home) = intercept[l] + home_advantage + attack[h] + defence[a]
    log(rate_away) = intercept[l] + attack[a] + defence[h]

*Identifiability*: attack and defence each sum to zero over all teams, by parametrisation (the last team's
value is minus the sum of the others), so the optimiser works unconstrained (L-BFGS-B with box bounds).

*Several leagues*: every league in ``X`` gets its own intercept (its per-league offset) while team strengths
live on one common scale, so a team's matches in another division (e.g. E1 for E0) inform its strength; the
scales are linked by teams that moved between the divisions.

*Prior* (``prior_weight`` > 0): a Gaussian (ridge) prior pulls each team's attack and defence toward the mean
of its group, with precision ``prior_weight`` (one match of data carries about 1.4 units of precision, so
``prior_weight=7`` is worth roughly five matches). A team's group is its league (that of its latest match)
and whether it is a *newcomer* there: a team whose first season in that league in the training data is not
the league's first season in the data (promoted, or relegated into it). Group means are estimated with the
strengths (a hierarchical model, MAP), each with a unit-precision hyper-prior toward the overall average so
an all-newcomer group without data stays defined. Newcomers of past seasons (with a full season of data) thus
tell how strong promoted teams are; a team with few matches is shrunk toward that level.

*Unseen teams* (not in the training data) get their league's newcomer mean strength (the promoted-team
prior; the established teams' mean if the league had no newcomers; the overall average for an unseen league,
which is predicted with the intercept of the league with the most training weight). They never raise.

*Time decay*: match weight ``exp(-xi * days before the reference date)``; the reference date is
``reference_date`` or the latest training date. Matches after ``reference_date`` are rejected.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.utils._param_validation import Interval
from threadpoolctl import ThreadpoolController

from scoreline import columns as c
from scoreline.features.timeline import as_datetime
from scoreline.models._goal_likelihood import GoalData
from scoreline.models.base import CLASSES, ConvergenceError, GoalModel, played
from scoreline.models.grid import MAX_GOALS, ScoreGrid

log = logging.getLogger(__name__)

DEFAULT_XI = 0.0018  # per day: half-life about 385 days (Dixon & Coles' 0.0065 per half-week)
DEFAULT_PRIOR_WEIGHT = 4.0
GROUP_HYPER_PRECISION = 1.0  # in units of one team's prior precision
STRENGTH_BOUND = 6.0
ACCEPT_GRADIENT = 1e-3  # a fit that stops with a projected gradient below this (in goals) has converged
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class _Layout:
    """Positions of the parameter blocks in ``theta``."""

    n_leagues: int
    n_teams: int
    n_extra: int

    @property
    def home(self) -> int:
        return self.n_leagues

    @property
    def attack(self) -> slice:
        return slice(self.n_leagues + 1, self.n_leagues + self.n_teams)

    @property
    def defence(self) -> slice:
        return slice(self.n_leagues + self.n_teams, self.n_leagues + 2 * self.n_teams - 1)

    @property
    def n_beta(self) -> int:
        return self.n_leagues + 2 * self.n_teams - 1

    @property
    def size(self) -> int:
        return self.n_beta + self.n_extra


@cache
def _blas_controller() -> ThreadpoolController:
    """Created on first use (it scans the loaded libraries), then reused."""
    return ThreadpoolController()


@dataclass(frozen=True)
class ExtraParameters:
    """The model-specific parameters after the strengths in ``theta``: start values, bounds, prior and design.

    ``penalty`` is their prior precision (``None``: flat); ``design`` an optional per-match design matrix for
    parameters that enter every match through a log-linear predictor (e.g. a bivariate Poisson ``lambda3``).
    """

    start: list[float]
    bounds: list[tuple[float, float]]
    penalty: np.ndarray | None = None
    design: np.ndarray | None = None


def sum_to_zero(n: int) -> np.ndarray:
    """``(n, n-1)`` basis of vectors summing to zero: identity with a last row of minus ones."""
    return np.vstack([np.eye(n - 1), -np.ones((1, n - 1))])


def _lookup(values: Mapping[str, float], keys: Iterable[str], n: int) -> np.ndarray:
    """``values[key]`` for each of the ``n`` keys as floats, NaN for unknown keys."""
    return np.fromiter(map(values.get, keys, repeat(np.nan, n)), dtype=float, count=n)


def _as_names(values: Iterable[object] | np.ndarray) -> np.ndarray:
    """Team or league names as an object array of strings (non-strings converted, as ``astype(str)`` does;
    a column of strings only is taken as it is, which is the common case and costs one scan)."""
    names = np.asarray(values, dtype=object)
    if all(type(name) is str for name in names.flat):
        return names
    return names.astype(str).astype(object)


def _fixture_names(X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The home, away and (``None`` without the column) league names of the fixtures ``X``."""
    league = _as_names(X[c.LEAGUE].to_numpy()) if c.LEAGUE in X.columns else None
    return _as_names(X[c.HOME].to_numpy()), _as_names(X[c.AWAY].to_numpy()), league


@dataclass(frozen=True, eq=False)
class StrengthTables:
    """The fitted strengths as plain dicts: a fixture's look-up is then a dict get, not a pandas call (serving
    predicts one fixture at a time)."""

    intercept: dict[str, float]
    attack: dict[str, float]
    defence: dict[str, float]
    unseen_attack: dict[str, float]
    unseen_defence: dict[str, float]

    @classmethod
    def of(cls, *series: pd.Series) -> StrengthTables:
        """Tables of the intercept, attack, defence, unseen attack and unseen defence series (in order)."""

        def as_dict(values: pd.Series) -> dict[str, float]:
            return dict(zip(values.index.astype(str), values.to_numpy(dtype=float).tolist(), strict=True))

        return cls(*map(as_dict, series))


def team_groups(
    league: np.ndarray,
    season: np.ndarray,
    date: np.ndarray,
    home: np.ndarray,
    away: np.ndarray,
    teams: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each team's league (of its latest match) and whether it is a newcomer there, aligned with ``teams``.

    A team is a newcomer in a league when its first season there is preceded by another season of that league
    in the data (one in which it did not play).
    """
    order = np.argsort(date, kind="stable")
    latest: dict[str, str] = {}
    first: dict[tuple[str, str], str] = {}
    seasons: dict[str, set[str]] = {}
    columns = (league[order].astype(str), season[order].astype(str), home[order], away[order])
    for lg, ss, home_team, away_team in zip(*(col.tolist() for col in columns), strict=True):
        seasons.setdefault(lg, set()).add(ss)
        for team in (home_team, away_team):
            latest[team] = lg
            key = (team, lg)
            if key not in first or ss < first[key]:
                first[key] = ss
    team_league = np.array([latest[t] for t in teams])
    newcomer = np.array(
        [first[(t, lg)] > min(seasons[lg]) for t, lg in zip(teams, team_league, strict=True)], dtype=bool
    )
    return team_league, newcomer


def group_precision(groups: np.ndarray, weight: float) -> np.ndarray:
    """Precision matrix ``K`` of the group-mean ridge prior, with the group means profiled out.

    ``min_m sum_t (s_t - m_g(t))^2 + kappa * sum_g m_g^2 = s' (I - sum_g 1_g 1_g' / (n_g + kappa)) s``.
    """
    n = len(groups)
    precision = np.eye(n)
    for g in np.unique(groups):
        member = (groups == g).astype(float)
        precision -= np.outer(member, member) / (member.sum() + GROUP_HYPER_PRECISION)
    return weight * precision


def group_means(values: np.ndarray, groups: np.ndarray) -> dict[str, float]:
    """The profiled group means ``sum_g / (n_g + kappa)`` that go with :func:`group_precision`."""
    return {
        str(g): float(values[groups == g].sum() / ((groups == g).sum() + GROUP_HYPER_PRECISION))
        for g in np.unique(groups)
    }


class TeamStrengthModel(GoalModel):
    """Base of the log-linear team-strength goal models; see the module docstring.

    Parameters
    ----------
    xi : time-decay rate per day (0 disables decay).
    prior_weight : precision of the ridge prior toward group means (0: plain maximum likelihood).
    reference_date : date the decay counts back from; default the latest training date.
    max_goals : grid truncation ``G`` (goals per side) for predictions.
    random_state : seed of the perturbed restarts used when the first optimisation fails.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "xi": [Interval(Real, 0, None, closed="left")],
        "prior_weight": [Interval(Real, 0, None, closed="left")],
        "reference_date": [str, pd.Timestamp, None],
        "max_goals": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        xi: float = DEFAULT_XI,
        prior_weight: float = DEFAULT_PRIOR_WEIGHT,
        reference_date: str | pd.Timestamp | None = None,
        max_goals: int = MAX_GOALS,
        random_state: int | None = 0,
    ) -> None:
        self.xi = xi
        self.prior_weight = prior_weight
        self.reference_date = reference_date
        self.max_goals = max_goals
        self.random_state = random_state

    # --- hooks ---------------------------------------------------------------------------------
    @abstractmethod
    def _objective(self, theta: np.ndarray, data: GoalData) -> tuple[float, np.ndarray]:
        """Penalised negative log-likelihood and its gradient."""

    def _extra(self, teams: np.ndarray, home_idx: np.ndarray, basis: np.ndarray) -> ExtraParameters:
        """The model-specific parameters for these ``teams`` and matches (none by default)."""
        return ExtraParameters([], [])

    def _store_extra(self, extra: np.ndarray, teams: np.ndarray, basis: np.ndarray) -> None:
        """Store the model-specific parameters as learned attributes."""

    @abstractmethod
    def _grid(self, rate_home: np.ndarray, rate_away: np.ndarray, home: np.ndarray) -> np.ndarray:
        """Unnormalised ``(n, G+1, G+1)`` score grid for the log-linear rates of fixtures with home teams
        ``home``."""

    # --- fitting ---------------------------------------------------------------------------------
    def _weights(self, frame: pd.DataFrame) -> tuple[np.ndarray, pd.Timestamp | None]:
        if c.DATE not in frame.columns:
            if self.xi:
                raise ValueError(f"time decay (xi={self.xi}) needs the {c.DATE!r} column")
            return np.ones(len(frame)), None
        dates = as_datetime(frame[c.DATE])
        reference = pd.Timestamp(self.reference_date) if self.reference_date is not None else dates.max()
        late = frame.index[dates > reference]
        if len(late):
            first = str(late[0])
            raise ValueError(
                f"{len(late)} training match(es) after reference_date {reference.date()}, row {first}"
            )
        days = ((reference - dates).dt.total_seconds() / 86400.0).to_numpy()
        return np.exp(-self.xi * days), reference

    @staticmethod
    def _validated_goals(frame: pd.DataFrame, column: str) -> np.ndarray:
        goals = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(goals) | (goals < 0) | (goals != np.round(goals))
        if bad.any():
            row = frame.index[np.flatnonzero(bad)[0]]
            value, label = str(frame.at[row, column]), str(row)
            raise ValueError(
                f"row {label}: field {column!r} must be a non-negative whole number, got {value}"
            )
        return goals

    def fit(self, X: pd.DataFrame, y: object = None) -> TeamStrengthModel:
        """Fit the strengths to the played matches of ``X`` (maximum a posteriori with the prior)."""
        self._validate_params()
        frame = played(X)
        if frame.empty:
            raise ValueError("no played matches to fit (all rows lack home_goals/away_goals)")
        league_column = frame[c.LEAGUE].astype(str) if c.LEAGUE in frame.columns else ""
        frame = frame.assign(**{c.LEAGUE: league_column})
        home_goals = self._validated_goals(frame, c.HOME_GOALS)
        away_goals = self._validated_goals(frame, c.AWAY_GOALS)
        weights, reference = self._weights(frame)
        home_names = frame[c.HOME].astype(str).tolist()
        away_names = frame[c.AWAY].astype(str).tolist()
        teams = np.array(sorted(set(home_names) | set(away_names)))
        if len(teams) < 2:
            raise ValueError(f"need at least two teams to fit, got {list(teams)}")
        leagues = np.unique(frame[c.LEAGUE].to_numpy())
        if c.SEASON in frame.columns and c.DATE in frame.columns:
            team_league, newcomer = team_groups(
                frame[c.LEAGUE].to_numpy(),
                frame[c.SEASON].to_numpy(),
                frame[c.DATE].to_numpy(),
                np.array(home_names),
                np.array(away_names),
                teams,
            )
        else:
            team_league, newcomer = np.full(len(teams), str(leagues[0])), np.zeros(len(teams), dtype=bool)
        groups = np.array([f"{lg}|{int(new)}" for lg, new in zip(team_league, newcomer, strict=True)])

        basis = sum_to_zero(len(teams))
        position = {team: i for i, team in enumerate(teams.tolist())}
        home_idx = np.array([position[t] for t in home_names])
        away_idx = np.array([position[t] for t in away_names])
        extra = self._extra(teams, home_idx, basis)
        layout = _Layout(len(leagues), len(teams), len(extra.start))
        league_idx = np.searchsorted(leagues, frame[c.LEAGUE].to_numpy())
        n = len(frame)
        H = np.zeros((n, layout.n_beta))
        A = np.zeros((n, layout.n_beta))
        rows = np.arange(n)
        H[rows, league_idx] = 1.0
        A[rows, league_idx] = 1.0
        H[:, layout.home] = 1.0
        H[:, layout.attack] = basis[home_idx]
        H[:, layout.defence] = basis[away_idx]
        A[:, layout.attack] = basis[away_idx]
        A[:, layout.defence] = basis[home_idx]

        penalty = np.zeros((layout.size, layout.size))
        if self.prior_weight > 0:
            strength_precision = basis.T @ group_precision(groups, self.prior_weight) @ basis
            penalty[layout.attack, layout.attack] = strength_precision
            penalty[layout.defence, layout.defence] = strength_precision
        if extra.penalty is not None:
            penalty[layout.n_beta :, layout.n_beta :] = extra.penalty
        data = GoalData(H, A, home_goals, away_goals, weights, penalty, extra.design)

        start = self._start(data, layout, league_idx, home_idx, away_idx)
        start[layout.n_beta :] = extra.start
        theta = self._optimise(data, layout, start, extra.bounds)
        beta = theta[: layout.n_beta]
        attack = basis @ beta[layout.attack]
        defence = basis @ beta[layout.defence]
        self.teams_ = teams
        self.leagues_ = leagues
        self.intercept_ = pd.Series(beta[: layout.n_leagues], index=leagues, name="intercept")
        self.home_advantage_ = float(beta[layout.home])
        self.attack_ = pd.Series(attack, index=teams, name="attack")
        self.defence_ = pd.Series(defence, index=teams, name="defence")
        self.newcomers_ = teams[newcomer]
        self.unseen_attack_, self.unseen_defence_ = self._unseen_strengths(attack, defence, groups, leagues)
        self.strength_tables_ = self._tables_of_fit()
        league_weight = np.bincount(league_idx, weights=weights, minlength=len(leagues))
        self.reference_league_ = str(leagues[int(np.argmax(league_weight))])
        self.reference_date_ = reference
        self.n_matches_ = n
        self._store_extra(theta[layout.n_beta :], teams, basis)
        no_prior = GoalData(H, A, home_goals, away_goals, weights, np.zeros_like(penalty), extra.design)
        self.log_likelihood_ = -self._objective(theta, no_prior)[0]
        self.classes_ = CLASSES.copy()
        return self

    @staticmethod
    def _unseen_strengths(
        attack: np.ndarray, defence: np.ndarray, groups: np.ndarray, leagues: np.ndarray
    ) -> tuple[pd.Series, pd.Series]:
        """Per league, the strength given to unseen teams: newcomer mean, else established mean."""
        att_means, def_means = group_means(attack, groups), group_means(defence, groups)
        att, dfc = {}, {}
        for league in leagues:
            key = f"{league}|1" if f"{league}|1" in att_means else f"{league}|0"
            att[league], dfc[league] = att_means.get(key, 0.0), def_means.get(key, 0.0)
        return pd.Series(att, name="attack"), pd.Series(dfc, name="defence")

    def _start(
        self,
        data: GoalData,
        layout: _Layout,
        league_idx: np.ndarray,
        home_idx: np.ndarray,
        away_idx: np.ndarray,
    ) -> np.ndarray:
        """Start values: league goal levels, home/away goal ratio, each team's log goals for and against."""
        theta = np.zeros(layout.size)
        w, n = data.weights, layout.n_teams
        x, y = w * data.home_goals, w * data.away_goals

        def per_team(home_values: np.ndarray, away_values: np.ndarray) -> np.ndarray:
            return np.bincount(home_idx, home_values, n) + np.bincount(away_idx, away_values, n)

        played = per_team(w, w) + 1.0
        for block, values in ((layout.attack, per_team(x, y)), (layout.defence, per_team(y, x))):
            log_rate = np.log((values + 1.0) / played)
            theta[block] = (log_rate - log_rate.mean())[:-1]  # the sum-to-zero basis keeps the first n-1
        for i in range(int(league_idx.max()) + 1):
            m = league_idx == i
            goals = (w[m] @ (data.home_goals[m] + data.away_goals[m])) / (2 * w[m].sum())
            theta[i] = np.log(max(goals, 0.1))
        home = (w @ data.home_goals + 0.5) / (w @ data.away_goals + 0.5)
        theta[layout.home] = float(np.clip(np.log(home), -1.0, 1.0))
        return theta

    def _optimise(
        self, data: GoalData, layout: _Layout, start: np.ndarray, extra_bounds: list[tuple[float, float]]
    ) -> np.ndarray:
        bounds = (
            [(-5.0, 5.0)] * layout.n_leagues
            + [(-3.0, 3.0)]
            + [(-STRENGTH_BOUND, STRENGTH_BOUND)] * (2 * layout.n_teams - 2)
            + extra_bounds
        )
        lower, upper = np.array(bounds).T
        rng = np.random.default_rng(self.random_state)
        messages = []
        for attempt in range(MAX_ATTEMPTS):
            x0 = start if attempt == 0 else np.clip(start + rng.normal(0, 0.1, len(start)), lower, upper)
            # one BLAS thread: these problems are tiny and threaded BLAS only adds contention
            with _blas_controller().limit(limits=1, user_api="blas"):
                result = minimize(
                    self._objective,
                    x0,
                    args=(data,),
                    jac=True,
                    method="L-BFGS-B",
                    bounds=bounds,
                    options={"maxiter": 5000, "ftol": 1e-13, "gtol": 1e-8, "maxcor": 20},
                )
                theta = np.asarray(result.x)
                _, grad = self._objective(theta, data)
            projected = theta - np.clip(theta - grad, lower, upper)
            finite = np.isfinite(result.fun) and np.all(np.isfinite(theta))
            if finite and (result.success or np.max(np.abs(projected)) < ACCEPT_GRADIENT):
                self.n_iter_ = int(result.nit)
                return theta
            messages.append(
                f"attempt {attempt + 1}: {result.message} (max |gradient| {np.max(np.abs(projected)):.3g})"
            )
            # a retry from a perturbed start usually converges; only a final failure is the caller's concern
            log.info("%s fit did not converge, retrying: %s", type(self).__name__, messages[-1])
        raise ConvergenceError(
            f"{type(self).__name__} did not converge on {len(data.weights)} matches: " + "; ".join(messages)
        )

    # --- prediction ------------------------------------------------------------------------------
    def predict_log_rates(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(log rate_home, log rate_away)`` of every fixture (unseen teams: see the module docstring)."""
        return self._log_rates(*_fixture_names(X))

    def _log_rates(
        self, home: np.ndarray, away: np.ndarray, league: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "attack_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"{type(self).__name__} is not fitted yet; call fit first")
        n = len(home)
        if league is None:
            league = np.full(n, self.reference_league_, dtype=object)
        tables = self._strength_tables()
        intercept = _lookup(tables.intercept, league, n)
        unseen_league = np.isnan(intercept)
        if unseen_league.any():
            log.info("%d fixture(s) in leagues unseen in training", int(unseen_league.sum()))
            intercept[unseen_league] = tables.intercept[self.reference_league_]

        def strength(teams: np.ndarray, fitted: dict[str, float], unseen: dict[str, float]) -> np.ndarray:
            values = _lookup(fitted, teams, n)
            missing = np.isnan(values)
            if missing.any():
                fallback = _lookup(unseen, league[missing], int(missing.sum()))
                values[missing] = np.nan_to_num(fallback, nan=0.0)
            return values

        att_h = strength(home, tables.attack, tables.unseen_attack)
        att_a = strength(away, tables.attack, tables.unseen_attack)
        def_h = strength(home, tables.defence, tables.unseen_defence)
        def_a = strength(away, tables.defence, tables.unseen_defence)
        return intercept + self.home_advantage_ + att_h + def_a, intercept + att_a + def_h

    def _tables_of_fit(self) -> StrengthTables:
        return StrengthTables.of(
            self.intercept_, self.attack_, self.defence_, self.unseen_attack_, self.unseen_defence_
        )

    def _strength_tables(self) -> StrengthTables:
        """The look-up tables learned at fit (``strength_tables_``); a model pickled before fits stored them
        builds them on every call."""
        tables = getattr(self, "strength_tables_", None)
        return tables if tables is not None else self._tables_of_fit()

    def predict_grid(self, X: pd.DataFrame) -> ScoreGrid:
        """:meth:`predict_teams` of ``X``'s teams and leagues (a subclass changes ``_log_rates`` or ``_grid``,
        which both use, never this alone: serving calls :meth:`predict_teams` directly)."""
        return self.predict_teams(*_fixture_names(X))

    def predict_teams(
        self,
        home: Sequence[str] | np.ndarray,
        away: Sequence[str] | np.ndarray,
        league: Sequence[str] | np.ndarray | None = None,
    ) -> ScoreGrid:
        """Score grids of fixtures named by their teams (and leagues; default: the main training league), like
        penaltyblog's ``predict(home, away)``: :meth:`predict_grid` without building a match frame. A team
        model's prediction depends on nothing else, and serving skips the frame's cost this way."""
        home, away = _as_names(home), _as_names(away)
        if home.shape != away.shape or home.ndim != 1:
            raise ValueError(
                f"home and away must be equally long lists of names, got {home.shape} and {away.shape}"
            )
        names = None if league is None else _as_names(league)
        if names is not None and names.shape != home.shape:
            raise ValueError(f"league must name one league per fixture, got {names.shape} for {home.shape}")
        eta_home, eta_away = self._log_rates(home, away, names)
        return ScoreGrid(self._grid(np.exp(eta_home), np.exp(eta_away), home))
