"""Where football-data.co.uk files come from: a local mirror or the website (with an on-disk cache).

Both give :class:`SourceFile` objects, so the ingest pipeline treats them alike: ``source.read_bytes()`` and
hand the bytes to :func:`scoreline.sources.football_data_parser.parse_football_data`.

Downloads go to ``settings.cache_dir/<DIV>/<SEASON>.csv`` with the response's ETag/Last-Modified in
``<SEASON>.json`` next to it; later runs send ``If-None-Match``/``If-Modified-Since`` and keep the cached
file on ``304 Not Modified``. Timeouts and 5xx answers are retried with exponential backoff; ``404`` means
the season does not exist (skipped with a log line); when the site cannot be reached a cached copy is used
with a warning, and without one :class:`SourceUnavailableError` says so in one line.

A folder may be an object store's (``s3://bucket/prefix``, through :mod:`scoreline.storage`): each object's
ETag is listed with it, and the SHA-256 of the content read under that ETag is recorded in
``settings.cache_dir/objects/s3/<bucket>/<key>.json``, so an object whose ETag has not changed need not be
read again (:meth:`SourceFile.known_sha256`) when the store already holds that content.

``fixtures.csv`` (the coming rounds of all main leagues, replaced weekly) is fetched the same way by
:func:`fetch_fixtures` into ``settings.cache_dir/fixtures.csv``, or read from a folder by
:func:`folder_fixtures`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

import httpx

from scoreline import storage
from scoreline.hashing import content_sha256
from scoreline.io import write_atomic
from scoreline.settings import Settings, get_settings
from scoreline.sources.fixtures import FIXTURES_FILE
from scoreline.sources.football_data_parser import ParsedFile, parse_football_data
from scoreline.sources.seasons import is_season_code

logger = logging.getLogger(__name__)

# every division football-data.co.uk publishes with odds (the ones in the shared mirror)
DEFAULT_LEAGUES: Final = (
    "E0", "E1", "E2", "E3", "EC", "SC0", "SC1", "SC2", "SC3", "D1", "D2", "SP1", "SP2", "I1", "I2",
    "F1", "F2", "N1", "B1", "P1", "T1", "G1",
)  # fmt: skip
BACKOFF_SECONDS: Final = 0.5  # first retry delay; doubles on every further retry
_LEAGUE = re.compile(r"[A-Z]{1,3}\d?")


class SourceUnavailableError(RuntimeError):
    """The source cannot be read (offline, server error after retries, missing folder)."""


@dataclass(frozen=True)
class SourceFile:
    """One season file of one league, wherever it lives."""

    league: str
    season: str
    source_file: str  # "E0/2324.csv": the name recorded with every parsed row
    path: Path | str  # the file in a local mirror or the download cache, or an object's URL (s3://...)
    # Downloaded straight from football-data.co.uk, which writes dates day first: a file whose dates all
    # fit both orders (a season's first days, before the 13th) is read day first instead of refused.
    day_first: bool = False
    etag: str | None = None  # an object's ETag when it was listed (object stores only)
    etag_record: Path | None = None  # where the SHA-256 of the content read under an ETag is recorded

    def read_bytes(self) -> bytes:
        """The file's content (an object's: its ETag and content hash are recorded for the next run)."""
        content = storage.read_bytes(self.path)
        if self.etag is not None and self.etag_record is not None:
            record = {"url": storage.shown(self.path), "etag": self.etag, "sha256": content_sha256(content)}
            write_atomic(self.etag_record, json.dumps(record, indent=2))
        return content

    def known_sha256(self) -> str | None:
        """The content's SHA-256 without reading it: the one recorded when this ETag was read, else None."""
        if self.etag is None or self.etag_record is None or not self.etag_record.is_file():
            return None
        try:
            record = json.loads(self.etag_record.read_text())
        except (OSError, ValueError):
            return None
        return str(record["sha256"]) if record.get("etag") == self.etag and record.get("sha256") else None


def parse_source(source: SourceFile) -> ParsedFile:
    """Read and parse one source file (the league from its ``Div`` column, else from ``source.league``)."""
    return parse_football_data(
        source.read_bytes(),
        source.source_file,
        source.season,
        source.league,
        day_first_when_ambiguous=source.day_first,
    )


def source_file_name(league: str, season: str) -> str:
    """The canonical name of a season file, e.g. ``"E0/2324.csv"``."""
    return f"{league}/{season}.csv"


