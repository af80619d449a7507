"""Parse one football-data.co.uk season file into canonical matches, long-format odds and quarantine rows.

Pure: takes the file's bytes, never raises on bad content. Every data line ends up either as a match or as a
quarantine row naming the file, the 1-based physical line (header = 1), the field and the reason.

Decisions (the quirks list of the data README is the spec):

* Blank and comma-only lines are skipped: not counted in ``rows_read`` and not quarantined.
* A line is *rejected* (whole row to quarantine, no match, no odds) for: undecodable bytes, control
  characters, wrong field count, malformed quoting, a repeated header line, a missing/unparseable/impossible
  date or one outside the season (1 June of the start year to 31 August of the end year), a missing home or
  away team or one that is no club's name (characters other than letters, digits and ``&'.()/-``, or over
  :data:`MAX_TEAM_NAME_CHARS`), home == away, goals that are non-numeric, negative, fractional or over
  :data:`COUNT_LIMITS`, a half-given result, an FTR that is not H/D/A or disagrees with the goals, a Div other
  than the file's, and a duplicate natural key (league, date, home, away) within the file (the later line is
  rejected). One quarantine row per rejected line; ``field`` lists the failing columns (comma-separated),
  ``reason`` all reasons.
* Quoted fields are unescaped as RFC 4180 says (a doubled quote is one quote): ``"Arsenal\"\"\"`` is
  ``Arsenal"``, which is no club's name.
* A bad *value* outside the key/result drops only that value: a price that is not a number in
  (1, :data:`MAX_PRICE`], a handicap line that is not a quarter goal within +-:data:`MAX_HANDICAP_LINE` (its
  prices dropped with it), a statistic or half-time score that is not a whole number within
  :data:`COUNT_LIMITS`, an unreadable kickoff time. The match is kept, and a quarantine row with ``field`` =
  the column and a reason starting with :data:`VALUE_DROPPED` records it. Over/under columns whose name
  gives no plausible goal line are not read as prices. So the database never sees a value it cannot hold.
* Blank FTHG/FTAG/FTR (abandoned or unplayed) keep the fixture with missing goals and result. Blank FTR with
  goals given is derived from the goals.
* Dates ``dd/mm/yy``, ``dd/mm/yyyy`` and ISO ``yyyy-mm-dd`` are recognised by their shape; the day/month
  order is decided per file from all its dates: a date that exists in one order only decides, and when all
  exist in both orders the season window decides. A file whose dates mix the orders, or fit both equally,
  is *rejected whole* rather than guessed, as is a file whose ``Div`` names another league than its folder
  (or the ``league`` argument): every data line is quarantined with ``field`` ``Date``/``Div`` and a reason
  starting with :data:`FILE_REJECTED`.
* A file that is empty, larger than :data:`MAX_FILE_BYTES`, binary (gzip, zip, UTF-16...), undecodable, not
  CSV at its header, without a ``Date``/``HomeTeam``/``AwayTeam`` header or naming a match column twice gives
  zero matches and a single quarantine row at line 0 (file) or 1 (header).
* :attr:`ParsedFile.rejection` says why a file gave no match although it had content: such a file is
  quarantined whole by the ingest pipeline and counts as failed.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any, Final

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.sources.odds_columns import OddsColumn, classify_odds_columns, normalise_column_name
from scoreline.sources.seasons import is_season_code, season_start_year
from scoreline.sources.team_names import canonical_team_name

logger = logging.getLogger(__name__)

VALUE_DROPPED: Final = "value dropped"  # reason prefix of quarantine rows that did not reject their line
LINE_FIELD: Final = "line"  # quarantine field for problems of the whole line (encoding, field count)
HEADER_FIELD: Final = "header"
FILE_FIELD: Final = "file"
REQUIRED_COLUMNS: Final = ("Date", "HomeTeam", "AwayTeam")
HEADER_ALIASES: Final = {"HT": "HomeTeam", "AT": "AwayTeam"}  # very old football-data files
FILE_REJECTED: Final = "file rejected"  # reason prefix when a file's content is refused as a whole
MAX_RAW_CHARS: Final = 2000  # longer lines are cut in the quarantine's raw text
MAX_FILE_BYTES: Final = 32 * 2**20  # real season files are under 300 KB
MAX_PRICE: Final = 1000.0  # the mirror's largest price is 238; larger ones are typos or overflows
MAX_HANDICAP_LINE: Final = 10.0  # Asian handicap lines are quarter goals within +-10 (mirror: -4 to +9)
LINE_STEP: Final = 0.25
MAX_TEAM_NAME_CHARS: Final = 60
# characters a club's name may hold besides letters and digits (the mirror's names use space & ' - .)
_TEAM_NAME = re.compile(r"(?:[^\W_]|[ &'.()/-])+")

STAT_SOURCE_COLUMNS: Final = {
    "HS": c.HOME_SHOTS, "AS": c.AWAY_SHOTS, "HST": c.HOME_SHOTS_ON_TARGET, "AST": c.AWAY_SHOTS_ON_TARGET,
    "HF": c.HOME_FOULS, "AF": c.AWAY_FOULS, "HC": c.HOME_CORNERS, "AC": c.AWAY_CORNERS,
    "HY": c.HOME_YELLOW, "AY": c.AWAY_YELLOW, "HR": c.HOME_RED, "AR": c.AWAY_RED,
}  # fmt: skip
HALF_TIME_SOURCE_COLUMNS: Final = {"HTHG": c.HOME_GOALS_HT, "HTAG": c.AWAY_GOALS_HT}
COUNT_SOURCE_COLUMNS: Final = ("FTHG", "FTAG", *HALF_TIME_SOURCE_COLUMNS, *STAT_SOURCE_COLUMNS)
# the largest sane count per column, well above the mirror's maxima (goals 13, shots 46, fouls 77, corners 26,
# yellow cards 10, red cards 9): larger values are typos
COUNT_LIMITS: Final = {
    "FTHG": 30, "FTAG": 30, "HTHG": 30, "HTAG": 30, "HS": 99, "AS": 99, "HST": 99, "AST": 99,
    "HF": 99, "AF": 99, "HC": 50, "AC": 50, "HY": 20, "AY": 20, "HR": 11, "AR": 11,
}  # fmt: skip
# columns read into the match frame, or deliberately not used (half-time result, other statistics)
MATCH_SOURCE_COLUMNS: Final = frozenset(
    {"Div", "Date", "Time", "HomeTeam", "AwayTeam", "FTR", "Referee", "HTR", *COUNT_SOURCE_COLUMNS,
     "Attendance", "HHW", "AHW", "HO", "AO", "HBP", "ABP", "HFKC", "AFKC", "HTT", "ATT"}
)  # fmt: skip

_SLASH_DATE = re.compile(r"(?P<first>\d{1,2})/(?P<second>\d{1,2})/(?P<year>\d{2}|\d{4})")
_ISO_DATE = re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})")
_TIME = re.compile(r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::00)?")
_RESULTS: Final = ("H", "D", "A")
_NOT_CSV: Final = {
    b"\x1f\x8b": "gzip-compressed data", b"PK\x03\x04": "a zip archive (xlsx?)", b"%PDF": "a PDF document",
    b"\xd0\xcf\x11\xe0": "an old Excel/Office document", b"\xff\xfe": "UTF-16 text",
    b"\xfe\xff": "UTF-16 text",
}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_CONTROL_BYTES: Final = np.array([(i < 32 and i not in (9, 10)) or i == 127 for i in range(256)])
_OTHER_BLANK_BYTES: Final = np.array([i in (9, 13, 32) for i in range(256)])  # tab, CR, space


@dataclass(frozen=True)
class ParsedFile:
    """The content of one football-data file, in canonical frames."""

    source_file: str
    league: str
    season: str
    rows_read: int
    matches: pd.DataFrame
    odds: pd.DataFrame
    quarantine: pd.DataFrame

    @property
    def rejected_lines(self) -> int:
        """Data lines rejected whole (``len(matches) + rejected_lines == rows_read``)."""
        return count_rejected_lines(self.quarantine)

    @property
    def rejection(self) -> str | None:
        """Why nothing of the file can be stored (it has quarantined rows and no match), else ``None``."""
        return rejection_reason(self.quarantine) if self.matches.empty else None


def rejection_reason(quarantine: pd.DataFrame) -> str | None:
    """Why a file that stored no match was refused: its first quarantine row (``None`` without any)."""
    if quarantine.empty:
        return None
    first = quarantine.sort_values(c.SOURCE_LINE, kind="stable").iloc[0]
    where = f"line {first[c.SOURCE_LINE]}, {first[c.FIELD]}"
    rejected = count_rejected_lines(quarantine)
    if str(first[c.REASON]).startswith(FILE_REJECTED) or first[c.FIELD] in (FILE_FIELD, HEADER_FIELD):
        return f"{where}: {first[c.REASON]}"
    return f"no valid row: {rejected} lines quarantined, e.g. {where}: {first[c.REASON]}"


def count_rejected_lines(quarantine: pd.DataFrame) -> int:
    """Distinct data lines of ``quarantine`` rejected whole (not file-level problems, not dropped values)."""
    file_level = quarantine[c.FIELD].isin([HEADER_FIELD, FILE_FIELD])
    rejected = ~file_level & ~quarantine[c.REASON].str.startswith(VALUE_DROPPED)
    return int(quarantine.loc[rejected, [c.SOURCE_FILE, c.SOURCE_LINE]].drop_duplicates().shape[0])


# --- frames --------------------------------------------------------------------------------------------


def empty_matches() -> pd.DataFrame:
    """A match frame with no rows and the canonical dtypes."""
    return _matches_frame({}, 0)


def empty_odds() -> pd.DataFrame:
    """An odds frame with no rows and the canonical dtypes."""
    return _odds_frame({}, 0)


def empty_quarantine() -> pd.DataFrame:
    """A quarantine frame with no rows and the canonical dtypes."""
    return _quarantine_frame({}, 0)


_MATCH_DTYPES: Final = {
    c.DATE: "datetime64[ns]", c.KICKOFF: "datetime64[ns]", c.HAS_TIME: "bool", c.SOURCE_LINE: "int64",
    **dict.fromkeys((c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, *c.STAT_COLUMNS), "Int64"),
}  # fmt: skip
_ODDS_DTYPES: Final = {c.DATE: "datetime64[ns]", c.LINE: "float64", c.PRICE: "float64"}
_QUARANTINE_DTYPES: Final = {c.SOURCE_LINE: "int64"}


def _frame(data: dict[str, Any], n: int, names: tuple[str, ...], dtypes: dict[str, str]) -> pd.DataFrame:
    """A frame of exactly ``names``: scalars repeated, absent columns empty, object unless in ``dtypes``."""
    columns: dict[str, Any] = {}
    for name in names:
        value = data.get(name)
        dtype = dtypes.get(name, "object")
        if value is None or np.isscalar(value):
            if dtype == "Int64":
                columns[name] = pd.array([pd.NA] * n, dtype="Int64")
            elif dtype.startswith("datetime"):
                columns[name] = np.full(n, np.datetime64("NaT"), dtype=dtype)
            else:
                columns[name] = np.full(n, value, dtype=dtype)
        elif isinstance(value, np.ndarray) and value.dtype == np.dtype(dtype):
            columns[name] = value
        else:
            columns[name] = (
                pd.array(value, dtype=dtype) if dtype == "Int64" else np.asarray(value, dtype=dtype)
            )
    return pd.DataFrame(columns, columns=list(names), copy=False)


def _matches_frame(data: dict[str, Any], n: int) -> pd.DataFrame:
    return _frame(data, n, c.MATCH_COLUMNS, _MATCH_DTYPES)


def _odds_frame(data: dict[str, Any], n: int) -> pd.DataFrame:
    return _frame(data, n, c.ODDS_COLUMNS, _ODDS_DTYPES)


def _quarantine_frame(data: dict[str, Any], n: int) -> pd.DataFrame:
    return _frame(data, n, c.QUARANTINE_COLUMNS, _QUARANTINE_DTYPES)


def _file_problem(source_file: str, league: str, season: str, line: int, field: str, reason: str,
                  raw: str) -> ParsedFile:  # fmt: skip
    logger.warning("%s: %s", source_file, reason)
    quarantine = _quarantine_frame(
        {c.SOURCE_FILE: source_file, c.SOURCE_LINE: line, c.LEAGUE: league, c.SEASON: season, c.FIELD: field,
         c.REASON: reason, c.RAW: raw[:MAX_RAW_CHARS]},
        1,
    )  # fmt: skip
    return ParsedFile(source_file, league, season, 0, empty_matches(), empty_odds(), quarantine)


# --- lines ---------------------------------------------------------------------------------------------


def _split_lines(content: bytes) -> tuple[list[str], np.ndarray]:
    """The file's physical lines (without terminators) and which of them were not valid UTF-8."""
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    separator = b"\n" if b"\n" in content or b"\r" not in content else b"\r"  # old Mac files end lines in CR
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        lines, bad = [], []
        for raw in content.split(separator):  # fallback only for files with undecodable bytes
            try:
                lines.append(raw.decode("utf-8").removesuffix("\r"))
                bad.append(False)
            except UnicodeDecodeError:
                lines.append(raw.decode("utf-8", errors="replace").removesuffix("\r"))
                bad.append(True)
        undecodable = np.array(bad, dtype=bool)
    else:
        lines = text.replace("\r\n", "\n").split(separator.decode())
        undecodable = np.zeros(len(lines), dtype=bool)
    if lines and lines[-1] == "":
        lines.pop()
        undecodable = undecodable[:-1]
    return lines, undecodable


