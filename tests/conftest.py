"""Shared fixtures: real-data location, simulated leagues, isolated settings."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from scoreline.settings import get_settings
from scoreline.simulate import SimulatedLeague, simulate_league

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """``$SCORELINE_SHARED_DATA``, else ``../shared/data`` next to the project root."""
    return Path(os.environ.get("SCORELINE_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data mirror; tests that need it skip with a clear message where it is absent."""
    path = shared_data_dir()
    if not (path / "football-data").is_dir():
        pytest.skip(f"real data not found at {path} (set SCORELINE_SHARED_DATA to the shared/data folder)")
    return path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own SCORELINE_HOME so nothing touches the user's ~/.scoreline."""
    home = tmp_path_factory.mktemp("scoreline_home")
    monkeypatch.setenv("SCORELINE_HOME", str(home))
    monkeypatch.delenv("SCORELINE_DB_URL", raising=False)
    monkeypatch.delenv("SCORELINE_MLFLOW_URI", raising=False)
    get_settings.cache_clear()
    yield home
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def restored_logging() -> Iterator[None]:
    """Commands configure the root logger (``serve`` swaps its handlers for one on stderr): what a test adds
    is removed after it, pytest's own capture handlers excepted, so no test logs into another's streams."""
    root = logging.getLogger()
    handlers, filters, level = list(root.handlers), list(root.filters), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers and not type(handler).__module__.startswith("_pytest"):
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers and not type(handler).__module__.startswith("_pytest"):
            root.addHandler(handler)
    root.filters[:] = filters
    root.setLevel(level)


@pytest.fixture(scope="session")
def simulated_league() -> SimulatedLeague:
    """Two seasons of a 20-team league with known strengths (seed 0)."""
    return simulate_league(n_teams=20, seasons=("2223", "2324"), seed=0)
