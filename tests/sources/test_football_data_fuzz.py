"""Fuzzing ingestion: a corpus of damaged files through ``scoreline ingest``, and hypothesis on the parser.

The corpus (:mod:`tests.sources.fuzz_corpus`) puts one file per kind of damage beside good files and runs the
CLI: no exception escapes, every good row is stored, every damaged row is accounted for (stored or
quarantined), and the exit status and summary say how many files failed. Hypothesis then damages lines at
random (bad lines quarantined with their line and reason, the rest kept) and feeds arbitrary bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.simulate import write_football_data_csv
from scoreline.sources.football_data_parser import VALUE_DROPPED, count_rejected_lines, parse_football_data
from scoreline.store import Store
from tests.sources.football_data_helpers import (
    SEASON,
    SOURCE,
    file_bytes,
    join,
    set_field,
    small_league,
    split,
)
from tests.sources.fuzz_corpus import DAMAGES, N_MATCHES, Damage

GOOD_LEAGUES = ("E0", "SP1", "D1", "I1")

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
@pytest.mark.slow
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
@pytest.mark.slow
def test_random_cells_under_a_real_header_never_raise(rows: list[list[str]]) -> None:
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A,AHh,B365AHH"
    content = "\n".join([header, *(",".join(row) for row in rows)]).encode()
    parsed = parse_football_data(content, SOURCE, SEASON)
    assert len(parsed.matches) + parsed.rejected_lines == parsed.rows_read
    assert (parsed.odds[c.PRICE] > 1).all()


# --- the corpus through the CLI -------------------------------------------------------------------------


def _clean_file(league: str, path: Path, seed: int = 1) -> bytes:
    """A clean file of ``league`` (``Div`` = ``league``), season 2324, 30 matches, written at ``path``."""
    matches = small_league(seed=seed).matches.assign(**{c.LEAGUE: league})
    return write_football_data_csv(matches, path).read_bytes()


def _write_corpus(root: Path) -> tuple[dict[str, Damage], dict[str, bytes]]:
    """One damaged file per kind (folder ``X00``...) and four good files; their names -> damage / bytes."""
    damaged = {}
    for i, damage in enumerate(DAMAGES):
        league = f"X{i:02d}"
        path = root / league / f"{SEASON}.csv"
        path.write_bytes(damage.make(_clean_file(league, path)))
        damaged[f"{league}/{SEASON}.csv"] = damage
    good = {
        f"{league}/{SEASON}.csv": _clean_file(league, root / league / f"{SEASON}.csv", seed=seed)
        for seed, league in zip((1, 2, 4, 5), GOOD_LEAGUES, strict=True)  # seed 3 prices an away win at 1150
    }
    return damaged, good


def test_corpus_has_at_least_30_kinds_of_damage() -> None:
    assert len({damage.name for damage in DAMAGES}) == len(DAMAGES) >= 30


@pytest.mark.slow
def test_damaged_files_beside_good_ones_through_the_cli(tmp_path: Path) -> None:
    damaged, good = _write_corpus(tmp_path / "mirror")
    db = f"duckdb:///{tmp_path / 'fuzz.duckdb'}"

    result = CliRunner().invoke(app, ["ingest", "--from-dir", str(tmp_path / "mirror"), "--db", db])

    assert isinstance(result.exception, SystemExit), result.exception  # no unhandled exception
    failed = sorted(name for name, damage in damaged.items() if damage.quarantined_whole)
    assert result.exit_code == 1
    files = len(damaged) + len(good)
    assert f"{files} files: {files - len(failed)} stored, 0 replaced, 0 unchanged, {len(failed)} failed" in (
        " ".join(result.output.split())
    )
    for name in failed:
        assert f"quarantined {name}: " in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output

    with Store.from_url(db) as store:
        ingested = store.read_ingested_files().set_index(c.SOURCE_FILE)
        quarantine = store.read_quarantine()
        matches = store.read_matches()
    assert set(ingested.index) == set(damaged) | set(good)  # every file recorded, none lost to an error
    for name, content in good.items():  # every good row stored, exactly
        expected = parse_football_data(content, name, SEASON).matches
        stored = matches[matches[c.SOURCE_FILE] == name].sort_values(c.SOURCE_LINE).reset_index(drop=True)
        pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
        assert quarantine[quarantine[c.SOURCE_FILE] == name].empty
    for name, damage in damaged.items():  # every damaged row accounted for
        row = ingested.loc[name]
        own = quarantine[quarantine[c.SOURCE_FILE] == name]
        rejected = count_rejected_lines(own)
        outcome = (int(row["matches"]), rejected, int(row["rows_read"]))
        rows = 0 if damage.header_rejected else damage.matches + damage.rejected
        assert outcome == (damage.matches, damage.rejected, rows), (damage.name, own.to_dict("records"))
        assert int(row["matches"]) + rejected == int(row["rows_read"]), damage.name
        assert own[c.REASON].str.len().gt(0).all() and own[c.FIELD].str.len().gt(0).all(), damage.name
        if damage.header_rejected:
            assert len(own) == 1 and own[c.SOURCE_LINE].iloc[0] <= 1, damage.name
        if damage.matches == N_MATCHES and damage.rejected == 0 and "quirk" not in damage.name:
            assert int(row["matches"]) == N_MATCHES
    value_damages = {"price 1e300", "handicap line 1e39", "shots over the bound", "price below 1"}
    dropped = quarantine[quarantine[c.REASON].str.startswith(VALUE_DROPPED)]
    dropped_kinds = {damaged[name].name for name in dropped[c.SOURCE_FILE] if name in damaged}
    assert value_damages <= dropped_kinds
    assert len(matches) == 4 * N_MATCHES + sum(damage.matches for damage in damaged.values())
    assert not matches[c.HOME].str.contains('"').any()
    with Store.from_url(db) as store:
        odds = store.read_odds()
    assert odds[c.PRICE].between(1, 1000, inclusive="right").all()
    handicap = odds.loc[odds[c.MARKET] == c.MARKET_ASIAN_HANDICAP, c.LINE]
    assert (handicap.abs() <= 10).all() and ((handicap * 4) % 1 == 0).all()


# --- huge files, with a memory ceiling -------------------------------------------------------------------

MEMORY_CEILING_MIB = 768  # measured: 352 MiB with these files, 237 MiB with the good file alone
# The peak is this process's own high-water mark (VmHWM): ru_maxrss would also count the pytest process it
# was forked from, which Linux carries across exec.
_MEASURED_CLI = """
import sys
from scoreline.cli.main import app
try:
    app(sys.argv[1:])
