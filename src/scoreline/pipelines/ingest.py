"""Ingestion: source files -> parser -> store, one transaction per file.

For every file: read its bytes, hash them, skip the file when the store already holds that exact content,
otherwise parse it and write it (replacing the file's previous rows). An object (``s3://``) whose ETag is
unchanged since its content was last read, content the store holds, is skipped without reading it. Files
are isolated: whatever one file holds, the others are stored.

* A file whose content is refused as a whole (not a football-data CSV, dates of both orders, a ``Div`` other
  than its folder's, no valid row) is *quarantined*: its quarantine rows (file, line, field, reason) replace
  what it stored before, no match is stored, and it counts as failed in this run and in every later run
  while it is unchanged.
* A file that cannot be read, parsed or written (an I/O error, a value the database refuses, a bug in the
  parser) *fails*: nothing of it is written and the error is reported.
* Database errors other than a refused value (server gone, disk full) and an object store's failure
  (:class:`scoreline.storage.StorageError`) stop the run: the files written so far stay, the current one is
  rolled back.

:func:`ingest_fixtures` does the same for football-data's ``fixtures.csv``: its fixtures replace the
scheduled fixtures of the leagues it lists (``Store.write_fixtures``), an unchanged file is skipped.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from itertools import islice
from typing import Protocol

import sqlalchemy as sa

from scoreline.hashing import content_sha256
from scoreline.sources.fixtures import parse_fixtures
from scoreline.sources.football_data import SourceUnavailableError
from scoreline.sources.football_data_parser import ParsedFile, parse_football_data, rejection_reason
from scoreline.storage import StorageError
from scoreline.store import PreparedFile, Store, prepare
from scoreline.store.bulk import is_data_error

logger = logging.getLogger(__name__)


class SourceFileLike(Protocol):
    """A source file to ingest (``scoreline.sources.football_data.SourceFile``)."""

    @property
    def league(self) -> str: ...
    @property
    def season(self) -> str: ...
    @property
    def source_file(self) -> str: ...
    @property
    def day_first(self) -> bool: ...
    def read_bytes(self) -> bytes: ...
    def known_sha256(self) -> str | None: ...


Parser = Callable[..., ParsedFile]
READ_AHEAD = 2  # files parsed ahead of the writer


class FileStatus(StrEnum):
    """What happened to one file."""

    STORED = "stored"  # new file
    REPLACED = "replaced"  # changed file: previous rows replaced
    UNCHANGED = "unchanged"  # same content already stored: skipped
    QUARANTINED = "quarantined"  # content refused as a whole: its quarantine rows stored, no match
    FAILED = "failed"  # could not be read, parsed or written: nothing stored


FAILED_STATUSES = (FileStatus.QUARANTINED, FileStatus.FAILED)  # what counts as a failed file


@dataclass(frozen=True)
class FileOutcome:
    """One file's ingestion outcome and what it stored."""

    source_file: str
    status: FileStatus
    rows_read: int = 0
    matches: int = 0
    odds_rows: int = 0
    quarantined: int = 0
    error: str | None = None


@dataclass(frozen=True)
class IngestReport:
    """Outcomes of an ingestion run, in file order."""

    files: tuple[FileOutcome, ...]

    def count(self, status: FileStatus) -> int:
        """How many files ended with ``status``."""
        return sum(outcome.status is status for outcome in self.files)

    @property
    def failed(self) -> tuple[FileOutcome, ...]:
        """The files that could not be ingested or were quarantined whole."""
        return tuple(outcome for outcome in self.files if outcome.status in FAILED_STATUSES)

    @property
    def ok(self) -> bool:
        """True when no file failed."""
        return not self.failed

    def totals(self) -> dict[str, int]:
        """Rows read and stored over all files written in this run."""
        return {
            "rows_read": sum(o.rows_read for o in self.files),
            "matches": sum(o.matches for o in self.files),
            "odds_rows": sum(o.odds_rows for o in self.files),
            "quarantined": sum(o.quarantined for o in self.files),
        }


def ingest(
    store: Store,
    files: Sequence[SourceFileLike],
    progress: Callable[[FileOutcome], None] | None = None,
    parse: Parser = parse_football_data,
    read_ahead: int = READ_AHEAD,
) -> IngestReport:
    """Ingest ``files`` into ``store``, one transaction per file; ``progress`` is called after each file.

    A background thread reads, hashes, parses and checks (:func:`scoreline.store.prepare`) up to
    ``read_ahead`` files ahead while this thread writes, in file order (DuckDB and Arrow release the GIL).
    """
    known = store.ingested_hashes()
    refused = _refused_files(store)
    outcomes = []
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="scoreline-parse") as reader:
        queue: deque[Future[_Read]] = deque()
        upcoming = iter(files)
        for source in islice(upcoming, max(read_ahead, 1)):
            queue.append(reader.submit(_read, source, known.get(source.source_file), parse))
        while queue:
            read = queue.popleft().result()
            for source in islice(upcoming, 1):
                queue.append(reader.submit(_read, source, known.get(source.source_file), parse))
            outcome = _write(store, read, refused)
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome)
    report = IngestReport(tuple(outcomes))
    logger.info(
        "ingested %d files: %d stored, %d replaced, %d unchanged, %d failed (%d of them quarantined)",
        len(outcomes),
        report.count(FileStatus.STORED),
        report.count(FileStatus.REPLACED),
        report.count(FileStatus.UNCHANGED),
        len(report.failed),
        report.count(FileStatus.QUARANTINED),
    )
    return report


