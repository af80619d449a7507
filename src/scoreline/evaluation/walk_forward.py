"""Walk-forward backtest: refit every model round by round and predict the next round, out of time.

For each test league and season the matches are split into *rounds* (``cadence``):

- ``"week"`` (default): one round per ISO week (Monday-Sunday) of the kickoff date — a matchweek;
- ``"day"``: one round per kickoff date;
- ``"month"``: one round per calendar month (for slow models: fewer refits, staler fits);
- ``"season"``: one fit before the season's first match.

A round's ``train_cutoff`` is the midnight of its first kickoff date. Every model is fitted on the matches
with a result that kicked off before that cutoff (so matches on the round's first day never see each other,
even across leagues), within ``window_days`` of it (or all history), in the test league's *training
leagues* — by default the league and its neighbouring divisions of the same country, where promoted and
relegated teams' history lives (E0 trains on E0+E1, E1 on E0+E1+E2). The fitted model then predicts the
round from pre-match columns only: the match key, season, kickoff and the feature columns; results and match
statistics never reach ``predict_proba``.

Models are given as ``{name: spec}`` where a spec is an unfitted scikit-learn estimator (cloned per fit), an
estimator class, or any zero-argument callable returning a fresh estimator with ``fit(frame) -> self`` and
``predict_proba(frame) -> (n, 3)`` (home/draw/away). With ``n_jobs > 1`` specs must be picklable (no lambdas).

A fit or prediction that raises ``Exception`` (or returns probabilities outside [0, 1] or not summing to
one) is logged, recorded in ``failures`` and gives NaN predictions for that round; rows of NaN returned by
a model (e.g. for a team it has never seen) are kept as NaN. Each (model, league, season, round) outcome is
cached as one parquet file under ``cache_dir``, keyed by the model's fingerprint (its class and parameters,
nested ones included, the source of every scoreline module it reaches and the library versions: see
:mod:`scoreline.evaluation.fingerprint`), the training frame and the round's pre-match frame: an
interrupted run resumes where it stopped and a rerun fits nothing. Failures are cached too, so a rerun
reproduces them; delete the cache to retry.

Memoisation belongs to this engine, not to the estimators: each league-season gets one
:class:`~scoreline.models.memo.FitMemo`, handed to every fresh estimator (and every estimator it holds) that
has a ``memory`` parameter, and dropped when the league-season is done. The models of one round then share
what they would otherwise compute again on the same matches (feature tables, ensembles' base models).
Memoised work is deterministic, so the memo changes no prediction; it is set after the model's fingerprint
is taken and is not part of any key.

Where the fits run is an executor choice that changes no result: this process (``n_jobs=1``), a local
process pool (``n_jobs > 1``, the default of the backtest command) or a Dask distributed cluster
(``dask_address``, needs ``scoreline[dask]``). A task is one league-season of one group of models and
carries everything it needs (its frames and model specs), so a Dask worker needs nothing but the scoreline
package. On Dask the workers only compute: this process reads the cache before it submits a task (the
stored entries travel with it) and writes what the task used when its result arrives, so the cache folder
need not be shared. A task lost with its worker is run again elsewhere (``retries``); results are put back
in task order, so the predictions are the same on every executor.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.errors import UserError
from scoreline.evaluation.cache import MemoryCache, Outcome, PredictionCache
from scoreline.evaluation.fingerprint import estimator_fingerprint
from scoreline.evaluation.predictions import (
    MODEL,
    N_TRAIN,
    PREDICTION_COLUMNS,
    TRAIN_CUTOFF,
    prediction_frame,
)
from scoreline.leagues import training_divisions
from scoreline.models.base import check_probabilities
from scoreline.models.memo import FitMemo, with_memory

logger = logging.getLogger(__name__)

Cadence = Literal["week", "day", "month", "season"]
ModelSpec = Any  # an unfitted estimator (cloned), an estimator class, or a zero-argument factory
ProgressCallback = Callable[[int, int, str], None]  # (rounds completed, rounds in total, label)

DEFAULT_WINDOW_DAYS = 730
DASK_RETRIES = 2  # a task whose worker died (or that raised) is tried again this often
DASK_HINT = "start it (dask scheduler; docs/deploy.md) or leave out --dask / SCORELINE_DASK_ADDRESS"
CACHE_VERSION = "1"
FAILURE_COLUMNS = ("model", "league", "season", "train_cutoff", "stage", "error")
PRE_MATCH_COLUMNS = (c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HAS_TIME, c.HOME, c.AWAY)
REQUIRED_COLUMNS = (c.LEAGUE, c.SEASON, c.DATE, c.HOME, c.AWAY, c.RESULT)


@dataclass
class WalkForwardResult:
    """Predictions (``PREDICTION_COLUMNS``), failed rounds and how many fits ran or were cached."""

    predictions: pd.DataFrame
    failures: pd.DataFrame
    n_fits: int = 0
    n_cached: int = 0


@dataclass(frozen=True)
class _Task:
    league: str
    season: str
    matches: pd.DataFrame  # training leagues' matches in the time span needed, features merged
    feature_columns: tuple[str, ...]
    train_leagues: tuple[str, ...]
    models: Mapping[str, ModelSpec]
    cadence: Cadence
    window_days: int | None
    cache_dir: Path | None
    # Cache entries by model when the task runs away from ``cache_dir`` (a Dask worker): see _detached.
    stored: Mapping[str, dict[str, pd.DataFrame]] | None = None


@dataclass
class _TaskResult:
    predictions: list[pd.DataFrame] = field(default_factory=list)
    failures: list[dict[str, object]] = field(default_factory=list)
    n_fits: int = 0
    n_cached: int = 0
    cache_entries: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)  # of a detached task


def round_cutoffs(matches: pd.DataFrame, cadence: Cadence = "week") -> pd.Series:
    """Training cutoff of each match's round: midnight of the round's first kickoff date."""
    dates = pd.to_datetime(matches[c.DATE]).dt.normalize()
    if cadence == "day":
        return dates
    if cadence == "season":
        return pd.Series(dates.min(), index=matches.index)
    if cadence == "month":
        return dates.groupby(dates.dt.year * 100 + dates.dt.month).transform("min")
    if cadence == "week":
        iso = dates.dt.isocalendar()
        week = iso["year"].astype(int) * 100 + iso["week"].astype(int)
        return dates.groupby(week).transform("min")
    raise ValueError(f"unknown cadence {cadence!r}; choose week, day, month or season")


@dataclass(frozen=True)
class WalkForwardRun:
    """A group of models sharing a refit cadence, a training window and training leagues (see
    :func:`walk_forward` for the fields); ``use_features`` joins the feature frame onto their matches."""

    models: Mapping[str, ModelSpec]
    cadence: Cadence = "week"
    window_days: int = DEFAULT_WINDOW_DAYS
    all_history: bool = False
    train_leagues: Mapping[str, Sequence[str]] | None = None
    use_features: bool = True


def walk_forward(
    matches: pd.DataFrame,
    models: Mapping[str, ModelSpec],
    leagues: Sequence[str],
    seasons: Sequence[str],
    *,
    features: pd.DataFrame | None = None,
    cadence: Cadence = "week",
    window_days: int = DEFAULT_WINDOW_DAYS,
    all_history: bool = False,
    train_leagues: Mapping[str, Sequence[str]] | None = None,
    cache_dir: Path | str | None = None,
    n_jobs: int = 1,
    progress: ProgressCallback | None = None,
    dask_address: str | None = None,
) -> WalkForwardResult:
    """Walk-forward predictions of every model for every match of ``leagues`` x ``seasons``.

    ``matches`` is a canonical match frame holding the test seasons and their history; ``features`` an
    optional frame with one row per match keyed by ``columns.MATCH_KEY`` whose other columns are joined onto
    the frames given to the models. ``train_leagues`` maps a test league to the leagues its models train on
    (default :func:`scoreline.leagues.training_divisions`). ``n_jobs`` league-seasons run in parallel
    processes (1 = in this process); ``progress`` is called as rounds complete. With ``dask_address`` (a
    Dask scheduler, ``tcp://host:8786``) the league-seasons run on that cluster instead and ``n_jobs`` is
    ignored. Neither input frame is modified.
    """
    run = WalkForwardRun(models, cadence, window_days, all_history, train_leagues)
    return walk_forward_runs(
        matches, [run], leagues, seasons, features=features, cache_dir=cache_dir, n_jobs=n_jobs,
        progress=progress, dask_address=dask_address,
    )[0]  # fmt: skip


def walk_forward_runs(
    matches: pd.DataFrame,
    runs: Sequence[WalkForwardRun],
    leagues: Sequence[str],
    seasons: Sequence[str],
    *,
    features: pd.DataFrame | None = None,
    cache_dir: Path | str | None = None,
    n_jobs: int = 1,
    progress: ProgressCallback | None = None,
    dask_address: str | None = None,
) -> list[WalkForwardResult]:
    """:func:`walk_forward` for several groups of models at once, one result per run.

    Every run's league-seasons go to one process pool (or Dask cluster), in the order of ``runs`` (put the
    dearest first): no worker waits for the slowest league-season of one group before the next group starts.
    """
    if not runs or not all(run.models for run in runs):
        raise ValueError("no models given")
    missing = [name for name in REQUIRED_COLUMNS if name not in matches.columns]
    if missing:
        raise ValueError(f"match frame lacks required columns {missing}")
    prepared: dict[bool, tuple[pd.DataFrame, tuple[str, ...]]] = {}
    tasks: list[_Task] = []
    spans = []
    for run in runs:
        with_features = run.use_features and features is not None
        if with_features not in prepared:
            prepared[with_features] = _prepare(matches, features if with_features else None)
        frame, feature_columns = prepared[with_features]
        first = len(tasks)
        tasks += _plan(frame, feature_columns, run, leagues, seasons, cache_dir)
        spans.append((first, len(tasks)))
    total = sum(_count_rounds(task) for task in tasks)
    results = _run_tasks(tasks, n_jobs, total, progress, dask_address)
    return [_assemble(results[a:b], list(run.models)) for run, (a, b) in zip(runs, spans, strict=True)]


def _plan(
    frame: pd.DataFrame,
    feature_columns: tuple[str, ...],
    run: WalkForwardRun,
    leagues: Sequence[str],
    seasons: Sequence[str],
    cache_dir: Path | str | None,
) -> list[_Task]:
    """One task per test league-season of ``run``, holding the matches its rounds may train on."""
    available = tuple(frame[c.LEAGUE].unique())
    tasks = []
    for league in leagues:
        trains_on = tuple((run.train_leagues or {}).get(league, training_divisions(league, available)))
        for season in seasons:
            test = frame[(frame[c.LEAGUE] == league) & (frame[c.SEASON] == season)]
            if test.empty:
                logger.warning("no matches for league %s season %s; skipped", league, season)
                continue
            start = test[c.DATE].min() - pd.Timedelta(days=run.window_days)
            history = frame[c.LEAGUE].isin(trains_on) & (frame[c.DATE] <= test[c.DATE].max())
            if not run.all_history:
                history &= frame[c.DATE] >= start
            tasks.append(
                _Task(
                    league=league,
                    season=season,
                    matches=frame[history | frame.index.isin(test.index)],
                    feature_columns=feature_columns,
                    train_leagues=trains_on,
                    models=dict(run.models),
                    cadence=run.cadence,
                    window_days=None if run.all_history else run.window_days,
                    cache_dir=Path(cache_dir) if cache_dir is not None else None,
                )
            )
    return tasks


def _prepare(matches: pd.DataFrame, features: pd.DataFrame | None) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """A sorted copy of ``matches`` with normalised dates, a kickoff column and the features joined on.

    Returns the frame and the feature column names. Key and kickoff columns of ``features`` (a
    ``FeatureFrame`` repeats season and kickoff) are not features; any other column the match frame also has
    is replaced by the feature frame's.
    """
    frame = matches.copy()
    frame[c.DATE] = pd.to_datetime(frame[c.DATE]).dt.normalize()
    frame[c.KICKOFF] = pd.to_datetime(frame[c.KICKOFF]) if c.KICKOFF in frame else frame[c.DATE]
    frame[c.SEASON] = frame[c.SEASON].astype(str)
    feature_columns: tuple[str, ...] = ()
    if features is not None:
        key = list(c.MATCH_KEY)
        table = features.reset_index() if not set(key) <= set(features.columns) else features
        if table.duplicated(key).any():
            raise ValueError("feature frame has several rows for some matches (key league/date/home/away)")
        table = table.assign(**{c.DATE: pd.to_datetime(table[c.DATE]).dt.normalize()})
        feature_columns = tuple(col for col in table.columns if col not in (*PRE_MATCH_COLUMNS, "index"))
        frame = frame.drop(columns=[col for col in feature_columns if col in frame.columns])
        frame = frame.merge(table[key + list(feature_columns)], on=key, how="left", validate="one_to_one")
    frame = frame.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)
    return frame, feature_columns


def _test_rounds(task: _Task, frame: pd.DataFrame | None = None) -> list[tuple[pd.Timestamp, np.ndarray]]:
    """Each round's training cutoff and the row positions (in ``frame``) of its matches."""
    frame = task.matches.reset_index(drop=True) if frame is None else frame
    test = frame[(frame[c.LEAGUE] == task.league) & (frame[c.SEASON] == task.season)]
    cutoffs = round_cutoffs(test, task.cadence)
    return [
        (pd.Timestamp(cutoff), group.index.to_numpy()) for cutoff, group in test.groupby(cutoffs, sort=True)
    ]


