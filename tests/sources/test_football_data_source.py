"""Local discovery, cached HTTP downloads (httpx.MockTransport, no network), season ranges, column names."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from scoreline import columns as c
from scoreline.settings import get_settings
from scoreline.sources.football_data import (
    SourceFile,
    SourceUnavailableError,
    discover_folder,
    fetch_football_data,
    parse_source,
)
from scoreline.sources.odds_columns import classify_odds_columns, normalise_column_name
from scoreline.sources.seasons import parse_season_range

BODY = (
    b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\nE0,13/08/2023,Arsenal,Forest,2,1,H\n"  # 13/08: day-first only
)
URL = "https://www.football-data.co.uk/mmz4281/2324/E0.csv"


def test_discover_folder_finds_any_season_and_ignores_other_files(tmp_path: Path) -> None:
    for name in ("E0/2324.csv", "E0/9394.csv", "SP1/2425.csv", "E0/notes.csv", "E0/2324.json"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(BODY)
    (tmp_path / "manifest.csv").write_text("league,season\n")
    found = discover_folder(tmp_path)
    assert [source.source_file for source in found] == ["E0/2324.csv", "E0/9394.csv", "SP1/2425.csv"]
    assert found[0] == SourceFile("E0", "2324", "E0/2324.csv", tmp_path / "E0" / "2324.csv")
    assert found[0].read_bytes() == BODY
    parsed = parse_source(found[0])
    assert parsed.source_file == "E0/2324.csv" and parsed.matches[c.HOME].tolist() == ["Arsenal"]
    assert [s.source_file for s in discover_folder(tmp_path, leagues=["SP1"])] == ["SP1/2425.csv"]
    assert [s.source_file for s in discover_folder(tmp_path, seasons=["9394", "2425"])] == [
        "E0/9394.csv",
        "SP1/2425.csv",
    ]
    with pytest.raises(SourceUnavailableError, match="no football-data folder"):
        discover_folder(tmp_path / "missing")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("2324", ["2324"]),
        ("1516,1617", ["1516", "1617"]),
        ("1516-1920", ["1516", "1617", "1718", "1819", "1920"]),
        ("9899-0001", ["9899", "9900", "0001"]),
        ("2122, 1516-1617", ["2122", "1516", "1617"]),
    ],
)
def test_parse_season_range(spec: str, expected: list[str]) -> None:
    assert parse_season_range(spec) == expected


@pytest.mark.parametrize("spec", ["2325", "abcd", "2425-1516", "", "23-24"])
def test_parse_season_range_rejects_nonsense(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_season_range(spec)


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.Client:
    return httpx.Client(transport=httpx.MockTransport(handler))


def no_sleep(delays: list[float]) -> Callable[[float], None]:
    return delays.append


def test_download_is_cached_and_revalidated_with_etag() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(
            200, content=BODY, headers={"ETag": '"v1"', "Last-Modified": "Sat, 01 Jun 2024"}
        )

    first = fetch_football_data(["E0"], ["2324"], client=client_for(handler), sleep=no_sleep([]))
    cache = get_settings().cache_dir
    assert first == [SourceFile("E0", "2324", "E0/2324.csv", cache / "E0" / "2324.csv", day_first=True)]
    assert first[0].read_bytes() == BODY
    assert str(seen[0].url) == URL and "If-None-Match" not in seen[0].headers
    meta = json.loads((cache / "E0" / "2324.json").read_text())
    assert (meta["etag"], meta["last_modified"]) == ('"v1"', "Sat, 01 Jun 2024")

    second = fetch_football_data(["E0"], ["2324"], client=client_for(handler), sleep=no_sleep([]))
    assert seen[1].headers["If-None-Match"] == '"v1"'
    assert seen[1].headers["If-Modified-Since"] == "Sat, 01 Jun 2024"
    assert second == first and second[0].read_bytes() == BODY


EARLY_SEASON = (  # the first days of a season: every date fits both orders (11 Aug or 8 Nov?)
    b"Div,Date,HomeTeam,AwayTeam,FTHG,FTAG,FTR\n"
    b"E0,11/08/2023,Burnley,Man City,0,3,A\nE0,12/08/2023,Arsenal,Forest,2,1,H\n"
)


def test_a_downloaded_file_of_a_seasons_first_days_is_read_day_first(tmp_path: Path) -> None:
    """football-data.co.uk writes dates day first: its files are not refused before the 13th of August."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=EARLY_SEASON)

    downloaded = fetch_football_data(["E0"], ["2324"], client=client_for(handler), sleep=no_sleep([]))
    parsed = parse_source(downloaded[0])
    assert parsed.rejection is None
    assert [str(day.date()) for day in parsed.matches[c.DATE]] == ["2023-08-11", "2023-08-12"]
    (tmp_path / "E0").mkdir()
    (tmp_path / "E0" / "2324.csv").write_bytes(EARLY_SEASON)
    local = parse_source(discover_folder(tmp_path)[0])  # a folder of unknown origin: not guessed
    assert local.matches.empty and "order" in str(local.rejection)


