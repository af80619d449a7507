"""The division ladders of football-data.co.uk's leagues, and every question about them.

A country's divisions form a ladder from top to bottom. Promoted and relegated teams carry their history
between neighbouring rungs, so a league's models train on the league and the divisions just above and
below it (E0 on E0 and E1; E1 on E0, E1 and E2). This module is the one place that knows the ladders.
"""

from __future__ import annotations

from collections.abc import Iterable

# Divisions of one country from top to bottom (football-data codes).
DIVISION_LADDERS: tuple[tuple[str, ...], ...] = (
    ("E0", "E1", "E2", "E3", "EC"),
    ("SC0", "SC1", "SC2", "SC3"),
    ("D1", "D2"),
    ("SP1", "SP2"),
    ("I1", "I2"),
    ("F1", "F2"),
)


def all_divisions() -> tuple[str, ...]:
    """Every division of every ladder, country by country, top to bottom."""
    return tuple(division for ladder in DIVISION_LADDERS for division in ladder)


def training_divisions(league: str, available: Iterable[str] | None = None) -> tuple[str, ...]:
    """``league`` and the divisions just above and below it in its country.

    With ``available``, only neighbours present there are returned (``league`` itself always is); a league
    on no ladder trains on itself alone.
    """
    present = set(all_divisions() if available is None else available)
    for ladder in DIVISION_LADDERS:
        if league in ladder:
            i = ladder.index(league)
            neighbours = [d for d in ladder[max(i - 1, 0) : i + 2] if d != league and d in present]
            return (league, *neighbours)
    return (league,)


def with_training_divisions(leagues: Iterable[str], available: Iterable[str] | None = None) -> list[str]:
    """The leagues and every division their models train on, sorted: what an ingest must fetch."""
    known = None if available is None else tuple(available)
    return sorted({d for league in leagues for d in training_divisions(league, known)})
