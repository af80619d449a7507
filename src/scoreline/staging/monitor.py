"""Watch models in staging: each version's scores beside the market's, a rolling series, and ``monitor.json``.

The input is one run of the ledger (:meth:`scoreline.staging.ledger.Ledger.read_with_scores`: one row per
match and model version, played matches under their real kickoff with a ``result``, the others without). The
market is a frame of de-vigged closing probabilities per match key (league, date, home, away, p_home, p_draw,
p_away), one row per match. Per-match scores come from :mod:`scoreline.evaluation.metrics`.

Versions take turns: the *champion* is the version that predicted last, the *previous* version the one
that stopped predicting before it (a former champion, or a challenger predicting beside it). The series
follows the match-by-match record of whoever was in charge: for each played match, the prediction of the
latest-predicting version among those that predicted it. So a change of champion mid-season shows on the
series (each point names its version) and in :attr:`Summary.champion_changes`.

Comparisons with the market or another version are paired: only matches both forecast count, so a gap is
never the artefact of two forecasters scored on different matches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics
from scoreline.io import write_atomic
from scoreline.staging.alerts import Alert
from scoreline.staging.drift import DriftResult
from scoreline.staging.ledger import LIVE_RUN, MODEL_VERSION, PREDICTED_AT
from scoreline.staging.summary import (
    ChampionChange,
    Comparison,
    RollingPoint,
    Summary,
    VersionScores,
    WindowScores,
)

DEFAULT_WINDOW: Final = 50
SUMMARY_POINTS: Final = 10  # rolling points kept in the summary's "rolling" list
MAX_SERIES_POINTS: Final = 500  # monitor.json's series is thinned to at most this many points
MONITOR_FILE: Final = "monitor.json"
REPLAYS_FOLDER: Final = "replays"  # a replay run's monitor.json lives in <staging>/replays/<run>/
MONITOR_SCHEMA_VERSION: Final = 2
DECIMALS: Final = 6

# --- per-match and rolling columns of rolling_scores() ---------------------------------------------
RPS: Final = "rps"
LOGLOSS: Final = "logloss"
MARKET_RPS: Final = "market_rps"
MARKET_LOGLOSS: Final = "market_logloss"
PREVIOUS_RPS: Final = "previous_rps"
PREVIOUS_LOGLOSS: Final = "previous_logloss"
GAP_TO_MARKET: Final = "gap_to_market"  # rps - market_rps, on matches the market priced
ROLLING_PREFIX: Final = "rolling_"
WINDOW_N: Final = "window_n"  # matches in the window (the model's)
WINDOW_MARKET_N: Final = "window_market_n"  # matches in the window the market priced
WINDOW_PREVIOUS_N: Final = "window_previous_n"  # matches in the window the previous version forecast
SCORE_COLUMNS: Final = (
    RPS, LOGLOSS, MARKET_RPS, MARKET_LOGLOSS, PREVIOUS_RPS, PREVIOUS_LOGLOSS, GAP_TO_MARKET,
)  # fmt: skip
MATCH_ORDER: Final = (c.KICKOFF, c.LEAGUE, c.HOME)
_KEY: Final = list(c.MATCH_KEY)
_PROBS: Final = list(c.PROBABILITY_COLUMNS)


def rolling_column(name: str) -> str:
    """Name of the rolling-mean column of per-match column ``name`` (e.g. ``rolling_rps``)."""
    return f"{ROLLING_PREFIX}{name}"


def version_order(scored: pd.DataFrame) -> list[str]:
    """Model versions by when they last predicted, earliest first (ties: the order they first appear)."""
    if scored.empty:
        return []
    versions = scored[MODEL_VERSION].astype(str)
    if PREDICTED_AT not in scored.columns:
        unique = list(versions.unique())
        if len(unique) > 1:
            raise ValueError(
                f"scored holds {len(unique)} model versions and no {PREDICTED_AT}: name the champion"
            )
        return unique
    frame = pd.DataFrame({"version": versions, "at": pd.to_datetime(scored[PREDICTED_AT])})
    frame["appearance"] = np.arange(len(frame))
    last = frame.groupby("version", sort=False).agg(at=("at", "max"), appearance=("appearance", "min"))
    return [str(version) for version in last.sort_values(["at", "appearance"], kind="stable").index]


def champion_version(scored: pd.DataFrame) -> str | None:
    """The model version that made the most recent prediction (``None`` for an empty frame)."""
    order = version_order(scored)
    return order[-1] if order else None


def previous_version_of(scored: pd.DataFrame, champion: str | None) -> str | None:
    """The version that last predicted before ``champion`` did (``None`` if there is none)."""
    order = [version for version in version_order(scored) if version != champion]
    return order[-1] if order else None


def _require(frame: pd.DataFrame, needed: Sequence[str], name: str) -> None:
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks column(s) {missing}; it has {list(frame.columns)}")


def _unique_by_match(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """``frame`` with datetime match dates, refusing two rows for one match."""
    frame = frame.assign(**{c.DATE: pd.to_datetime(frame[c.DATE])})
    duplicated = frame.duplicated(_KEY, keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        raise ValueError(
            f"{name} holds {int(duplicated.sum())} rows for repeated matches, e.g. "
            f"{first[c.LEAGUE]} {first[c.DATE]:%Y-%m-%d} {first[c.HOME]} v {first[c.AWAY]}"
        )
    return frame


def _version_rows(scored: pd.DataFrame, version: str, name: str) -> pd.DataFrame:
    versions = scored[MODEL_VERSION].astype(str)
    rows = scored[versions == version]
    if rows.empty and not scored.empty:
        raise ValueError(f"{name} has no model_version {version!r}; it has {sorted(versions.unique())}")
    return _unique_by_match(rows, f"{name} (model_version {version!r})")


def _played(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows whose match has a result, in kickoff order."""
    played = rows[rows[c.RESULT].isin(list(c.RESULT_TO_INDEX))]
    return played.sort_values(list(MATCH_ORDER), kind="stable").reset_index(drop=True)


