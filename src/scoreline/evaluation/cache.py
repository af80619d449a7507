"""On-disk cache of walk-forward outcomes, one folder per (model, league, season).

While a league-season runs, each round's outcome is written at once as its own small parquet file under
``rounds/`` (so an interrupted run loses at most the round in progress). When the league-season finishes, its
entries are consolidated into one ``chunk.parquet`` and the round files removed, so a rerun reads one file per
model and league-season. Entries are looked up by a content key (see ``walk_forward``); the chunk keeps only
the keys of the latest run. Every write goes to a temporary file first and is then renamed into place.

A key names its content (the same key always holds the same forecasts), so two processes finishing the same
league-season at once cannot disagree: consolidation merges every round file it finds (its own and a
duplicate's) into the chunk and removes only the files it merged. Where the fits run elsewhere (a Dask
worker without the cache folder), :meth:`PredictionCache.entries` hands the stored entries to a
:class:`MemoryCache`, and the entries it used come back to :meth:`PredictionCache.write` in this process.
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
        outcome = _outcome(rows, homes)
        if outcome is not None and rows is not None:
            self._used[key] = rows
        return outcome

    def put(self, key: str, homes: np.ndarray, aways: np.ndarray, outcome: Outcome) -> None:
        """Store one round's outcome at once (an interruption keeps every finished round)."""
        rows = _rows(key, homes, aways, outcome)
        _write(rows, self._round_path(key))
        self._used[key] = rows

    def consolidate(self) -> None:
        """Write this run's entries as the chunk, merged with a duplicate's; remove the merged round files.

        Entries this run did not use but a duplicate of this league-season running at the same time wrote
        (round files on disk, or chunk entries newer than the chunk this run read) are kept: a key names its
        content, so merging never mixes two answers. Unused entries of older runs are dropped.
        """
        if not self._loaded:
            self._load_chunk()
        merged = [path for path in (self.folder / ROUNDS).glob("*.parquet") if path.stem not in self._used]
        others = {path.stem: rows for path in merged if (rows := _read(path)) is not None}
        on_disk = _read(self.folder / CHUNK)
        if on_disk is not None:
            for key, rows in on_disk.groupby(KEY, sort=False):
                if str(key) not in self._used and str(key) not in self._chunk:
                    others.setdefault(str(key), rows)
        if not self._used and not others:
            return
        _write(pd.concat([*self._used.values(), *others.values()], ignore_index=True), self.folder / CHUNK)
        for path in [*merged, *(self._round_path(key) for key in self._used)]:
            path.unlink(missing_ok=True)

    def entries(self) -> dict[str, pd.DataFrame]:
        """Every stored entry (the chunk's and any round files'), by key."""
        if not self._loaded:
            self._load_chunk()
        found = dict(self._chunk)
        for path in (self.folder / ROUNDS).glob("*.parquet"):
            if path.stem not in found and (rows := _read(path)) is not None:
                found[path.stem] = rows
        return found

    def write(self, entries: dict[str, pd.DataFrame]) -> None:
        """Store the entries a run used elsewhere (see :class:`MemoryCache`) as this folder's chunk."""
        self._used.update(entries)
        self.consolidate()


@dataclass
class MemoryCache:
    """The outcomes of one model for one league-season in memory, for a process without the cache folder.

    Seeded with :meth:`PredictionCache.entries`; ``used`` holds this run's entries (found or new), which the
    process owning the folder stores with :meth:`PredictionCache.write`.
    """

    stored: dict[str, pd.DataFrame]
    used: dict[str, pd.DataFrame] = field(default_factory=dict)

    def get(self, key: str, homes: np.ndarray) -> Outcome | None:
        """The stored outcome for ``key`` if its rows match the round's home teams, else None."""
        rows = self.stored.get(key)
        outcome = _outcome(rows, homes)
        if outcome is not None and rows is not None:
            self.used[key] = rows
        return outcome

    def put(self, key: str, homes: np.ndarray, aways: np.ndarray, outcome: Outcome) -> None:
        """Keep one round's outcome for the folder's owner to store."""
        self.used[key] = _rows(key, homes, aways, outcome)

    def consolidate(self) -> None:
        """Nothing to do: the folder's owner writes ``used``."""


def _outcome(rows: pd.DataFrame | None, homes: np.ndarray) -> Outcome | None:
    """The outcome stored in ``rows`` if they are the round of ``homes``, else None."""
    if rows is None or len(rows) != len(homes) or not (rows[c.HOME].to_numpy() == homes).all():
        return None
    stage, error = rows[STAGE].iloc[0], rows[ERROR].iloc[0]
    return Outcome(
        rows[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float),
        None if pd.isna(stage) else str(stage),
        None if pd.isna(error) else str(error),
    )


def _rows(key: str, homes: np.ndarray, aways: np.ndarray, outcome: Outcome) -> pd.DataFrame:
    """One round's outcome as stored: one row per match."""
    return pd.DataFrame(
        {
            KEY: key,
            c.HOME: homes,
            c.AWAY: aways,
            **{name: outcome.probs[:, k] for k, name in enumerate(c.PROBABILITY_COLUMNS)},
            STAGE: pd.Series([outcome.stage] * len(homes), dtype="string"),
            ERROR: pd.Series([outcome.error] * len(homes), dtype="string"),
        }
    )


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
