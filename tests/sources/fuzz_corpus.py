"""Kinds of damage done to a clean football-data file, each with what ingesting the damaged file must give.

Every kind turns the bytes of a clean 30-match file (``Div`` = its folder, season 2324, LF, no BOM) into a
damaged file and states the outcome: ``matches`` stored, ``rejected`` data lines quarantined whole, and
whether the whole file is quarantined (it then counts as failed). A file rejected at its header has one
quarantine row and no data line read; a file rejected for its content quarantines every data line.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from tests.sources.football_data_helpers import field, join, set_field, split

N_MATCHES = 30


@dataclass(frozen=True)
class Damage:
    """One kind of damage and what ingesting it must store and quarantine."""

    name: str
    make: Callable[[bytes], bytes]
    matches: int  # matches stored
    rejected: int  # data lines quarantined whole (header-level rejections read no data line)
    quarantined_whole: bool = False  # the file counts as failed
    header_rejected: bool = False  # one quarantine row at line 0 or 1, no data line read


def _lines(change: Callable[[list[str], list[str]], list[str]]) -> Callable[[bytes], bytes]:
    """Damage that edits the data lines (header fields, lines) -> lines."""

    def make(content: bytes) -> bytes:
        header, lines = split(content)
        return join(header, change(header, list(lines)))

    return make


def _cell(line: int, column: str, value: str) -> Callable[[bytes], bytes]:
    """Set one cell of data line ``line`` (0-based)."""

    def change(header: list[str], lines: list[str]) -> list[str]:
        lines[line] = set_field(lines[line], header, column, value)
        return lines

    return _lines(change)


def _line(line: int, edit: Callable[[str, list[str]], str]) -> Callable[[bytes], bytes]:
    def change(header: list[str], lines: list[str]) -> list[str]:
        lines[line] = edit(lines[line], header)
        return lines

    return _lines(change)


def _bytes_in_line(line: int, old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    """Replace ``old`` by ``new`` inside data line ``line`` (0-based), at the byte level."""

    def make(content: bytes) -> bytes:
        parts = content.split(b"\n")
        parts[line + 1] = parts[line + 1].replace(old, new, 1)
        return b"\n".join(parts)

    return make


def _dates(order: Callable[[int, pd.Timestamp], str], keep: int = N_MATCHES) -> Callable[[bytes], bytes]:
    """The first ``keep`` lines with their dates rewritten by ``order(i, date)``."""

    def change(header: list[str], lines: list[str]) -> list[str]:
        out = []
        for i, line in enumerate(lines[:keep]):
            day = pd.to_datetime(field(line, header, "Date"), format="%d/%m/%Y")
            out.append(set_field(line, header, "Date", order(i, day)))
        return out

    return _lines(change)


def _truncate(content: bytes) -> bytes:
    """Cut in the middle of data line 20 (after its 6th field), as an interrupted download ends."""
    parts = content.split(b"\n")
    cut = b",".join(parts[20].split(b",")[:6])
    return b"\n".join([*parts[:20], cut])


def _mixed_line_endings(content: bytes) -> bytes:
    parts = content.rstrip(b"\n").split(b"\n")
    return b"".join(part + (b"\r\n" if i % 2 else b"\n") for i, part in enumerate(parts))


def _latin1_line(content: bytes) -> bytes:
    header, lines = split(content)
    lines[2] = set_field(lines[2], header, "HomeTeam", "M\u00e1laga")
    return (
        join(header, lines[:2]) + lines[2].encode("latin-1") + b"\n" + "\n".join(lines[3:]).encode() + b"\n"
    )


def _drop_column(name: str) -> Callable[[bytes], bytes]:
    def make(content: bytes) -> bytes:
        header, lines = split(content)
        position = header.index(name)

        def without(fields: list[str]) -> str:
            return ",".join(fields[:position] + fields[position + 1 :])

        return ("\n".join([without(header), *(without(line.split(",")) for line in lines)]) + "\n").encode()

    return make


def _with_column(content: bytes) -> bytes:
    header, lines = split(content)
    return join([*header, "Mystery", "XYZH"], [line + ",7,abc" for line in lines])


def _random_bytes(content: bytes) -> bytes:
    return bytes(random.Random(7).randrange(256) for _ in range(5000))


def _all_lines(edit: Callable[[str, list[str]], str]) -> Callable[[bytes], bytes]:
    return _lines(lambda header, lines: [edit(line, header) for line in lines])


DAMAGES: tuple[Damage, ...] = (
    # --- lines rejected, the rest of the file stored
    Damage("extra field", _line(3, lambda line, header: line + ",surplus"), 29, 1),
    Damage("missing fields", _line(4, lambda line, header: line.rsplit(",", 5)[0]), 29, 1),
    Damage("non-numeric goals", _cell(5, "FTHG", "two"), 29, 1),
    Damage("negative goals", _cell(5, "FTAG", "-1"), 29, 1),
    Damage(
        "goals over the bound",
        _lines(lambda h, ls: [set_field(set_field(ls[0], h, "FTHG", "99"), h, "FTR", "H"), *ls[1:]]),
        29,
        1,
    ),
    Damage("impossible date", _cell(6, "Date", "31/02/2024"), 29, 1),
    Damage("date outside the season", _cell(6, "Date", "15/01/2019"), 29, 1),
    Damage("garbled date", _cell(7, "Date", "2024/8/4"), 29, 1),
    Damage("missing team", _cell(8, "AwayTeam", " "), 29, 1),
    Damage(
        "home equals away",
        _line(8, lambda line, h: set_field(line, h, "AwayTeam", field(line, h, "HomeTeam"))),
        29,
        1,
    ),
    Damage("result disagrees with goals", _cell(9, "FTR", "X"), 29, 1),
    Damage("wrong Div on one line", _cell(10, "Div", "SP1"), 29, 1),
    Damage("NUL byte in a line", _bytes_in_line(11, b",", b",\x00"), 29, 1),
    Damage("bare carriage return in a line", _bytes_in_line(11, b",", b",\r"), 29, 1),
    Damage("latin-1 bytes in a line", _latin1_line, 29, 1),
    Damage('quoted name with an escaped quote ("Arsenal""")', _cell(12, "HomeTeam", '"Arsenal"""'), 29, 1),
    Damage("malformed quoting", _cell(12, "HomeTeam", '"Arse"nal'), 29, 1),
    Damage("script in a team name", _cell(13, "HomeTeam", "<script>alert(1)</script>"), 29, 1),
    Damage("duplicated header line", _lines(lambda h, ls: [*ls[:10], ",".join(h), *ls[10:]]), 30, 1),
    Damage("duplicated match line", _lines(lambda h, ls: [*ls, ls[4]]), 30, 1),
    Damage("truncated download", _truncate, 19, 1),
    # --- values dropped, every match stored
    Damage("price 1e300", _cell(1, "B365H", "1e300"), 30, 0),
    Damage("price below 1", _cell(1, "PSCA", "0.5"), 30, 0),
    Damage("price infinite", _cell(1, "AvgCD", "inf"), 30, 0),
    Damage("handicap line 1e39", _cell(2, "AHh", "1e39"), 30, 0),
    Damage("handicap line off the quarter steps", _cell(2, "AHh", "-1.2"), 30, 0),
    Damage("shots over the bound", _cell(3, "HS", "5000"), 30, 0),
    Damage("unreadable kickoff time", _cell(3, "Time", "25:99"), 30, 0),
    # --- quirks of real files: everything stored
    Damage("UTF-8 BOM", lambda content: b"\xef\xbb\xbf" + content, 30, 0),
    Damage("CRLF line endings", lambda content: content.replace(b"\n", b"\r\n"), 30, 0),
    Damage("mixed LF and CRLF line endings", _mixed_line_endings, 30, 0),
    Damage("old Mac CR line endings", lambda content: content.replace(b"\n", b"\r"), 30, 0),
    Damage("comma-only lines", _lines(lambda h, ls: [*ls[:5], "," * (len(h) - 1), *ls[5:]]), 30, 0),
    Damage("extra unknown columns", _with_column, 30, 0),
    Damage("month-first dates", _dates(lambda i, day: day.strftime("%m/%d/%Y")), 30, 0),
    Damage("header only", lambda content: content.split(b"\n")[0] + b"\n", 0, 0),
    # --- the whole file quarantined
    Damage("empty file", lambda content: b"", 0, 0, True, True),
    Damage("blank lines only", lambda content: b"\n\n,,,\n", 0, 0, True, True),
    Damage("gzip file named .csv", gzip.compress, 0, 0, True, True),
    Damage("zip archive (xlsx) named .csv", lambda content: b"PK\x03\x04" + content, 0, 0, True, True),
    Damage("random binary content", _random_bytes, 0, 0, True, True),
    Damage("UTF-16 encoded", lambda content: content.decode().encode("utf-16"), 0, 0, True, True),
    Damage(
        "HTML error page", lambda content: b"<html><body>502 Bad Gateway</body></html>\n", 0, 0, True, True
    ),
    Damage(
        "bare carriage return in the header",
        lambda content: content.replace(b"HomeTeam", b"Home\rTeam", 1),
        0,
        0,
        True,
        True,
    ),
    Damage(
        "NUL byte in the header", lambda content: content.replace(b"FTHG", b"FT\x00HG", 1), 0, 0, True, True
    ),
    Damage("required column missing", _drop_column("HomeTeam"), 0, 0, True, True),
    Damage(
        "column named twice in the header",
        lambda content: content.replace(b"FTAG", b"FTHG", 1),
        0,
        0,
        True,
        True,
    ),
    Damage(
        "semicolon-separated (Excel locale)", lambda content: content.replace(b",", b";"), 0, 0, True, True
    ),
    Damage(
        "Div disagrees with the folder",
        _all_lines(lambda line, h: set_field(line, h, "Div", "SP1")),
        0,
        30,
        True,
    ),
    Damage(
        "day-first and month-first dates mixed",
        _dates(lambda i, day: day.strftime("%m/%d/%Y" if i % 3 == 0 else "%d/%m/%Y")),
        0,
        30,
        True,
    ),
    Damage(
        "dates readable in both orders",
        _dates(lambda i, day: f"{(i % 12) + 1:02d}/01/2024", keep=6),
        0,
        6,
        True,
    ),
    Damage("every line with the wrong field count", _all_lines(lambda line, h: line + ",x,y"), 0, 30, True),
)