def series_rows(scored: pd.DataFrame, model_version: str | None = None) -> pd.DataFrame:
    """The played matches of the series, in kickoff order, one row each.

    With ``model_version``, that version's matches only; otherwise, per match, the prediction of the version
    that predicted last among those that predicted it (the one in charge, see the module docstring).
    """
    if model_version is not None:
        return _played(_version_rows(scored, model_version, "scored"))
    if scored.empty:
        return _played(scored)
    rank = {version: i for i, version in enumerate(version_order(scored))}
    ranked = scored.assign(_rank=scored[MODEL_VERSION].astype(str).map(rank))
    for version in rank:
        _version_rows(scored, version, "scored")  # refuses a version with two rows for one match
    ranked = ranked.assign(**{c.DATE: pd.to_datetime(ranked[c.DATE])}).sort_values("_rank", kind="stable")
    in_charge = ranked.drop_duplicates(_KEY, keep="last").drop(columns="_rank")
    return _played(in_charge)


def _paired_scores(
    matches: pd.DataFrame, outcomes: np.ndarray, other: pd.DataFrame | None
) -> tuple[np.ndarray, np.ndarray]:
    """RPS and log loss of ``other``'s probabilities on ``matches`` (NaN where it has no finite forecast)."""
    rps, logloss = np.full(len(matches), np.nan), np.full(len(matches), np.nan)
    if other is None or other.empty or matches.empty:
        return rps, logloss
    aligned = matches[_KEY].merge(other[[*_KEY, *_PROBS]], on=_KEY, how="left")
    probs = aligned[_PROBS].to_numpy(dtype=float)
    usable = np.isfinite(probs).all(axis=1)
    rps[usable] = metrics.rps_scores(probs[usable], outcomes[usable])
    logloss[usable] = metrics.log_loss_scores(probs[usable], outcomes[usable])
    return rps, logloss


def per_match_scores(
    scored: pd.DataFrame,
    market: pd.DataFrame | None = None,
    model_version: str | None = None,
    previous_version: str | None = None,
) -> pd.DataFrame:
    """The series' played matches in kickoff order (:func:`series_rows`), scored per match.

    Columns: league, season, date, kickoff, home, away, model_version, result, ``rps``, ``logloss``,
    ``market_rps``, ``market_logloss``, ``previous_rps``, ``previous_logloss`` (the previous version's score
    on the matches another version was in charge of) and ``gap_to_market`` (``rps - market_rps``). Scores of a
    forecaster without a (finite) forecast for a match are NaN.
    """
    _require(scored, [*_KEY, c.KICKOFF, c.RESULT, MODEL_VERSION, *_PROBS], "scored")
    rows = series_rows(scored, model_version)
    columns = [c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY, MODEL_VERSION, c.RESULT]
    frame = rows[columns].reset_index(drop=True)
    frame[MODEL_VERSION] = frame[MODEL_VERSION].astype(str)
    outcomes = metrics.outcome_indices(frame[c.RESULT]) if len(frame) else np.zeros(0, dtype=int)
    frame[RPS], frame[LOGLOSS] = _paired_scores(frame, outcomes, rows)
    if market is not None:
        _require(market, [*_KEY, *_PROBS], "market")
        market = _unique_by_match(market, "market")
    frame[MARKET_RPS], frame[MARKET_LOGLOSS] = _paired_scores(frame, outcomes, market)
    previous = None if previous_version is None else _version_rows(scored, previous_version, "scored")
    frame[PREVIOUS_RPS], frame[PREVIOUS_LOGLOSS] = _paired_scores(frame, outcomes, previous)
    own = (frame[MODEL_VERSION] == previous_version).to_numpy()
    frame.loc[own, [PREVIOUS_RPS, PREVIOUS_LOGLOSS]] = np.nan
    frame[GAP_TO_MARKET] = frame[RPS] - frame[MARKET_RPS]
    return frame