def _csv_fields(line: str) -> list[str]:
    """A CSV line's fields unescaped per RFC 4180 (``"a""b"`` is ``a"b``); ``csv.Error`` if malformed."""
    return next(csv.reader([line], strict=True), [])


def _header_names(header_line: str) -> list[str]:
    names = _csv_fields(header_line)
    return [HEADER_ALIASES.get(normalise_column_name(name), normalise_column_name(name)) for name in names]


@dataclass(frozen=True)
class _LineStats:
    """Per-line byte counts of the data lines, computed with numpy over the whole text at once."""

    commas: np.ndarray
    quotes: np.ndarray
    controls: np.ndarray
    content: np.ndarray  # characters other than space, comma, tab, CR

    @classmethod
    def of(cls, lines: list[str]) -> _LineStats:
        if not lines:
            empty = np.zeros(0, dtype=np.int64)
            return cls(empty, empty, empty, empty)
        data = np.frombuffer("\n".join(lines).encode("utf-8", errors="replace"), dtype=np.uint8)
        newlines = np.flatnonzero(data == ord("\n"))
        lengths = np.diff(np.concatenate([[-1], newlines, [len(data)]])) - 1

        def per_line(mask: np.ndarray) -> np.ndarray:
            return np.bincount(np.searchsorted(newlines, np.flatnonzero(mask)), minlength=len(lines))

        commas = per_line(data == ord(","))
        return cls(
            commas=commas,
            quotes=per_line(data == ord('"')),
            controls=per_line(_CONTROL_BYTES[data]),
            content=lengths - commas - per_line(_OTHER_BLANK_BYTES[data]),
        )