# --- local mirror ----------------------------------------------------------------------------------------


def discover_folder(
    root: Path | str,
    leagues: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    settings: Settings | None = None,
) -> list[SourceFile]:
    """Season files under ``root`` (a folder or ``s3://bucket/prefix``) laid out as ``<DIV>/<SEASON>.csv``.

    Any season found; other files are ignored. ``leagues``/``seasons`` restrict the result when given. Sorted
    by league, then season. Objects carry their ETag and where its content hash is recorded.
    """
    try:
        listed = storage.list_files(root, "*/*.csv")
    except FileNotFoundError as error:
        raise SourceUnavailableError(f"no football-data folder at {storage.shown(root)}") from error
    wanted_leagues = set(leagues) if leagues else None
    wanted_seasons = set(seasons) if seasons else None
    records = (settings or get_settings()).cache_dir / "objects"
    found = []
    for file in listed:
        league, name = file.relative.split("/")
        season = name.removesuffix(".csv")
        if not is_season_code(season):
            continue
        if (wanted_leagues is None or league in wanted_leagues) and (
            wanted_seasons is None or season in wanted_seasons
        ):
            record = _etag_record(records, file.path) if file.etag is not None else None
            found.append(
                SourceFile(
                    league,
                    season,
                    source_file_name(league, season),
                    file.path,
                    etag=file.etag,
                    etag_record=record,
                )
            )
    return sorted(found, key=lambda source: (source.league, source.season))


def _etag_record(records: Path, url: Path | str) -> Path:
    """``records/<scheme>/<bucket>/<key>.json``: where the object at ``url`` has its ETag recorded."""
    parts = urlsplit(str(url))
    return records.joinpath(parts.scheme, parts.netloc, *parts.path.strip("/").split("/")).with_suffix(
        ".json"
    )


