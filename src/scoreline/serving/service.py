"""Predictions of one loaded model: fixtures in, probabilities and goal markets out.

:class:`ModelHandle` is an immutable loaded model (estimator plus where it came from);
:class:`PredictionService` wraps one handle and answers batches of :class:`Fixture`. Goal models
(estimators with ``predict_grid``) also give expected goals, the most likely scores, over/under 2.5 and both
teams to score; other models give the 1X2 probabilities only. Models that use the market
(:func:`~scoreline.models.base.needs_opening_prices`) predict from each fixture's opening 1X2 prices
(:attr:`Fixture.odds`) and refuse fixtures without valid ones (:class:`OpeningOddsError`); other models ignore
the prices. Answers are cached per fixture (the model never changes under a handle), so the fixtures many
clients ask about are computed once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.models.base import check_probabilities, needs_opening_prices
from scoreline.models.grid import ScoreGrid
from scoreline.odds import OPENING_PRICE_COLUMNS, PriceProblem, price_problems
from scoreline.sources.seasons import seasons_of_dates

TOP_SCORES = 5
GOAL_LINE = 2.5
DEFAULT_CACHE_SIZE = 8192
OpeningPrices = tuple[float, float, float]  # opening decimal odds of home win, draw, away win


@dataclass(frozen=True)
class ModelHandle:
    """A loaded model: the fitted estimator and its registry identity (never mutated once built)."""

    estimator: Any
    name: str
    version: str
    alias: str | None = None
    run_id: str | None = None
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    train_cutoff: datetime | None = None  # fitted on matches before it (the run's ``until``); None: unknown


class Fixture(NamedTuple):
    """One fixture to predict; ``kickoff`` is naive (aware kickoffs are converted to UTC first); ``odds`` its
    opening 1X2 prices, used only by models that use the market. A named tuple: it is the answer cache's key,
    and tuples hash in C."""

    league: str
    home: str
    away: str
    kickoff: datetime
    odds: OpeningPrices | None = None


class Prediction(NamedTuple):
    """What a model says about one fixture; goal-market fields are ``None`` for non-goal models (a named
    tuple: a batch builds one per fixture)."""

    fixture: Fixture
    home: float
    draw: float
    away: float
    expected_goals: tuple[float, float] | None
    most_likely_scores: tuple[tuple[int, int, float], ...]
    over_2_5: float | None
    both_teams_to_score: float | None
    model_name: str
    model_version: str


def opening_price_array(fixtures: Sequence[Fixture]) -> np.ndarray:
    """The fixtures' opening prices as an ``(n, 3)`` float array (NaN where a fixture has none)."""
    return np.array([f.odds if f.odds is not None else (np.nan,) * 3 for f in fixtures], dtype=float).reshape(
        len(fixtures), len(c.OUTCOMES)
    )


def fixtures_frame(fixtures: Sequence[Fixture], with_prices: bool = False) -> pd.DataFrame:
    """A canonical match frame (key columns, season, date, kickoff) for ``fixtures``, results missing; with
    ``with_prices``, also their opening prices as ``odds.OPENING_PRICE_COLUMNS``."""
    # pandas parses datetime objects 5x faster than numpy; the rest is numpy (cheaper than DatetimeIndex ops)
    kickoff = pd.DatetimeIndex([f.kickoff for f in fixtures]).as_unit("ns").to_numpy()
    date = kickoff.astype("datetime64[D]").astype("datetime64[ns]")
    frame = pd.DataFrame(
        {
            c.LEAGUE: np.array([f.league for f in fixtures], dtype=object),
            c.SEASON: seasons_of_dates(kickoff),
            c.DATE: date,
            c.KICKOFF: kickoff,
            c.HAS_TIME: kickoff != date,
            c.HOME: np.array([f.home for f in fixtures], dtype=object),
            c.AWAY: np.array([f.away for f in fixtures], dtype=object),
        },
        copy=False,
    )
    if with_prices:
        prices = opening_price_array(fixtures)
        for j, name in enumerate(OPENING_PRICE_COLUMNS):
            frame[name] = prices[:, j]
    return frame


class OpeningOddsError(ValueError):
    """Fixtures a market model cannot predict: their opening prices are missing or unusable.

    ``problems`` hold the position of each fixture in the batch (``row``), the price at fault (``outcome``,
    ``None`` for the triple) and why; ``reasons`` say it per problem for people, ``messages`` also name the
    fixture.
    """

    def __init__(self, model: str, fixtures: Sequence[Fixture], problems: Sequence[PriceProblem]) -> None:
        self.model = model
        self.fixtures = list(fixtures)
        self.problems = _one_per_fixture_without_odds(self.fixtures, problems)
        self.reasons = [odds_problem_reason(model, self.fixtures[p.row], p) for p in self.problems]
        self.messages = [
            f"fixture {p.row} ({describe(self.fixtures[p.row])}): {reason}"
            for p, reason in zip(self.problems, self.reasons, strict=True)
        ]
        super().__init__("; ".join(self.messages))

    def missing(self, problem: PriceProblem) -> bool:
        """Whether the fixture of ``problem`` came without any odds (rather than with unusable ones)."""
        return self.fixtures[problem.row].odds is None


def _one_per_fixture_without_odds(
    fixtures: Sequence[Fixture], problems: Sequence[PriceProblem]
) -> list[PriceProblem]:
    """``problems``, a fixture without any odds reported once (for the triple) instead of once per price."""
    kept, seen = [], set()
    for problem in problems:
        if fixtures[problem.row].odds is None:
            if problem.row not in seen:
                seen.add(problem.row)
                kept.append(PriceProblem(problem.row, None, "are missing"))
        else:
            kept.append(problem)
    return kept