def _tokenise(lines: list[str], numbers: np.ndarray, stats: _LineStats, n_fields: int
              ) -> tuple[pd.DataFrame, dict[int, str]]:  # fmt: skip
    """Split the ``lines`` (physical ``numbers``) into ``n_fields`` columns, numbers parsed where possible.

    Returns the fields of the lines with a valid field count and the reason for each other line. Fields beyond
    ``n_fields`` must be empty (trailing commas). Quote-free lines are split by pandas' C tokenizer in one go;
    lines with quotes go through :mod:`csv` one by one (as strings).
    """
    problems: dict[int, str] = {}
    counts = stats.commas + 1
    plain = stats.quotes == 0
    too_few = plain & (counts < n_fields)
    too_many = np.zeros(len(lines), dtype=bool)
    for i in np.flatnonzero(plain & (counts > n_fields)):  # only files with extra trailing commas get here
        too_many[i] = lines[i].rstrip(",").count(",") + 1 > n_fields
    for i in np.flatnonzero(too_few | too_many):
        problems[int(numbers[i])] = f"wrong field count: expected {n_fields}, got {counts[i]}"
    good = np.flatnonzero(plain & ~too_few & ~too_many)
    frames = []
    if len(good):
        frame = pd.read_csv(
            io.StringIO("\n".join([lines[i] for i in good])),
            header=None,
            names=list(range(int(counts[good].max()))),
            usecols=list(range(n_fields)),
            keep_default_na=False,
            na_values=[""],
            quoting=csv.QUOTE_NONE,
            skip_blank_lines=False,
            low_memory=False,
            engine="c",
        )
        frame.index = numbers[good]
        frames.append(frame)
    rows, index = [], []
    for i in np.flatnonzero(~plain):  # fallback: quoted fields (rare)
        try:
            fields = _csv_fields(lines[i])
        except csv.Error as error:
            problems[int(numbers[i])] = f"malformed quoting: {error}"
            continue
        if len(fields) < n_fields or any(field for field in fields[n_fields:]):
            problems[int(numbers[i])] = f"wrong field count: expected {n_fields}, got {len(fields)}"
        else:
            rows.append([field if field else np.nan for field in fields[:n_fields]])
            index.append(numbers[i])
    if rows:
        frames.append(pd.DataFrame(rows, index=index, columns=list(range(n_fields)), dtype=object))
    if not frames:
        return pd.DataFrame(columns=list(range(n_fields)), dtype=object), problems
    return (pd.concat(frames).sort_index() if len(frames) > 1 else frames[0]), problems


