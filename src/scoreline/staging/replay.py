"""Replay a season day by day as if live, recording predictions in the ledger before kickoff.

At the end of each day ``D`` (23:59) the replay knows every result up to and including ``D`` and the fixture
list. It predicts the fixtures of the next ``horizon_days`` whose round has started to be predictable, i.e.
whose training cutoff (midnight of the round's first match day, as in the walk-forward backtest) is no later
than ``D + 1``; the model for a round is fitted once, at its cutoff, on the matches known before it, exactly
as the backtest fits it. Predictions go to the append-only ledger with ``predicted_at = D 23:59``, always
before kickoff; finished matches are scored the evening they are played. So the replay's RPS equals the
backtest's for the same model, cadence, window and training leagues, and every prediction is provably on time.

Its predictions are dated in the past, so they are written under a replay run (``ReplayConfig.run``, by
default ``stage-<league>-<season>``), never as live predictions: the ledger records when they were really
written, and the live monitor never counts them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics
from scoreline.evaluation.walk_forward import (
    PRE_MATCH_COLUMNS,
    new_estimator,
    round_cutoffs,
)
from scoreline.leagues import training_divisions
from scoreline.models.base import needs_opening_prices
from scoreline.models.catalogue import make_model
from scoreline.odds import OPENING_PRICE_COLUMNS, attach_opening_prices, market_probabilities
from scoreline.staging.ledger import MODEL_NAME, MODEL_VERSION, PREDICTED_AT, LatePredictionError, Ledger

log = logging.getLogger(__name__)

END_OF_DAY = pd.Timedelta(hours=23, minutes=59)
DayCallback = Callable[[int, int, str], None]


@dataclass(frozen=True)
class ReplayConfig:
    """What to replay and with which model configuration (the backtest's defaults)."""

    league: str
    season: str
    model: str = "dixon_coles"
    model_version: str = "replay"
    horizon_days: int = 3
    cadence: str = "week"
    window_days: int = 730
    run: str | None = None  # the ledger's replay run identifier; None: stage-<league>-<season>

    @property
    def run_id(self) -> str:
        """The replay run the predictions are written under."""
        return self.run or f"stage-{self.league}-{self.season}"


@dataclass(frozen=True)
class ReplayResult:
    """Counts and scores of a replay (the ``scoreline stage --json`` output); ``run`` is its replay run."""

    run: str
    predictions: int
    scored: int
    late_predictions: int
    rps: float
    market_closing_rps: float
    days: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "run": self.run,
            "replay": True,
            "predictions": self.predictions,
            "scored": self.scored,
            "late_predictions": self.late_predictions,
            "rps": self.rps,
            "market_closing_rps": self.market_closing_rps,
            "days": self.days,
        }


class _RoundModels:
    """Fits each round's model once, at its cutoff, from what the replay knows then."""

    def __init__(self, history: pd.DataFrame, config: ReplayConfig, train_leagues: tuple[str, ...]) -> None:
        self._history = history
        self._config = config
        self._train_leagues = train_leagues
        self._fitted: dict[pd.Timestamp, Any] = {}

    def get(self, cutoff: pd.Timestamp, known_until: pd.Timestamp) -> Any:
        if cutoff > known_until + pd.Timedelta(days=1):
            raise ValueError(f"round cutoff {cutoff.date()} is after what is known ({known_until.date()})")
        if cutoff not in self._fitted:
            frame = self._history
            dates = frame[c.DATE]
            train = frame[
                frame[c.RESULT].isin(c.RESULT_TO_INDEX)
                & frame[c.LEAGUE].isin(self._train_leagues)
                & (dates < cutoff)
                & (dates <= known_until)
                & (dates >= cutoff - pd.Timedelta(days=self._config.window_days))
            ].reset_index(drop=True)
            self._fitted[cutoff] = new_estimator(make_model(self._config.model)).fit(train)
        return self._fitted[cutoff]


def _prepare(matches: pd.DataFrame, odds: pd.DataFrame, config: ReplayConfig) -> pd.DataFrame:
    frame = matches.copy()
    frame[c.DATE] = pd.to_datetime(frame[c.DATE]).dt.normalize()
    frame[c.KICKOFF] = pd.to_datetime(frame[c.KICKOFF]).fillna(frame[c.DATE])
    frame[c.SEASON] = frame[c.SEASON].astype(str)
    if needs_opening_prices(make_model(config.model)):
        frame = attach_opening_prices(frame, odds)
    return frame.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)


