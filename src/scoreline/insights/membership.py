"""Leakage-safe style-cluster membership of the home and away teams, for use as model features.

For a match of season S, the clustering is fitted on the profiles of seasons before S only: matches of other
seasons that kicked off before S's first match (the earliest match of S in the frame, over all leagues) and,
when given, before ``cutoff``. Each team gets the cluster of its latest past season profile. Fits for
successive seasons are aligned to the previous season's fit (Hungarian matching of cluster centres), so a
label means about the same style from season to season. A match's features therefore depend only on matches
dated before its own season started: changing, adding or deleting a match at or after time T cannot change
the features of any match before T.

Hook for the walk-forward backtest: join ``cluster_features(matches, cutoff)`` to the feature frame of
matches kicking off after ``cutoff`` (one-hot the two label columns), and compare the best model's RPS with
and without them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.insights.clustering import Method, StyleClusterer, align_labels
from scoreline.insights.profiles import (
    MATCHES,
    PERIOD,
    SEASON_PERIOD,
    STYLE_FEATURES,
    TEAM,
    profiles_from_rows,
    standardize,
    team_match_rows,
)

HOME_CLUSTER = "home_cluster"
AWAY_CLUSTER = "away_cluster"
FEATURE_COLUMNS = (HOME_CLUSTER, AWAY_CLUSTER)


def _past_membership(
    past: pd.DataFrame,
    features: Sequence[str],
    clusterer: StyleClusterer,
    min_matches: int,
    reference_centers: np.ndarray | None,
) -> tuple[pd.Series, np.ndarray] | None:
    """Fit on season profiles from ``past`` team-match rows; each team's aligned cluster (from its latest
    season) and the aligned cluster centres."""
    profiles = profiles_from_rows(past, periods=("season",))
    profiles = profiles[(profiles[MATCHES] >= min_matches) & (profiles[PERIOD] == SEASON_PERIOD)]
    if len(profiles) <= clusterer.k_range[0] or len(profiles) <= (clusterer.n_clusters or 0):
        return None
    z = standardize(profiles, features)
    fitted = clusterer.fit(z[list(features)])
    mapping = (
        np.arange(fitted.n_clusters_)
        if reference_centers is None
        else align_labels(reference_centers, fitted.centers_)
    )
    centers = np.full((int(mapping.max()) + 1, len(features)), np.nan)
    centers[mapping] = fitted.centers_
    labelled = z.assign(cluster=mapping[fitted.labels_])
    season_start = past.groupby(c.SEASON)[c.DATE].min()
    labelled = labelled.assign(_start=labelled[c.SEASON].map(season_start))
    latest = labelled.sort_values(["_start", MATCHES], kind="stable").drop_duplicates(TEAM, keep="last")
    return latest.set_index(TEAM)["cluster"], centers


def cluster_features(
    matches: pd.DataFrame,
    cutoff: pd.Timestamp | None = None,
    features: Sequence[str] = STYLE_FEATURES,
    method: Method = "kmeans",
    n_clusters: int | None = None,
    k_range: tuple[int, int] = (2, 8),
    min_matches: int = 10,
    max_past_seasons: int | None = None,
    random_state: int = 0,
) -> pd.DataFrame:
    """``home_cluster``/``away_cluster`` (nullable Int64) for every row of ``matches``, index preserved.

    Only past seasons count (see the module docstring), and of those only matches dated before ``cutoff``.
    Teams with no past profile of at least ``min_matches`` matches get a missing cluster.
    ``max_past_seasons`` limits the fit to the latest past seasons. ``matches`` is not modified.
    """
    out = pd.DataFrame({name: pd.array([pd.NA] * len(matches), dtype="Int64") for name in FEATURE_COLUMNS},
                       index=matches.index)  # fmt: skip
    history = team_match_rows(matches)
    if cutoff is not None:
        history = history[history[c.DATE] < pd.Timestamp(cutoff).normalize()]
    starts = matches.groupby(c.SEASON)[c.DATE].min().sort_values(kind="stable")
    reference: np.ndarray | None = None
    for season, start in starts.items():
        past = history[(history[c.DATE] < start) & (history[c.SEASON] != season)]
        if max_past_seasons is not None:
            keep = past.groupby(c.SEASON)[c.DATE].min().sort_values().index[-max_past_seasons:]
            past = past[past[c.SEASON].isin(keep)]
        clusterer = StyleClusterer(
            method=method, k_range=k_range, n_clusters=n_clusters, random_state=random_state
        )
        fitted = _past_membership(past, features, clusterer, min_matches, reference)
        if fitted is None:
            continue
        membership, reference = fitted
        rows = matches[c.SEASON] == season
        for column, team in ((HOME_CLUSTER, c.HOME), (AWAY_CLUSTER, c.AWAY)):
            labels = matches.loc[rows, team].map(membership)
            out.loc[rows, column] = pd.array(labels.to_numpy(dtype=float), dtype="Int64")
    return out