def _count_rounds(task: _Task) -> int:
    return len(_test_rounds(task))


def _run_tasks(
    tasks: list[_Task],
    n_jobs: int,
    total: int,
    progress: ProgressCallback | None,
    dask_address: str | None = None,
) -> list[_TaskResult]:
    """Every task's result, in task order: in this process, a local process pool or on a Dask cluster."""
    if n_jobs < 1:
        n_jobs = os.cpu_count() or 1
    done = 0

    def advance(label: str, rounds: int) -> None:
        nonlocal done
        done += rounds
        if progress is not None:
            progress(done, total, label)

    if dask_address:
        return _run_on_dask(tasks, dask_address, advance)
    if n_jobs == 1 or len(tasks) <= 1:
        return [_run_task(task, advance) for task in tasks]
    results: dict[int, _TaskResult] = {}
    context = multiprocessing.get_context("spawn")  # fork is unsafe with threaded libraries loaded
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(tasks)), mp_context=context) as pool:
        futures = {pool.submit(_run_task, task): i for i, task in enumerate(tasks)}
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            advance(f"{tasks[i].league} {tasks[i].season}", _count_rounds(tasks[i]))
    return [results[i] for i in range(len(tasks))]


def _run_on_dask(tasks: list[_Task], address: str, advance: Callable[[str, int], None]) -> list[_TaskResult]:
    """Every task's result from the Dask scheduler at ``address``; this process keeps the cache.

    Each task is submitted detached (with its cache entries, see :func:`_detached`); as results arrive, the
    entries they used are written to the cache here. ``pure=False``: every task is run, none is taken for
    another; ``retries`` resubmits a task whose worker died or that raised.
    """
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError as exc:
        raise UserError("running on Dask needs the dask extra", "pip install 'scoreline[dask]'") from exc
    try:
        client = Client(address, set_as_default=False)
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot reach the Dask scheduler at {address}: {exc}", DASK_HINT) from exc
    results: dict[int, _TaskResult] = {}
    with client:
        futures = {
            client.submit(_run_task, _detached(task), retries=DASK_RETRIES, pure=False): i
            for i, task in enumerate(tasks)
        }
        for future in dask_completed(futures, loop=client.loop):
            i = futures[future]
            results[i] = _store(tasks[i], future.result())
            advance(f"{tasks[i].league} {tasks[i].season}", _count_rounds(tasks[i]))
    return [results[i] for i in range(len(tasks))]


