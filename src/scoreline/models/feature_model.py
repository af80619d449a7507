"""Shared machinery of the models that learn from leakage-safe features (ratings, form, market).

These models keep the contract of every scoreline model: ``fit`` takes past matches, ``predict_proba`` takes
fixtures. They build their own feature table with :func:`scoreline.features.build_features`: at fit time over
the training matches, at prediction time over the training matches plus the fixtures, so a fixture sees
exactly what was known when the model was fitted. Ratings gain from long histories (pass them all):
only rows after the first ``burn_in_days`` (ratings warming up) and within the last ``learn_days`` before the
latest training match (the mapping from features to outcomes drifts) are learned from. Models with the
``market`` group also need the fixtures' opening prices in ``odds.OPENING_PRICE_COLUMNS`` (see
:func:`scoreline.odds.attach_opening_prices`).

A feature table always holds every group the matches allow (rating and form, plus market where opening
prices are given) and each model selects its own groups' columns: a group's columns do not depend on the other
groups. So models given one :class:`~scoreline.models.memo.FitMemo` (their ``memory`` parameter, set by the
walk-forward engine for each league-season) share the table of the same matches: the models of one backtest
round build it once. Without a memo every fit and prediction builds its own.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from scoreline import columns as c
from scoreline.features import (
    GROUP_COLUMNS,
    GROUPS,
    KEY_COLUMNS,
    build_features,
    feature_columns,
)
from scoreline.features.market import MARKET_COLUMNS, market_columns
from scoreline.features.params import resolve_params
from scoreline.features.version import feature_set_version
from scoreline.hashing import frame_hash
from scoreline.models.base import CLASSES, MatchModel
from scoreline.models.memo import FitMemo
from scoreline.odds import OPENING_PRICE_COLUMNS

_HISTORY_COLUMNS = (
    c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY, c.HOME_GOALS, c.AWAY_GOALS, c.RESULT,
    *c.STAT_COLUMNS,
)  # fmt: skip
_MARKET_PARAMS = {"market": {"bookmakers": ("market",)}}


def frame_digest(frame: pd.DataFrame) -> str:
    """A hash of a frame's columns, dtypes, index and values (the memo key of tables and base models)."""
    return frame_hash(frame, index=True)


def _market_table(matches: pd.DataFrame, memory: FitMemo | None) -> pd.DataFrame:
    """The market group of ``matches`` from their own opening prices (one triple per row, so no long odds
    frame is needed), as :func:`~scoreline.features.build_features` computes it from
    ``OpeningOdds.from_long(opening_odds_long(matches))``. Market columns are row by row, so with ``memory``
    each distinct triple is de-vigged once per memo: a walk-forward's weekly tables share almost every row."""
    prices = matches.loc[:, list(OPENING_PRICE_COLUMNS)].to_numpy(dtype=float)
    if memory is None:
        return market_columns(prices, matches.index)
    known: dict[bytes, np.ndarray] = memory.get_or_compute(("market rows",), dict)
    keys = [row.tobytes() for row in prices]
    new = list({key: i for i, key in enumerate(keys) if key not in known}.values())
    if new:
        fresh = market_columns(prices[new], pd.RangeIndex(len(new))).to_numpy()
        known.update(zip((keys[i] for i in new), fresh, strict=True))
    values = np.array([known[key] for key in keys]).reshape(len(keys), len(MARKET_COLUMNS))
    return pd.DataFrame(values, columns=list(MARKET_COLUMNS), index=matches.index)


def _all_features(matches: pd.DataFrame, memory: FitMemo | None = None) -> pd.DataFrame:
    """Every feature group ``matches`` allows (the market group where they have opening prices)."""
    table = build_features(matches, groups=tuple(g for g in GROUPS if g != "market"))
    if not set(OPENING_PRICE_COLUMNS) <= set(matches.columns):
        return table
    return pd.concat([table, _market_table(matches, memory)], axis=1)


def all_features(matches: pd.DataFrame, memory: FitMemo | None) -> pd.DataFrame:
    """:func:`_all_features`, through ``memory`` (keyed by content) when given; callers must not modify it."""
    if memory is None:
        return _all_features(matches)
    return memory.get_or_compute(("features", frame_digest(matches)), lambda: _all_features(matches, memory))


