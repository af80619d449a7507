"""Score a predictions table: every forecaster on the SAME matches, pooled, per league-season and pairwise.

:func:`common_matches` keeps only the matches where every forecaster has a finite forecast and the match has a
result, and says how many were dropped and why; :func:`score` returns the JSON-ready ``metrics.json`` dict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics, stats
from scoreline.evaluation.predictions import MODEL

MATCH_ORDER = (c.KICKOFF, c.LEAGUE, c.HOME)


def models_in(predictions: pd.DataFrame) -> list[str]:
    """Forecaster names in order of first appearance."""
    return list(dict.fromkeys(predictions[MODEL]))


def common_matches(predictions: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The predictions restricted to matches every forecaster predicted and that have a result.

    Returns the aligned rows (every model's rows in the same match order: kickoff, league, home) and a report
    ``{"n_matches", "n_scored", "n_dropped", "dropped_no_result", "dropped_missing": {model: n}}``, where
    ``dropped_missing`` counts, per forecaster, played matches it has no (finite) forecast for.
    """
    key = list(c.MATCH_KEY)
    if predictions.duplicated([*key, MODEL]).any():
        raise ValueError("predictions hold more than one row for some (match, model) pairs")
    names = models_in(predictions)
    finite = np.isfinite(predictions[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float)).all(axis=1)
    matches = predictions.drop_duplicates(key)[[*key, c.RESULT]]
    played = matches[matches[c.RESULT].isin(c.RESULT_TO_INDEX)]
    usable = predictions[finite]
    per_model = usable.groupby(key, sort=False)[MODEL].nunique()
    complete = per_model[per_model == len(names)].index
    keep = played.set_index(key).index.isin(complete)
    kept = played[keep][key]
    aligned = predictions.merge(kept, on=key, how="inner")
    aligned = aligned.sort_values([*MATCH_ORDER, MODEL], kind="stable").reset_index(drop=True)
    played_index = played.set_index(key).index
    missing = {
        name: int((~played_index.isin(usable[usable[MODEL] == name].set_index(key).index)).sum())
        for name in names
    }
    report = {
        "n_matches": len(matches),
        "n_scored": len(kept),
        "n_dropped": len(matches) - len(kept),
        "dropped_no_result": len(matches) - len(played),
        "dropped_missing": missing,
    }
    return aligned, report


def _arrays(
    aligned: pd.DataFrame, names: list[str]
) -> tuple[dict[str, np.ndarray], np.ndarray, pd.DataFrame]:
    """Per-model ``(n, 3)`` forecasts, the outcomes and the match rows, all in the one shared match order."""
    by_model = {name: rows for name, rows in aligned.groupby(MODEL, sort=False)}
    probs = {name: by_model[name][list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float) for name in names}
    rows = by_model[names[0]].reset_index(drop=True)
    return probs, metrics.outcome_indices(rows[c.RESULT]), rows


def round_blocks(rows: pd.DataFrame) -> np.ndarray:
    """Bootstrap block label per match: its league, season and ISO week of the kickoff date."""
    iso = pd.to_datetime(rows[c.DATE]).dt.isocalendar()
    labels = (
        rows[c.LEAGUE].astype(str)
        + "|"
        + rows[c.SEASON].astype(str)
        + "|"
        + iso["year"].astype(str)
        + "-"
        + iso["week"].astype(str)
    )
    return labels.to_numpy()


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if math.isnan(float(value)) else float(value)
    return value


def score(
    predictions: pd.DataFrame,
    pairs: Sequence[tuple[str, str]] | None = None,
    n_boot: int = stats.DEFAULT_BOOTSTRAP,
    level: float = stats.DEFAULT_LEVEL,
    seed: int = 0,
    n_bins: int = metrics.DEFAULT_BINS,
) -> dict[str, Any]:
    """``metrics.json`` content for a predictions table (models and benchmarks together).

    Keys: ``pooled`` ``{model: {"n", "rps", "logloss", "brier", "accuracy", "ece"}}``;
    ``by_league_season`` and ``by_season`` lists of ``{"league"?, "season", "model", "n", ...}``;
    ``pairwise`` a list of :class:`stats.Comparison` dicts (block bootstrap by round, see
    :func:`round_blocks`); ``matches`` the report of :func:`common_matches`; ``bootstrap`` the interval
    settings. ``pairs`` defaults to every pair, A being the one with the lower pooled RPS.
    """
    aligned, report = common_matches(predictions)
    names = models_in(predictions)
    if report["n_scored"] == 0:
        raise ValueError(f"no match was predicted by every forecaster: {report}")
    probs, outcomes, rows = _arrays(aligned, names)
    pooled = {name: metrics.summary(probs[name], outcomes, n_bins) for name in names}
    cells: dict[tuple[str, str], np.ndarray] = {
        (str(key[0]), str(key[1])): np.asarray(i)  # type: ignore[index]
        for key, i in rows.groupby([c.LEAGUE, c.SEASON], sort=True).indices.items()
    }
    by_league_season = [
        {
            "league": league,
            "season": season,
            "model": name,
            **metrics.summary(probs[name][i], outcomes[i], n_bins),
        }
        for (league, season), i in cells.items()
        for name in names
    ]
    by_season = [
        {"season": season, "model": name, **metrics.summary(probs[name][i], outcomes[i], n_bins)}
        for season, i in rows.groupby(c.SEASON, sort=True).indices.items()
        for name in names
    ]
    if pairs is None:
        ranked = sorted(names, key=lambda name: pooled[name]["rps"])
        pairs = list(combinations(ranked, 2))
    unknown = {name for pair in pairs for name in pair} - set(names)
    if unknown:
        raise ValueError(f"pairs name unknown models {sorted(unknown)}; known: {names}")
    losses = {name: metrics.rps_scores(probs[name], outcomes) for name in names}
    blocks = round_blocks(rows)
    pairwise = [
        stats.compare(a, losses[a], b, losses[b], blocks, n_boot=n_boot, level=level, seed=seed)
        for a, b in pairs
    ]
    return _json_ready(
        {
            "pooled": pooled,
            "by_league_season": by_league_season,
            "by_season": by_season,
            "pairwise": pairwise,
            "matches": report,
            "bootstrap": {
                "n_boot": n_boot,
                "level": level,
                "seed": seed,
                "blocks": "league, season, ISO week",
            },
        }
    )