def test_server_errors_and_timeouts_are_retried_with_backoff() -> None:
    answers: list[int | None] = [503, None, 502, 200]  # None: the request times out

    def handler(request: httpx.Request) -> httpx.Response:
        status = answers.pop(0)
        if status is None:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(status, content=BODY if status == 200 else b"")

    delays: list[float] = []
    found = fetch_football_data(["E0"], ["2324"], client=client_for(handler), sleep=delays.append)
    assert found[0].read_bytes() == BODY
    assert delays == [0.5, 1.0, 2.0] and not answers


def test_persistent_server_error_without_cache_raises() -> None:
    delays: list[float] = []
    with pytest.raises(SourceUnavailableError, match="answered HTTP 500"):
        fetch_football_data(
            ["E0"], ["2324"], client=client_for(lambda r: httpx.Response(500)), sleep=delays.append
        )
    assert len(delays) == get_settings().http_retries


def test_missing_season_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404) if "/9394/" in str(request.url) else httpx.Response(200, content=BODY)

    with caplog.at_level(logging.INFO):
        found = fetch_football_data(["E0"], ["9394", "2324"], client=client_for(handler), sleep=no_sleep([]))
    assert [source.season for source in found] == ["2324"]
    assert "E0/9394.csv: no such season" in caplog.text


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("[Errno -3] Temporary failure in name resolution", request=request)


def test_offline_without_cache_is_one_clear_error() -> None:
    with pytest.raises(SourceUnavailableError) as error:
        fetch_football_data(["E0"], ["2324"], client=client_for(offline), sleep=no_sleep([]))
    message = str(error.value)
    assert message.startswith("cannot reach www.football-data.co.uk (offline?): ")
    assert "name resolution" in message and "\n" not in message


def test_offline_with_cache_uses_it_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    fetch_football_data(["E0"], ["2324"], client=client_for(lambda r: httpx.Response(200, content=BODY)))
    with caplog.at_level(logging.WARNING):
        found = fetch_football_data(["E0"], ["2324"], client=client_for(offline), sleep=no_sleep([]))
    assert found[0].read_bytes() == BODY
    assert (
        "cannot reach www.football-data.co.uk (offline?)" in caplog.text
        and "using the cached copy" in caplog.text
    )


def test_base_url_and_timeout_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORELINE_FOOTBALL_DATA_URL", "http://mirror.test/files/")
    get_settings.cache_clear()
    urls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        urls.append(str(request.url))
        return httpx.Response(200, content=BODY)

    fetch_football_data(["SP1"], ["1516"], client=client_for(handler))
    assert urls == ["http://mirror.test/files/1516/SP1.csv"]
    with pytest.raises(ValueError, match="not a football-data league and season"):
        fetch_football_data(["../etc"], ["1516"], client=client_for(handler))


