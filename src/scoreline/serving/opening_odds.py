"""Where served market models get fixtures' opening 1X2 prices when the client gives none: the store.

:func:`read_opening_prices` is the one place serving reads odds: the season files' opening prices, else the
pre-match prices of the scheduled fixtures from ``fixtures.csv``. It picks the same triple as training does
(:func:`scoreline.odds.market_1x2_prices`: Pinnacle, else the market average). The app uses
:class:`CachedStoreOpeningPrices`, which keeps each league-season's prices for a while;
:func:`with_opening_prices` fills the fixtures that have no odds from any :data:`OpeningPriceLookup`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence

import pandas as pd

from scoreline import columns as c
from scoreline.odds import PRICE_COLUMNS_1X2, market_1x2_prices
from scoreline.serving.service import Fixture, OpeningPrices
from scoreline.serving.snapshot import DEFAULT_TTL_SECONDS
from scoreline.sources.seasons import season_of_date

OpeningPriceLookup = Callable[[Sequence[Fixture]], list[OpeningPrices | None]]
"""Each fixture's opening prices (home, draw, away), ``None`` where none are known; one call per batch."""


class OddsUnavailableError(RuntimeError):
    """The odds could not be read."""


PriceKey = tuple[str, pd.Timestamp, str, str]  # league, day, home, away


def store_opening_prices(url: str, fixtures: Sequence[Fixture]) -> list[OpeningPrices | None]:
    """The opening 1X2 prices the store at ``url`` holds for each fixture (same league, day and teams)."""
    if not fixtures:
        return []
    found = read_opening_prices(
        url, {f.league for f in fixtures}, {season_of_date(f.kickoff) for f in fixtures}
    )
    return [found.get(_key(f)) for f in fixtures]


def read_opening_prices(
    url: str, leagues: Iterable[str], seasons: Iterable[str]
) -> dict[PriceKey, OpeningPrices]:
    """Every opening 1X2 triple the store at ``url`` holds for ``leagues`` in ``seasons``, and for their
    scheduled fixtures (a season file's prices win over ``fixtures.csv``'s for the same match)."""
    from scoreline.store import Store

    try:
        with Store.from_url(url) as store:
            odds = store.read_odds(
                leagues=sorted(leagues), seasons=sorted(seasons), market=c.MARKET_1X2, timing=c.OPENING
            )
            scheduled = store.read_fixture_odds(
                leagues=sorted(leagues), market=c.MARKET_1X2, timing=c.OPENING
            )
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
    return {
        (str(r[c.LEAGUE]), pd.Timestamp(r[c.DATE]).normalize(), str(r[c.HOME]), str(r[c.AWAY])): (
            float(r[PRICE_COLUMNS_1X2[0]]),
            float(r[PRICE_COLUMNS_1X2[1]]),
            float(r[PRICE_COLUMNS_1X2[2]]),
        )
        for r in triples.to_dict("records")
    }


def _key(fixture: Fixture) -> PriceKey:
    return fixture.league, pd.Timestamp(fixture.kickoff).normalize(), fixture.home, fixture.away


class CachedStoreOpeningPrices:
    """:func:`store_opening_prices` with the prices of each league and season kept for ``ttl_seconds`` (as
    long as the fixture snapshot): a market model's requests then do not open the store each time. Prices that
    arrive in the store meanwhile are seen within that time. Thread-safe."""

    def __init__(
        self,
        url: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        read: Callable[
            [str, Iterable[str], Iterable[str]], dict[PriceKey, OpeningPrices]
        ] = read_opening_prices,
    ) -> None:
        self.url = url
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._read = read
        self._tables: dict[tuple[str, str], tuple[float, dict[PriceKey, OpeningPrices]]] = {}
        self._lock = threading.Lock()

    def __call__(self, fixtures: Sequence[Fixture]) -> list[OpeningPrices | None]:
        keys = [(f.league, season_of_date(f.kickoff)) for f in fixtures]
        wanted = set(keys)
        with self._lock:
            now = self._clock()
            stale = sorted(
                k for k in wanted if k not in self._tables or now - self._tables[k][0] >= self.ttl_seconds
            )
            if stale:
                found = self._read(self.url, {league for league, _ in stale}, {season for _, season in stale})
                fresh: dict[tuple[str, str], dict[PriceKey, OpeningPrices]] = {k: {} for k in stale}
                for key, prices in found.items():
                    table = fresh.get((key[0], season_of_date(key[1])))
                    if table is not None:
                        table[key] = prices
                self._tables.update({k: (now, table) for k, table in fresh.items()})
            tables = {k: self._tables[k][1] for k in wanted}
        return [tables[key].get(_key(f)) for key, f in zip(keys, fixtures, strict=True)]


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
