"""The long predictions frame every forecaster (model or market benchmark) is scored from.

One row per match and forecaster: the match key, ``season``, ``kickoff``, the forecaster's name in ``model``,
``p_home/p_draw/p_away`` (NaN where it has no forecast), the ``train_cutoff`` its fit saw data up to
(exclusive; NaT for market benchmarks), ``n_train`` training matches and the ``result`` ("H"/"D"/"A").
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from scoreline import columns as c

MODEL: Final = "model"
TRAIN_CUTOFF: Final = "train_cutoff"
N_TRAIN: Final = "n_train"
PREDICTION_COLUMNS: Final = (
    c.LEAGUE,
    c.SEASON,
    c.DATE,
    c.KICKOFF,
    c.HOME,
    c.AWAY,
    MODEL,
    *c.PROBABILITY_COLUMNS,
    TRAIN_CUTOFF,
    N_TRAIN,
    c.RESULT,
)


def season_start_year(season: str) -> int:
    """Calendar year a football-data season code starts in: "9394" -> 1993, "2324" -> 2023."""
    if len(season) != 4 or not season.isdigit():
        raise ValueError(f"season code must be 4 digits like '2324', got {season!r}")
    year = int(season[:2])
    return 1900 + year if year >= 50 else 2000 + year


def prediction_frame(
    matches: pd.DataFrame, model: str | np.ndarray, probs: np.ndarray, **extra: object
) -> pd.DataFrame:
    """Predictions of ``model`` for ``matches`` (rows aligned with ``probs``) in the canonical column order.

    ``model`` is one name or one per row; ``extra`` sets ``train_cutoff`` / ``n_train`` (scalars or arrays,
    default NaT and 0).
    """
    probs = np.asarray(probs, dtype=float).reshape(len(matches), len(c.OUTCOMES))
    n = len(matches)
    data: dict[str, object] = {
        name: matches[name].to_numpy() for name in (c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY)
    }
    data[MODEL] = np.broadcast_to(np.asarray(model, dtype=object), (n,)).copy()
    data.update({name: probs[:, k] for k, name in enumerate(c.PROBABILITY_COLUMNS)})
    cutoff = pd.to_datetime(pd.Series(extra.get(TRAIN_CUTOFF, pd.NaT))).to_numpy(dtype="datetime64[ns]")
    data[TRAIN_CUTOFF] = np.broadcast_to(cutoff, (n,)) if len(cutoff) == 1 else cutoff
    data[N_TRAIN] = np.broadcast_to(np.asarray(extra.get(N_TRAIN, 0), dtype=np.int64), (n,)).copy()
    data[c.RESULT] = matches[c.RESULT].to_numpy() if c.RESULT in matches else np.full(n, None, dtype=object)
    return pd.DataFrame(data, columns=list(PREDICTION_COLUMNS))