finally:
    status = open("/proc/self/status").read().split("VmHWM:")[1].split()[0]
    print("peak_rss_kib", status, file=sys.stderr)
"""


@pytest.mark.slow
def test_huge_files_stay_under_a_memory_ceiling(tmp_path: Path) -> None:
    """A 40 MiB file (over the 32 MiB limit) and a 30 MiB single line, beside a good file, in a subprocess."""
    root = tmp_path / "mirror"
    _clean_file("E0", root / "E0" / f"{SEASON}.csv")
    header = _clean_file("X01", root / "X01" / f"{SEASON}.csv").split(b"\n")[0]
    (root / "X01" / f"{SEASON}.csv").write_bytes(header + b"\n" + b"7" * (30 * 2**20) + b"\n")
    (root / "X02").mkdir()
    (root / "X02" / f"{SEASON}.csv").write_bytes(
        header + b"\n" + b"E0,01/09/23,A,B,1,0,H\n" * (40 * 2**20 // 22)
    )
    db = f"duckdb:///{tmp_path / 'huge.duckdb'}"
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURED_CLI, "ingest", "--from-dir", str(root), "--db", db],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert completed.returncode == 1, completed.stderr
    assert "Traceback" not in completed.stderr
    assert "3 files: 1 stored, 0 replaced, 0 unchanged, 2 failed" in " ".join(completed.stderr.split())
    peak_mib = int(completed.stderr.split("peak_rss_kib")[1].split()[0]) / 1024
    assert peak_mib < MEMORY_CEILING_MIB, peak_mib
    with Store.from_url(db) as store:
        files = store.read_ingested_files().set_index(c.SOURCE_FILE)
        reasons = store.read_quarantine().set_index(c.SOURCE_FILE)[c.REASON]
    assert files.loc["E0/2324.csv", "matches"] == N_MATCHES
    assert "over 33,554,432" in reasons["X02/2324.csv"]
    assert files.loc["X01/2324.csv", "rows_read"] == 1 and "wrong field count" in reasons["X01/2324.csv"]