def _read_lines(
    lines: list[str], undecodable: np.ndarray, header_index: int, header: list[str]
) -> tuple[dict[int, str], pd.DataFrame, dict[int, str]]:
    """Non-blank data lines by line number, their fields by column name, and whole-line problems."""
    data_lines = lines[header_index + 1 :]
    numbers = np.arange(header_index + 2, header_index + 2 + len(data_lines))  # 1-based physical line numbers
    stats = _LineStats.of(data_lines)
    non_blank = stats.content > 0
    problems: dict[int, str] = {}
    bad_bytes = undecodable[header_index + 1 :]
    repeated = np.asarray(data_lines, dtype=object) == lines[header_index]
    for mask, reason in (
        (bad_bytes, "line is not valid UTF-8"),
        (~bad_bytes & (stats.controls > 0), "line contains control characters"),
        (repeated, "repeated header line"),
    ):
        for i in np.flatnonzero(mask & non_blank):
            problems.setdefault(int(numbers[i]), reason)
    n_fields = len(header)
    while n_fields > 1 and header[n_fields - 1] == "":  # trailing empty header columns
        n_fields -= 1
    usable = non_blank & ~np.isin(numbers, list(problems))
    selected = np.flatnonzero(usable)
    subset = _LineStats(
        *(values[selected] for values in (stats.commas, stats.quotes, stats.controls, stats.content))
    )
    fields, count_problems = _tokenise([data_lines[i] for i in selected], numbers[selected], subset, n_fields)
    problems.update(count_problems)
    first_positions = [i for i, name in enumerate(header[:n_fields]) if name not in header[:i]]
    raw = fields[first_positions]
    raw.columns = [header[i] for i in first_positions]
    text = {int(numbers[i]): data_lines[i] for i in np.flatnonzero(non_blank)}
    return text, raw, problems


# --- cells ---------------------------------------------------------------------------------------------


