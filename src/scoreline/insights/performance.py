"""Do playing styles beat expectations? Points versus expected points per cluster, and matchup surprises.

Inputs are a match frame carrying ``home_cluster``/``away_cluster`` (from :func:`attach_clusters` or from
:func:`scoreline.insights.membership.cluster_features`) and, optionally, pre-match probabilities: a frame with
the match key and ``p_home``/``p_draw``/``p_away`` (market closing probabilities de-vigged, or a model's
predictions). Without probabilities the comparison is with a simple baseline: the league-season's average
points at that venue, and its draw rate. Intervals: bootstrap over team-seasons for points, Wilson for rates;
p-values of matchup rates come from a normal approximation to the Poisson-binomial count of events.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy.stats import binomtest, false_discovery_control, norm

from scoreline import columns as c
from scoreline.insights.membership import AWAY_CLUSTER, HOME_CLUSTER
from scoreline.insights.profiles import POINTS, TEAM, VENUE

SOURCE = "source"  # which expectation: a probabilities source name, or BASELINE
BASELINE = "baseline"
EXPECTED = "expected_points"


def attach_clusters(matches: pd.DataFrame, membership: pd.DataFrame) -> pd.DataFrame:
    """``matches`` plus ``home_cluster``/``away_cluster`` from ``membership`` (league, season, team, cluster).

    Teams without a membership row get a missing cluster. ``matches`` is not modified.
    """
    lookup = membership.set_index([c.LEAGUE, c.SEASON, TEAM])["cluster"]
    out = matches.copy()
    for column, team in ((HOME_CLUSTER, c.HOME), (AWAY_CLUSTER, c.AWAY)):
        index = pd.MultiIndex.from_arrays([matches[c.LEAGUE], matches[c.SEASON], matches[team]])
        out[column] = lookup.reindex(index).to_numpy()
    return out


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion (NaNs when ``n`` is 0)."""
    if n == 0:
        return float("nan"), float("nan")
    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def _with_probabilities(matches: pd.DataFrame, probabilities: pd.DataFrame | None) -> pd.DataFrame:
    """``matches`` with p_home/p_draw/p_away joined on the match key (NaN where absent)."""
    base = matches.drop(columns=[col for col in c.PROBABILITY_COLUMNS if col in matches.columns])
    if probabilities is None:
        return base.assign(**{col: np.nan for col in c.PROBABILITY_COLUMNS})
    probs = probabilities[[*c.MATCH_KEY, *c.PROBABILITY_COLUMNS]].drop_duplicates(list(c.MATCH_KEY))
    return base.merge(probs, on=list(c.MATCH_KEY), how="left", validate="many_to_one")


