"""The whole clustering analysis on a match frame: profiles, clusters, stability, names, and what they mean.

:func:`analyse_clusters` is pure computation (no I/O); :func:`insights_document` turns its result into the
JSON document written as ``insights.json``; :func:`cluster_table` into ``clusters.parquet``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.insights.clustering import (
    METHODS,
    Method,
    Stability,
    StyleClusterer,
    bootstrap_stability,
    cluster_agreement,
    describe_clusters,
)
from scoreline.insights.performance import attach_clusters, matchup_rates, points_vs_expected
from scoreline.insights.profiles import (
    MATCHES,
    PERIOD,
    PROFILE_KEY,
    SEASON_PERIOD,
    STYLE_FEATURES,
    TEAM,
    standardize,
    team_profiles,
)
from scoreline.insights.transitions import (
    PREVIOUS_CLUSTER,
    Persistence,
    consecutive_pairs,
    persistence,
    transition_counts,
)

CLUSTER_NAME = "cluster_name"
CLUSTER_PROBABILITY = "cluster_probability"
Z_PREFIX = "z_"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ClusterAnalysis:
    """Everything the report shows. ``profiles`` holds one row per team and period with raw and z-scored
    (``z_``) features and the clusters; ``points`` is keyed by membership ("in_season", "previous_season")."""

    profiles: pd.DataFrame
    method: Method
    features: tuple[str, ...]
    selection: dict[str, pd.DataFrame]
    n_clusters: dict[str, int]
    covariance_type: str  # of the Gaussian mixture, chosen by BIC with k unless fixed
    one_component_bic: float  # BIC of a single Gaussian: a k whose BIC is not lower finds no clusters
    agreement: float  # ARI between the Gaussian-mixture and k-means partitions
    stability: Stability
    names: dict[int, str]
    smd: pd.DataFrame
    points: dict[str, pd.DataFrame]
    matchups: pd.DataFrame
    transitions: pd.DataFrame
    persistence: Persistence
    n_matches: int
    sources: tuple[str, ...]
    min_matchup: int  # matchups with fewer matches are left out

    @property
    def season_rows(self) -> pd.DataFrame:
        """The season-period profiles that were clustered."""
        return self.profiles[(self.profiles[PERIOD] == SEASON_PERIOD) & self.profiles["cluster"].notna()]


def _previous_season_matches(matches: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """``matches`` with each team's cluster of the season before (any league); missing when not clustered."""
    pairs = consecutive_pairs(membership)
    lookup = pairs.assign(cluster=pairs[PREVIOUS_CLUSTER])[[c.LEAGUE, c.SEASON, TEAM, "cluster"]]
    return attach_clusters(matches, lookup)


def analyse_clusters(
    matches: pd.DataFrame,
    probabilities: Mapping[str, pd.DataFrame] | None = None,
    method: Method = "gmm",
    features: Sequence[str] = STYLE_FEATURES,
    k_range: tuple[int, int] = (2, 8),
    covariance_type: str = "auto",
    n_boot: int = 30,
    min_matches: int = 10,
    min_matchup: int = 30,
    seed: int = 0,
) -> ClusterAnalysis:
    """Profile, cluster (both methods; ``method`` is the one reported), check stability, name and evaluate.

    Season profiles of at least ``min_matches`` matches are clustered; half-season profiles (at least half
    that) are assigned with the same fitted model. ``probabilities`` maps a source name ("market", "model")
    to a frame with the match key and ``p_home``/``p_draw``/``p_away``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown clustering method {method!r}; choose one of {', '.join(METHODS)}")
    features = tuple(features)
    raw = team_profiles(matches)
    is_season = raw[PERIOD] == SEASON_PERIOD
    enough = raw[MATCHES] >= np.where(is_season, min_matches, max(1, min_matches // 2))
    raw = raw[enough].reset_index(drop=True)
    z = standardize(raw, features)
    season = (z[PERIOD] == SEASON_PERIOD).to_numpy()
    if season.sum() <= k_range[0]:
        raise ValueError(
            f"only {int(season.sum())} team-seasons with >= {min_matches} matches: too few to cluster"
        )
    X = z.loc[season, list(features)]
    fitted = {
        m: StyleClusterer(method=m, k_range=k_range, covariance_type=covariance_type, random_state=seed).fit(
            X
        )
        for m in METHODS
    }
    primary = fitted[method]
    labels = primary.predict(z[list(features)])
    proba = primary.predict_proba(z[list(features)]).max(axis=1)
    smd, names = describe_clusters(X, primary.labels_)
    profiles = raw.assign(
        **{f"{Z_PREFIX}{name}": z[name] for name in features},
        cluster=labels,
        **{CLUSTER_NAME: [names[int(label)] for label in labels], CLUSTER_PROBABILITY: proba},
        **{f"{m}_cluster": clusterer.predict(z[list(features)]) for m, clusterer in fitted.items()},
    )
    membership = profiles.loc[season, [c.LEAGUE, c.SEASON, TEAM, "cluster"]]
    in_season = attach_clusters(matches, membership)
    previous = _previous_season_matches(matches, membership)
    counts = transition_counts(membership, range(primary.n_clusters_))
    return ClusterAnalysis(
        profiles=profiles,
        method=method,
        features=features,
        selection={m: clusterer.selection_ for m, clusterer in fitted.items()},
        n_clusters={m: clusterer.n_clusters_ for m, clusterer in fitted.items()},
        covariance_type=fitted["gmm"].covariance_type_,
        one_component_bic=fitted["gmm"].one_component_bic_,
        agreement=cluster_agreement(fitted["gmm"].labels_, fitted["kmeans"].labels_),
        stability=bootstrap_stability(X, primary, n_boot=n_boot, seed=seed),
        names=names,
        smd=smd,
        points={
            "in_season": points_vs_expected(in_season, probabilities, names, seed=seed),
            "previous_season": points_vs_expected(previous, probabilities, names, seed=seed),
        },
        matchups=matchup_rates(in_season, probabilities, names, min_matches=min_matchup),
        transitions=counts,
        persistence=persistence(counts),
        n_matches=int(matches[c.HOME_GOALS].notna().sum()),
        sources=tuple(probabilities or {}),
        min_matchup=min_matchup,
    )


def cluster_table(analysis: ClusterAnalysis) -> pd.DataFrame:
    """``clusters.parquet``: key, cluster, name, posterior, both methods' labels, matches, points and
    features (raw and ``z_``)."""
    profiles = analysis.profiles
    first = [*PROFILE_KEY, "cluster", CLUSTER_NAME, CLUSTER_PROBABILITY, *(f"{m}_cluster" for m in METHODS)]
    rest = [col for col in profiles.columns if col not in first]
    table = profiles[first + rest].copy()
    table["cluster"] = table["cluster"].astype("int64")
    return table


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows (NaN -> null, numpy scalars -> Python)."""
    result: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", double_precision=6))
    return result


