"""On-disk cache of walk-forward outcomes, one folder per (model, league, season).

While a league-season runs, each round's outcome is written at once as its own small parquet file under
``rounds/`` (so an interrupted run loses at most the round in progress). When the league-season finishes, its
entries are consolidated into one ``chunk.parquet`` and the round files removed, so a rerun reads one file per
model and league-season. Entries are looked up by a content key (see ``walk_forward``); the chunk keeps only
the keys of the latest run. Every write goes to a temporary file first and is then renamed into place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.io import atomic_path

logger = logging.getLogger(__name__)

KEY = "key"
STAGE = "stage"
ERROR = "error"
CHUNK = "chunk.parquet"
ROUNDS = "rounds"


@dataclass(frozen=True)
class Outcome:
    """One round's forecasts by one model, or the stage (fit/predict) and error that stopped it."""

    probs: np.ndarray
    stage: str | None = None
    error: str | None = None


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)


@dataclass
class PredictionCache:
    """Cached outcomes of one model for one league-season under ``root``."""

    root: Path
    model: str
    league: str
    season: str
    _chunk: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)
    _used: dict[str, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)
    _loaded: bool = field(default=False, init=False, repr=False)

    @property
    def folder(self) -> Path:
        return self.root / _safe(self.model) / _safe(self.league) / _safe(self.season)

    def _round_path(self, key: str) -> Path:
        return self.folder / ROUNDS / f"{key}.parquet"

    def _load_chunk(self) -> None:
        self._loaded = True
        table = _read(self.folder / CHUNK)
        if table is not None:
            self._chunk = {str(key): rows for key, rows in table.groupby(KEY, sort=False)}

    def get(self, key: str, homes: np.ndarray) -> Outcome | None:
        """The cached outcome for ``key`` if its rows match the round's home teams, else None."""
        if not self._loaded:
            self._load_chunk()
        rows = self._chunk.get(key)
        if rows is None:
            rows = _read(self._round_path(key))
        if rows is None or len(rows) != len(homes) or not (rows[c.HOME].to_numpy() == homes).all():
            return None
        self._used[key] = rows
        stage, error = rows[STAGE].iloc[0], rows[ERROR].iloc[0]
        return Outcome(
            rows[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float),
            None if pd.isna(stage) else str(stage),
            None if pd.isna(error) else str(error),
        )

    def put(self, key: str, homes: np.ndarray, aways: np.ndarray, outcome: Outcome) -> None:
        """Store one round's outcome at once (an interruption keeps every finished round)."""
        rows = pd.DataFrame(
            {
                KEY: key,
                c.HOME: homes,
                c.AWAY: aways,
                **{name: outcome.probs[:, k] for k, name in enumerate(c.PROBABILITY_COLUMNS)},
                STAGE: pd.Series([outcome.stage] * len(homes), dtype="string"),
                ERROR: pd.Series([outcome.error] * len(homes), dtype="string"),
            }
        )
        _write(rows, self._round_path(key))
        self._used[key] = rows

    def consolidate(self) -> None:
        """Write this run's entries as the chunk and remove the round files."""
        if not self._used:
            return
        _write(pd.concat(self._used.values(), ignore_index=True), self.folder / CHUNK)
        for path in (self.folder / ROUNDS).glob("*.parquet"):
            path.unlink(missing_ok=True)


def _read(path: Path) -> pd.DataFrame | None:
    if not path.exists():
        return None
    try:
        return pd.read_parquet(path)
    except Exception as exc:  # a foreign or damaged file: recompute rather than fail
        logger.warning("ignoring unreadable cache file %s: %s", path, exc)
        return None


def _write(table: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as temporary:
        table.to_parquet(temporary, index=False)
