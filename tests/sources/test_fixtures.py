"""football-data's fixtures.csv: parsed with the site's quirks, bad rows quarantined, fetched with a cache."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.settings import get_settings
from scoreline.simulate import simulate_league
from scoreline.sources.fixtures import FIXTURE_COLUMNS, parse_fixtures
from scoreline.sources.football_data import SourceUnavailableError, fetch_fixtures, folder_fixtures
from scoreline.sources.seasons import season_of_date
from tests.sources.fixtures_csv import fixtures_table, write_fixtures_csv

FIXTURES_URL = "https://www.football-data.co.uk/fixtures.csv"


@pytest.fixture(scope="module")
def last_round() -> pd.DataFrame:
    """The last two rounds of a simulated 8-team season, as E0 and as SP1 (16 fixtures)."""
    matches = simulate_league(n_teams=8, seasons=("2425",), seed=4).matches.tail(8)
    return pd.concat([matches, matches.assign(**{c.LEAGUE: "SP1"})], ignore_index=True)


def test_season_of_date_starts_seasons_in_july() -> None:
    assert season_of_date(date(2025, 6, 30)) == "2425"
    assert season_of_date(date(2025, 7, 1)) == "2526"
    assert season_of_date(pd.Timestamp("1999-12-31 20:00")) == "9900"


def test_fixtures_csv_with_the_sites_quirks_parses_into_fixtures_and_odds(
    last_round: pd.DataFrame, tmp_path: Path
) -> None:
    table = fixtures_table(last_round)
    table.loc[0, "HomeTeam"] = "Man Utd"  # another spelling, mapped like in season files
    content = write_fixtures_csv(table, tmp_path / "fixtures.csv")
    assert content.startswith(b"\xef\xbb\xbf") and b"\r\n" in content and b"  ," in content
    parsed = parse_fixtures(content)
    assert parsed.leagues == ("E0", "SP1") and parsed.rows_read == 16 and parsed.quarantine.empty
    fixtures = parsed.fixtures
    assert list(fixtures.columns) == list(FIXTURE_COLUMNS) and len(fixtures) == 16
    expected = last_round.assign(**{c.SOURCE_LINE: range(2, 18)}).copy()
    expected.loc[0, c.HOME] = "Man United"
    expected = expected.sort_values([c.KICKOFF, c.LEAGUE, c.HOME], kind="stable").reset_index(drop=True)
    for name in (c.LEAGUE, c.DATE, c.KICKOFF, c.HOME, c.AWAY, c.SOURCE_LINE):
        assert fixtures[name].tolist() == expected[name].tolist(), name
    assert set(fixtures[c.SEASON]) == {"2425"} and fixtures[c.HAS_TIME].all()
    assert set(fixtures[c.SOURCE_FILE]) == {"fixtures.csv"}
    odds = parsed.odds
    assert set(odds[c.TIMING]) == {c.OPENING}  # closing prices are blank before the match
    bet365 = odds[(odds[c.BOOKMAKER] == "bet365") & (odds[c.MARKET] == c.MARKET_1X2)]
    first = bet365[(bet365[c.LEAGUE] == "E0") & (bet365[c.HOME] == "Man United")]
    prices = first.set_index(c.OUTCOME)[c.PRICE]
    assert [prices["home"], prices["draw"], prices["away"]] == [
        float(table.loc[0, f"B365{s}"]) for s in "HDA"
    ]
    assert len(bet365) == 3 * 16


def test_season_comes_from_each_rows_date(last_round: pd.DataFrame) -> None:
    rows = last_round.head(2).copy()
    rows[c.DATE] = [pd.Timestamp("2025-05-25"), pd.Timestamp("2025-08-16")]
    rows[c.KICKOFF] = rows[c.DATE] + pd.Timedelta(hours=15)
    parsed = parse_fixtures(write_fixtures_csv(fixtures_table(rows), Path("/dev/null")))
    assert parsed.fixtures[c.SEASON].tolist() == ["2425", "2526"] and parsed.quarantine.empty


def test_bad_rows_are_quarantined_with_line_field_and_reason_and_the_good_rows_kept(
    last_round: pd.DataFrame,
) -> None:
    table = fixtures_table(last_round)
    table.loc[1, "Date"] = "31/02/2025"  # line 3: impossible date, rejected
    table.loc[2, "Div"] = ""  # line 4: no league, rejected
    table.loc[3, "AwayTeam"] = table.loc[3, "HomeTeam"]  # line 5: a team against itself, rejected
    table.loc[9, "B365H"] = "abc"  # line 11: the price is dropped, the fixture kept
    parsed = parse_fixtures(write_fixtures_csv(table, Path("/dev/null")))
    quarantine = parsed.quarantine
    assert quarantine[[c.SOURCE_LINE, c.FIELD]].values.tolist() == [
        [3, "Date"],
        [4, "Div"],
        [5, "AwayTeam"],
        [11, "B365H"],
    ]
    reasons = quarantine[c.REASON].tolist()
    assert "impossible or unreadable date '31/02/2025'" in reasons[0]
    assert reasons[1] == "Div: missing league code"
    assert "home and away are the same team" in reasons[2]
    assert reasons[3].startswith("value dropped: invalid price 'abc'")
    assert set(quarantine[c.SOURCE_FILE]) == {"fixtures.csv"}
    assert quarantine.loc[0, c.RAW].startswith("E0,31/02/2025,")
    assert sorted(parsed.fixtures[c.SOURCE_LINE]) == [2, *range(6, 18)]
    assert parsed.rows_read == 16 and parsed.leagues == ("E0", "SP1")
    kept = parsed.odds[(parsed.odds[c.BOOKMAKER] == "bet365") & (parsed.odds[c.MARKET] == c.MARKET_1X2)]
    assert len(kept) == 3 * 13 - 1


def test_files_that_are_not_a_fixtures_csv_give_one_quarantine_row() -> None:
    empty = parse_fixtures(b"\xef\xbb\xbf,,,\r\n")
    assert empty.fixtures.empty and empty.leagues == ()
    assert empty.quarantine[[c.SOURCE_LINE, c.FIELD, c.REASON]].values.tolist() == [[0, "file", "empty file"]]
    no_div = parse_fixtures(b"Date,HomeTeam,AwayTeam\n12/04/2025,Arsenal,Chelsea\n")
    assert no_div.fixtures.empty and no_div.leagues == ()
    assert no_div.quarantine[[c.SOURCE_LINE, c.FIELD]].values.tolist() == [[1, "header"]]
    assert "header lacks Div" in no_div.quarantine.loc[0, c.REASON]


# --- fetching ------------------------------------------------------------------------------------------


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)


BODY = (
    b"Div,Date,Time,HomeTeam,AwayTeam,FTHG,FTAG,FTR,B365H,B365D,B365A\n"
    b"E0,12/04/2025,15:00,Arsenal,Chelsea,,,,2.1,3.4,3.5\n"
)


def test_fixtures_are_downloaded_cached_and_revalidated(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("If-None-Match") == '"w1"':
            return httpx.Response(304)
        return httpx.Response(200, content=BODY, headers={"ETag": '"w1"'})

    first = fetch_fixtures(client=client_for(handler), sleep=lambda _: None)
    assert str(seen[0].url) == FIXTURES_URL
    assert first.path == get_settings().cache_dir / "fixtures.csv" and first.read_bytes() == BODY
    second = fetch_fixtures(client=client_for(handler), sleep=lambda _: None)
    assert seen[1].headers["If-None-Match"] == '"w1"' and second.read_bytes() == BODY
    with caplog.at_level(logging.WARNING):
        third = fetch_fixtures(client=client_for(offline), sleep=lambda _: None)
    assert third.read_bytes() == BODY and "using the cached copy" in caplog.text
    parsed = parse_fixtures(third.read_bytes(), third.source_file)
    assert parsed.fixtures[[c.HOME, c.AWAY]].values.tolist() == [["Arsenal", "Chelsea"]]


def test_fixtures_unavailable_without_cache_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError, match=r"^cannot reach www.football-data.co.uk \(offline\?\)"):
        fetch_fixtures(client=client_for(offline), sleep=lambda _: None)
    with pytest.raises(SourceUnavailableError, match="answered HTTP 404"):
        fetch_fixtures(client=client_for(lambda r: httpx.Response(404)), sleep=lambda _: None)
    with pytest.raises(SourceUnavailableError, match=r"no fixtures\.csv in"):
        folder_fixtures(tmp_path)
    (tmp_path / "fixtures.csv").write_bytes(BODY)
    assert folder_fixtures(tmp_path).read_bytes() == BODY
