"""Hypothesis fuzz of the parser: damaged lines are quarantined with their line and reason, the rest kept."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from football_data_helpers import SEASON, SOURCE, file_bytes, join, set_field, small_league, split
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from scoreline import columns as c
from scoreline.sources.football_data_parser import VALUE_DROPPED, parse_football_data

REJECTING = {
    "extra field": lambda line, header: line + ",surplus",
    "missing fields": lambda line, header: line.rsplit(",", 5)[0],
    "non-numeric goals": lambda line, header: set_field(line, header, "FTHG", "two"),
    "negative goals": lambda line, header: set_field(line, header, "FTAG", "-1"),
    "impossible date": lambda line, header: set_field(line, header, "Date", "30/02/2024"),
    "garbled date": lambda line, header: set_field(line, header, "Date", "2024/8/4"),
    "missing away": lambda line, header: set_field(line, header, "AwayTeam", " "),
    "wrong result": lambda line, header: set_field(line, header, "FTR", "X"),
}
DROPPING = {
    "odds <= 1": lambda line, header: set_field(line, header, "B365H", "0.95"),
    "odds text": lambda line, header: set_field(line, header, "AvgCA", "n/a"),
}


@cache
def base_file() -> tuple[list[str], list[str], pd.DataFrame]:
    """Header, lines and parsed matches of one clean simulated file (made once)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        content = file_bytes(small_league(seed=1).matches, Path(folder))
    header, lines = split(content)
    parsed = parse_football_data(content, SOURCE, SEASON)
    assert parsed.quarantine.empty and len(parsed.matches) == len(lines)
    return header, lines, parsed.matches


def _blank(line: bytes) -> bool:
    return not line.strip(b" ,\t\r")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    damage=st.dictionaries(
        keys=st.integers(min_value=0, max_value=29),
        values=st.one_of(
            st.sampled_from(sorted(REJECTING) + sorted(DROPPING)),
            st.binary(min_size=0, max_size=80).filter(lambda raw: b"\n" not in raw and b"\r" not in raw),
        ),
        max_size=10,
    ),
    unknown_column=st.booleans(),
)
def test_damaged_lines_are_quarantined_and_good_lines_kept(
    damage: dict[int, object], unknown_column: bool
) -> None:
    note(f"damage={damage!r} unknown_column={unknown_column}")
    header, lines, clean = base_file()
    out_lines: list[bytes] = []
    rejected, dropped, skipped = set(), set(), set()
    for i, line in enumerate(lines):
        kind = damage.get(i)
        if isinstance(kind, bytes):
            out_lines.append(kind)
            (skipped if _blank(kind) else rejected).add(i + 2)
        elif kind in REJECTING:
            out_lines.append(REJECTING[kind](line, header).encode())
            rejected.add(i + 2)
        elif kind in DROPPING:
            out_lines.append(DROPPING[kind](line, header).encode())
            dropped.add(i + 2)
        else:
            out_lines.append(line.encode())
    out_header = header
    if unknown_column:
        out_header = [*header, "Mystery"]
        out_lines = [line if i + 2 in skipped else line + b",7" for i, line in enumerate(out_lines)]
    content = join(out_header, []) + b"\n".join(out_lines) + b"\n"

    parsed = parse_football_data(content, SOURCE, SEASON)

    assert parsed.rows_read == len(lines) - len(skipped)
    assert len(parsed.matches) + parsed.rejected_lines == parsed.rows_read
    quarantine = parsed.quarantine
    assert (quarantine[c.SOURCE_FILE] == SOURCE).all() and quarantine[c.REASON].str.len().gt(0).all()
    assert not quarantine.duplicated([c.SOURCE_LINE, c.FIELD]).any()
    whole = quarantine[~quarantine[c.REASON].str.startswith(VALUE_DROPPED)]
    assert set(whole[c.SOURCE_LINE]) == rejected
    assert whole[c.SOURCE_LINE].is_unique
    partial = quarantine[quarantine[c.REASON].str.startswith(VALUE_DROPPED)]
    assert set(partial[c.SOURCE_LINE]) == dropped
    # every line not rejected is kept, with exactly its original values
    expected = clean[~clean[c.SOURCE_LINE].isin(rejected | skipped)].reset_index(drop=True)
    pd.testing.assert_frame_equal(parsed.matches, expected)


@settings(max_examples=150, deadline=None)
@given(content=st.one_of(st.binary(max_size=400), st.text(max_size=400).map(str.encode)))
def test_any_bytes_give_a_parsed_file_never_an_exception(content: bytes) -> None:
    parsed = parse_football_data(content, "X/0001.csv", "0001")
    assert len(parsed.matches) + parsed.rejected_lines == parsed.rows_read
    assert list(parsed.quarantine.columns) == list(c.QUARANTINE_COLUMNS)
    assert parsed.quarantine[c.REASON].str.len().gt(0).all()
    if parsed.rows_read == 0 and parsed.matches.empty and not parsed.quarantine.empty:
        assert parsed.quarantine[c.SOURCE_LINE].max() <= len(content.splitlines()) + 1


@settings(max_examples=100, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.sampled_from(["", "1", "-1", "2.5", "x", "E0", "01/09/23", "Arsenal", "H", "0", '"a,b"']),
                 min_size=1, max_size=12),
        max_size=8,
    )
)  # fmt: skip
def test_random_cells_under_a_real_header_never_raise(rows: list[list[str]]) -> None:
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A,AHh,B365AHH"
    content = "\n".join([header, *(",".join(row) for row in rows)]).encode()
    parsed = parse_football_data(content, SOURCE, SEASON)
    assert len(parsed.matches) + parsed.rejected_lines == parsed.rows_read
    assert (parsed.odds[c.PRICE] > 1).all()
