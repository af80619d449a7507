"""Watch a model in staging: rolling scores beside the market's, a JSON summary and ``monitor.json``.

The input is the ledger's scored predictions (:meth:`scoreline.staging.ledger.Ledger.scored`, or the
ledger left-joined with its scores: rows without a result count as predictions, not as scored). The model
being watched (the *champion*) is one ``model_version``; a *previous* champion can be set beside it from the
same frame. The market is a frame of de-vigged closing probabilities per match key (league, date, home, away,
p_home, p_draw, p_away). Per-match scores come from :mod:`scoreline.evaluation.metrics`.

Comparisons with the market or the previous champion are paired: only matches both forecast count, so a gap is
never the artefact of two forecasters scored on different matches.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics
from scoreline.staging.ledger import MODEL_VERSION, PREDICTED_AT

if TYPE_CHECKING:
    from scoreline.staging.alerts import Alert
    from scoreline.staging.drift import DriftResult

DEFAULT_WINDOW: Final = 50
SUMMARY_POINTS: Final = 10  # rolling points kept in the summary's "rolling" list
MAX_SERIES_POINTS: Final = 500  # monitor.json's series is thinned to at most this many points
MONITOR_FILE: Final = "monitor.json"
MONITOR_SCHEMA_VERSION: Final = 1
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
WINDOW_PREVIOUS_N: Final = "window_previous_n"  # matches in the window the previous champion forecast
SCORE_COLUMNS: Final = (
    RPS, LOGLOSS, MARKET_RPS, MARKET_LOGLOSS, PREVIOUS_RPS, PREVIOUS_LOGLOSS, GAP_TO_MARKET,
)  # fmt: skip
MATCH_ORDER: Final = (c.KICKOFF, c.LEAGUE, c.HOME)
_KEY: Final = list(c.MATCH_KEY)
_PROBS: Final = list(c.PROBABILITY_COLUMNS)

# --- keys of summarise()'s dict (read by alerts and the dashboard) -----------------------------------
WINDOW: Final = "window"
SCORED: Final = "scored"


def rolling_column(name: str) -> str:
    """Name of the rolling-mean column of per-match column ``name`` (e.g. ``rolling_rps``)."""
    return f"{ROLLING_PREFIX}{name}"


def champion_version(scored: pd.DataFrame) -> str | None:
    """The model version that made the most recent prediction (``None`` for an empty frame)."""
    if scored.empty:
        return None
    if PREDICTED_AT not in scored.columns:
        versions = scored[MODEL_VERSION].astype(str).unique()
        if len(versions) > 1:
            raise ValueError(
                f"scored holds {len(versions)} model versions and no {PREDICTED_AT}: name the champion"
            )
        return str(versions[0])
    latest = scored.sort_values(PREDICTED_AT, kind="stable").iloc[-1]
    return str(latest[MODEL_VERSION])


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
    """The champion's played matches in kickoff order, scored per match beside the market and previous model.

    Columns: league, season, date, kickoff, home, away, result, ``rps``, ``logloss``, ``market_rps``,
    ``market_logloss``, ``previous_rps``, ``previous_logloss`` and ``gap_to_market`` (``rps - market_rps``).
    Scores of a forecaster without a (finite) forecast for a match are NaN.
    """
    _require(scored, [*_KEY, c.KICKOFF, c.RESULT, MODEL_VERSION, *_PROBS], "scored")
    version = model_version or champion_version(scored)
    rows = _played(_version_rows(scored, version, "scored")) if version else scored.iloc[0:0]
    frame = rows[[c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY, c.RESULT]].reset_index(drop=True)
    outcomes = metrics.outcome_indices(frame[c.RESULT]) if len(frame) else np.zeros(0, dtype=int)
    frame[RPS], frame[LOGLOSS] = _paired_scores(frame, outcomes, rows)
    if market is not None:
        _require(market, [*_KEY, *_PROBS], "market")
        market = _unique_by_match(market, "market")
    frame[MARKET_RPS], frame[MARKET_LOGLOSS] = _paired_scores(frame, outcomes, market)
    previous = None if previous_version is None else _version_rows(scored, previous_version, "scored")
    frame[PREVIOUS_RPS], frame[PREVIOUS_LOGLOSS] = _paired_scores(frame, outcomes, previous)
    frame[GAP_TO_MARKET] = frame[RPS] - frame[MARKET_RPS]
    return frame


def rolling_scores(
    scored: pd.DataFrame,
    market: pd.DataFrame | None = None,
    window: int = DEFAULT_WINDOW,
    model_version: str | None = None,
    previous_version: str | None = None,
) -> pd.DataFrame:
    """Rolling mean RPS and log loss over the champion's last ``window`` played matches, in kickoff order.

    ``model_version`` defaults to :func:`champion_version`. Returns :func:`per_match_scores`'s columns plus,
    for each score column ``x``, ``rolling_x``: the mean of ``x`` over the last ``window`` matches, skipping
    matches where ``x`` is NaN (so ``rolling_market_rps`` and ``rolling_gap_to_market`` cover the window's
    matches the market priced). ``window_n``, ``window_market_n`` and ``window_previous_n`` count the matches
    each mean covers; early points average fewer than ``window`` matches.
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