def team_expectations(matches: pd.DataFrame, probabilities: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per team per played match: cluster, points and expected points.

    Expected points are ``3 p_win + p_draw`` from ``probabilities``; with none, the league-season's average
    points at the team's venue. Rows lacking a cluster or probabilities are dropped.
    """
    joined = _with_probabilities(matches, probabilities)
    played = joined[joined[c.HOME_GOALS].notna() & joined[c.AWAY_GOALS].notna()]
    parts = []
    for venue, team, win, cluster, goals, conceded in (
        ("home", c.HOME, c.P_HOME, HOME_CLUSTER, c.HOME_GOALS, c.AWAY_GOALS),
        ("away", c.AWAY, c.P_AWAY, AWAY_CLUSTER, c.AWAY_GOALS, c.HOME_GOALS),
    ):
        own = played[goals].to_numpy(dtype=float)
        other = played[conceded].to_numpy(dtype=float)
        parts.append(
            pd.DataFrame(
                {
                    c.LEAGUE: played[c.LEAGUE].to_numpy(),
                    c.SEASON: played[c.SEASON].to_numpy(),
                    c.DATE: played[c.DATE].to_numpy(),
                    TEAM: played[team].to_numpy(),
                    VENUE: venue,
                    "cluster": played[cluster].to_numpy(),
                    POINTS: np.select([own > other, own == other], [3.0, 1.0], 0.0),
                    EXPECTED: 3.0 * played[win].to_numpy(dtype=float)
                    + played[c.P_DRAW].to_numpy(dtype=float),
                }
            )
        )
    rows = pd.concat(parts, ignore_index=True)
    if probabilities is None:
        rows[EXPECTED] = rows.groupby([c.LEAGUE, c.SEASON, VENUE])[POINTS].transform("mean")
    return rows[rows["cluster"].notna() & rows[EXPECTED].notna()].reset_index(drop=True)


def _bootstrap_mean_difference(
    diff_sums: np.ndarray, counts: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[float, float]:
    """95% percentile interval of sum(diff)/sum(n) when resampling groups (team-seasons) with replacement."""
    picks = rng.integers(0, len(counts), (n_boot, len(counts)))
    values = diff_sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    return float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))


def points_vs_expected(
    matches: pd.DataFrame,
    probabilities: Mapping[str, pd.DataFrame] | None = None,
    names: Mapping[int, str] | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> pd.DataFrame:
    """Per expectation source and cluster: points per match minus expected points per match, with a 95%
    bootstrap interval over team-seasons. The baseline source is always included.

    Columns: source, cluster, name, team_seasons, team_matches, points, expected, difference, low, high.
    """
    rng = np.random.default_rng(seed)
    sources: dict[str, pd.DataFrame | None] = {BASELINE: None, **dict(probabilities or {})}
    out = []
    for source, probs in sources.items():
        rows = team_expectations(matches, probs)
        rows = rows.assign(diff=rows[POINTS] - rows[EXPECTED])
        for cluster in sorted({int(value) for value in rows["cluster"]}):
            group = rows[rows["cluster"] == cluster]
            per_team = group.groupby([c.LEAGUE, c.SEASON, TEAM])["diff"].agg(["sum", "size"])
            low, high = _bootstrap_mean_difference(
                per_team["sum"].to_numpy(), per_team["size"].to_numpy(), n_boot, rng
            )
            out.append(
                {
                    SOURCE: source,
                    "cluster": cluster,
                    "name": (names or {}).get(cluster, str(cluster)),
                    "team_seasons": len(per_team),
                    "team_matches": len(group),
                    "points": float(group[POINTS].mean()),
                    "expected": float(group[EXPECTED].mean()),
                    "difference": float(group["diff"].mean()),
                    "low": low,
                    "high": high,
                }
            )
    return pd.DataFrame(out)


def _rate_row(events: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Observed rate with Wilson interval, mean predicted rate, and a two-sided p-value of the difference."""
    n, count = len(events), int(events.sum())
    low, high = wilson_interval(count, n)
    expected = float(predicted.sum())
    sd = float(np.sqrt(np.sum(predicted * (1 - predicted))))
    z = (count - expected) / sd if sd > 0 else 0.0
    return {
        "events": count,
        "observed": count / n if n else float("nan"),
        "low": low,
        "high": high,
        "predicted": expected / n if n else float("nan"),
        "p_value": float(2 * norm.sf(abs(z))),
    }


def matchup_rates(
    matches: pd.DataFrame,
    probabilities: Mapping[str, pd.DataFrame] | None = None,
    names: Mapping[int, str] | None = None,
    min_matches: int = 30,
) -> pd.DataFrame:
    """Per source and (home cluster, away cluster): observed draw and upset rates versus predicted ones.

    An upset is a win by the side the probabilities made less likely to win (not defined for the baseline,
    whose predicted draw rate is the league-season's draw rate). Matchups with fewer than ``min_matches``
    matches are left out. ``q_value`` is the Benjamini-Hochberg adjusted p-value within each source and event.
    Columns: source, event, home_cluster, away_cluster, home_name, away_name, matches, events, observed, low,
    high, predicted, p_value, q_value.
    """
    names = names or {}
    sources: dict[str, pd.DataFrame | None] = {BASELINE: None, **dict(probabilities or {})}
    out = []
    for source, probs in sources.items():
        joined = _with_probabilities(matches, probs)
        played = joined[
            joined[c.RESULT].isin(["H", "D", "A"])
            & joined[HOME_CLUSTER].notna()
            & joined[AWAY_CLUSTER].notna()
        ]
        if probs is None:
            draw_rate = played.groupby([c.LEAGUE, c.SEASON])[c.RESULT].transform(lambda r: (r == "D").mean())
            played = played.assign(**{c.P_DRAW: draw_rate})
        else:
            played = played[played[c.P_DRAW].notna()]
        pairs = (
            played[HOME_CLUSTER].astype(int).astype(str) + "|" + played[AWAY_CLUSTER].astype(int).astype(str)
        )
        for pair in sorted(set(pairs), key=lambda text: tuple(map(int, text.split("|")))):
            group = played[pairs == pair]
            home, away = map(int, pair.split("|"))
            if len(group) < min_matches:
                continue
            key = {
                SOURCE: source,
                HOME_CLUSTER: home,
                AWAY_CLUSTER: away,
                "home_name": names.get(home, str(home)),
                "away_name": names.get(away, str(away)),
                "matches": len(group),
            }
            result = group[c.RESULT].to_numpy()
            out.append({**key, "event": "draw", **_rate_row(result == "D", group[c.P_DRAW].to_numpy(float))})
            if probs is not None:
                home_fav = group[c.P_HOME].to_numpy(float) >= group[c.P_AWAY].to_numpy(float)
                upset = np.where(home_fav, result == "A", result == "H")
                p_underdog = np.minimum(group[c.P_HOME].to_numpy(float), group[c.P_AWAY].to_numpy(float))
                out.append({**key, "event": "upset", **_rate_row(upset, p_underdog)})
    columns = [SOURCE, "event", HOME_CLUSTER, AWAY_CLUSTER, "home_name", "away_name", "matches", "events",
               "observed", "low", "high", "predicted", "p_value"]  # fmt: skip
    frame = pd.DataFrame(out, columns=columns)
    frame["q_value"] = np.nan
    for _, index in frame.groupby([SOURCE, "event"]).groups.items():
        frame.loc[index, "q_value"] = false_discovery_control(frame.loc[index, "p_value"].to_numpy())
    return frame