def _detached(task: _Task) -> _Task:
    """``task`` for a process without its cache folder: the folder's entries travel with it."""
    if task.cache_dir is None:
        return task
    stored = {
        name: PredictionCache(task.cache_dir, name, task.league, task.season).entries()
        for name in task.models
    }
    return replace(task, cache_dir=None, stored=stored)


def _store(task: _Task, result: _TaskResult) -> _TaskResult:
    """Write the cache entries a detached ``task`` used into its cache folder; return ``result``."""
    if task.cache_dir is not None:
        for name, entries in result.cache_entries.items():
            PredictionCache(task.cache_dir, name, task.league, task.season).write(entries)
    return result


def _task_caches(task: _Task) -> dict[str, PredictionCache | MemoryCache | None]:
    """Each model's cache for ``task``: its folder, the entries it carries (detached), or none."""
    if task.stored is not None:
        return {name: MemoryCache(dict(task.stored.get(name, {}))) for name in task.models}
    return {
        name: PredictionCache(task.cache_dir, name, task.league, task.season) if task.cache_dir else None
        for name in task.models
    }


def _run_task(task: _Task, advance: Callable[[str, int], None] | None = None) -> _TaskResult:
    """Every round of one league-season, every model: from the cache or by fitting."""
    result = _TaskResult()
    frame = task.matches.reset_index(drop=True)
    pre_match = [col for col in dict.fromkeys((*PRE_MATCH_COLUMNS, *task.feature_columns)) if col in frame]
    # Per-row hashes once per task; a round's digest then hashes just the selected rows' hashes.
    row_hash = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    pre_hash = pd.util.hash_pandas_object(frame[pre_match], index=False).to_numpy()
    header = "|".join(f"{col}:{dtype}" for col, dtype in frame.dtypes.items()).encode()
    usable = (frame[c.RESULT].isin(c.RESULT_TO_INDEX) & frame[c.LEAGUE].isin(task.train_leagues)).to_numpy()
    dates = frame[c.DATE].to_numpy()
    caches = _task_caches(task)
    fingerprints = {name: _model_fingerprint(spec) for name, spec in task.models.items()}
    memo = FitMemo()  # shared by this league-season's fits only
    homes, aways = frame[c.HOME].to_numpy(), frame[c.AWAY].to_numpy()
    parts: dict[str, list[np.ndarray]] = {"rows": [], "model": [], "probs": [], "cutoff": [], "n_train": []}
    for cutoff, positions in _test_rounds(task, frame):
        in_window = usable & (dates < cutoff.to_datetime64())
        if task.window_days is not None:
            in_window &= dates >= (cutoff - pd.Timedelta(days=task.window_days)).to_datetime64()
        digest = hashlib.sha256(header + row_hash[in_window].tobytes() + pre_hash[positions].tobytes())
        inputs: tuple[pd.DataFrame, pd.DataFrame] | None = None  # built on the first cache miss only
        for name, spec in task.models.items():
            key = hashlib.sha256(f"{CACHE_VERSION}|{name}|{fingerprints[name]}|{digest.hexdigest()}".encode())
            entry = f"{cutoff:%Y%m%d}-{key.hexdigest()[:24]}"
            cache = caches[name]
            outcome = cache.get(entry, homes[positions]) if cache else None
            if outcome is None:
                if inputs is None:
                    inputs = (
                        frame[in_window].reset_index(drop=True),
                        frame.loc[positions, pre_match].reset_index(drop=True),
                    )
                outcome = _fit_predict(spec, *inputs, memo)
                result.n_fits += 1
                if cache:
                    cache.put(entry, homes[positions], aways[positions], outcome)
            else:
                result.n_cached += 1
            if outcome.error is not None:
                failure = (name, task.league, task.season, cutoff, outcome.stage, outcome.error)
                result.failures.append(dict(zip(FAILURE_COLUMNS, failure, strict=True)))
            n = len(positions)
            parts["rows"].append(positions)
            parts["model"].append(np.full(n, name, dtype=object))
            parts["probs"].append(outcome.probs)
            parts["cutoff"].append(np.full(n, cutoff.to_datetime64()))
            parts["n_train"].append(np.full(n, int(in_window.sum())))
        if advance is not None:
            advance(f"{task.league} {task.season} {cutoff:%Y-%m-%d}", 1)
    for name, cache in caches.items():
        if isinstance(cache, MemoryCache):
            result.cache_entries[name] = cache.used
        elif cache:
            cache.consolidate()
    if parts["rows"]:
        joined = {part: np.concatenate(arrays) for part, arrays in parts.items()}
        result.predictions.append(
            prediction_frame(
                frame.iloc[joined["rows"]],
                joined["model"],
                joined["probs"],
                **{TRAIN_CUTOFF: joined["cutoff"], N_TRAIN: joined["n_train"]},
            )
        )
    return result


