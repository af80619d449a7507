"""The football-data parser on files written from simulated leagues, with every quirk of the real files."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.simulate import SimulatedLeague, football_data_frame
from scoreline.sources.football_data_parser import (
    FILE_REJECTED,
    VALUE_DROPPED,
    ParsedFile,
    parse_football_data,
)
from scoreline.sources.validation import validate_matches, validate_odds, validate_quarantine
from tests.sources.football_data_helpers import (
    SEASON,
    SOURCE,
    field,
    file_bytes,
    join,
    set_field,
    small_league,
    split,
)

N_MATCHES = 30


@pytest.fixture(scope="module")
def league() -> SimulatedLeague:
    return small_league()


def parse(
    content: bytes, source: str = SOURCE, season: str = SEASON, league: str | None = None
) -> ParsedFile:
    parsed = parse_football_data(content, source, season, league)
    validate_matches(parsed.matches)
    validate_odds(parsed.odds)
    validate_quarantine(parsed.quarantine)
    assert list(parsed.matches.columns) == list(c.MATCH_COLUMNS)
    assert list(parsed.odds.columns) == list(c.ODDS_COLUMNS)
    assert list(parsed.quarantine.columns) == list(c.QUARANTINE_COLUMNS)
    assert len(parsed.matches) + parsed.rejected_lines == parsed.rows_read
    return parsed


def prices(parsed: ParsedFile, bookmaker: str, market: str, timing: str, outcome: str) -> pd.Series:
    odds = parsed.odds
    chosen = odds[
        (odds[c.BOOKMAKER] == bookmaker)
        & (odds[c.MARKET] == market)
        & (odds[c.TIMING] == timing)
        & (odds[c.OUTCOME] == outcome)
    ]
    return chosen.set_index([c.HOME, c.AWAY])[c.PRICE]


def test_plain_file_round_trips_matches_and_odds(league: SimulatedLeague, tmp_path: Path) -> None:
    parsed = parse(file_bytes(league.matches, tmp_path))
    truth = league.matches
    assert (parsed.league, parsed.season, parsed.source_file, parsed.rows_read) == ("E0", SEASON, SOURCE, 30)
    assert parsed.quarantine.empty
    matches = parsed.matches
    for column in (c.DATE, c.KICKOFF, c.HOME, c.AWAY, c.RESULT, c.REFEREE):
        assert matches[column].tolist() == truth[column].tolist(), column
    for column in (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, *c.STAT_COLUMNS):
        assert matches[column].astype(int).tolist() == truth[column].tolist(), column
    assert matches[c.HAS_TIME].all()
    assert matches[c.SOURCE_LINE].tolist() == list(range(2, 32))
    table = football_data_frame(truth).set_index(["HomeTeam", "AwayTeam"])
    expected = {
        ("bet365", c.MARKET_1X2, c.OPENING, "home"): "B365H",
        ("bet365", c.MARKET_1X2, c.CLOSING, "away"): "B365CA",
        ("pinnacle", c.MARKET_1X2, c.OPENING, "draw"): "PSD",
        ("pinnacle", c.MARKET_1X2, c.CLOSING, "home"): "PSCH",
        ("market_avg", c.MARKET_1X2, c.CLOSING, "home"): "AvgCH",
        ("bet365", c.MARKET_OVER_UNDER, c.OPENING, "over"): "B365>2.5",
        ("bet365", c.MARKET_OVER_UNDER, c.OPENING, "under"): "B365<2.5",
        ("bet365", c.MARKET_ASIAN_HANDICAP, c.OPENING, "home"): "B365AHH",
    }
    for key, column in expected.items():
        got = prices(parsed, *key)
        assert len(got) == N_MATCHES, key
        np.testing.assert_allclose(got.sort_index(), table[column].sort_index(), err_msg=str(key))
    odds = parsed.odds
    assert (odds.loc[odds[c.MARKET] == c.MARKET_OVER_UNDER, c.LINE] == 2.5).all()
    assert odds.loc[odds[c.MARKET] == c.MARKET_1X2, c.LINE].isna().all()
    handicap = odds[odds[c.MARKET] == c.MARKET_ASIAN_HANDICAP].set_index([c.HOME, c.AWAY])[c.LINE]
    np.testing.assert_allclose(handicap.groupby(level=[0, 1]).first().sort_index(), table["AHh"].sort_index())
    # 3 bookmakers x 2 timings x 3 outcomes + over/under 2 + handicap 2, for every match
    assert len(odds) == N_MATCHES * (18 + 2 + 2)


@pytest.mark.parametrize(
    "quirks",
    [
        {"bom": True},
        {"crlf": True},
        {"two_digit_year": True},
        {"trailing_empty_column": True},
        {"floats_as_decimal": True},
        {"comma_only_rows": 3},
        {
            "bom": True,
            "crlf": True,
            "two_digit_year": True,
            "trailing_empty_column": True,
            "comma_only_rows": 2,
        },
    ],
)
def test_quirks_give_the_same_matches(
    league: SimulatedLeague, tmp_path: Path, quirks: dict[str, object]
) -> None:
    plain = parse(file_bytes(league.matches, tmp_path / "plain"))
    quirky = parse(file_bytes(league.matches, tmp_path / "quirky", **quirks))
    assert quirky.rows_read == N_MATCHES  # comma-only rows are neither counted nor quarantined
    assert quirky.quarantine.empty
    pd.testing.assert_frame_equal(quirky.matches, plain.matches)
    pd.testing.assert_frame_equal(quirky.odds, plain.odds)


def test_file_without_time_column_has_midnight_kickoffs(league: SimulatedLeague, tmp_path: Path) -> None:
    parsed = parse(file_bytes(league.matches, tmp_path, with_time=False, two_digit_year=True))
    assert not parsed.matches[c.HAS_TIME].any()
    assert parsed.matches[c.KICKOFF].tolist() == league.matches[c.DATE].tolist()
    assert parsed.matches[c.DATE].tolist() == league.matches[c.DATE].tolist()


def test_pandas_renamed_over_under_and_unnamed_columns(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    renamed = [{"B365>2.5": "B365_2_5", "B365<2.5": "B365_2_5_1"}.get(name, name) for name in header]
    renamed += ["Unnamed__54", "Unnamed__55"]
    parsed = parse(join(renamed, [line + ",," for line in lines]))
    table = football_data_frame(league.matches).set_index(["HomeTeam", "AwayTeam"])
    over = prices(parsed, "bet365", c.MARKET_OVER_UNDER, c.OPENING, "over").sort_index()
    under = prices(parsed, "bet365", c.MARKET_OVER_UNDER, c.OPENING, "under").sort_index()
    np.testing.assert_allclose(over, table["B365>2.5"].sort_index())
    np.testing.assert_allclose(under, table["B365<2.5"].sort_index())
    assert parsed.quarantine.empty


def test_abandoned_match_is_a_fixture_without_result(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    for column in ("FTHG", "FTAG", "FTR", "HTHG", "HTAG", "HTR"):
        lines[4] = set_field(lines[4], header, column, "")
    parsed = parse(join(header, lines))
    assert len(parsed.matches) == N_MATCHES and parsed.quarantine.empty
    abandoned = parsed.matches[parsed.matches[c.SOURCE_LINE] == 6].iloc[0]
    assert pd.isna(abandoned[c.HOME_GOALS]) and pd.isna(abandoned[c.AWAY_GOALS])
    assert abandoned[c.RESULT] is None
    assert parsed.matches[c.RESULT].notna().sum() == N_MATCHES - 1


def test_league_without_statistics_or_referee(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    dropped = {"Referee", "HS", "AS", "HST", "AST", "HF", "AF", "HC", "AC", "HY", "AY", "HR", "AR"}
    keep = [i for i, name in enumerate(header) if name not in dropped]
    parsed = parse(
        join([header[i] for i in keep], [",".join(line.split(",")[i] for i in keep) for line in lines])
    )
    assert len(parsed.matches) == N_MATCHES
    assert parsed.matches[c.REFEREE].isna().all()
    for column in c.STAT_COLUMNS:
        assert parsed.matches[column].isna().all()
    assert parsed.matches[c.HOME_GOALS].astype(int).tolist() == league.matches[c.HOME_GOALS].tolist()


def test_league_comes_from_div_else_from_the_argument(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    without_div = join(header[1:], [line.split(",", 1)[1] for line in lines])
    assert parse(without_div, source="X/2324.csv", league="SP1").matches[c.LEAGUE].eq("SP1").all()
    assert parse(file_bytes(league.matches, tmp_path)).league == "E0"


@pytest.mark.parametrize(("source", "league_argument"), [("SP1/2324.csv", None), (SOURCE, "SP1")])
def test_div_disagreeing_with_the_folder_rejects_the_file(
    league: SimulatedLeague, tmp_path: Path, source: str, league_argument: str | None
) -> None:
    parsed = parse(file_bytes(league.matches, tmp_path), source=source, league=league_argument)
    assert parsed.matches.empty and parsed.odds.empty and parsed.rows_read == N_MATCHES
    quarantine = parsed.quarantine
    assert quarantine[c.SOURCE_LINE].tolist() == list(range(2, 2 + N_MATCHES))
    assert (quarantine[c.FIELD] == "Div").all() and (quarantine[c.LEAGUE] == "SP1").all()
    assert quarantine[c.REASON].iloc[0] == f"{FILE_REJECTED}: Div says E0 on 30 of 30 lines, not SP1"
    assert parsed.rejection == f"line 2, Div: {FILE_REJECTED}: Div says E0 on 30 of 30 lines, not SP1"


def test_team_names_are_stripped_and_aliased(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[0] = set_field(lines[0], header, "HomeTeam", "  " + field(lines[0], header, "HomeTeam") + " ")
    lines[1] = set_field(lines[1], header, "AwayTeam", "Nottingham Forest")
    parsed = parse(join(header, lines))
    assert parsed.matches[c.HOME].iloc[0] == league.matches[c.HOME].iloc[0]
    assert parsed.matches[c.AWAY].iloc[1] == "Nott'm Forest"


def test_quoted_fields_are_read(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[2] = set_field(lines[2], header, "Referee", '"Wiley, A. G."')
    parsed = parse(join(header, lines))
    assert parsed.matches[c.REFEREE].iloc[2] == "Wiley, A. G."
    assert len(parsed.matches) == N_MATCHES


REJECTIONS = [
    ("FTHG", "x", "FTHG", "not a whole number"),
    ("FTAG", "-1", "FTAG", "not a whole number"),
    ("FTHG", "1.5", "FTHG", "not a whole number"),
    ("FTR", "Q", "FTR", "not H, D or A"),
    ("Date", "31/02/2024", "Date", "impossible or unreadable date"),
    ("Date", "32/12/2023", "Date", "impossible or unreadable date"),
    ("Date", "01/01/2019", "Date", "outside season 2324"),
    ("Date", "", "Date", "missing date"),
    ("HomeTeam", "", "HomeTeam", "missing home team"),
    ("Div", "SP1", "Div", "is not E0"),
]


@pytest.mark.parametrize(("column", "value", "field_name", "reason"), REJECTIONS)
def test_bad_key_or_result_rejects_the_line(
    league: SimulatedLeague, tmp_path: Path, column: str, value: str, field_name: str, reason: str
) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[9] = set_field(lines[9], header, column, value)
    parsed = parse(join(header, lines))
    assert len(parsed.matches) == N_MATCHES - 1
    assert 11 not in parsed.matches[c.SOURCE_LINE].tolist()
    row = parsed.quarantine.iloc[0]
    assert len(parsed.quarantine) == 1
    assert (row[c.SOURCE_FILE], row[c.SOURCE_LINE], row[c.FIELD]) == (SOURCE, 11, field_name)
    assert reason in row[c.REASON]
    assert row[c.RAW] == lines[9]
    assert (row[c.LEAGUE], row[c.SEASON]) == ("E0", SEASON)


def test_result_disagreeing_with_goals_is_rejected(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    line = set_field(
        set_field(set_field(lines[3], header, "FTHG", "2"), header, "FTAG", "0"), header, "FTR", "A"
    )
    lines[3] = line
    parsed = parse(join(header, lines))
    row = parsed.quarantine.iloc[0]
    assert (row[c.SOURCE_LINE], row[c.FIELD]) == (5, "FTR")
    assert "disagrees with the goals 2-0" in row[c.REASON]


def test_home_equal_to_away_and_several_faults_in_one_line(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    home = field(lines[0], header, "HomeTeam")
    lines[0] = set_field(set_field(lines[0], header, "AwayTeam", home), header, "FTHG", "abc")
    parsed = parse(join(header, lines))
    assert len(parsed.quarantine) == 1  # one row per rejected line, naming every failing field
    row = parsed.quarantine.iloc[0]
    assert set(row[c.FIELD].split(",")) == {"AwayTeam", "FTHG"}
    assert "same team" in row[c.REASON] and "not a number" not in row[c.REASON]


@pytest.mark.parametrize(("suffix", "reason"), [(",extra", "expected"), ("", "expected")])
def test_wrong_field_count_rejects_the_line(
    league: SimulatedLeague, tmp_path: Path, suffix: str, reason: str
) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[5] = lines[5] + suffix if suffix else lines[5].rsplit(",", 3)[0]
    parsed = parse(join(header, lines))
    row = parsed.quarantine.iloc[0]
    assert (row[c.SOURCE_LINE], row[c.FIELD]) == (7, "line")
    assert row[c.REASON].startswith("wrong field count: expected")
    assert len(parsed.matches) == N_MATCHES - 1


def test_extra_empty_fields_are_accepted(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[5] += ",,"
    parsed = parse(join(header, lines))
    assert len(parsed.matches) == N_MATCHES and parsed.quarantine.empty


def test_duplicate_natural_key_rejects_the_later_line(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    parsed = parse(join(header, [*lines, lines[2]]))
    assert len(parsed.matches) == N_MATCHES and parsed.rows_read == N_MATCHES + 1
    row = parsed.quarantine.iloc[0]
    assert row[c.SOURCE_LINE] == N_MATCHES + 2
    assert row[c.REASON].endswith("duplicate of line 4")


@pytest.mark.parametrize("value", ["1.0", "0", "-2", "abc", "inf"])
def test_invalid_price_drops_only_that_price(league: SimulatedLeague, tmp_path: Path, value: str) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    plain = parse(join(header, lines))
    lines[7] = set_field(lines[7], header, "PSCH", value)
    parsed = parse(join(header, lines))
    pd.testing.assert_frame_equal(parsed.matches, plain.matches)
    assert len(parsed.odds) == len(plain.odds) - 1
    home, away = field(lines[7], header, "HomeTeam"), field(lines[7], header, "AwayTeam")
    assert (home, away) not in prices(parsed, "pinnacle", c.MARKET_1X2, c.CLOSING, "home").index
    row = parsed.quarantine.iloc[0]
    assert (row[c.SOURCE_LINE], row[c.FIELD]) == (9, "PSCH")
    assert row[c.REASON].startswith(VALUE_DROPPED) and "must be a number > 1" in row[c.REASON]
    assert parsed.rejected_lines == 0


def test_bad_statistic_and_time_are_dropped_not_rejected(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[1] = set_field(set_field(lines[1], header, "HS", "-3"), header, "Time", "25:99")
    parsed = parse(join(header, lines))
    match = parsed.matches.iloc[1]
    assert pd.isna(match[c.HOME_SHOTS]) and not match[c.HAS_TIME]
    assert match[c.KICKOFF] == match[c.DATE]
    assert sorted(parsed.quarantine[c.FIELD]) == ["HS", "Time"]
    assert len(parsed.matches) == N_MATCHES


def test_undecodable_line_is_quarantined_and_the_rest_kept(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    content = join(header, lines).split(b"\n")
    content[3] = content[3].replace(b"Ref", b"R\xe9f\xff")
    parsed = parse(b"\n".join(content))
    assert len(parsed.matches) == N_MATCHES - 1
    row = parsed.quarantine.iloc[0]
    assert (row[c.SOURCE_LINE], row[c.FIELD], row[c.REASON]) == (4, "line", "line is not valid UTF-8")


@pytest.mark.parametrize(
    ("content", "line", "reason"),
    [
        (b"", 0, "empty file"),
        (b"\n\n,,,\n", 0, "empty file (no header)"),
        (b"<html><body>Not found</body></html>\n", 1, "not a football-data CSV"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, "not a football-data CSV"),
        (b"Div,Date,HomeTeam\nE0,12/08/2023,Arsenal\n", 1, "header lacks AwayTeam"),
    ],
)
def test_unusable_files_give_one_quarantine_row(content: bytes, line: int, reason: str) -> None:
    parsed = parse(content)
    assert parsed.matches.empty and parsed.odds.empty and parsed.rows_read == 0
    assert len(parsed.quarantine) == 1
    row = parsed.quarantine.iloc[0]
    assert row[c.SOURCE_LINE] == line and reason in row[c.REASON] and row[c.SOURCE_FILE] == SOURCE


def test_header_only_file_has_no_rows(league: SimulatedLeague, tmp_path: Path) -> None:
    header, _ = split(file_bytes(league.matches, tmp_path))
    parsed = parse(join(header, []))
    assert parsed.rows_read == 0 and parsed.matches.empty and parsed.quarantine.empty


def test_unknown_columns_are_ignored_and_logged(
    league: SimulatedLeague, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    plain = parse(join(header, lines))
    with caplog.at_level(logging.DEBUG, logger="scoreline.sources.football_data_parser"):
        parsed = parse(join([*header, "XYZ", "QQH"], [line + ",hello,1.5" for line in lines]))
    pd.testing.assert_frame_equal(parsed.odds, plain.odds)
    assert "ignored columns XYZ, QQH" in caplog.text


def test_repeated_header_line_is_rejected(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    parsed = parse(join(header, [*lines[:10], ",".join(header), *lines[10:]]))
    assert len(parsed.matches) == N_MATCHES
    assert parsed.quarantine[c.REASON].tolist() == ["repeated header line"]
    assert parsed.quarantine[c.SOURCE_LINE].tolist() == [12]


def test_old_mac_line_endings(league: SimulatedLeague, tmp_path: Path) -> None:
    content = file_bytes(league.matches, tmp_path)
    parsed = parse(content.replace(b"\n", b"\r"))
    pd.testing.assert_frame_equal(parsed.matches, parse(content).matches)


def _dated(lines: list[str], header: list[str], dates: list[str]) -> list[str]:
    return [set_field(line, header, "Date", day) for line, day in zip(lines, dates, strict=False)]


def test_month_first_file_is_read_month_first(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    day_first = pd.to_datetime([field(line, header, "Date") for line in lines], format="%d/%m/%Y")
    month_first = [day.strftime("%m/%d/%Y") for day in day_first]
    parsed = parse(join(header, _dated(lines, header, month_first)))
    assert parsed.quarantine.empty
    assert parsed.matches[c.DATE].tolist() == list(day_first)


def test_file_mixing_day_first_and_month_first_is_rejected(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    day_first = pd.to_datetime([field(line, header, "Date") for line in lines], format="%d/%m/%Y")
    assert (day_first.day > 12).any()
    mixed = [day.strftime("%m/%d/%Y" if i % 3 == 0 else "%d/%m/%Y") for i, day in enumerate(day_first)]
    parsed = parse(join(header, _dated(lines, header, mixed)))
    assert parsed.matches.empty and len(parsed.quarantine) == N_MATCHES
    assert (parsed.quarantine[c.FIELD] == "Date").all()
    assert "dates mix day-first and month-first order" in parsed.quarantine[c.REASON].iloc[0]


def test_a_single_month_first_date_rejects_the_file(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[9] = set_field(lines[9], header, "Date", "12/13/2023")  # 13 December, read month-first
    parsed = parse(join(header, lines))
    assert parsed.matches.empty
    assert "line 11 '12/13/2023' only month-first" in parsed.quarantine[c.REASON].iloc[0]


def test_dates_fitting_both_orders_reject_the_file(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    dates = ["05/01/2024", "06/01/2024", "07/01/2024", "08/02/2024"]  # 5 January or 1 May: both in season
    parsed = parse(join(header, _dated(lines[:4], header, dates)))
    assert parsed.matches.empty and parsed.quarantine[c.SOURCE_LINE].tolist() == [2, 3, 4, 5]
    assert (
        "every date reads both day-first and month-first (e.g. line 2 '05/01/2024')"
        in (parsed.quarantine[c.REASON].iloc[0])
    )
    straight_from_the_site = parse_football_data(
        join(header, _dated(lines[:4], header, dates)), SOURCE, SEASON, day_first_when_ambiguous=True
    )
    assert straight_from_the_site.matches[c.DATE].dt.strftime("%d/%m/%Y").tolist() == dates


def test_dates_the_season_window_decides_are_not_ambiguous(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    dates = ["05/08/2023", "06/08/2023", "12/12/2023", "01/02/2024"]  # month-first 8 May 2023: before 2324
    parsed = parse(join(header, _dated(lines[:4], header, dates)))
    assert parsed.quarantine.empty
    assert parsed.matches[c.DATE].dt.strftime("%d/%m/%Y").tolist() == dates


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("B365H", "1e300", "invalid price '1e+300'"),
        ("B365H", "1001", "invalid price '1001"),
        ("B365H", "inf", "invalid price 'inf'"),
        ("AHh", "1e39", "handicap line '1e+39' is not a quarter goal"),
        ("AHh", "-1.2", "handicap line '-1.2' is not a quarter goal"),
        ("AHh", "10.25", "handicap line '10.25' is not a quarter goal"),
        ("HS", "100", "not a whole number from 0 to 99"),
        ("HR", "12", "not a whole number from 0 to 11"),
        ("HY", "21", "not a whole number from 0 to 20"),
    ],
)
def test_values_out_of_bounds_are_dropped_before_any_database(
    league: SimulatedLeague, tmp_path: Path, column: str, value: str, reason: str
) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    plain = parse(join(header, lines))
    lines[4] = set_field(lines[4], header, column, value)
    parsed = parse(join(header, lines))
    assert len(parsed.matches) == N_MATCHES
    row = parsed.quarantine.iloc[0]
    assert (row[c.SOURCE_LINE], row[c.FIELD]) == (6, column) and reason in row[c.REASON]
    assert row[c.REASON].startswith(VALUE_DROPPED)
    odds = parsed.odds
    assert odds[c.PRICE].between(1, 1000, inclusive="right").all()
    handicap = odds.loc[odds[c.MARKET] == c.MARKET_ASIAN_HANDICAP, c.LINE]
    assert (handicap.abs() <= 10).all() and ((handicap * 4) % 1 == 0).all()
    assert len(odds) < len(plain.odds) or column in {"HS", "HR", "HY"}


def test_too_many_goals_reject_the_line(league: SimulatedLeague, tmp_path: Path) -> None:
    header, lines = split(file_bytes(league.matches, tmp_path))
    lines[2] = set_field(set_field(lines[2], header, "FTHG", "31"), header, "FTR", "H")
    parsed = parse(join(header, lines))
    assert len(parsed.matches) == N_MATCHES - 1
    assert "not a whole number from 0 to 30: '31'" in parsed.quarantine[c.REASON].iloc[0]


def test_over_under_column_with_an_impossible_line_is_not_a_price_column() -> None:
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365>" + "9" * 40 + ".5,B365>3.5"
    parsed = parse(f"{header}\nE0,13/08/2023,Arsenal,Chelsea,1,0,H,1.9,2.1\n".encode())
    assert parsed.odds[c.LINE].tolist() == [3.5]


@pytest.mark.parametrize(
    ("name", "kept"),
    [('"Arsenal"""', False), ('"Arsenal"', True), ('"Nott\'m Forest"', True), ('"Ars""enal"', False)],
)
def test_quoted_team_names_are_unescaped_as_rfc_4180_says(name: str, kept: bool) -> None:
    """RFC 4180: a doubled quote inside a quoted field is one quote, so ``"Arsenal\"\""`` is ``Arsenal\"``.

    A quote is no club's name: the line is rejected, no team ``Arsenal"`` is created.
    """
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR"
    content = f"{header}\nE0,12/08/2023,{name},Chelsea,1,0,H\nE0,13/08/2023,Everton,Fulham,0,0,D\n".encode()
    parsed = parse(content)
    unescaped = name[1:-1].replace('""', '"')
    assert set(parsed.matches[c.HOME]) == ({unescaped, "Everton"} if kept else {"Everton"})
    assert 'Arsenal"' not in set(parsed.matches[c.HOME])
    if not kept:
        row = parsed.quarantine.iloc[0]
        assert (row[c.SOURCE_LINE], row[c.FIELD]) == (2, "HomeTeam") and "not a club name" in row[c.REASON]


