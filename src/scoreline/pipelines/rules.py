"""The decisions the pipeline steps make, as pure functions: which rows, which windows, which model.

:mod:`scoreline.pipelines.steps` reads the store and the registry, calls these, and writes the results; here
nothing is read or written, so every rule is tested on small frames without a store. Times are naive
timestamps, like the store's kickoffs; every window is explicit about which end it includes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.staging.ledger import MODEL_NAME, MODEL_VERSION, PREDICTED_AT
from scoreline.store.fixtures import with_scheduled

MAX_REJECTED_SHARE = 0.02  # a data refresh with more rejected lines than this stops the pipeline
DROPPED_VALUE_PREFIX = "value dropped"  # a quarantine note on one field of a kept row, not a rejected row
LEDGER_MATCH_COLUMNS = (c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY)
DRIFT_REFERENCE_DAYS = 365


class DataQualityError(RuntimeError):
    """Too many rows were rejected by validation, or a file failed to ingest: something upstream changed."""


# --- validation ---------------------------------------------------------------------------------------------


def rejected_rows(quarantine: pd.DataFrame) -> pd.DataFrame:
    """The quarantined rows that were rejected whole (not those that only lost one value)."""
    return quarantine[~quarantine[c.REASON].astype(str).str.startswith(DROPPED_VALUE_PREFIX)]


def data_quality(
    matches: int,
    quarantine: pd.DataFrame,
    failed_files: Sequence[str] = (),
    max_share: float = MAX_REJECTED_SHARE,
) -> dict[str, Any]:
    """The rejected share of the rows read (``matches`` stored plus rows rejected); raises past ``max_share``.

    Any file that failed to ingest is a :class:`DataQualityError` too: a model trained without it would
    silently lose a league-season.
    """
    if failed_files:
        raise DataQualityError(f"{len(failed_files)} files failed to ingest: {', '.join(failed_files)}")
    rejected = len(rejected_rows(quarantine))
    share = rejected / max(matches + rejected, 1)
    if share > max_share:
        raise DataQualityError(
            f"{rejected} rows rejected ({share:.1%} of {matches + rejected}): see the quarantine"
        )
    return {"matches": matches, "rejected_rows": rejected, "quarantined": len(quarantine), "share": share}


# --- staging ------------------------------------------------------------------------------------------------


def kicking_off_between(frame: pd.DataFrame, after: pd.Timestamp, until: pd.Timestamp) -> pd.DataFrame:
    """Rows of ``frame`` kicking off in ``(after, until]``."""
    kickoff = pd.to_datetime(frame[c.KICKOFF])
    return frame[(kickoff > after) & (kickoff <= until)]


def upcoming_fixtures(
    matches: pd.DataFrame, scheduled: pd.DataFrame, after: pd.Timestamp, until: pd.Timestamp
) -> tuple[pd.DataFrame, int]:
    """The fixtures kicking off in ``(after, until]`` and how many of them only ``fixtures.csv`` lists.

    ``matches`` are the season files' matches, ``scheduled`` the scheduled fixtures of ``fixtures.csv``; a
    fixture in both is that match, listed once (:func:`scoreline.store.fixtures.with_scheduled`).
    """
    in_window = kicking_off_between(matches, after, until)
    fixtures = with_scheduled(in_window, kicking_off_between(scheduled, after, until))
    return fixtures, len(fixtures) - len(in_window)


def finished_before(matches: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Matches that kicked off before ``now`` (the ones a score may be known for)."""
    return matches[pd.to_datetime(matches[c.KICKOFF]) < now]


def ledger_rows(
    fixtures: pd.DataFrame,
    probabilities: np.ndarray,
    model_name: str,
    model_version: str,
    predicted_at: pd.Timestamp,
) -> pd.DataFrame:
    """The ledger rows of one model version's predictions of ``fixtures`` (one row of probabilities each)."""
    if len(probabilities) != len(fixtures):
        raise ValueError(f"{len(probabilities)} predictions for {len(fixtures)} fixtures")
    rows = fixtures.loc[:, list(LEDGER_MATCH_COLUMNS)].reset_index(drop=True)
    rows[MODEL_NAME] = model_name
    rows[MODEL_VERSION] = model_version
    rows[PREDICTED_AT] = predicted_at
    rows[list(c.PROBABILITY_COLUMNS)] = np.asarray(probabilities, dtype=float)
    return rows


def drift_windows(
    features: pd.DataFrame, now: pd.Timestamp, recent_weeks: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(reference, current)``: the year before the recent weeks, and the ``recent_weeks`` before ``now``.

    Current holds the matches dated in ``[now - recent_weeks, now)``; reference those of the
    ``DRIFT_REFERENCE_DAYS`` before that (the window the champion was trained on).
    """
    dates = pd.to_datetime(features[c.DATE])
    start = now - pd.Timedelta(weeks=recent_weeks)
    current = features[(dates >= start) & (dates < now)]
    reference = features[(dates < start) & (dates >= start - pd.Timedelta(days=DRIFT_REFERENCE_DAYS))]
    return reference, current


# --- registration -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChallengerChoice:
    """The trained run to register as challenger (``None``: none), and why."""

    run: Mapping[str, Any] | None
    reason: str


def pooled_rps(backtests: Sequence[Mapping[str, Any]], model: str, leagues: Sequence[str]) -> float | None:
    """``model``'s backtest RPS over ``leagues``, weighted by matches; ``None`` if one was not backtested."""
    rows = {row["league"]: row for row in backtests if row["model"] == model}
    if not leagues or any(league not in rows for league in leagues):
        return None
    total = sum(int(rows[league]["n"]) for league in leagues)
    if total == 0:
        return None
    return sum(float(rows[league]["rps"]) * int(rows[league]["n"]) for league in leagues) / total


def choose_challenger(
    trained: Sequence[Mapping[str, Any]], backtests: Sequence[Mapping[str, Any]], reference_model: str
) -> ChallengerChoice:
    """The trained model whose backtest beats ``reference_model``'s (the champion's) by the most.

    Candidates are the trained models other than the reference. Each is compared with the reference on the
    same leagues (those the reference was backtested on) by pooled walk-forward RPS; only a strictly lower
    RPS qualifies, so a challenger that lost the backtest never reaches the promotion gate. Without a
    backtest of the reference nothing can be compared, and nothing is registered.
    """
    candidates = [run for run in trained if run["model"] != reference_model]
    if not candidates:
        return ChallengerChoice(None, f"no model other than {reference_model} was trained")
    leagues = sorted({row["league"] for row in backtests if row["model"] == reference_model})
    reference = pooled_rps(backtests, reference_model, leagues)
    if reference is None:
        return ChallengerChoice(None, f"{reference_model} (the champion's model) was not backtested")
    scored = [
        (rps, run) for run in candidates if (rps := pooled_rps(backtests, run["model"], leagues)) is not None
    ]
    better = sorted((item for item in scored if item[0] < reference), key=lambda item: item[0])
    where = ", ".join(leagues)
    if not better:
        return ChallengerChoice(
            None, f"no trained model's backtest RPS beats {reference_model}'s {reference:.4f} on {where}"
        )
    rps, run = better[0]
    return ChallengerChoice(
        run, f"{run['model']}'s backtest RPS {rps:.4f} beats {reference_model}'s {reference:.4f} on {where}"
    )
