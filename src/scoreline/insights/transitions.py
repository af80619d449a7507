"""How teams move between style clusters from one season to the next."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.insights.performance import wilson_interval
from scoreline.insights.profiles import TEAM
from scoreline.sources.seasons import season_code, season_start_year

PREVIOUS_CLUSTER = "previous_cluster"


def next_season(season: str) -> str:
    """The season code after ``season``: ``"2425"`` -> ``"2526"``."""
    return season_code(season_start_year(season) + 1)


def consecutive_pairs(membership: pd.DataFrame) -> pd.DataFrame:
    """Each team's cluster in one season next to its cluster the season after (any league), one row per pair.

    ``membership``: league, season, team, cluster (one row per team-season). Columns: team, season (the later
    one), league (the later one), previous_cluster, cluster.
    """
    earlier = membership[[TEAM, c.SEASON, "cluster"]].rename(columns={"cluster": PREVIOUS_CLUSTER})
    earlier = earlier.assign(**{c.SEASON: earlier[c.SEASON].map(next_season)})
    pairs = membership[[c.LEAGUE, c.SEASON, TEAM, "cluster"]].merge(earlier, on=[TEAM, c.SEASON], how="inner")
    return pairs[[TEAM, c.SEASON, c.LEAGUE, PREVIOUS_CLUSTER, "cluster"]].reset_index(drop=True)


def transition_counts(membership: pd.DataFrame, clusters: Iterable[int]) -> pd.DataFrame:
    """Counts of season-to-season moves: rows the earlier cluster, columns the later one."""
    labels = list(clusters)
    pairs = consecutive_pairs(membership)
    counts = pd.crosstab(pairs[PREVIOUS_CLUSTER], pairs["cluster"]).reindex(index=labels, columns=labels)
    return counts.fillna(0).astype(int)


@dataclass(frozen=True)
class Persistence:
    """Share of teams that stay in their cluster, with a Wilson interval, against the share expected by chance
    (independent clusters with the same margins)."""

    stayed: int
    pairs: int
    rate: float
    low: float
    high: float
    chance: float


def persistence(counts: pd.DataFrame) -> Persistence:
    """Persistence of a transition count matrix."""
    matrix = counts.to_numpy(dtype=float)
    total = matrix.sum()
    stayed = int(np.trace(matrix))
    chance = float((matrix.sum(axis=1) * matrix.sum(axis=0)).sum() / total**2) if total else float("nan")
    low, high = wilson_interval(stayed, int(total))
    return Persistence(stayed, int(total), stayed / total if total else float("nan"), low, high, chance)