def test_malformed_quoting_rejects_the_line() -> None:
    header = "Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR"
    lines = [header, 'E0,12/08/2023,"Arse"nal,Chelsea,1,0,H', "E0,13/08/2023,Everton,Fulham,0,0,D"]
    content = "\n".join(lines).encode()
    parsed = parse(content)
    assert parsed.matches[c.HOME].tolist() == ["Everton"]
    assert parsed.quarantine[c.REASON].iloc[0].startswith("malformed quoting")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Div,Date,Home\rTeam,AwayTeam\nE0,12/08/2023,Arsenal,Chelsea\n", "header is not UTF-8 text"),
        (b'Div,Date,"HomeTeam,AwayTeam\nE0,12/08/2023,Arsenal,Chelsea\n', "header is not CSV"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\r\n\x00", "not a CSV file but gzip-compressed data"),
        ("Div,Date,HomeTeam,AwayTeam\n".encode("utf-16"), "not a CSV file but UTF-16 text"),
        (b"Div,Date,HomeTeam,AwayTeam,FTHG,FTHG\n", "header names FTHG more than once"),
    ],
)
def test_bad_headers_reject_the_file_without_raising(content: bytes, reason: str) -> None:
    parsed = parse(content)
    assert parsed.matches.empty and len(parsed.quarantine) == 1
    assert reason in parsed.quarantine[c.REASON].iloc[0]
    assert parsed.rejection is not None and reason in parsed.rejection


def test_file_over_the_size_limit_is_rejected_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scoreline.sources.football_data_parser.MAX_FILE_BYTES", 100)
    content = b"Div,Date,HomeTeam,AwayTeam\n" + b"E0,13/08/2023,Arsenal,Chelsea\n" * 10
    parsed = parse(content)
    assert parsed.matches.empty
    assert parsed.quarantine[c.REASON].iloc[0] == f"{FILE_REJECTED}: {len(content)} bytes, over 100"