BOOKMAKER_COLUMNS = [
    ("B365H", "bet365", c.MARKET_1X2, c.OPENING, "home", None, None),
    ("B365CA", "bet365", c.MARKET_1X2, c.CLOSING, "away", None, None),
    ("PSH", "pinnacle", c.MARKET_1X2, c.OPENING, "home", None, None),
    ("PSCD", "pinnacle", c.MARKET_1X2, c.CLOSING, "draw", None, None),
    ("P>2.5", "pinnacle", c.MARKET_OVER_UNDER, c.OPENING, "over", 2.5, None),
    ("PC<2.5", "pinnacle", c.MARKET_OVER_UNDER, c.CLOSING, "under", 2.5, None),
    ("PAHH", "pinnacle", c.MARKET_ASIAN_HANDICAP, c.OPENING, "home", None, "AHh"),
    ("PCAHA", "pinnacle", c.MARKET_ASIAN_HANDICAP, c.CLOSING, "away", None, "AHCh"),
    ("AvgCH", "market_avg", c.MARKET_1X2, c.CLOSING, "home", None, None),
    ("BbAvA", "market_avg", c.MARKET_1X2, c.OPENING, "away", None, None),
    ("BbAv_2_5_1", "market_avg", c.MARKET_OVER_UNDER, c.OPENING, "under", 2.5, None),
    ("BbMx_2_5", "market_max", c.MARKET_OVER_UNDER, c.OPENING, "over", 2.5, None),
    ("BbMxAHH", "market_max", c.MARKET_ASIAN_HANDICAP, c.OPENING, "home", None, "BbAHh"),
    ("MaxC>2.5", "market_max", c.MARKET_OVER_UNDER, c.CLOSING, "over", 2.5, None),
    ("1XBCH", "1xbet", c.MARKET_1X2, c.CLOSING, "home", None, None),
    ("BFD", "betfair", c.MARKET_1X2, c.OPENING, "draw", None, None),
    ("BFECAHH", "betfair_exchange", c.MARKET_ASIAN_HANDICAP, c.CLOSING, "home", None, "AHCh"),
    ("BWA", "bwin", c.MARKET_1X2, c.OPENING, "away", None, None),
    ("IWCH", "interwetten", c.MARKET_1X2, c.CLOSING, "home", None, None),
    ("WHD", "william_hill", c.MARKET_1X2, c.OPENING, "draw", None, None),
    ("VCCA", "bet_victor", c.MARKET_1X2, c.CLOSING, "away", None, None),
    ("LBH", "ladbrokes", c.MARKET_1X2, c.OPENING, "home", None, None),
    ("LBAHH", "ladbrokes", c.MARKET_ASIAN_HANDICAP, c.OPENING, "home", None, "LBAH"),
    ("GB>2.5", "gamebookers", c.MARKET_OVER_UNDER, c.OPENING, "over", 2.5, None),
    ("ZZH", "zz", c.MARKET_1X2, c.OPENING, "home", None, None),  # unknown code with a full H/D/A set
]


def test_bookmaker_columns_are_named_and_classified() -> None:
    header = [normalise_column_name(column) for column, *_ in BOOKMAKER_COLUMNS]
    header += ["AHh", "AHCh", "BbAHh", "LBAH", "ZZD", "ZZA", "BbOU", "Bb1X2", "QQH", "HS", "Unnamed__54", ""]
    specs, unknown = classify_odds_columns(header, {"HS"})
    by_column = {spec.column: spec for spec in specs}
    for column, bookmaker, market, timing, outcome, line, line_column in BOOKMAKER_COLUMNS:
        spec = by_column[normalise_column_name(column)]
        assert (spec.bookmaker, spec.market, spec.timing, spec.outcome) == (
            bookmaker,
            market,
            timing,
            outcome,
        )
        assert (spec.line, spec.line_column) == (line, line_column), column
    assert unknown == ["QQH"]  # a lone unknown "H" column is not taken for a price
    assert normalise_column_name(" B365_2_5_1 ") == "B365<2.5" and normalise_column_name("GB_2_5") == "GB>2.5"
