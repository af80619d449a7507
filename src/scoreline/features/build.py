"""``build_features``: one leakage-safe feature row per match."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any, TypeAlias

import pandas as pd

from scoreline import columns as c
from scoreline.features.elo import ELO_COLUMNS, elo_features
from scoreline.features.form import form_columns, form_features
from scoreline.features.market import MARKET_COLUMNS, OpeningOdds, market_features
from scoreline.features.params import FeatureParams, resolve_params
from scoreline.features.pi import PI_COLUMNS, PI_SHOTS_COLUMNS, pi_features, pi_shots_features
from scoreline.features.timeline import build_timeline, check_matches, encode_matches, kickoffs, match_days
from scoreline.features.version import feature_set_version

logger = logging.getLogger(__name__)

FeatureFrame: TypeAlias = pd.DataFrame
"""A DataFrame: key columns ``KEY_COLUMNS`` then feature columns; ``attrs`` holds version, groups, params."""

GROUPS = ("elo", "pi", "pi_shots", "form", "market")
GROUP_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "elo": tuple(ELO_COLUMNS), "pi": tuple(PI_COLUMNS), "pi_shots": tuple(PI_SHOTS_COLUMNS),
    "form": form_columns(), "market": tuple(MARKET_COLUMNS),
}  # fmt: skip
"""The feature columns each group adds, in ``build_features`` order."""
KEY_COLUMNS = (c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY)
VERSION_ATTR = "feature_set_version"


def _groups(groups: Iterable[str], odds: OpeningOdds | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(groups))
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown feature group(s) {unknown}; choose from {list(GROUPS)}")
    if "market" in chosen and odds is None:
        logger.info("no opening odds given: the market group is left out")
        chosen = tuple(g for g in chosen if g != "market")
    return chosen


def build_features(
    matches: pd.DataFrame,
    odds: OpeningOdds | None = None,
    groups: Iterable[str] = GROUPS,
    cutoff: pd.Timestamp | str | None = None,
    params: FeatureParams | Mapping[str, Mapping[str, Any]] | None = None,
) -> FeatureFrame:
    """One row per match (same index and order as ``matches``) holding only what was known before its kickoff.

    ``matches`` is a canonical match frame (any order). Ratings and form use only matches with a result that
    kicked off before ``cutoff`` (all, if ``None``), updated day by day so same-day matches never see each
    other; fixtures at or after the cutoff get values as of the cutoff. ``odds`` (opening prices only, see
    :class:`OpeningOdds`) feeds the optional market group, which is left out when ``odds`` is ``None``.
    ``frame.attrs["feature_set_version"]`` identifies groups, parameters and code. Inputs are not modified.
    """
    check_matches(matches)
    chosen = _groups(groups, odds)
    resolved = resolve_params(params)
    limit = None if cutoff is None else pd.Timestamp(cutoff)
    keys = pd.DataFrame(
        {
            c.LEAGUE: matches[c.LEAGUE].to_numpy(),
            c.SEASON: matches[c.SEASON].to_numpy(),
            c.DATE: match_days(matches).to_numpy(),
            c.KICKOFF: kickoffs(matches).to_numpy(),
            c.HOME: matches[c.HOME].to_numpy(),
            c.AWAY: matches[c.AWAY].to_numpy(),
        },
        index=matches.index,
    )
    parts = [keys]
    encoded = encode_matches(matches, limit)
    if {"elo", "pi", "pi_shots"} & set(chosen):
        timeline = build_timeline(encoded)
        if "elo" in chosen:
            parts.append(elo_features(timeline, resolved.elo, matches.index))
        if "pi" in chosen:
            parts.append(pi_features(timeline, resolved.pi, matches.index))
        if "pi_shots" in chosen:
            parts.append(pi_shots_features(matches, timeline, resolved.pi_shots, matches.index))
    if "form" in chosen:
        parts.append(form_features(matches, encoded, resolved.form))
    if "market" in chosen:
        assert odds is not None
        parts.append(market_features(matches, odds, resolved.market))
    frame = pd.concat(parts, axis=1)
    frame.attrs[VERSION_ATTR] = feature_set_version(chosen, resolved)
    frame.attrs["groups"] = list(chosen)
    frame.attrs["cutoff"] = None if limit is None else limit.isoformat()
    return frame


def feature_columns(frame: FeatureFrame) -> list[str]:
    """The feature columns of a feature frame (everything but the key columns)."""
    return [name for name in frame.columns if name not in KEY_COLUMNS]