def series_points(frame: pd.DataFrame, max_points: int | None = None) -> list[dict[str, Any]]:
    """Rolling points ``{"kickoff", "n", "rps", "logloss", "market_rps", "previous_rps"}`` of a rolling frame.

    With ``max_points``, the series is thinned to evenly spaced points that always include the last one.
    """
    if max_points is not None and len(frame) > max_points:
        keep = np.unique(np.linspace(len(frame) - 1, 0, max_points).round().astype(int))
        frame = frame.iloc[keep]
    return [
        {
            "kickoff": pd.Timestamp(row[c.KICKOFF]).isoformat(),
            "n": int(row[WINDOW_N]),
            "rps": _number(row[rolling_column(RPS)]),
            "logloss": _number(row[rolling_column(LOGLOSS)]),
            "market_rps": _number(row[rolling_column(MARKET_RPS)]),
            "previous_rps": _number(row[rolling_column(PREVIOUS_RPS)]),
        }
        for _, row in frame.iterrows()
    ]


def summarise(
    scored: pd.DataFrame,
    market: pd.DataFrame | None = None,
    window: int = DEFAULT_WINDOW,
    model_version: str | None = None,
    previous_version: str | None = None,
    points: int = SUMMARY_POINTS,
) -> dict[str, Any]:
    """Totals for the JSON output and for :func:`scoreline.staging.alerts.check_alerts`.

    Keys: ``model_version``; ``predictions`` (the version's ledger rows) and ``scored`` (those with a result);
    ``rps`` and ``logloss`` (means over every scored match); ``market_matches``, ``market_closing_rps`` and
    ``rps_gap_to_market`` (model minus market, both over the scored matches the market priced: negative is
    better than the market); ``previous`` (``None`` or ``{"model_version", "matches", "rps",
    "rps_gap_to_previous"}``, paired likewise); ``window`` (``{"size", "n", "rps", "logloss", "market_n",
    "market_rps", "gap_to_market"}`` for the last ``window`` matches) and ``rolling`` (the last ``points``
    points of :func:`series_points`). Means over no match are ``None``.
    """
    version = model_version or champion_version(scored)
    frame = rolling_scores(scored, market, window, version, previous_version)
    predictions = 0 if version is None else int((scored[MODEL_VERSION].astype(str) == version).sum())
    priced = frame[frame[MARKET_RPS].notna()]
    last = frame.iloc[-1] if len(frame) else pd.Series(dtype=object)
    previous = None
    if previous_version is not None:
        paired = frame[frame[PREVIOUS_RPS].notna()]
        previous = {
            "model_version": previous_version,
            "matches": len(paired),
            "rps": _mean(paired[PREVIOUS_RPS]),
            "rps_gap_to_previous": _mean(paired[RPS] - paired[PREVIOUS_RPS]),
        }
    return {
        "model_version": version,
        "predictions": predictions,
        SCORED: len(frame),
        "rps": _mean(frame[RPS]),
        "logloss": _mean(frame[LOGLOSS]),
        "market_matches": len(priced),
        "market_closing_rps": _mean(priced[MARKET_RPS]),
        "rps_gap_to_market": _mean(priced[GAP_TO_MARKET]),
        "previous": previous,
        WINDOW: {
            "size": window,
            "n": int(last.get(WINDOW_N, 0)),
            "rps": _number(last.get(rolling_column(RPS))),
            "logloss": _number(last.get(rolling_column(LOGLOSS))),
            "market_n": int(last.get(WINDOW_MARKET_N, 0)),
            "market_rps": _number(last.get(rolling_column(MARKET_RPS))),
            "gap_to_market": _number(last.get(rolling_column(GAP_TO_MARKET))),
        },
        "rolling": series_points(frame.tail(points)),
    }


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path


def monitor_document(
    summary: dict[str, Any],
    rolling_frame: pd.DataFrame,
    drift: DriftResult | None = None,
    alerts: Sequence[Alert] = (),
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The content of ``monitor.json`` (layout in docs/staging.md)."""
    return {
        "schema_version": MONITOR_SCHEMA_VERSION,
        "generated_at": (generated_at or datetime.now(UTC)).isoformat(timespec="seconds"),
        "summary": {key: value for key, value in summary.items() if key != "rolling"},
        "rolling": series_points(rolling_frame, MAX_SERIES_POINTS),
        "drift": None if drift is None else drift.to_dict(),
        "alerts": [alert.to_dict() for alert in alerts],
    }


def write_monitor(
    out_dir: Path,
    summary: dict[str, Any],
    rolling: pd.DataFrame,
    drift: DriftResult | None = None,
    alerts: Sequence[Alert] = (),
) -> Path:
    """Write ``out_dir/monitor.json`` atomically (see :func:`monitor_document`) and return its path."""
    document = monitor_document(summary, rolling, drift, alerts)
    return write_atomic(Path(out_dir) / MONITOR_FILE, json.dumps(document, indent=1, allow_nan=False) + "\n")
