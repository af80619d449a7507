"""A stand-in for football-data.co.uk on the loopback interface, serving a past season as it looked each day.

:class:`SeasonSite` holds raw lines of the real mirror
(``$SCORELINE_SHARED_DATA/football-data/<DIV>/<SEASON>.csv``) and a simulated clock. At clock time ``t``
it serves

- ``/mmz4281/<SEASON>/<DIV>.csv``: the header and the rows of the matches whose results were out by ``t``
  (a result appears at :data:`EVENING_CUT` on its match day, the evening it happens), verbatim;
- ``/fixtures.csv``: the coming matches (kickoff after ``t``, match day within :data:`FIXTURE_DAYS` of
  ``t``'s day) of every served league's newest season, with the pre-match columns only: no results, no match
  statistics, no closing odds.

Every answer carries an ``ETag`` (a digest of the body) and a ``Last-Modified`` (the clock time this body was
first served); ``If-None-Match`` (else ``If-Modified-Since``) gets ``304 Not Modified`` while the body is
unchanged. Requests are counted per path, simulated day and status. :func:`serve` runs the site in a thread
(``ThreadingHTTPServer`` on ``127.0.0.1``, a free port).

:func:`run_live_season` drives scoreline through such a season, day by day, through the real download, cache,
ingest, registry and ledger code: the test ``test_live_season`` and ``bench/live_season.py`` share it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from scoreline.sources.odds_columns import classify_odds_columns

EVENING_CUT = time(23, 0)  # a match day's results are on the site from this time on
FIXTURE_DAYS = 7  # fixtures.csv lists the matches of the coming week
FIXTURE_KEEP = ("Div", "Date", "Time", "HomeTeam", "AwayTeam", "Referee")  # its non-odds columns
SEASON_PREFIX = "/mmz4281/"
FIXTURES_PATH = "/fixtures.csv"


@dataclass(frozen=True)
class _Row:
    line: str  # verbatim, without its line ending
    kickoff: datetime
    published: datetime  # when its result appears on the site


@dataclass
class _SeasonFile:
    league: str
    season: str
    header: str
    rows: list[_Row]


def _kickoff(fields: dict[str, str]) -> datetime:
    day = fields["Date"].strip()
    parsed = datetime.strptime(day, "%d/%m/%Y" if len(day.split("/")[-1]) == 4 else "%d/%m/%y")
    clock = fields.get("Time", "").strip()
    return datetime.combine(parsed.date(), time.fromisoformat(clock) if clock else time(0, 0))


def read_season_file(path: Path, league: str, season: str) -> _SeasonFile:
    """One mirror file's header and rows (verbatim lines), each with its kickoff and publication time."""
    text = path.read_text(encoding="utf-8-sig")
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0]
    names = next(csv.reader([header]))
    rows = []
    for line in lines[1:]:
        fields = dict(zip(names, next(csv.reader([line])), strict=False))
        kickoff = _kickoff(fields)
        rows.append(_Row(line, kickoff, datetime.combine(kickoff.date(), EVENING_CUT)))
    return _SeasonFile(league, season, header, sorted(rows, key=lambda row: row.kickoff))


def _pre_match_columns(names: Sequence[str]) -> list[int]:
    """Positions of the columns ``fixtures.csv`` keeps: the match's identity and the opening odds."""
    specs, _ = classify_odds_columns(names, set(FIXTURE_KEEP))
    opening = {spec.column for spec in specs if spec.timing == "opening"}
    opening |= {name for name in names if name in ("AHh", "BbAHh")}  # the opening handicap line
    return [i for i, name in enumerate(names) if name in FIXTURE_KEEP or name in opening]