def findings(analysis: ClusterAnalysis, alpha: float = 0.05) -> list[str]:
    """Plain-language statements backed by counts and intervals: persistence, over/under-performance whose
    95% interval excludes 0, and matchups whose FDR-adjusted q-value is below ``alpha``."""
    p = analysis.persistence
    out = [
        f"Style persists: {p.stayed} of {p.pairs} team season-to-season moves stay in the same cluster "
        f"({p.rate:.0%}, 95% CI {p.low:.0%}-{p.high:.0%}) against {p.chance:.0%} expected by chance."
    ]
    for membership, table in analysis.points.items():
        for r in _records(table):
            if r["low"] > 0 or r["high"] < 0:
                verb = "over" if r["difference"] > 0 else "under"
                out.append(
                    f"[{membership}] cluster {r['cluster']} ({r['name']}) {verb}-performs {r['source']} "
                    f"expectations by {r['difference']:+.3f} points/match "
                    f"(95% CI {r['low']:+.3f} to {r['high']:+.3f}; "
                    f"{r['team_matches']} team-matches, {r['team_seasons']} team-seasons)."
                )
    for r in _records(analysis.matchups[analysis.matchups["q_value"] < alpha]):
        out.append(
            f"[matchup] {r['home_name']} (home) v {r['away_name']}: {r['event']} rate {r['observed']:.1%} "
            f"(95% CI {r['low']:.1%}-{r['high']:.1%}, {r['events']}/{r['matches']}) vs {r['predicted']:.1%} "
            f"predicted by {r['source']} (q = {r['q_value']:.3f})."
        )
    return out


def insights_document(
    analysis: ClusterAnalysis, leagues: Sequence[str], seasons: Sequence[str]
) -> dict[str, Any]:
    """The ``insights.json`` document (layout in docs/insights.md)."""
    season_rows = analysis.season_rows
    smd = analysis.smd
    clusters = []
    for cluster, name in analysis.names.items():
        rows = season_rows[season_rows["cluster"] == cluster]
        top = smd[smd["cluster"] == cluster].reindex(
            smd[smd["cluster"] == cluster]["smd"].abs().sort_values(ascending=False).index
        )
        examples = rows.sort_values(CLUSTER_PROBABILITY, ascending=False).head(5)
        clusters.append(
            {
                "cluster": int(cluster),
                "name": name,
                "team_seasons": len(rows),
                "points_per_match": float(rows["points"].mean()),
                "top_features": _records(top.head(4)[["feature", "smd"]]),
                "smd": {r["feature"]: r["smd"] for r in _records(smd[smd["cluster"] == cluster])},
                "examples": [f"{r['team']} {r['season']} ({r['league']})" for r in _records(examples)],
            }
        )
    s = analysis.stability
    return {
        "schema_version": SCHEMA_VERSION,
        "leagues": list(leagues),
        "seasons": list(seasons),
        "data": {
            "matches": analysis.n_matches,
            "team_seasons": len(season_rows),
            "half_season_profiles": int((analysis.profiles[PERIOD] != SEASON_PERIOD).sum()),
        },
        "features": list(analysis.features),
        "method": analysis.method,
        "n_clusters": analysis.n_clusters[analysis.method],
        "selection": {
            m: {
                "criterion": "bic" if m == "gmm" else "silhouette",
                "k": analysis.n_clusters[m],
                "scores": _records(frame),
                **(
                    {
                        "covariance_type": analysis.covariance_type,
                        "bic": float(frame["bic"].min()),
                        "one_component_bic": analysis.one_component_bic,
                    }
                    if m == "gmm"
                    else {}
                ),
            }
            for m, frame in analysis.selection.items()
        },
        "agreement_gmm_kmeans_ari": analysis.agreement,
        "stability": {"ari_mean": s.mean, "ari_low": s.low, "ari_high": s.high, "n_boot": s.n_boot},
        "clusters": clusters,
        "probability_sources": list(analysis.sources),
        "points_vs_expected": {key: _records(table) for key, table in analysis.points.items()},
        "matchups": _records(analysis.matchups),
        "min_matchup_matches": analysis.min_matchup,
        "transitions": {
            "clusters": [int(i) for i in analysis.transitions.index],
            "counts": analysis.transitions.to_numpy().tolist(),
            "persistence": {
                "stayed": analysis.persistence.stayed,
                "pairs": analysis.persistence.pairs,
                "rate": analysis.persistence.rate,
                "low": analysis.persistence.low,
                "high": analysis.persistence.high,
                "chance": analysis.persistence.chance,
            },
        },
        "findings": findings(analysis),
    }
