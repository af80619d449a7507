"""Goal-based Elo ratings (Hvattum & Arntzen 2010), pre-match, batched by day.

Expected home score ``E = 1 / (1 + 10 ** ((R_away - R_home - H) / 400))`` with home advantage ``H``; after the
match both ratings move by ``k * (1 + |goal difference|) ** margin_exponent * (S - E)`` (``S`` = 1, 0.5, 0),
Hvattum & Arntzen's goal-difference weighting ``k0 * (1 + delta) ** lambda``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from scoreline.features.params import EloParams
from scoreline.features.ratings import ELO, run_ratings
from scoreline.features.timeline import Timeline, to_input_order

ELO_COLUMNS = ("elo_home", "elo_away", "elo_diff", "elo_expected_home")


def elo_features(timeline: Timeline, params: EloParams, index: pd.Index) -> pd.DataFrame:
    """``elo_home``, ``elo_away``, ``elo_diff`` (home minus away), ``elo_expected_home`` (with home edge)."""
    pre_home, pre_away = run_ratings(
        timeline,
        ELO,
        params.initial,
        params.season_regression,
        (params.k, params.home_advantage, params.margin_exponent),
    )
    home = to_input_order(pre_home[:, 0], timeline.order)
    away = to_input_order(pre_away[:, 0], timeline.order)
    expected = 1.0 / (1.0 + 10.0 ** ((away - home - params.home_advantage) / 400.0))
    return pd.DataFrame(
        dict(zip(ELO_COLUMNS, (home, away, home - away, np.asarray(expected)), strict=True)), index=index
    )
