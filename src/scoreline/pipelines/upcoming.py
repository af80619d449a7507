"""Fixtures coming up after a moment: now (what is scheduled) or a past date (what was scheduled then).

A past ``as_of`` lets a newcomer without a fixtures feed see a full page from the season files alone: the
matches of the following days are listed as they stood that day, their results ignored (not yet known).
Their probabilities must come from a model that saw only matches before that day
(:func:`choose_past_forecasts`): a recorded backtest's walk-forward fits, else the served model if it was
trained before it, else none (with the command that fills them). A model trained later has seen these
matches' results and would look better than it is.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from scoreline import columns as c
from scoreline.evaluation.predictions import MODEL, TRAIN_CUTOFF
from scoreline.store import Store, with_scheduled

logger = logging.getLogger(__name__)

PREDICTIONS_FILE = "predictions.parquet"
METRICS_FILE = "metrics.json"
_DAY = "_day"  # kickoff date: the key of a fixture with the league and teams


def upcoming_fixtures(
    store: Store, as_of: pd.Timestamp | None, days: int, leagues: Sequence[str] | None = None
) -> pd.DataFrame:
    """Fixtures kicking off in ``(as_of, as_of + days]`` (``as_of`` None: now, unplayed ones only).

    Returns ``store.fixtures.SCHEDULE_COLUMNS`` sorted by kickoff, league and home team; season-file
    matches and ``fixtures.csv`` fixtures are merged (:func:`scoreline.store.with_scheduled`).
    """
    start = pd.Timestamp.now(tz="UTC").tz_localize(None) if as_of is None else pd.Timestamp(as_of)
    until = start + pd.Timedelta(days=days)
    chosen = list(leagues) if leagues else None
    matches = store.read_matches(leagues=chosen)
    fixtures = store.read_fixtures(leagues=chosen, after=start, until=until, include_played=as_of is not None)
    window = (matches[c.KICKOFF] > start) & (matches[c.KICKOFF] <= until)
    if as_of is None:
        window &= matches[c.RESULT].isna()
    return with_scheduled(matches[window], fixtures)


def parse_as_of(text: str | None) -> pd.Timestamp | None:
    """``--as-of``/``?as_of=`` as a naive timestamp (a date means its midnight); None stays None."""
    if text is None or not text.strip():
        return None
    try:
        moment = pd.Timestamp(text.strip())
    except ValueError as error:
        raise ValueError(f"as-of date {text!r} is not a date (expected YYYY-MM-DD)") from error
    if moment is pd.NaT:
        raise ValueError(f"as-of date {text!r} is not a date (expected YYYY-MM-DD)")
    return moment.tz_convert("UTC").tz_localize(None) if moment.tzinfo is not None else moment


@dataclass(frozen=True)
class ServedModel:
    """The served model as the selection needs it: its name and the cutoff of its training data
    (exclusive: fitted on matches before it; None when the registry does not record one)."""

    name: str
    version: str
    train_cutoff: pd.Timestamp | None


@dataclass(frozen=True)
class BacktestPredictions:
    """One recorded backtest's walk-forward predictions (``predictions.parquet``), ``ranking`` its models
    best first (the leaderboard)."""

    path: str
    predictions: pd.DataFrame
    ranking: tuple[str, ...] = ()


@dataclass(frozen=True)
class PastForecasts:
    """Where the probabilities of a past ``as_of`` come from, and the probabilities.

    ``source`` is ``"backtest"`` (``probabilities`` holds a walk-forward model's, aligned with the fixtures,
    NaN where the backtest has none fitted before ``as_of``), ``"served"`` (the caller asks the served model)
    or ``"none"`` (no honest source: ``probabilities`` all NaN). ``note`` says it in a sentence.
    """

    source: Literal["backtest", "served", "none"]
    note: str
    probabilities: pd.DataFrame
    model: str | None = None
    train_cutoff: pd.Timestamp | None = None
    path: str | None = None


def fill_command(fixtures: pd.DataFrame) -> str:
    """The backtest that would give these fixtures honest past probabilities."""
    leagues = ",".join(sorted(fixtures[c.LEAGUE].astype(str).unique())) or "E0"
    seasons = ",".join(sorted(fixtures[c.SEASON].astype(str).unique())) or "2425"
    return f"`scoreline backtest --leagues {leagues} --test-seasons {seasons}`"


def backtest_forecasts(
    fixtures: pd.DataFrame, as_of: pd.Timestamp, backtest: BacktestPredictions, champion: str | None
) -> tuple[str, pd.DataFrame] | None:
    """The model of ``backtest`` to show (the champion's if it has it, else its best) and its probabilities
    of ``fixtures`` (aligned, NaN where it has none) from fits whose ``train_cutoff`` is at most ``as_of``
    (exclusive cutoffs: those fits saw only matches before ``as_of``); None when it covers none."""
    frame = backtest.predictions
    usable = frame[frame[TRAIN_CUTOFF].notna() & (pd.to_datetime(frame[TRAIN_CUTOFF]) <= as_of)]
    models = set(usable[MODEL].astype(str))
    preferred = [m for m in (champion, *backtest.ranking) if m in models] or sorted(models)
    if not preferred:
        return None
    model = preferred[0]
    rows = usable[usable[MODEL].astype(str) == model]
    keys = [c.LEAGUE, c.HOME, c.AWAY, _DAY]
    chosen = rows.assign(**{_DAY: pd.to_datetime(rows[c.KICKOFF]).dt.normalize()}).drop_duplicates(keys)
    wanted = fixtures.assign(**{_DAY: pd.to_datetime(fixtures[c.KICKOFF]).dt.normalize()})[keys]
    joined = wanted.merge(
        chosen[[*keys, *c.PROBABILITY_COLUMNS, TRAIN_CUTOFF]], on=keys, how="left", validate="many_to_one"
    ).set_index(fixtures.index)
    if joined[c.PROBABILITY_COLUMNS[0]].isna().all():
        return None
    assert (joined[TRAIN_CUTOFF].dropna() <= as_of).all(), "a backtest fit after as_of reached the page"
    return model, joined[[*c.PROBABILITY_COLUMNS, TRAIN_CUTOFF]]


def choose_past_forecasts(
    fixtures: pd.DataFrame,
    as_of: pd.Timestamp,
    backtests: Iterable[BacktestPredictions],
    served: ServedModel | None,
) -> PastForecasts:
    """Honest probabilities for the fixtures after a past ``as_of``: from a model that saw only matches
    before it, never from one trained later (it would have seen these matches' results).

    In order: the newest backtest (``backtests`` newest first, read lazily) whose walk-forward covers every
    fixture with fits up to ``as_of``; the served model if its training cutoff is at most ``as_of``; the
    backtest covering the most fixtures (the others shown without probabilities); nothing, with the command
    that fills it.
    """
    command = fill_command(fixtures)
    empty = pd.DataFrame(float("nan"), index=fixtures.index, columns=list(c.PROBABILITY_COLUMNS))
    champion = served.name if served is not None else None
    best: tuple[int, BacktestPredictions, str, pd.DataFrame] | None = None
    for backtest in backtests:
        found = backtest_forecasts(fixtures, as_of, backtest, champion)
        if found is None:
            continue
        model, probabilities = found
        covered = int(probabilities[c.PROBABILITY_COLUMNS[0]].notna().sum())
        if covered == len(fixtures):
            return _from_backtest(backtest, model, probabilities, as_of, "")
        if best is None or covered > best[0]:
            best = (covered, backtest, model, probabilities)
    if served is not None and served.train_cutoff is not None and served.train_cutoff <= as_of:
        note = (
            f"Served model {served.name} version {served.version}, trained on matches before "
            f"{served.train_cutoff:%Y-%m-%d} (before {as_of:%Y-%m-%d}: it has not seen these matches)."
        )
        return PastForecasts("served", note, empty, served.name, served.train_cutoff)
    if best is not None:
        covered, backtest, model, probabilities = best
        rest = (
            f" {len(fixtures) - covered} of {len(fixtures)} fixtures have no fit before {as_of:%Y-%m-%d} "
            f"there and are shown without probabilities."
        )
        return _from_backtest(backtest, model, probabilities, as_of, rest)
    why = (
        "no model is known to have been trained before this date"
        if served is None or served.train_cutoff is None
        else f"the served model {served.name} version {served.version} was trained on matches up to "
        f"{served.train_cutoff:%Y-%m-%d}, so it has seen these matches' results"
    )
    note = (
        f"No probabilities: {why}, and no recorded backtest predicts these matches from fits before "
        f"{as_of:%Y-%m-%d}. Run {command} to fill them."
    )
    return PastForecasts("none", note, empty)


def _from_backtest(
    backtest: BacktestPredictions, model: str, probabilities: pd.DataFrame, as_of: pd.Timestamp, rest: str
) -> PastForecasts:
    cutoff = pd.Timestamp(probabilities[TRAIN_CUTOFF].max())
    note = (
        f"Walk-forward predictions of {model} from the backtest {backtest.path}, fitted on matches before "
        f"{cutoff:%Y-%m-%d} at the latest (before {as_of:%Y-%m-%d}).{rest}"
    )
    return PastForecasts(
        "backtest", note, probabilities[list(c.PROBABILITY_COLUMNS)], model, cutoff, backtest.path
    )


def recorded_backtests(index: Path, leagues: Collection[str]) -> Iterator[BacktestPredictions]:
    """The recorded backtests of any of ``leagues`` with a ``predictions.parquet``, newest first (read one
    at a time, as the selection asks for them); an unreadable file is skipped with a warning."""
    from scoreline.pipelines.backtest_index import read_backtests

    for record in read_backtests(index):
        path = Path(record.path) / PREDICTIONS_FILE
        if not set(record.leagues) & set(leagues) or not path.is_file():
            continue
        try:
            predictions = pd.read_parquet(
                path,
                columns=[MODEL, c.LEAGUE, c.KICKOFF, c.HOME, c.AWAY, *c.PROBABILITY_COLUMNS, TRAIN_CUTOFF],
            )
        except (OSError, ValueError, KeyError) as error:
            logger.warning("cannot read %s: %s", path, error)
            continue
        yield BacktestPredictions(record.path, predictions, _ranking(Path(record.path) / METRICS_FILE))


def _ranking(path: Path) -> tuple[str, ...]:
    """The backtest's models by pooled RPS, best first (empty when ``metrics.json`` is unreadable)."""
    try:
        pooled = json.loads(path.read_text(encoding="utf-8"))["pooled"]
        return tuple(sorted(pooled, key=lambda name: float(pooled[name]["rps"])))
    except (OSError, ValueError, KeyError, TypeError):
        return ()
