"""Leakage-safe features: Elo, pi-ratings, form and market features, with a leakage guard.

Every feature of a match is computed from what was known before its kickoff: matches of earlier days (never
the same day) that kicked off before the cutoff, and the match's own opening odds. See docs/features.md.
"""

from scoreline.features.build import (
    GROUP_COLUMNS,
    GROUPS,
    KEY_COLUMNS,
    FeatureFrame,
    build_features,
    feature_columns,
)
from scoreline.features.guard import LeakageError, assert_no_leakage
from scoreline.features.market import OpeningOdds
from scoreline.features.params import (
    EloParams,
    FeatureParams,
    FormParams,
    MarketParams,
    PiParams,
    PiShotsParams,
)
from scoreline.features.timeline import league_group

__all__ = [
    "GROUPS",
    "GROUP_COLUMNS",
    "KEY_COLUMNS",
    "EloParams",
    "FeatureFrame",
    "FeatureParams",
    "FormParams",
    "LeakageError",
    "MarketParams",
    "OpeningOdds",
    "PiParams",
    "PiShotsParams",
    "assert_no_leakage",
    "build_features",
    "feature_columns",
    "league_group",
]