def rolling_scores(
    scored: pd.DataFrame,
    market: pd.DataFrame | None = None,
    window: int = DEFAULT_WINDOW,
    model_version: str | None = None,
    previous_version: str | None = None,
) -> pd.DataFrame:
    """Rolling mean RPS and log loss over the series' last ``window`` played matches, in kickoff order.

    Returns :func:`per_match_scores`'s columns plus, for each score column ``x``, ``rolling_x``: the mean of
    ``x`` over the last ``window`` matches, skipping matches where ``x`` is NaN (so ``rolling_market_rps`` and
    ``rolling_gap_to_market`` cover the window's matches the market priced). ``window_n``,
    ``window_market_n`` and ``window_previous_n`` count the matches each mean covers; early points average
    fewer than ``window`` matches.
    """
    if window < 1:
        raise ValueError(f"window must be at least 1, got {window}")
    frame = per_match_scores(scored, market, model_version, previous_version)
    windows = frame[list(SCORE_COLUMNS)].rolling(window, min_periods=1)
    means = windows.mean()
    counts = windows.count()
    for column in SCORE_COLUMNS:
        frame[rolling_column(column)] = means[column]
    frame[WINDOW_N] = counts[RPS].astype(int)
    frame[WINDOW_MARKET_N] = counts[MARKET_RPS].astype(int)
    frame[WINDOW_PREVIOUS_N] = counts[PREVIOUS_RPS].astype(int)
    return frame


def _number(value: Any) -> float | None:
    """A JSON-safe float (``None`` for NaN or missing), rounded to ``DECIMALS``."""
    if value is None or pd.isna(value):
        return None
    return round(float(value), DECIMALS)


def _mean(values: pd.Series) -> float | None:
    return _number(values.mean()) if values.notna().any() else None


def series_points(frame: pd.DataFrame, max_points: int | None = None) -> list[RollingPoint]:
    """The rolling points of a :func:`rolling_scores` frame; with ``max_points``, evenly thinned (always
    keeping the first and last point and the first point of each version)."""
    if max_points is not None and len(frame) > max_points:
        changes = np.flatnonzero(frame[MODEL_VERSION].ne(frame[MODEL_VERSION].shift()).to_numpy())[1:]
        spaced = np.linspace(len(frame) - 1, 0, max(max_points - len(changes), 2)).round().astype(int)
        frame = frame.iloc[np.unique(np.concatenate([spaced, changes]))]
    return [
        RollingPoint(
            kickoff=pd.Timestamp(row[c.KICKOFF]).isoformat(),
            model_version=str(row[MODEL_VERSION]),
            n=int(row[WINDOW_N]),
            rps=_number(row[rolling_column(RPS)]),
            logloss=_number(row[rolling_column(LOGLOSS)]),
            market_rps=_number(row[rolling_column(MARKET_RPS)]),
            previous_rps=_number(row[rolling_column(PREVIOUS_RPS)]),
        )
        for _, row in frame.iterrows()
    ]


def _iso(value: Any) -> str:
    return pd.Timestamp(value).isoformat()


def version_scores(scored: pd.DataFrame, market: pd.DataFrame | None) -> tuple[VersionScores, ...]:
    """Each version's own record, in :func:`version_order`."""
    records = []
    for version in version_order(scored):
        rows = _version_rows(scored, version, "scored")
        frame = per_match_scores(scored, market, model_version=version)
        priced = frame[frame[MARKET_RPS].notna()]
        since = rows[PREDICTED_AT].min() if PREDICTED_AT in rows.columns else None
        records.append(
            VersionScores(
                model_version=version,
                predicting_since="" if since is None else _iso(since),
                predictions=len(rows),
                scored=len(frame),
                rps=_mean(frame[RPS]),
                market_matches=len(priced),
                market_closing_rps=_mean(priced[MARKET_RPS]),
                rps_gap_to_market=_mean(priced[GAP_TO_MARKET]),
            )
        )
    return tuple(records)