def _fit_predict(
    spec: ModelSpec, train: pd.DataFrame, test: pd.DataFrame, memo: FitMemo | None = None
) -> Outcome:
    """Fit a fresh estimator (given ``memo`` where it takes one) on ``train`` and predict ``test``;
    exceptions become a failure record."""
    stage = "fit"
    try:
        estimator = with_memory(new_estimator(spec), memo)
        estimator.fit(train.copy())
        stage = "predict"
        probs = np.asarray(estimator.predict_proba(test.copy()), dtype=float)
        check_probabilities(probs, len(test), allow_missing=True)
    except Exception as exc:
        return Outcome(np.full((len(test), 3), np.nan), stage, f"{type(exc).__name__}: {exc}")
    return Outcome(probs)


def new_estimator(spec: ModelSpec) -> Any:
    """A fresh, unfitted estimator from a model spec (see the module docstring)."""
    if isinstance(spec, type):
        return spec()
    if hasattr(spec, "get_params") and hasattr(spec, "fit"):
        from sklearn.base import clone

        return clone(spec)
    if callable(spec):
        return spec()
    raise TypeError(f"model spec must be an estimator, estimator class or factory, got {type(spec).__name__}")


def _model_fingerprint(spec: ModelSpec) -> str:
    """The key part of the model a spec builds: see :mod:`scoreline.evaluation.fingerprint`."""
    return estimator_fingerprint(new_estimator(spec))


def _assemble(results: list[_TaskResult], model_order: list[str]) -> WalkForwardResult:
    frames = [frame for result in results for frame in result.predictions]
    if frames:
        predictions = pd.concat(frames, ignore_index=True)
        rank = predictions[MODEL].map({name: i for i, name in enumerate(model_order)})
        predictions = (
            predictions.assign(_rank=rank)
            .sort_values([c.LEAGUE, c.SEASON, c.KICKOFF, c.HOME, "_rank"], kind="stable")
            .drop(columns="_rank")
            .reset_index(drop=True)
        )
    else:
        predictions = pd.DataFrame(columns=list(PREDICTION_COLUMNS))
    failures = pd.DataFrame([f for r in results for f in r.failures], columns=list(FAILURE_COLUMNS))
    for failure in failures.itertuples(index=False):
        logger.warning(
            "model %s failed to %s for %s %s (cutoff %s): %s",
            failure.model,
            failure.stage,
            failure.league,
            failure.season,
            failure.train_cutoff,
            failure.error,
        )
    return WalkForwardResult(
        predictions=predictions,
        failures=failures,
        n_fits=sum(r.n_fits for r in results),
        n_cached=sum(r.n_cached for r in results),
    )