# --- HTTP with cache -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CacheEntry:
    csv: Path
    meta: Path

    def validators(self) -> dict[str, str]:
        """Conditional-request headers from the stored ETag/Last-Modified (none without a cached file)."""
        if not self.csv.is_file() or not self.meta.is_file():
            return {}
        try:
            meta = json.loads(self.meta.read_text())
        except (OSError, ValueError):
            return {}
        headers = {}
        if meta.get("etag"):
            headers["If-None-Match"] = str(meta["etag"])
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = str(meta["last_modified"])
        return headers

    def store(self, response: httpx.Response) -> None:
        write_atomic(self.csv, response.content)
        meta = {
            "url": str(response.request.url),
            "etag": response.headers.get("ETag"),
            "last_modified": response.headers.get("Last-Modified"),
            "downloaded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_atomic(self.meta, json.dumps(meta, indent=2))


def _get_with_retries(
    client: httpx.Client, url: str, headers: dict[str, str], retries: int, sleep: Callable[[float], None]
) -> httpx.Response:
    """GET ``url``, retrying timeouts and 5xx answers with exponential backoff; connect errors propagate."""
    for attempt in range(retries + 1):
        try:
            response = client.get(url, headers=headers)
        except httpx.TimeoutException as error:
            if attempt == retries:
                raise
            logger.info("%s: %s, retry %d/%d", url, type(error).__name__, attempt + 1, retries)
        else:
            if response.status_code < 500 or attempt == retries:
                return response
            logger.info("%s: HTTP %d, retry %d/%d", url, response.status_code, attempt + 1, retries)
        sleep(BACKOFF_SECONDS * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover


def _host(url: str) -> str:
    try:
        return httpx.URL(url).host or url
    except httpx.InvalidURL:
        return url


def fetch_football_data(
    leagues: Iterable[str],
    seasons: Iterable[str],
    *,
    settings: Settings | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[SourceFile]:
    """Download (or revalidate the cached copy of) ``<url>/<SEASON>/<DIV>.csv`` for every league and season.

    Returns the files that exist, backed by the cache. Seasons the site does not have (404) are skipped.
    Raises :class:`SourceUnavailableError` when a file can be neither downloaded nor found in the cache.
    ``client`` and ``sleep`` are for tests (``httpx.MockTransport``, no waiting).
    """
    settings = settings or get_settings()
    own_client = client is None
    http = client or httpx.Client(timeout=settings.http_timeout_seconds, follow_redirects=True)
    try:
        return [
            source
            for league in leagues
            for season in seasons
            if (source := _fetch_one(http, league, season, settings, sleep)) is not None
        ]
    finally:
        if own_client:
            http.close()


def _fetch_one(
    client: httpx.Client, league: str, season: str, settings: Settings, sleep: Callable[[float], None]
) -> SourceFile | None:
    if not _LEAGUE.fullmatch(league) or not is_season_code(season):
        raise ValueError(f"not a football-data league and season: {league!r} {season!r}")
    url = f"{settings.football_data_url.rstrip('/')}/{season}/{league}.csv"
    entry = _CacheEntry(
        settings.cache_dir / league / f"{season}.csv", settings.cache_dir / league / f"{season}.json"
    )
    source = SourceFile(league, season, source_file_name(league, season), entry.csv, day_first=True)
    found = _fetch_cached(client, url, entry, source.source_file, settings, sleep, missing_ok=True)
    return source if found else None


def _fetch_cached(
    client: httpx.Client,
    url: str,
    entry: _CacheEntry,
    name: str,
    settings: Settings,
    sleep: Callable[[float], None],
    missing_ok: bool,
) -> bool:
    """Bring ``entry`` up to date with ``url``; False on 404 when ``missing_ok`` (the file does not exist).

    Falls back on the cached copy when the site cannot be reached or answers an error (a warning says so);
    without one raises :class:`SourceUnavailableError`.
    """
    try:
        response = _get_with_retries(client, url, entry.validators(), settings.http_retries, sleep)
    except httpx.TimeoutException as error:
        return _cached_or_raise(entry, f"{url} timed out after {settings.http_retries} retries: {error}")
    except httpx.TransportError as error:
        return _cached_or_raise(entry, f"cannot reach {_host(url)} (offline?): {error}")
    if response.status_code == httpx.codes.NOT_MODIFIED and entry.csv.is_file():
        logger.debug("%s: not modified, using %s", url, entry.csv)
        return True
    if response.status_code == httpx.codes.NOT_FOUND and missing_ok:
        logger.info("%s: no such season on %s (404), skipped", name, _host(url))
        return False
    if response.status_code != httpx.codes.OK:
        return _cached_or_raise(entry, f"{url} answered HTTP {response.status_code}")
    entry.store(response)
    logger.info("%s: downloaded %d bytes from %s", name, len(response.content), url)
    return True


def _cached_or_raise(entry: _CacheEntry, reason: str) -> bool:
    if entry.csv.is_file():
        logger.warning("%s; using the cached copy %s", reason, entry.csv)
        return True
    raise SourceUnavailableError(reason)


# --- fixtures.csv ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FixturesFile:
    """football-data.co.uk's ``fixtures.csv`` (all main leagues' coming rounds), wherever it lives."""

    source_file: str  # "fixtures.csv": the name recorded with every parsed row
    path: Path | str  # a local file or an object's URL

    def read_bytes(self) -> bytes:
        """The file's content."""
        return storage.read_bytes(self.path)


def folder_fixtures(root: Path | str) -> FixturesFile:
    """``root/fixtures.csv`` (``root`` a folder or ``s3://bucket/prefix``); :class:`SourceUnavailableError`
    when it is not there."""
    path = storage.join(root, FIXTURES_FILE)
    if not storage.exists(path):
        raise SourceUnavailableError(f"no {FIXTURES_FILE} in {storage.shown(root)}")
    return FixturesFile(FIXTURES_FILE, path)


def fetch_fixtures(
    *,
    settings: Settings | None = None,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FixturesFile:
    """Download (or revalidate the cached copy of) ``settings.fixtures_url`` into ``cache/fixtures.csv``.

    Same cache, conditional requests and retries as the season files; a cached copy is used (with a warning)
    when the site cannot be reached, else :class:`SourceUnavailableError`.
    """
    settings = settings or get_settings()
    entry = _CacheEntry(settings.cache_dir / FIXTURES_FILE, settings.cache_dir / "fixtures.json")
    own_client = client is None
    http = client or httpx.Client(timeout=settings.http_timeout_seconds, follow_redirects=True)
    try:
        _fetch_cached(http, settings.fixtures_url, entry, FIXTURES_FILE, settings, sleep, missing_ok=False)
    finally:
        if own_client:
            http.close()
    return FixturesFile(FIXTURES_FILE, entry.csv)
