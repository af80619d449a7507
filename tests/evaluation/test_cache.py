"""The walk-forward cache stays whole when two processes run the same league-season at once, and a detached
run (a Dask worker's, in memory) stores the same entries as a run on the folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scoreline.evaluation.cache import MemoryCache, Outcome, PredictionCache

HOMES = np.array(["Arsenal", "Chelsea"], dtype=object)
AWAYS = np.array(["Everton", "Fulham"], dtype=object)


def _outcome(p_home: float) -> Outcome:
    return Outcome(np.array([[p_home, 0.3, 0.7 - p_home], [0.2, 0.3, 0.5]]))


def _cache(root: Path) -> PredictionCache:
    return PredictionCache(root, "dixon_coles", "E0", "2223")


def _fill(cache: PredictionCache | MemoryCache, keys: list[str]) -> None:
    """What a run does per round: look the key up, store the outcome on a miss."""
    for i, key in enumerate(keys):
        if cache.get(key, HOMES) is None:
            cache.put(key, HOMES, AWAYS, _outcome(0.1 * (i + 1)))


@pytest.mark.parametrize("first", ["a", "b"])
def test_two_runs_of_one_league_season_leave_every_entry_in_the_chunk(tmp_path: Path, first: str) -> None:
    runs = {"a": _cache(tmp_path), "b": _cache(tmp_path)}
    _fill(runs["a"], ["r1", "r2"])
    _fill(runs["b"], ["r1", "r2", "r3"])  # the duplicate got one round further
    runs[first].consolidate()
    runs["b" if first == "a" else "a"].consolidate()

    reader = _cache(tmp_path)
    assert set(reader.entries()) == {"r1", "r2", "r3"}
    assert reader.get("r3", HOMES) is not None
    np.testing.assert_allclose(reader.get("r2", HOMES).probs, _outcome(0.2).probs)  # type: ignore[union-attr]
    assert list((reader.folder / "rounds").glob("*.parquet")) == []


def test_a_rerun_drops_the_entries_it_no_longer_uses(tmp_path: Path) -> None:
    first = _cache(tmp_path)
    _fill(first, ["old", "r1"])
    first.consolidate()
    second = _cache(tmp_path)
    _fill(second, ["r1", "r2"])
    second.consolidate()
    assert set(_cache(tmp_path).entries()) == {"r1", "r2"}


def test_a_detached_run_stores_what_a_run_on_the_folder_stores(tmp_path: Path) -> None:
    on_folder = _cache(tmp_path / "folder")
    _fill(on_folder, ["r1"])
    on_folder.consolidate()
    _fill(on_folder := _cache(tmp_path / "folder"), ["r1", "r2"])
    on_folder.consolidate()

    owner = _cache(tmp_path / "detached")
    _fill(owner, ["r1"])
    owner.consolidate()
    files = sorted((tmp_path / "detached").rglob("*"))
    worker = MemoryCache(_cache(tmp_path / "detached").entries())
    _fill(worker, ["r1", "r2"])
    assert sorted((tmp_path / "detached").rglob("*")) == files  # the worker writes nothing
    assert set(worker.used) == {"r1", "r2"}
    _cache(tmp_path / "detached").write(worker.used)

    folder_entries = _cache(tmp_path / "folder").entries()
    detached_entries = _cache(tmp_path / "detached").entries()
    assert set(detached_entries) == set(folder_entries) == {"r1", "r2"}
    for key, rows in folder_entries.items():
        assert rows.reset_index(drop=True).equals(detached_entries[key].reset_index(drop=True))
