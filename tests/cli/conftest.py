"""CLI fixtures: a small football-data mirror written from a simulated league."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.cli_mirror import write_mirror


@pytest.fixture(scope="session")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<root>/<DIV>/<SEASON>.csv`` for two leagues and two seasons (read-only for tests)."""
    return write_mirror(tmp_path_factory.mktemp("mirror"))