def _refused_files(store: Store) -> set[str]:
    """Stored files whose content was refused whole: rows quarantined, no match stored."""
    files = store.read_ingested_files()
    return set(files.loc[(files["matches"] == 0) & (files["quarantined"] > 0), "source_file"])


@dataclass(frozen=True)
class _Read:
    """A source file read, hashed and (unless unchanged) parsed and prepared; or the error that stopped it."""

    source_file: str
    sha256: str | None = None
    parsed: ParsedFile | None = None
    prepared: PreparedFile | None = None
    error: str | None = None


def _read(source: SourceFileLike, known_sha: str | None, parse: Parser) -> _Read:
    name = source.source_file
    try:
        if known_sha is not None and source.known_sha256() == known_sha:
            return _Read(name, known_sha)  # an object whose ETag is unchanged: not even read
        content = source.read_bytes()
        sha = content_sha256(content)
        if sha == known_sha:
            return _Read(name, sha)
        parsed = parse(
            content,
            source_file=name,
            season=source.season,
            league=source.league,
            day_first_when_ambiguous=source.day_first,
        )
        return _Read(name, sha, parsed, prepare(parsed))
    except StorageError:
        raise  # the object store itself failed (credentials, throttled, unreachable): stop, stored files stay
    except (OSError, ValueError, SourceUnavailableError) as exc:
        return _Read(name, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # a parser bug on one file must not stop the others: reported, traceback logged
        logger.exception("%s: internal error while parsing", name)
        return _Read(name, error=f"{INTERNAL_ERROR}: {type(exc).__name__}: {exc}")


INTERNAL_ERROR = "internal error"  # error prefix of a file the parser could not handle (a bug to report)


def _write(store: Store, read: _Read, refused: set[str]) -> FileOutcome:
    name = read.source_file
    if read.parsed is None or read.sha256 is None:
        if read.error is not None:
            logger.error("%s: not ingested: %s", name, read.error)
            return FileOutcome(name, FileStatus.FAILED, error=read.error)
        return _unchanged(store, name, refused)
    try:
        result = store.write_parsed_file(read.parsed, read.sha256, read.prepared)
    except (ValueError, sa.exc.DBAPIError) as exc:
        if isinstance(exc, sa.exc.DBAPIError) and not is_data_error(exc):
            raise  # the database itself failed: stop the run
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        logger.error("%s: not ingested (rolled back): %s", name, error)
        return FileOutcome(name, FileStatus.FAILED, error=error)
    if result.skipped:
        return _unchanged(store, name, refused)
    rejected = result.matches == 0 and result.quarantined > 0
    if rejected:
        logger.warning("%s: quarantined whole: %s", name, read.parsed.rejection)
    return FileOutcome(
        name,
        FileStatus.QUARANTINED if rejected else FileStatus.REPLACED if result.replaced else FileStatus.STORED,
        rows_read=read.parsed.rows_read,
        matches=result.matches,
        odds_rows=result.odds_rows,
        quarantined=result.quarantined,
        error=read.parsed.rejection if rejected else None,
    )


def _unchanged(store: Store, name: str, refused: set[str]) -> FileOutcome:
    """An unchanged file; still quarantined (failed) when its stored content was refused whole."""
    if name not in refused:
        return FileOutcome(name, FileStatus.UNCHANGED)
    reason = rejection_reason(store.read_quarantine(source_file=name))
    return FileOutcome(name, FileStatus.QUARANTINED, error=f"unchanged since quarantined: {reason}")


class FixturesSourceLike(Protocol):
    """A fixtures file to ingest (``scoreline.sources.football_data.FixturesFile``)."""

    @property
    def source_file(self) -> str: ...
    def read_bytes(self) -> bytes: ...


@dataclass(frozen=True)
class FixturesOutcome:
    """What ingesting a fixtures file did: its status, the leagues it lists and what it stored."""

    source_file: str
    status: FileStatus
    leagues: tuple[str, ...] = ()
    rows_read: int = 0
    fixtures: int = 0
    odds_rows: int = 0
    quarantined: int = 0
    replaced_fixtures: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (for pipeline steps and ``--json`` output)."""
        return {**asdict(self), "status": str(self.status), "leagues": list(self.leagues)}


def ingest_fixtures(
    store: Store, source: FixturesSourceLike, fetched_at: datetime | None = None
) -> FixturesOutcome:
    """Store ``source``'s fixtures in place of the scheduled fixtures of its leagues (skipped if unchanged).

    Bad rows are quarantined with file, line and field like season files' rows; the valid rows are stored.
    Raises ``OSError`` when the file cannot be read and ``ValueError`` when its parsed frames disagree.
    """
    name = source.source_file
    content = source.read_bytes()
    sha = content_sha256(content)
    previous = store.fixture_file_hash(name)
    if previous == sha:
        logger.info("%s: unchanged, skipped", name)
        return FixturesOutcome(name, FileStatus.UNCHANGED)
    parsed = parse_fixtures(content, name)
    result = store.write_fixtures(parsed, sha, fetched_at)
    if result.skipped:
        return FixturesOutcome(name, FileStatus.UNCHANGED, result.leagues)
    outcome = FixturesOutcome(
        name,
        FileStatus.STORED if previous is None else FileStatus.REPLACED,
        leagues=result.leagues,
        rows_read=parsed.rows_read,
        fixtures=result.fixtures,
        odds_rows=result.odds_rows,
        quarantined=result.quarantined,
        replaced_fixtures=result.removed,
    )
    logger.info("%s: %s", name, outcome)
    return outcome