@dataclass
class SeasonSite:
    """Season files of a past season on a simulated clock, with conditional GETs and request counts."""

    files: dict[tuple[str, str], _SeasonFile]
    now: datetime = datetime(2000, 1, 1)
    counts: Counter[tuple[str, date, int]] = field(default_factory=Counter)
    _first_served: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_mirror(cls, root: Path, leagues: Sequence[str], seasons: Sequence[str]) -> SeasonSite:
        """The site holding ``root/<DIV>/<SEASON>.csv`` for every league and season there."""
        files = {
            (league, season): read_season_file(root / league / f"{season}.csv", league, season)
            for league in leagues
            for season in seasons
            if (root / league / f"{season}.csv").is_file()
        }
        return cls(files)

    def season_body(self, league: str, season: str) -> bytes | None:
        found = self.files.get((league, season))
        if found is None:
            return None
        lines = [found.header, *(row.line for row in found.rows if row.published <= self.now)]
        return ("\n".join(lines) + "\n").encode("utf-8")

    def fixtures_body(self) -> bytes:
        newest = {league: max(s for lg, s in self.files if lg == league) for league, _ in self.files}
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        header_written = False
        last_day = self.now.date() + timedelta(days=FIXTURE_DAYS)
        rows: list[tuple[datetime, list[str]]] = []
        for (league, season), found in sorted(self.files.items()):
            if newest[league] != season:
                continue
            names = next(csv.reader([found.header]))
            keep = _pre_match_columns(names)
            if not header_written:
                # one header for every league, as on the site: this league's columns (top leagues share them)
                writer.writerow([names[i] for i in keep])
                header_written = True
            for row in found.rows:
                if row.kickoff > self.now and row.kickoff.date() < last_day:
                    fields = next(csv.reader([row.line]))
                    rows.append((row.kickoff, [fields[i] if i < len(fields) else "" for i in keep]))
        for _, fields in sorted(rows, key=lambda item: item[0]):
            writer.writerow(fields)
        return out.getvalue().encode("utf-8")

    def body(self, path: str) -> bytes | None:
        """The content of ``path`` at the clock's time, ``None`` for a file the site does not have."""
        if path == FIXTURES_PATH:
            return self.fixtures_body()
        if path.startswith(SEASON_PREFIX) and path.endswith(".csv"):
            parts = path[len(SEASON_PREFIX) : -len(".csv")].split("/")
            if len(parts) == 2:
                return self.season_body(parts[1], parts[0])
        return None

    def answer(self, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of a GET of ``path`` with request ``headers`` (lower-case names)."""
        with self._lock:
            content = self.body(path)
            if content is None:
                status, out, payload = HTTPStatus.NOT_FOUND, {}, b"not found\n"
            else:
                etag = '"' + hashlib.sha256(content).hexdigest()[:20] + '"'
                seen = self._first_served.get(path)
                if seen is None or seen[0] != etag:
                    seen = self._first_served[path] = (etag, self.now)
                out = {"ETag": etag, "Last-Modified": _http_date(seen[1])}
                status, payload = HTTPStatus.OK, content
                if _not_modified(headers, etag, seen[1]):
                    status, payload = HTTPStatus.NOT_MODIFIED, b""
            self.counts[(path, self.now.date(), int(status))] += 1
            return int(status), out, payload

    def downloads(self, status: int = HTTPStatus.OK) -> Counter[tuple[str, date]]:
        """Answers with ``status`` per (path, simulated day)."""
        with self._lock:
            return Counter({(p, d): n for (p, d, s), n in self.counts.items() if s == status})


def _http_date(moment: datetime) -> str:
    from datetime import UTC

    return format_datetime(moment.replace(tzinfo=UTC), usegmt=True)


def _not_modified(headers: dict[str, str], etag: str, modified: datetime) -> bool:
    if "if-none-match" in headers:  # RFC 9110: If-None-Match, when present, decides alone
        return etag in [tag.strip() for tag in headers["if-none-match"].split(",")]
    if "if-modified-since" in headers:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"]).replace(tzinfo=None)
        except (TypeError, ValueError):
            return False
        return modified.replace(microsecond=0) <= since
    return False


def _handler(site: SeasonSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, payload = site.answer(
                self.path.split("?")[0], {k.lower(): v for k, v in self.headers.items()}
            )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != HTTPStatus.NOT_MODIFIED:
                self.send_header("Content-Type", "text/csv")
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the site's counts are the log."""

    return Handler


@contextmanager
def serve(site: SeasonSite) -> Iterator[str]:
    """Serve ``site`` on ``127.0.0.1`` in a thread for the ``with`` block; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    thread = threading.Thread(target=server.serve_forever, name="season-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
