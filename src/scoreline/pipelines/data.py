"""Where pipelines get matches and odds: the store, or football-data files in a local folder.

Reading a folder parses the files in memory (no database needed), with the same parser the ingestion uses;
quarantined rows are left out, as they are from the store.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from scoreline import columns as c
from scoreline.errors import EmptyStoreError
from scoreline.redaction import redact, redact_url

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MatchData:
    """Canonical matches (sorted by kickoff) and their long 1X2 odds."""

    matches: pd.DataFrame
    odds: pd.DataFrame


def load_from_dir(root: Path | str, leagues: Sequence[str] | None = None) -> MatchData:
    """Parse every season file of ``leagues`` under ``root`` (``<DIV>/<SEASON>.csv``, a folder or ``s3://``)."""
    from scoreline.sources.football_data import discover_folder
    from scoreline.sources.football_data_parser import parse_football_data

    files = discover_folder(root, leagues)
    if not files:
        raise FileNotFoundError(f"no football-data files for {list(leagues or [])} under {redact(str(root))}")
    parsed = [parse_football_data(f.read_bytes(), f.source_file, f.season, f.league) for f in files]
    matches = pd.concat([p.matches for p in parsed], ignore_index=True)
    odds = pd.concat([p.odds for p in parsed], ignore_index=True)
    odds = odds[odds[c.MARKET] == c.MARKET_1X2]
    log.info("read %d matches from %d files under %s", len(matches), len(files), redact(str(root)))
    return MatchData(_sorted(matches), odds.reset_index(drop=True))


def load_from_store(db_url: str, leagues: Sequence[str] | None = None) -> MatchData:
    """Matches and 1X2 odds of ``leagues`` from the store at ``db_url``."""
    from scoreline.store import Store

    store = Store.from_url(db_url)
    try:
        matches = store.read_matches(leagues=leagues)
        odds = store.read_odds(leagues=leagues, market=c.MARKET_1X2)
    finally:
        store.close()
    if matches.empty:
        which = f"for {', '.join(leagues)}" if leagues else "at all"
        raise EmptyStoreError(
            f"the store at {redact_url(db_url)} has no matches {which}",
            "ingest them first: scoreline ingest --leagues ... --seasons ... (or read files with --from-dir)",
        )
    return MatchData(_sorted(matches), odds)


def load_match_data(
    leagues: Sequence[str] | None, from_dir: Path | str | None = None, db_url: str | None = None
) -> MatchData:
    """From ``from_dir`` when given, else from the store (``db_url`` or the configured one)."""
    if from_dir is not None:
        return load_from_dir(from_dir, leagues)
    if db_url is None:
        from scoreline.settings import get_settings

        db_url = get_settings().resolved_db_url
    return load_from_store(db_url, leagues)


def _sorted(matches: pd.DataFrame) -> pd.DataFrame:
    return matches.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)
