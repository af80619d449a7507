"""The backtest index: every backtest written, wherever its folder, so the dashboard can show the newest.

``<home>/backtests/index.json`` holds ``{"schema_version": 1, "backtests": [entry, ...]}``, one entry per
output folder (a rerun into the same folder replaces its entry): ``path`` (absolute; or an ``s3://`` URL,
listed but not read by the dashboard and ``doctor``, which show local folders), ``written_at`` (UTC,
ISO 8601), ``leagues, ``test_seasons``, ``models`` and ``matches`` (scored). The backtest pipeline
records each run (:func:`record_backtest`); updates are serialised by a lock file and written atomically
(:func:`scoreline.io.write_atomic`), so parallel backtests (Airflow tasks, ``scoreline run``) lose no entry.
"""

from __future__ import annotations

import fcntl
import json
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scoreline.io import write_atomic
from scoreline.storage import is_object_url

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
INDEX_FILE = "index.json"


@dataclass(frozen=True)
class BacktestRecord:
    """One backtest's folder and what it covered."""

    path: str
    written_at: str
    leagues: tuple[str, ...]
    test_seasons: tuple[str, ...]
    models: tuple[str, ...]
    matches: int | None

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> BacktestRecord:
        """An entry of ``index.json``; ``KeyError``/``TypeError``/``ValueError`` when malformed."""
        matches = entry.get("matches")
        return cls(
            path=str(entry["path"]),
            written_at=datetime.fromisoformat(str(entry["written_at"])).isoformat(timespec="seconds"),
            leagues=tuple(str(v) for v in entry["leagues"]),
            test_seasons=tuple(str(v) for v in entry["test_seasons"]),
            models=tuple(str(v) for v in entry["models"]),
            matches=None if matches is None else int(matches),
        )

    def to_dict(self) -> dict[str, Any]:
        """The entry as written to ``index.json``."""
        fields = asdict(self).items()
        return {key: list(value) if isinstance(value, tuple) else value for key, value in fields}


def index_path(home: Path) -> Path:
    """Where the index lives under a ``SCORELINE_HOME``."""
    return home / "backtests" / INDEX_FILE


def read_backtests(index: Path) -> list[BacktestRecord]:
    """The recorded backtests, newest first; a missing index is empty, malformed entries are skipped."""
    try:
        document = json.loads(index.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as error:
        logger.warning("cannot read the backtest index %s: %s", index, error)
        return []
    entries = document.get("backtests", []) if isinstance(document, dict) else []
    records = []
    for position, entry in enumerate(entries if isinstance(entries, list) else []):
        try:
            records.append(BacktestRecord.from_dict(entry))
        except (KeyError, TypeError, ValueError) as error:
            logger.warning("skipping entry %d of %s: %s", position, index, error)
    # newest first; of two written in the same second, the one recorded later (the file keeps record order)
    order = sorted(range(len(records)), key=lambda i: (records[i].written_at, i), reverse=True)
    return [records[i] for i in order]


def latest_backtest(index: Path) -> BacktestRecord | None:
    """The newest recorded backtest whose folder still holds its ``metrics.json``, else None."""
    for record in read_backtests(index):
        if (Path(record.path) / "metrics.json").is_file():
            return record
    return None


def record_backtest(
    index: Path, folder: Path | str, metrics: Mapping[str, Any], written_at: datetime | None = None
) -> BacktestRecord:
    """Add (or replace) the entry of the backtest written to ``folder``, whose metrics.json is ``metrics``."""
    config = metrics.get("config", {})
    matches = metrics.get("matches", {}).get("n_scored")
    record = BacktestRecord(
        path=str(folder) if is_object_url(folder) else str(Path(folder).resolve()),
        written_at=(written_at or datetime.now(tz=UTC)).isoformat(timespec="seconds"),
        leagues=tuple(config.get("leagues", ())),
        test_seasons=tuple(config.get("test_seasons", ())),
        models=tuple(config.get("models", ())),
        matches=None if matches is None else int(matches),
    )
    with _locked(index):
        kept = [entry for entry in read_backtests(index) if entry.path != record.path]
        entries = sorted([*kept, record], key=lambda entry: entry.written_at)
        document = {"schema_version": SCHEMA_VERSION, "backtests": [entry.to_dict() for entry in entries]}
        write_atomic(index, json.dumps(document, indent=2) + "\n")
    return record


@contextmanager
def _locked(index: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``index``'s lock file (read-modify-write of one index at a time)."""
    index.parent.mkdir(parents=True, exist_ok=True)
    with (index.parent / f".{index.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