def replay_season(
    matches: pd.DataFrame,
    odds: pd.DataFrame,
    config: ReplayConfig,
    ledger: Ledger,
    on_day: DayCallback | None = None,
) -> ReplayResult:
    """Replay ``config.league`` ``config.season`` day by day into ``ledger``; return counts and scores."""
    frame = _prepare(matches, odds, config)
    train_leagues = training_divisions(config.league, tuple(frame[c.LEAGUE].unique()))
    season = frame[(frame[c.LEAGUE] == config.league) & (frame[c.SEASON] == config.season)]
    if season.empty:
        raise LookupError(f"no matches for {config.league} {config.season} in the data")
    season = season.assign(_cutoff=round_cutoffs(season, config.cadence))  # type: ignore[arg-type]
    history = frame[frame[c.LEAGUE].isin(train_leagues)].reset_index(drop=True)
    models = _RoundModels(history, config, train_leagues)
    pre_match = [col for col in (*PRE_MATCH_COLUMNS, *OPENING_PRICE_COLUMNS) if col in season.columns]
    days = pd.date_range(season[c.DATE].min() - pd.Timedelta(days=1), season[c.DATE].max(), freq="D")
    predicted = np.zeros(len(season), dtype=bool)
    late = 0
    for i, day in enumerate(days):
        due = (
            ~predicted
            & (season[c.DATE] > day).to_numpy()
            & (season[c.DATE] <= day + pd.Timedelta(days=config.horizon_days)).to_numpy()
            & (season["_cutoff"] <= day + pd.Timedelta(days=1)).to_numpy()
        )
        for cutoff, rows in season[due].groupby("_cutoff", sort=True):
            model = models.get(pd.Timestamp(str(cutoff)), day)
            probs = model.predict_proba(rows[pre_match].reset_index(drop=True))
            try:
                ledger.append(_ledger_rows(rows, probs, config, day + END_OF_DAY), replay_run=config.run_id)
            except LatePredictionError:
                late += len(rows)
                log.exception("late predictions refused on %s", day.date())
        predicted |= due
        finished = season[(season[c.DATE] == day) & season[c.RESULT].notna()]
        if not finished.empty:
            ledger.score(finished, scored_at=day + END_OF_DAY, replay_run=config.run_id)
        if on_day is not None:
            on_day(i + 1, len(days), f"{config.league} {day.date()}")
    return _summarise(ledger, season, odds, config, late, len(days))


def _ledger_rows(
    rows: pd.DataFrame, probs: np.ndarray, config: ReplayConfig, now: pd.Timestamp
) -> pd.DataFrame:
    out = rows[[c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY]].copy()
    out[MODEL_NAME] = config.model
    out[MODEL_VERSION] = config.model_version
    out[PREDICTED_AT] = now
    out[list(c.PROBABILITY_COLUMNS)] = probs
    return out


def market_closing_probabilities(matches: pd.DataFrame, odds: pd.DataFrame) -> pd.DataFrame:
    """Shin-de-vigged closing probabilities for each of ``matches`` (NaN where no valid closing triple)."""
    key = list(c.MATCH_KEY)
    market = market_probabilities(odds, c.CLOSING, "shin")
    market[c.DATE] = pd.to_datetime(market[c.DATE])
    return matches[key].merge(market, on=key, how="left")


def _summarise(
    ledger: Ledger, season: pd.DataFrame, odds: pd.DataFrame, config: ReplayConfig, late: int, n_days: int
) -> ReplayResult:
    recorded = ledger.read(config.run_id)
    recorded = recorded[
        (recorded[MODEL_VERSION] == config.model_version)
        & (recorded[c.LEAGUE] == config.league)
        & (recorded[c.SEASON] == config.season)
    ]
    scored = ledger.scored(config.run_id)
    scored = scored[
        (scored[MODEL_VERSION] == config.model_version)
        & (scored[c.LEAGUE] == config.league)
        & (scored[c.SEASON] == config.season)
    ]
    market = market_closing_probabilities(scored, odds)
    outcomes = metrics.outcome_indices(scored[c.RESULT])
    market_probs = market[list(c.PROBABILITY_COLUMNS)].to_numpy()
    has_market = ~np.isnan(market_probs).any(axis=1)
    return ReplayResult(
        run=config.run_id,
        predictions=len(recorded),
        scored=len(scored),
        late_predictions=late,
        rps=float(scored["rps"].mean()) if len(scored) else float("nan"),
        market_closing_rps=metrics.rps(market_probs[has_market], outcomes[has_market])
        if has_market.any()
        else float("nan"),
        days=n_days,
    )
