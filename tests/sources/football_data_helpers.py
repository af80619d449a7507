"""Small football-data files made from a simulated league, and ways to damage them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from scoreline.simulate import SimulatedLeague, simulate_league, write_football_data_csv

SEASON = "2324"
SOURCE = "E0/2324.csv"


def small_league(seed: int = 1) -> SimulatedLeague:
    """One season of a six-team league: 30 matches."""
    return simulate_league(n_teams=6, seasons=(SEASON,), seed=seed)


def file_bytes(matches: pd.DataFrame, tmp_path: Path, **quirks: object) -> bytes:
    """``matches`` written as a football-data CSV with ``quirks`` (see ``write_football_data_csv``)."""
    path = write_football_data_csv(matches, tmp_path / "E0" / f"{SEASON}.csv", **quirks)  # type: ignore[arg-type]
    return path.read_bytes()


def split(content: bytes) -> tuple[list[str], list[str]]:
    """Header fields and data lines of a (UTF-8, LF) file."""
    lines = content.decode("utf-8-sig").replace("\r\n", "\n").rstrip("\n").split("\n")
    return lines[0].split(","), lines[1:]


def join(header: list[str], lines: list[str]) -> bytes:
    return ("\n".join([",".join(header), *lines]) + "\n").encode("utf-8")


def set_field(line: str, header: list[str], column: str, value: str) -> str:
    """``line`` with ``column`` set to ``value`` (lines without quoted fields)."""
    fields = line.split(",")
    fields[header.index(column)] = value
    return ",".join(fields)


def field(line: str, header: list[str], column: str) -> str:
    return line.split(",")[header.index(column)]
