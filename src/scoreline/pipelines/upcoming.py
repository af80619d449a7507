"""Fixtures coming up after a moment: now (what is scheduled) or a past date (what was scheduled then).

A past ``as_of`` lets a newcomer without a fixtures feed see a full page from the season files alone: the
matches of the following days are listed as they stood that day, their results ignored (not yet known).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from scoreline import columns as c
from scoreline.store import Store, with_scheduled


def upcoming_fixtures(
    store: Store, as_of: pd.Timestamp | None, days: int, leagues: Sequence[str] | None = None
) -> pd.DataFrame:
    """Fixtures kicking off in ``(as_of, as_of + days]`` (``as_of`` None: now, unplayed ones only).

    Returns ``store.fixtures.SCHEDULE_COLUMNS`` sorted by kickoff, league and home team; season-file
    matches and ``fixtures.csv`` fixtures are merged (:func:`scoreline.store.with_scheduled`).
    """
    start = pd.Timestamp.now(tz="UTC").tz_localize(None) if as_of is None else pd.Timestamp(as_of)
    until = start + pd.Timedelta(days=days)
    chosen = list(leagues) if leagues else None
    matches = store.read_matches(leagues=chosen)
    fixtures = store.read_fixtures(leagues=chosen, after=start, until=until, include_played=as_of is not None)
    window = (matches[c.KICKOFF] > start) & (matches[c.KICKOFF] <= until)
    if as_of is None:
        window &= matches[c.RESULT].isna()
    return with_scheduled(matches[window], fixtures)


def parse_as_of(text: str | None) -> pd.Timestamp | None:
    """``--as-of``/``?as_of=`` as a naive timestamp (a date means its midnight); None stays None."""
    if text is None or not text.strip():
        return None
    try:
        moment = pd.Timestamp(text.strip())
    except ValueError as error:
        raise ValueError(f"as-of date {text!r} is not a date (expected YYYY-MM-DD)") from error
    if moment is pd.NaT:
        raise ValueError(f"as-of date {text!r} is not a date (expected YYYY-MM-DD)")
    return moment.tz_convert("UTC").tz_localize(None) if moment.tzinfo is not None else moment
