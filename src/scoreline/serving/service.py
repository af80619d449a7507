"""Predictions of one loaded model: fixtures in, probabilities and goal markets out.

:class:`ModelHandle` is an immutable loaded model (estimator plus where it came from);
:class:`PredictionService` wraps one handle and answers batches of :class:`Fixture`. Goal models
(estimators with ``predict_grid``) also give expected goals, the most likely scores, over/under 2.5 and both
teams to score; other models give the 1X2 probabilities only. Answers are cached per fixture (the model never
changes under a handle), so the fixtures many clients ask about are computed once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c

TOP_SCORES = 5
GOAL_LINE = 2.5
DEFAULT_CACHE_SIZE = 8192
SEASON_START_MONTH = 7  # a kickoff in July or later belongs to the season starting that year


@dataclass(frozen=True)
class ModelHandle:
    """A loaded model: the fitted estimator and its registry identity (never mutated once built)."""

    estimator: Any
    name: str
    version: str
    alias: str | None = None
    run_id: str | None = None
    loaded_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Fixture:
    """One fixture to predict; ``kickoff`` is naive (aware kickoffs are converted to UTC first)."""

    league: str
    home: str
    away: str
    kickoff: datetime


@dataclass(frozen=True)
class Prediction:
    """What a model says about one fixture; goal-market fields are ``None`` for non-goal models."""

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


def season_code(kickoff: datetime) -> str:
    """football-data season code ("2425") of a kickoff; seasons start in July."""
    start = kickoff.year - (kickoff.month < SEASON_START_MONTH)
    return f"{start % 100:02d}{(start + 1) % 100:02d}"


def fixtures_frame(fixtures: Sequence[Fixture]) -> pd.DataFrame:
    """A canonical match frame (key columns, season, date, kickoff) for ``fixtures``, results missing."""
    kickoff = np.array([f.kickoff for f in fixtures], dtype="datetime64[ns]")
    date = kickoff.astype("datetime64[D]").astype("datetime64[ns]")
    return pd.DataFrame(
        {
            c.LEAGUE: np.array([f.league for f in fixtures], dtype=object),
            c.SEASON: np.array([season_code(f.kickoff) for f in fixtures], dtype=object),
            c.DATE: date,
            c.KICKOFF: kickoff,
            c.HAS_TIME: kickoff != date,
            c.HOME: np.array([f.home for f in fixtures], dtype=object),
            c.AWAY: np.array([f.away for f in fixtures], dtype=object),
        },
        copy=False,
    )


class PredictionService:
    """Predictions of one :class:`ModelHandle`, computed in one vectorised call per batch and cached.

    Thread-safe: the cache is guarded by a lock; the estimator is only read.
    """

    def __init__(self, handle: ModelHandle, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self.handle = handle
        self.is_goal_model = callable(getattr(handle.estimator, "predict_grid", None))
        self._cache: OrderedDict[Fixture, Prediction] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def predict(self, fixtures: Sequence[Fixture]) -> list[Prediction]:
        """One :class:`Prediction` per fixture, in order (unknown teams are the caller's to reject first)."""
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

    def _compute(self, fixtures: Sequence[Fixture]) -> list[Prediction]:
        frame = fixtures_frame(fixtures)
        estimator = self.handle.estimator
        n = len(fixtures)
        xg: np.ndarray | None = None
        over: np.ndarray | None = None
        btts: np.ndarray | None = None
        scores: list[tuple[tuple[int, int, float], ...]] = [() for _ in range(n)]
        if self.is_goal_model:
            grid = estimator.predict_grid(frame)
            probs = np.asarray(grid.outcome_probabilities(), dtype=float)
            xg = np.asarray(grid.expected_goals, dtype=float)
            over = np.asarray(grid.totals(GOAL_LINE).over, dtype=float)
            btts = np.asarray(grid.both_teams_to_score(), dtype=float)
            likely = grid.most_likely_scores(TOP_SCORES)
            scores = [
                tuple(
                    (int(h), int(a), float(p))
                    for h, a, p in zip(
                        likely.home_goals[i], likely.away_goals[i], likely.probability[i], strict=True
                    )
                )
                for i in range(n)
            ]
        else:
            probs = np.asarray(estimator.predict_proba(frame), dtype=float)
        _check_probabilities(probs, n)
        return [
            Prediction(
                fixture=fixture,
                home=float(probs[i, 0]),
                draw=float(probs[i, 1]),
                away=float(probs[i, 2]),
                expected_goals=None if xg is None else (float(xg[i, 0]), float(xg[i, 1])),
                most_likely_scores=scores[i],
                over_2_5=None if over is None else float(over[i]),
                both_teams_to_score=None if btts is None else float(btts[i]),
                model_name=self.handle.name,
                model_version=self.handle.version,
            )
            for i, fixture in enumerate(fixtures)
        ]


class ModelOutputError(RuntimeError):
    """The loaded model returned something that is not a probability table."""


def _check_probabilities(probs: np.ndarray, n: int) -> None:
    if probs.shape != (n, len(c.OUTCOMES)):
        raise ModelOutputError(f"model returned shape {probs.shape}, expected ({n}, 3)")
    if (
        not np.all(np.isfinite(probs))
        or np.any(probs < 0)
        or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    ):
        raise ModelOutputError(
            "model returned probabilities that are not finite, non-negative rows summing to 1"
        )