def describe(fixture: Fixture) -> str:
    """``E0 Arsenal v Chelsea, 2025-08-16``."""
    return f"{fixture.league} {fixture.home} v {fixture.away}, {fixture.kickoff:%Y-%m-%d}"


def odds_problem_reason(model: str, fixture: Fixture, problem: PriceProblem) -> str:
    """Why a market model cannot predict ``fixture``: no opening odds, or which price is unusable."""
    if fixture.odds is None:
        return (
            f"model {model} uses the market and needs the fixture's opening 1X2 odds; give odds "
            "{home, draw, away} (decimal prices); none were given or found in the store"
        )
    price = f"{problem.outcome} price" if problem.outcome else "opening prices"
    return f"{price} {problem.reason}"


class PredictionService:
    """Predictions of one :class:`ModelHandle`, computed in one vectorised call per batch and cached.

    Thread-safe: the cache is guarded by a lock; the estimator is only read.
    """

    def __init__(self, handle: ModelHandle, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.handle = handle
        self.is_goal_model = callable(getattr(handle.estimator, "predict_grid", None))
        self.needs_opening_prices = needs_opening_prices(handle.estimator)
        self.predicts_teams = (
            callable(getattr(handle.estimator, "predict_teams", None)) and not self.needs_opening_prices
        )
        self._cache: OrderedDict[Fixture, Prediction] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def check_odds(self, fixtures: Sequence[Fixture]) -> None:
        """For a market model, :class:`OpeningOddsError` listing the fixtures without usable opening odds."""
        if not self.needs_opening_prices:
            return
        problems = price_problems(opening_price_array(fixtures))
        if problems:
            raise OpeningOddsError(self.handle.name, fixtures, problems)

    def predict(self, fixtures: Sequence[Fixture]) -> list[Prediction]:
        """One :class:`Prediction` per fixture, in order (unknown teams are the caller's to reject first).

        A market model raises :class:`OpeningOddsError` if any fixture lacks usable opening odds; other
        models drop the odds (their predictions do not depend on them).
        """
        self.check_odds(fixtures)
        if not self.needs_opening_prices:
            fixtures = [f if f.odds is None else f._replace(odds=None) for f in fixtures]
        with self._lock:
            found = {f: self._cache.get(f) for f in fixtures}
        missing = [f for f, p in found.items() if p is None]
        if missing:
            computed = self._compute(missing)
            with self._lock:
                for prediction in computed:
                    self._cache[prediction.fixture] = prediction
                    found[prediction.fixture] = prediction
                while len(self._cache) > self._cache_size:
                    self._cache.popitem(last=False)
        return [p for p in (found[f] for f in fixtures) if p is not None]

    def _grid(self, fixtures: Sequence[Fixture]) -> ScoreGrid:
        """A goal model's score grids; a team model (``predict_teams``) gets the names alone, the others a
        match frame (building one costs about as much as a team model's whole prediction)."""
        estimator = self.handle.estimator
        grid: ScoreGrid
        if self.predicts_teams:
            grid = estimator.predict_teams(
                np.array([f.home for f in fixtures], dtype=object),
                np.array([f.away for f in fixtures], dtype=object),
                np.array([f.league for f in fixtures], dtype=object),
            )
        else:
            grid = estimator.predict_grid(fixtures_frame(fixtures, with_prices=self.needs_opening_prices))
        return grid

    def _compute(self, fixtures: Sequence[Fixture]) -> list[Prediction]:
        estimator = self.handle.estimator
        n = len(fixtures)
        nothing: list[None] = [None] * n
        xg: Sequence[tuple[float, float] | None] = nothing
        over: Sequence[float | None] = nothing
        btts: Sequence[float | None] = nothing
        scores: Sequence[tuple[tuple[int, int, float], ...]] = [()] * n
        # .tolist() converts whole arrays to Python numbers at C speed (per-item casts cost 10x more)
        if self.is_goal_model:
            grid = self._grid(fixtures)
            probs = np.asarray(grid.outcome_probabilities(), dtype=float)
            xg = [tuple(pair) for pair in np.asarray(grid.expected_goals, dtype=float).tolist()]
            over = np.asarray(grid.totals(GOAL_LINE).over, dtype=float).tolist()
            btts = np.asarray(grid.both_teams_to_score(), dtype=float).tolist()
            likely = grid.most_likely_scores(TOP_SCORES)
            scores = [
                tuple(zip(homes, aways, chances, strict=True))
                for homes, aways, chances in zip(
                    likely.home_goals.tolist(), likely.away_goals.tolist(), likely.probability.tolist(),
                    strict=True,
                )
            ]  # fmt: skip
        else:
            frame = fixtures_frame(fixtures, with_prices=self.needs_opening_prices)
            probs = np.asarray(estimator.predict_proba(frame), dtype=float)
        _check_probabilities(probs, n)
        name, version = self.handle.name, self.handle.version
        return [
            Prediction(fixture, home, draw, away, goals, top, over_2_5, both, name, version)
            for fixture, (home, draw, away), goals, top, over_2_5, both in zip(
                fixtures, probs.tolist(), xg, scores, over, btts, strict=True
            )
        ]


class ModelOutputError(RuntimeError):
    """The loaded model returned something that is not a probability table."""


def _check_probabilities(probs: np.ndarray, n: int) -> None:
    """:func:`~scoreline.models.base.check_probabilities` (no missing rows) as a :class:`ModelOutputError`."""
    try:
        check_probabilities(probs, n)
    except ValueError as exc:
        raise ModelOutputError(f"model returned invalid probabilities: {exc}") from exc
