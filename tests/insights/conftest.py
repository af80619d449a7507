"""Fixtures for the insights tests: leagues with planted playing styles."""

from __future__ import annotations

import pytest

from scoreline.insights.simulate_styles import StyledLeagues, simulate_styled_leagues


@pytest.fixture(scope="session")
def styled() -> StyledLeagues:
    """Two 16-team leagues, three seasons, four planted styles (seed 1)."""
    return simulate_styled_leagues(n_leagues=2, n_teams=16, seasons=("2122", "2223", "2324"), seed=1)