def outcome_index(results: pd.Series) -> np.ndarray:
    """Result letters as class indices in ``columns.OUTCOMES`` order (H 0, D 1, A 2)."""
    return np.asarray(results.map(c.RESULT_TO_INDEX).to_numpy(dtype=int))


class FeatureModel(MatchModel):
    """Base class: feature groups, burn-in and the fit/predict feature tables; subclasses learn the rest."""

    groups: tuple[str, ...]
    burn_in_days: int
    learn_days: int | None
    memory: FitMemo | None

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "groups": [tuple, list],
        "burn_in_days": [Interval(Integral, 0, None, closed="left")],
        "learn_days": [Interval(Integral, 1, None, closed="left"), None],
        "memory": [FitMemo, None],
    }

    def _validate(self) -> None:
        """Check the parameters (:meth:`_validate_params`) and that every feature group exists."""
        self._validate_params()
        unknown = [group for group in self.groups if group not in GROUPS]
        if unknown:
            raise ValueError(f"groups: unknown feature group(s) {unknown}; choose from {list(GROUPS)}")

    def _history(self, X: pd.DataFrame) -> pd.DataFrame:
        played = X[X[c.RESULT].notna() & X[c.HOME_GOALS].notna()]
        if played.empty:
            raise ValueError(f"{type(self).__name__}.fit needs matches with results; none were given")
        extra = tuple(getattr(self, "categorical", ()))  # e.g. style clusters, kept for models that use them
        wanted = (*_HISTORY_COLUMNS, *OPENING_PRICE_COLUMNS, *extra)
        present = [name for name in wanted if name in played.columns]
        return played.loc[:, present].sort_values(c.DATE, kind="stable").reset_index(drop=True)

    @property
    def needs_opening_prices(self) -> bool:
        """Whether fixtures need their opening prices (the market feature group is used)."""
        return "market" in self.groups

    def _require_prices(self, matches: pd.DataFrame) -> None:
        if "market" in self.groups and not set(OPENING_PRICE_COLUMNS) <= set(matches.columns):
            raise ValueError(
                f"{type(self).__name__} uses market features: give matches their opening prices in "
                f"{list(OPENING_PRICE_COLUMNS)} (scoreline.odds.attach_opening_prices)"
            )

    def _features(self, matches: pd.DataFrame) -> pd.DataFrame:
        """Key columns and this model's groups' feature columns, in :func:`build_features` order."""
        self._require_prices(matches)
        names = [name for group in GROUPS if group in self.groups for name in GROUP_COLUMNS[group]]
        return all_features(matches, self.memory).loc[:, [*KEY_COLUMNS, *names]]

    def _training_table(self, X: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
        """Store the history and return (feature matrix, outcome indices, rows' keys) for learning."""
        history = self._history(X)
        self.classes_ = CLASSES.copy()
        self.history_ = history
        table = self._features(history)
        self.feature_set_version_ = feature_set_version(
            tuple(dict.fromkeys(self.groups)), resolve_params(_MARKET_PARAMS)
        )
        start = history[c.DATE].min() + pd.Timedelta(days=self.burn_in_days)
        if self.learn_days is not None:
            start = max(start, history[c.DATE].max() - pd.Timedelta(days=self.learn_days))
        learn = (history[c.DATE] >= start).to_numpy()
        if learn.sum() < 50:  # too little data for the burn-in: learn from everything
            learn[:] = True
        self.feature_names_ = feature_columns(table)
        return (
            table.loc[learn, self.feature_names_],
            outcome_index(history.loc[learn, c.RESULT]),
            history[learn],
        )

    def _prediction_table(self, X: pd.DataFrame) -> pd.DataFrame:
        """Feature rows for the fixtures in ``X`` as known at fit time (their own results are ignored)."""
        check_is_fitted(self, "history_")
        self._require_prices(X)
        outcomes = (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, c.RESULT)
        history = self.history_
        present = [name for name in history.columns if name in X.columns and name not in outcomes]
        # Columns left out (results, all-NA ones) come back as NaN in the history's dtype.
        known = X[present].dropna(axis=1, how="all")
        combined = pd.concat([history, known], ignore_index=True)
        table = self._features(combined)
        rows = table.iloc[len(history) :]
        return rows.loc[:, self.feature_names_].set_axis(X.index)

    def get_feature_names_out(self) -> list[str]:
        """Names of the features the model learned from."""
        return list(self.feature_names_)
