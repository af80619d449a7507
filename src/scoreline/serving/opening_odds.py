"""Where served market models get fixtures' opening 1X2 prices when the client gives none: the store.

:func:`store_opening_prices` is the one place serving reads odds: the season files' opening prices, else the
pre-match prices of the scheduled fixtures from ``fixtures.csv``. It picks the same triple as training does
(:func:`scoreline.odds.market_1x2_prices`: Pinnacle, else the market average). :func:`with_opening_prices`
fills the fixtures that have no odds from any :data:`OpeningPriceLookup`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from scoreline import columns as c
from scoreline.odds import PRICE_COLUMNS_1X2, market_1x2_prices
from scoreline.serving.service import Fixture, OpeningPrices
from scoreline.sources.seasons import season_of_date

OpeningPriceLookup = Callable[[Sequence[Fixture]], list[OpeningPrices | None]]
"""Each fixture's opening prices (home, draw, away), ``None`` where none are known; one call per batch."""


class OddsUnavailableError(RuntimeError):
    """The odds could not be read."""


def store_opening_prices(url: str, fixtures: Sequence[Fixture]) -> list[OpeningPrices | None]:
    """The opening 1X2 prices the store at ``url`` holds for each fixture (same league, day and teams)."""
    from scoreline.store import Store

    if not fixtures:
        return []
    leagues = sorted({f.league for f in fixtures})
    seasons = sorted({season_of_date(f.kickoff) for f in fixtures})
    try:
        with Store.from_url(url) as store:
            odds = store.read_odds(leagues=leagues, seasons=seasons, market=c.MARKET_1X2, timing=c.OPENING)
            scheduled = store.read_fixture_odds(leagues=leagues, market=c.MARKET_1X2, timing=c.OPENING)
    except Exception as error:
        raise OddsUnavailableError(f"cannot read opening odds from the store: {error}") from error
    key = [c.LEAGUE, c.DATE, c.HOME, c.AWAY]
    known = (
        pd.MultiIndex.from_frame(odds[key]) if not odds.empty else pd.MultiIndex.from_tuples([], names=key)
    )
    scheduled = (
        scheduled[~pd.MultiIndex.from_frame(scheduled[key]).isin(known)] if not scheduled.empty else scheduled
    )
    triples = market_1x2_prices(pd.concat([odds, scheduled], ignore_index=True), c.OPENING)
    found: dict[tuple[str, pd.Timestamp, str, str], OpeningPrices] = {
        (str(r[c.LEAGUE]), pd.Timestamp(r[c.DATE]).normalize(), str(r[c.HOME]), str(r[c.AWAY])): (
            float(r[PRICE_COLUMNS_1X2[0]]),
            float(r[PRICE_COLUMNS_1X2[1]]),
            float(r[PRICE_COLUMNS_1X2[2]]),
        )
        for r in triples.to_dict("records")
    }
    return [found.get((f.league, pd.Timestamp(f.kickoff).normalize(), f.home, f.away)) for f in fixtures]


def with_opening_prices(fixtures: Sequence[Fixture], lookup: OpeningPriceLookup) -> list[Fixture]:
    """``fixtures`` (a new list) with looked-up opening prices where they had none; given odds are kept."""
    wanting = [i for i, fixture in enumerate(fixtures) if fixture.odds is None]
    out = list(fixtures)
    if not wanting:
        return out
    prices = lookup([fixtures[i] for i in wanting])
    for i, found in zip(wanting, prices, strict=True):
        if found is not None:
            out[i] = out[i]._replace(odds=found)
    return out