class _Cells:
    """The fields of the data lines: numeric columns as one float matrix, text columns on demand."""

    def __init__(self, raw: pd.DataFrame) -> None:
        self.raw = raw
        self.n = len(raw)
        kinds = [dtype.kind for dtype in raw.dtypes]
        numeric = [name for name, kind in zip(raw.columns, kinds, strict=True) if kind in "fi"]
        self.numeric = {name: j for j, name in enumerate(numeric)}
        self.matrix = (
            raw[list(self.numeric)].to_numpy(dtype="float64") if self.numeric else np.empty((self.n, 0))
        )

    def __contains__(self, column: str) -> bool:
        return column in self.raw.columns

    def text(self, column: str) -> np.ndarray:
        """A column as stripped strings ("" where blank or absent)."""
        if column not in self:
            return np.full(self.n, "", dtype=object)
        series = self.raw[column]
        if series.dtype.kind in "iu":
            return series.astype(str).to_numpy(dtype=object)
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        cleaned = np.array([str(value).strip() for value in uniques] + [""], dtype=object)
        return cleaned[codes]  # code -1 (blank) picks the trailing ""

    def numbers(self, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Columns as floats (NaN where blank, absent or not a number) and the mask of blank/absent cells."""
        values = np.full((self.n, len(names)), np.nan)
        fast = [(j, self.numeric[name]) for j, name in enumerate(names) if name in self.numeric]
        if fast:
            targets, sources = zip(*fast, strict=True)
            values[:, list(targets)] = self.matrix[:, list(sources)]
        blank = np.isnan(values)
        for j, name in enumerate(names):
            if name in self and name not in self.numeric:
                text = self.text(name)
                blank[:, j] = text == ""
                values[:, j] = pd.to_numeric(pd.Series(text).where(~blank[:, j]), errors="coerce")
        return values, blank

    def quoted(self, column: str, mask: np.ndarray) -> np.ndarray:
        """The masked cells of ``column`` as quoted strings, for reasons."""
        if column not in self or not mask.any():
            return np.full(int(mask.sum()), "''", dtype=object)
        values = self.raw[column].to_numpy(dtype=object)[mask]
        return np.array([f"'{str(value)[:40]}'" for value in values], dtype=object)


class _Problems:
    """Collects rejected lines and dropped values (line numbers, field, reason)."""

    def __init__(self, lines: np.ndarray) -> None:
        self.lines = lines
        self.rejections: list[tuple[np.ndarray, str, np.ndarray]] = []
        self.dropped: list[tuple[np.ndarray, str, np.ndarray]] = []

    @staticmethod
    def _reasons(mask: np.ndarray, reason: str | np.ndarray) -> np.ndarray:
        if isinstance(reason, str):
            return np.full(int(mask.sum()), reason, dtype=object)
        return np.asarray(reason, dtype=object)

    def reject(self, mask: np.ndarray, field: str, reason: str | np.ndarray) -> None:
        """Reject the masked lines; ``reason`` is one string or one per masked line."""
        if mask.any():
            self.rejections.append((self.lines[mask], field, self._reasons(mask, reason)))

    def drop(self, mask: np.ndarray, field: str, reason: str | np.ndarray) -> None:
        """Record dropped values of the masked lines."""
        if mask.any():
            self.dropped.append((self.lines[mask], field, VALUE_DROPPED + ": " + self._reasons(mask, reason)))

    def rejected(self) -> np.ndarray:
        """Mask over ``lines`` of the rejected lines."""
        if not self.rejections:
            return np.zeros(len(self.lines), dtype=bool)
        return np.isin(self.lines, np.concatenate([lines for lines, _, _ in self.rejections]))

    def entries(self, whole_line: dict[int, str]) -> list[tuple[int, str, str]]:
        """(line, field, reason): whole-line problems, one per rejected line, values dropped on kept lines."""
        entries = [(line, LINE_FIELD, reason) for line, reason in whole_line.items()]
        by_line: dict[int, tuple[list[str], list[str]]] = {}
        for lines, field, reasons in self.rejections:  # only bad lines: a short loop
            for line, reason in zip(lines.tolist(), reasons.tolist(), strict=True):
                fields, texts = by_line.setdefault(line, ([], []))
                fields.append(field)
                texts.append(f"{field}: {reason}")
        entries += [(line, ",".join(f), "; ".join(t)) for line, (f, t) in by_line.items()]
        for lines, field, reasons in self.dropped:
            entries += [
                (line, field, reason)
                for line, reason in zip(lines.tolist(), reasons.tolist(), strict=True)
                if line not in by_line
            ]
        return sorted(entries, key=lambda entry: entry[0])


# --- field checks --------------------------------------------------------------------------------------


def _per_unique(values: np.ndarray, convert: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``convert`` applied to the distinct values only (dates, times and names repeat many times per file)."""
    codes, uniques = pd.factorize(values)
    return convert(np.asarray(uniques, dtype=object))[codes]


def _date_or_nat(year: int, month: int, day: int) -> np.datetime64:
    try:
        return np.datetime64(date(year, month, day), "ns")
    except ValueError:
        return np.datetime64("NaT", "ns")


def _date_readings(texts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each text read day-first and month-first (NaT where impossible); ISO ``yyyy-mm-dd`` reads one way."""
    day_first = np.full(len(texts), np.datetime64("NaT"), dtype="datetime64[ns]")
    month_first = day_first.copy()
    for i, text in enumerate(texts):
        if match := _SLASH_DATE.fullmatch(text):
            first, second, year = int(match["first"]), int(match["second"]), int(match["year"])
            if len(match["year"]) == 2:
                year += 1900 if year >= 69 else 2000  # strptime's %y pivot
            day_first[i] = _date_or_nat(year, second, first)
            month_first[i] = _date_or_nat(year, first, second)
        elif match := _ISO_DATE.fullmatch(text):
            day_first[i] = month_first[i] = _date_or_nat(
                int(match["year"]), int(match["month"]), int(match["day"])
            )
    return day_first, month_first


def _parse_times(texts: np.ndarray) -> np.ndarray:
    """``H:MM`` times of day as timedeltas (NaT where unreadable)."""
    out = np.full(len(texts), np.timedelta64("NaT"), dtype="timedelta64[ns]")
    for i, text in enumerate(texts):
        match = _TIME.fullmatch(text)
        if match and int(match["hour"]) < 24 and int(match["minute"]) < 60:
            out[i] = np.timedelta64(int(match["hour"]) * 60 + int(match["minute"]), "m")
    return out


def _season_window(season: str) -> tuple[np.datetime64, np.datetime64] | None:
    """1 June of the start year to 31 August of the end year, for seasons written ``YYyy``."""
    if not is_season_code(season):
        return None
    start_year = season_start_year(season)
    return np.datetime64(f"{start_year}-06-01", "ns"), np.datetime64(f"{start_year + 1}-08-31", "ns")


_MIXED_ORDERS: Final = "dates mix day-first and month-first order"


def _date_order(texts: np.ndarray, lines: np.ndarray, readings: tuple[np.ndarray, np.ndarray],
                window: tuple[np.datetime64, np.datetime64] | None) -> tuple[int, str | None]:  # fmt: skip
    """Which reading of ``readings`` (0 day-first, 1 month-first) the file's dates follow, or why none does.

    A date that exists in one order only (``13/08/2023``, ``08/13/2023``) decides; dates of both kinds in one
    file mix the orders. When every date exists in both orders, the season window decides if it excludes one
    order; otherwise the order is unknown.
    """
    day_first, month_first = readings
    day_valid, month_valid = ~np.isnat(day_first), ~np.isnat(month_first)
    day_only, month_only = day_valid & ~month_valid, month_valid & ~day_valid

    def example(mask: np.ndarray) -> str:
        i = int(np.flatnonzero(mask)[0])
        return f"line {lines[i]} '{texts[i]}'"

    if day_only.any() and month_only.any():
        return 0, (
            f"{_MIXED_ORDERS} ({example(day_only)} reads only day-first, "
            f"{example(month_only)} only month-first)"
        )
    if day_only.any() or month_only.any():
        return int(month_only.any()), None
    differ = day_valid & month_valid & (day_first != month_first)
    if not differ.any():
        return 0, None
    if window is not None:
        fits = [bool(((dates >= window[0]) & (dates <= window[1]))[differ].all()) for dates in readings]
        if fits[0] != fits[1]:
            return int(fits[1]), None
    return (
        0,
        f"every date reads both day-first and month-first (e.g. {example(differ)}): the order is unknown",
    )


def _check_date(cells: _Cells, season: str, problems: _Problems, day_first_when_ambiguous: bool
                ) -> tuple[np.ndarray, str | None]:  # fmt: skip
    """The dates read in the file's one order, or why the file has no one order (mixed or ambiguous)."""
    text = cells.text("Date")
    codes, uniques = pd.factorize(text)
    uniques = np.asarray(uniques, dtype=object)
    readings = _date_readings(uniques)
    window = _season_window(season)
    first_lines = problems.lines[np.unique(codes, return_index=True)[1]]  # first line of each distinct text
    order, reason = _date_order(uniques, first_lines, readings, window)
    if reason is not None and day_first_when_ambiguous and not reason.startswith(_MIXED_ORDERS):
        reason = None  # order 0: day-first
    if reason is not None:
        return np.full(cells.n, np.datetime64("NaT"), dtype="datetime64[ns]"), reason
    dates = readings[order][codes]
    blank = text == ""
    problems.reject(blank, "Date", "missing date")
    unreadable = np.isnat(dates) & ~blank
    problems.reject(unreadable, "Date", "impossible or unreadable date " + cells.quoted("Date", unreadable))
    if window is not None:
        outside = ~np.isnat(dates) & ((dates < window[0]) | (dates > window[1]))
        problems.reject(
            outside, "Date", "date " + cells.quoted("Date", outside) + f" outside season {season}"
        )
    return dates, None


def _check_time(cells: _Cells, problems: _Problems) -> np.ndarray:
    """Time of day as timedelta64 (NaT where unknown); an unreadable time is dropped."""
    if "Time" not in cells:
        return np.full(cells.n, np.timedelta64("NaT"), dtype="timedelta64[ns]")
    text = cells.text("Time")
    times = _per_unique(text, _parse_times)
    unreadable = np.isnat(times) & (text != "")
    problems.drop(unreadable, "Time", "unreadable kickoff time " + cells.quoted("Time", unreadable))
    return times


def _count_problems(values: np.ndarray, blank: np.ndarray, columns: Sequence[str]) -> np.ndarray:
    """Cells that are given but not a whole number from 0 to the column's :data:`COUNT_LIMITS`."""
    limits = np.array([COUNT_LIMITS[column] for column in columns], dtype="float64")
    with np.errstate(invalid="ignore"):
        return ~blank & ~((values >= 0) & (values <= limits) & (values == np.floor(values)))


def _count_reasons(cells: _Cells, column: str, mask: np.ndarray) -> np.ndarray | str:
    if not mask.any():
        return ""
    return f"not a whole number from 0 to {COUNT_LIMITS[column]}: " + cells.quoted(column, mask)


def _check_result(cells: _Cells, goals: np.ndarray, blank: np.ndarray, problems: _Problems) -> np.ndarray:
    """The result H/D/A ("" where unknown); bad goals or results reject the line."""
    bad = _count_problems(goals, blank, COUNT_SOURCE_COLUMNS[:2])
    for j, column in enumerate(("FTHG", "FTAG")):
        problems.reject(bad[:, j], column, _count_reasons(cells, column, bad[:, j]))
    problems.reject(blank[:, 0] ^ blank[:, 1], "FTHG,FTAG", "only one team's goals given")
    home, away = goals[:, 0], goals[:, 1]
    known = ~np.isnan(home) & ~np.isnan(away) & ~bad.any(axis=1)
    derived = np.where(known, np.select([home > away, home < away], ["H", "A"], "D"), "").astype(object)
    given = cells.text("FTR")
    valid = np.isin(given, _RESULTS)
    other = ~valid & (given != "")
    problems.reject(other, "FTR", "result not H, D or A: " + cells.quoted("FTR", other))
    clash = valid & known & (given != derived)
    if clash.any():
        score = np.array(
            [f" {h:g}-{a:g}" for h, a in zip(home[clash], away[clash], strict=True)], dtype=object
        )
        problems.reject(
            clash, "FTR", "FTR " + cells.quoted("FTR", clash) + " disagrees with the goals" + score
        )
    problems.reject(valid & blank[:, 0] & blank[:, 1], "FTR", "result given without goals")
    return derived


def _none_if_blank(texts: np.ndarray) -> np.ndarray:
    out = texts.astype(object)
    out[texts == ""] = None
    return out


def _nullable_ints(values: np.ndarray, keep: np.ndarray) -> pd.arrays.IntegerArray:
    usable = keep & ~np.isnan(values)
    return pd.arrays.IntegerArray(np.where(usable, values, 0).astype("int64"), ~usable)


# --- odds ----------------------------------------------------------------------------------------------


def _odds(cells: _Cells, ok: np.ndarray, specs: list[OddsColumn], matches: pd.DataFrame,
          problems: _Problems) -> pd.DataFrame:  # fmt: skip
    """Long-format odds of the ``ok`` lines; invalid prices and handicap lines are dropped and recorded."""
    if not specs or not ok.any():
        return empty_odds()
    prices, blank = cells.numbers([spec.column for spec in specs])
    with np.errstate(invalid="ignore"):
        invalid = ~blank & ~((prices > 1) & (prices <= MAX_PRICE)) & ok[:, None]
    for bad in np.flatnonzero(invalid.any(axis=0)):
        column, mask = specs[bad].column, invalid[:, bad]
        reason = (
            "invalid price " + cells.quoted(column, mask) + f" (must be a number > 1 and <= {MAX_PRICE:g})"
        )
        problems.drop(mask, column, reason)
    lines = np.repeat(
        np.array([np.nan if spec.line is None else spec.line for spec in specs])[None, :], cells.n, 0
    )
    line_names = sorted({spec.line_column for spec in specs if spec.line_column})
    if line_names:
        line_values, line_blank = cells.numbers(line_names)
        unreadable = ~line_blank & ~_valid_handicap_lines(line_values) & ok[:, None]
        line_values[unreadable] = np.nan
        for k in np.flatnonzero(unreadable.any(axis=0)):
            mask = unreadable[:, k]
            reason = (
                "handicap line " + cells.quoted(line_names[k], mask)
                + f" is not a quarter goal within +-{MAX_HANDICAP_LINE:g}; its prices dropped"
            )  # fmt: skip
            problems.drop(mask, line_names[k], reason)
        position = {name: i for i, name in enumerate(line_names)}
        for j, spec in enumerate(specs):
            if spec.line_column:
                lines[:, j] = line_values[:, position[spec.line_column]]
                orphan = ok & ~blank[:, j] & ~invalid[:, j] & line_blank[:, position[spec.line_column]]
                problems.drop(orphan, spec.column, f"price without a handicap line in {spec.line_column}")
    needs_line = np.array([spec.line_column is not None for spec in specs])
    valid = ~blank & ~invalid & ~(needs_line[None, :] & np.isnan(lines))
    kept = np.flatnonzero(ok)
    rows, cols = np.nonzero(valid[kept])  # rows index the match frame, which holds the ok lines in order
    return _odds_frame(
        {
            c.LEAGUE: matches[c.LEAGUE].to_numpy(dtype=object)[rows],
            c.DATE: matches[c.DATE].to_numpy()[rows],
            c.HOME: matches[c.HOME].to_numpy(dtype=object)[rows],
            c.AWAY: matches[c.AWAY].to_numpy(dtype=object)[rows],
            c.BOOKMAKER: np.array([s.bookmaker for s in specs], dtype=object)[cols],
            c.MARKET: np.array([s.market for s in specs], dtype=object)[cols],
            c.LINE: lines[kept][rows, cols],
            c.TIMING: np.array([s.timing for s in specs], dtype=object)[cols],
            c.OUTCOME: np.array([s.outcome for s in specs], dtype=object)[cols],
            c.PRICE: prices[kept][rows, cols],
        },
        len(rows),
    )


def _valid_handicap_lines(values: np.ndarray) -> np.ndarray:
    """Lines that are a multiple of :data:`LINE_STEP` within +-:data:`MAX_HANDICAP_LINE` (NaN is not)."""
    with np.errstate(invalid="ignore"):
        steps = values / LINE_STEP
        return (np.abs(values) <= MAX_HANDICAP_LINE) & (steps == np.round(steps))


# --- the parser ----------------------------------------------------------------------------------------


def _file_league(div: np.ndarray, expected: str) -> str:
    """The league most lines' ``Div`` names (``expected`` when no line names one)."""
    given = div[div != ""]
    if not len(given):
        return expected
    values, counts = np.unique(given.astype(str), return_counts=True)
    return str(values[np.argmax(counts)])


def _club_names(names: np.ndarray) -> np.ndarray:
    """Which ``names`` look like a club's name: letters, digits and ``&'.()/-`` only, not too long."""
    return np.array(
        [len(name) <= MAX_TEAM_NAME_CHARS and _TEAM_NAME.fullmatch(name) is not None for name in names],
        dtype=bool,
    )


def _rejected_file(source_file: str, league: str, season: str, text: dict[int, str], field: str,
                   reason: str) -> ParsedFile:  # fmt: skip
    """Every data line quarantined with the reason the file's content was refused as a whole."""
    logger.warning("%s: %s: %s", source_file, FILE_REJECTED, reason)
    numbers = sorted(text)
    quarantine = _quarantine_frame(
        {c.SOURCE_FILE: source_file, c.SOURCE_LINE: np.array(numbers, dtype="int64"), c.LEAGUE: league,
         c.SEASON: season, c.FIELD: field, c.REASON: f"{FILE_REJECTED}: {reason}",
         c.RAW: [text[number][:MAX_RAW_CHARS] for number in numbers]},
        len(numbers),
    )  # fmt: skip
    return ParsedFile(source_file, league, season, len(text), empty_matches(), empty_odds(), quarantine)


@lru_cache(maxsize=512)
def _classify(header: tuple[str, ...]) -> tuple[list[OddsColumn], list[str]]:
    """Price columns of a header (one per bookmaker, market, line, timing and outcome) and unknown names."""
    specs, unknown = classify_odds_columns(list(header), set(MATCH_SOURCE_COLUMNS))
    seen: set[tuple[object, ...]] = set()
    unique = []
    for spec in specs:
        key = (spec.bookmaker, spec.market, spec.timing, spec.outcome, spec.line)
        if key in seen:
            unknown.append(f"{spec.column} (second column for {spec.bookmaker} {spec.market} {spec.outcome})")
        else:
            seen.add(key)
            unique.append(spec)
    return unique, unknown


def parse_football_data(
    content: bytes,
    source_file: str,
    season: str,
    league: str | None = None,
    *,
    day_first_when_ambiguous: bool = False,
) -> ParsedFile:
    """Parse one football-data.co.uk CSV file (its bytes) into matches, odds and quarantine rows.

    ``league`` (else the folder of ``source_file``) is the league the file's ``Div`` must name; it is used
    when the file has no ``Div`` column. ``season`` (e.g. ``"2324"``) is taken as given. Dates that fit both
    orders reject the file unless ``day_first_when_ambiguous``: for files known to come straight from
    football-data.co.uk, which writes day-first (``fixtures.csv`` spans a week, often within 12 days).
    Never raises on bad content: file-level problems give a single quarantine row (see the module docstring).
    """
    fallback_league = league or PurePosixPath(source_file).parent.name

    def problem(line: int, field: str, reason: str, raw: str = "") -> ParsedFile:
        return _file_problem(source_file, fallback_league, season, line, field, reason, raw)

    if len(content) > MAX_FILE_BYTES:
        return problem(0, FILE_FIELD, f"{FILE_REJECTED}: {len(content):,} bytes, over {MAX_FILE_BYTES:,}")
    binary = next((kind for magic, kind in _NOT_CSV.items() if content.startswith(magic)), None)
    if binary is not None:
        return problem(0, FILE_FIELD, f"{FILE_REJECTED}: not a CSV file but {binary}")
    if not content.strip():
        return problem(0, FILE_FIELD, "empty file")
    lines, undecodable = _split_lines(content)
    first = next((i for i, line in enumerate(lines) if line.strip(" ,\t\r")), None)
    if first is None:
        return problem(0, FILE_FIELD, "empty file (no header)")
    header_line = lines[first]
    if undecodable[first] or _CONTROL.search(header_line):
        return problem(
            first + 1, HEADER_FIELD, "not a football-data CSV: header is not UTF-8 text", header_line
        )
    try:
        header = _header_names(header_line)
    except csv.Error as error:
        return problem(
            first + 1, HEADER_FIELD, f"not a football-data CSV: header is not CSV: {error}", header_line
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        reason = f"not a football-data CSV: header lacks {', '.join(missing)}"
        return problem(first + 1, HEADER_FIELD, reason, header_line)
    twice = sorted({name for name in header if name in MATCH_SOURCE_COLUMNS and header.count(name) > 1})
    if twice:
        reason = f"{FILE_REJECTED}: header names {', '.join(twice)} more than once"
        return problem(first + 1, HEADER_FIELD, reason, header_line)
    return _parse_rows(
        lines, undecodable, first, header, source_file, season, league, day_first_when_ambiguous
    )


def _parse_rows(
    lines: list[str],
    undecodable: np.ndarray,
    header_index: int,
    header: list[str],
    source_file: str,
    season: str,
    league: str | None,
    day_first_when_ambiguous: bool,
) -> ParsedFile:
    text, raw, line_problems = _read_lines(lines, undecodable, header_index, header)
    cells = _Cells(raw)
    div = cells.text("Div")
    expected_league = league or PurePosixPath(source_file).parent.name
    file_league = _file_league(div, expected_league or PurePosixPath(source_file).stem)
    problems = _Problems(raw.index.to_numpy(dtype="int64"))
    if expected_league and file_league != expected_league:
        agreeing = int((div == file_league).sum())
        reason = f"Div says {file_league} on {agreeing} of {cells.n} lines, not {expected_league}"
        return _rejected_file(source_file, expected_league, season, text, "Div", reason)
    wrong_div = (div != "") & (div != file_league)
    problems.reject(wrong_div, "Div", "league " + cells.quoted("Div", wrong_div) + f" is not {file_league}")

    def canonical(names: np.ndarray) -> np.ndarray:
        return np.array([canonical_team_name(name, file_league) for name in names], dtype=object)

    home = _per_unique(cells.text("HomeTeam"), canonical)
    away = _per_unique(cells.text("AwayTeam"), canonical)
    problems.reject(home == "", "HomeTeam", "missing home team")
    problems.reject(away == "", "AwayTeam", "missing away team")
    for column, names in (("HomeTeam", home), ("AwayTeam", away)):
        odd = (names != "") & ~_per_unique(names, _club_names)
        problems.reject(odd, column, "not a club name: " + cells.quoted(column, odd))
    same = (home == away) & (home != "")
    problems.reject(same, "AwayTeam", "home and away are the same team " + cells.quoted("AwayTeam", same))
    dates, date_problem = _check_date(cells, season, problems, day_first_when_ambiguous)
    if date_problem is not None:
        return _rejected_file(source_file, file_league, season, text, "Date", date_problem)
    times = _check_time(cells, problems)
    values, blank = cells.numbers(list(COUNT_SOURCE_COLUMNS))
    result = _check_result(cells, values[:, :2], blank[:, :2], problems)
    keep_value = ~_count_problems(values, blank, COUNT_SOURCE_COLUMNS)
    for j, column in enumerate(COUNT_SOURCE_COLUMNS[2:], start=2):
        problems.drop(~keep_value[:, j], column, _count_reasons(cells, column, ~keep_value[:, j]))
    with np.errstate(invalid="ignore"):
        for j, column in ((2, "HTHG"), (3, "HTAG")):
            over = keep_value[:, j] & (values[:, j] > values[:, j - 2])
            problems.drop(over, column, "half-time goals exceed full-time goals")
            keep_value[:, j] &= ~over

    # duplicates of the natural key among otherwise valid lines: the later line is rejected
    ok = ~problems.rejected()
    key = pd.DataFrame({c.DATE: dates, c.HOME: home, c.AWAY: away, "line": problems.lines})[ok]
    duplicate = key.duplicated([c.DATE, c.HOME, c.AWAY], keep="first").to_numpy()
    if duplicate.any():
        first_line = key.groupby([c.DATE, c.HOME, c.AWAY])["line"].transform("min").to_numpy()[duplicate]
        mask = np.isin(problems.lines, key["line"].to_numpy()[duplicate])
        problems.reject(
            mask, "HomeTeam,AwayTeam,Date", "duplicate of line " + first_line.astype(str).astype(object)
        )
        ok &= ~mask

    referee = cells.text("Referee")
    data = {
        c.LEAGUE: file_league,
        c.SEASON: season,
        c.DATE: dates[ok],
        c.KICKOFF: (dates + np.where(np.isnat(times), np.timedelta64(0, "ns"), times))[ok],
        c.HAS_TIME: ~np.isnat(times[ok]),
        c.HOME: home[ok],
        c.AWAY: away[ok],
        c.RESULT: _none_if_blank(result)[ok],
        c.REFEREE: _none_if_blank(referee)[ok],
        c.SOURCE_FILE: source_file,
        c.SOURCE_LINE: problems.lines[ok],
    }
    targets = (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, *STAT_SOURCE_COLUMNS.values())
    for j, name in enumerate(targets):
        data[name] = _nullable_ints(values[ok, j], keep_value[ok, j])
    matches = _matches_frame(data, int(ok.sum()))
    specs, unknown = _classify(tuple(raw.columns))
    if unknown:
        logger.debug("%s: ignored columns %s", source_file, ", ".join(unknown))
    odds = _odds(cells, ok, specs, matches, problems)
    entries = problems.entries(line_problems)
    quarantine = _quarantine_frame(
        {
            c.SOURCE_FILE: source_file,
            c.SOURCE_LINE: np.array([entry[0] for entry in entries], dtype="int64"),
            c.LEAGUE: file_league,
            c.SEASON: season,
            c.FIELD: [entry[1] for entry in entries],
            c.REASON: [entry[2] for entry in entries],
            c.RAW: [text[entry[0]][:MAX_RAW_CHARS] for entry in entries],
        },
        len(entries),
    )
    logger.debug(
        "%s: %d rows, %d matches, %d quarantine rows, %d prices",
        *(source_file, len(text), len(matches), len(quarantine), len(odds)),
    )
    return ParsedFile(source_file, file_league, season, len(text), matches, odds, quarantine)
