"""Build a feature table from the store and keep it as parquet.

Tables go to ``settings.home_dir / "features" / "<feature_set_version>.parquet"`` unless a path is given; the
file carries the frame's ``attrs`` (version, groups, cutoff) in its parquet metadata. Writes are atomic (a
temporary file in the same folder, then a rename; an ``s3://`` URL gets one upload of the finished file), so a
crash never leaves half a table behind.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from scoreline import columns as c
from scoreline import storage
from scoreline.errors import EmptyStoreError
from scoreline.features import GROUPS, FeatureFrame, FeatureParams, OpeningOdds, build_features
from scoreline.features.build import VERSION_ATTR
from scoreline.settings import Settings, get_settings

logger = logging.getLogger(__name__)


class MatchStore(Protocol):
    """What the pipeline needs from the store."""

    def read_matches(
        self, leagues: Sequence[str] | None = None, seasons: Sequence[str] | None = None, before: Any = None
    ) -> pd.DataFrame: ...

    def read_odds(
        self,
        leagues: Sequence[str] | None = None,
        seasons: Sequence[str] | None = None,
        market: str | None = None,
        timing: str | None = None,
        bookmakers: Sequence[str] | None = None,
    ) -> pd.DataFrame: ...


@dataclass(frozen=True)
class FeatureBuildSummary:
    """What ``scoreline features build --json`` prints."""

    rows: int
    columns: int
    feature_set_version: str
    groups: list[str]
    seconds: float
    path: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@contextmanager
def open_store(url: str | None = None) -> Iterator[MatchStore]:
    """The store at ``url`` (default: the configured one), closed on exit."""
    from scoreline.store import Store

    with Store.from_url(url or get_settings().resolved_db_url) as store:
        yield store


def feature_table_path(version: str, settings: Settings | None = None) -> Path:
    """Where the table of feature-set ``version`` is kept by default."""
    return (settings or get_settings()).home_dir / "features" / f"{version}.parquet"


def build_feature_table(
    store: MatchStore,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    groups: Iterable[str] = GROUPS,
    cutoff: pd.Timestamp | str | None = None,
    params: FeatureParams | Mapping[str, Mapping[str, Any]] | None = None,
) -> FeatureFrame:
    """Read matches (and opening 1X2 odds when the market group is wanted) and build the features."""
    chosen = tuple(groups)
    matches = store.read_matches(leagues=leagues, seasons=seasons)
    if matches.empty:
        which = f" for {', '.join(leagues)}" if leagues else ""
        raise EmptyStoreError(f"the store has no matches{which}", "ingest them first: scoreline ingest")
    odds = None
    if "market" in chosen:
        long = store.read_odds(leagues=leagues, seasons=seasons, market=c.MARKET_1X2, timing=c.OPENING)
        odds = OpeningOdds.from_long(long)
    return build_features(matches, odds=odds, groups=chosen, cutoff=cutoff, params=params)


def save_feature_table(frame: FeatureFrame, path: Path | str | None = None) -> Path | str:
    """Write ``frame`` as parquet (default path from its version; ``s3://`` URLs too), atomically; returns
    the path."""
    target = path if path is not None else feature_table_path(frame.attrs[VERSION_ATTR])
    with storage.staged_file(target) as temporary:
        frame.reset_index(drop=True).to_parquet(temporary, index=False)
    return target


def run_feature_build(
    db_url: str | None = None,
    leagues: Sequence[str] | None = None,
    groups: Iterable[str] = GROUPS,
    out: Path | str | None = None,
    cutoff: pd.Timestamp | str | None = None,
    store: MatchStore | None = None,
) -> FeatureBuildSummary:
    """Build the feature table from the store and save it; returns a summary."""
    started = time.perf_counter()
    if store is None:
        with open_store(db_url) as opened:
            frame = build_feature_table(opened, leagues=leagues, groups=groups, cutoff=cutoff)
    else:
        frame = build_feature_table(store, leagues=leagues, groups=groups, cutoff=cutoff)
    path = save_feature_table(frame, out)
    seconds = time.perf_counter() - started
    logger.info(
        "feature table %s: %d rows -> %s (%.1f s)", frame.attrs[VERSION_ATTR], len(frame), path, seconds
    )
    return FeatureBuildSummary(
        rows=len(frame),
        columns=frame.shape[1],
        feature_set_version=frame.attrs[VERSION_ATTR],
        groups=list(frame.attrs["groups"]),
        seconds=round(seconds, 3),
        path=str(path),
    )