def champion_changes(scored: pd.DataFrame, series: pd.DataFrame) -> tuple[ChampionChange, ...]:
    """The versions in charge of the series, in order, each from its first prediction and first match."""
    changes = []
    for version in pd.unique(series[MODEL_VERSION]):
        rows = scored[scored[MODEL_VERSION].astype(str) == version]
        first = series.loc[series[MODEL_VERSION] == version, c.KICKOFF].iloc[0]
        since = rows[PREDICTED_AT].min() if PREDICTED_AT in rows.columns else None
        changes.append(ChampionChange(str(version), "" if since is None else _iso(since), _iso(first)))
    return tuple(changes)


def _comparison(scored: pd.DataFrame, champion: str, other: str) -> Comparison:
    """``champion`` and ``other`` on the played matches both predicted."""
    mine = per_match_scores(scored, model_version=champion, previous_version=other)
    paired = mine[mine[PREVIOUS_RPS].notna()]
    return Comparison(
        model_version=other,
        matches=len(paired),
        rps=_mean(paired[PREVIOUS_RPS]),
        champion_rps=_mean(paired[RPS]),
        rps_gap_to_previous=_mean(paired[RPS] - paired[PREVIOUS_RPS]),
    )


def summarise(
    scored: pd.DataFrame,
    market: pd.DataFrame | None = None,
    window: int = DEFAULT_WINDOW,
    model_version: str | None = None,
    previous_version: str | None = None,
    points: int = SUMMARY_POINTS,
    run: str = LIVE_RUN,
) -> Summary:
    """The :class:`~scoreline.staging.summary.Summary` of one run of the ledger.

    ``model_version`` restricts the series to one version (default: the series of whoever was in charge, and
    the champion is :func:`champion_version`); ``previous_version`` defaults to
    :func:`previous_version_of` the champion. ``rolling`` keeps the last ``points`` points.
    """
    champion = model_version or champion_version(scored)
    previous = previous_version or (None if model_version else previous_version_of(scored, champion))
    frame = rolling_scores(scored, market, window, model_version, previous)
    predictions = 0 if champion is None else int((scored[MODEL_VERSION].astype(str) == champion).sum())
    priced = frame[frame[MARKET_RPS].notna()]
    last = frame.iloc[-1] if len(frame) else pd.Series(dtype=object)
    return Summary(
        run=run,
        model_version=champion,
        predictions=predictions,
        scored=len(frame),
        rps=_mean(frame[RPS]),
        logloss=_mean(frame[LOGLOSS]),
        market_matches=len(priced),
        market_closing_rps=_mean(priced[MARKET_RPS]),
        rps_gap_to_market=_mean(priced[GAP_TO_MARKET]),
        previous=None if previous is None or champion is None else _comparison(scored, champion, previous),
        window=WindowScores(
            size=window,
            n=int(last.get(WINDOW_N, 0)),
            rps=_number(last.get(rolling_column(RPS))),
            logloss=_number(last.get(rolling_column(LOGLOSS))),
            market_n=int(last.get(WINDOW_MARKET_N, 0)),
            market_rps=_number(last.get(rolling_column(MARKET_RPS))),
            gap_to_market=_number(last.get(rolling_column(GAP_TO_MARKET))),
        ),
        versions=version_scores(scored, market),
        champion_changes=champion_changes(scored, frame),
        rolling=tuple(series_points(frame.tail(points))),
    )


def monitor_path(staging_dir: Path, run: str = LIVE_RUN) -> Path:
    """Where a run's ``monitor.json`` goes: ``staging/monitor.json`` live, ``staging/replays/<run>/`` else."""
    if run == LIVE_RUN:
        return staging_dir / MONITOR_FILE
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run).strip(".") or "_"
    return staging_dir / REPLAYS_FOLDER / safe / MONITOR_FILE


def monitor_document(
    summary: Summary,
    rolling_frame: pd.DataFrame,
    drift: DriftResult | None = None,
    alerts: Sequence[Alert] = (),
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The content of ``monitor.json`` (layout in docs/staging.md)."""
    return {
        "schema_version": MONITOR_SCHEMA_VERSION,
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "run": {"id": summary.run, "replay": summary.replay},
        "summary": {key: value for key, value in summary.to_dict().items() if key != "rolling"},
        "rolling": [asdict(point) for point in series_points(rolling_frame, MAX_SERIES_POINTS)],
        "drift": None if drift is None else drift.to_dict(),
        "alerts": [alert.to_dict() for alert in alerts],
    }


def write_monitor(
    out_dir: Path,
    summary: Summary,
    rolling: pd.DataFrame,
    drift: DriftResult | None = None,
    alerts: Sequence[Alert] = (),
) -> Path:
    """Write ``out_dir/monitor.json`` atomically (see :func:`monitor_document`) and return its path."""
    document = monitor_document(summary, rolling, drift, alerts)
    return write_atomic(Path(out_dir) / MONITOR_FILE, json.dumps(document, indent=1, allow_nan=False) + "\n")
