"""The football-data.co.uk stand-in: what it serves on a given day, and its conditional GETs over HTTP."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest

from tests.staging.season_server import SeasonSite, serve

SEASON_PATH = "/mmz4281/2425/E0.csv"


@pytest.fixture
def site(shared_data: Path) -> SeasonSite:
    return SeasonSite.from_mirror(shared_data / "football-data", ["E0", "E1"], ["2425"])


def rows(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


@pytest.mark.shared_data
def test_results_appear_the_evening_they_happen(site: SeasonSite) -> None:
    site.now = datetime(2024, 8, 17, 22, 59)  # the opening Friday's result is out, Saturday's are not
    body = site.body(SEASON_PATH)
    assert body is not None
    assert [(r["HomeTeam"], r["FTR"]) for r in rows(body)] == [("Man United", "H")]
    site.now = datetime(2024, 8, 17, 23, 0)
    assert len(rows(site.body(SEASON_PATH) or b"")) == 1 + 6  # and Saturday's six games
    assert site.body("/mmz4281/2425/XX.csv") is None and site.body("/other.csv") is None


@pytest.mark.shared_data
def test_fixtures_list_the_coming_week_with_opening_prices_only(site: SeasonSite) -> None:
    site.now = datetime(2024, 9, 13, 6, 0)
    listed = rows(site.fixtures_body())
    days = {datetime.strptime(r["Date"], "%d/%m/%Y").date() for r in listed}
    assert min(days) >= date(2024, 9, 13) and max(days) < date(2024, 9, 20)
    assert {r["Div"] for r in listed} == {"E0", "E1"}
    assert sum(r["Div"] == "E0" for r in listed) == 10  # the round of 14-15 September
    header = list(listed[0])
    assert {"B365H", "PSH", "AvgH", "AHh"} <= set(header)
    assert not {"FTHG", "FTR", "HS", "PSCH", "B365CH", "AvgCH", "AHCh"} & set(header)


@pytest.mark.shared_data
def test_etag_and_last_modified_answer_304_until_the_body_changes(site: SeasonSite) -> None:
    site.now = datetime(2024, 9, 14, 6, 0)
    with serve(site) as base_url, httpx.Client(base_url=base_url) as client:
        first = client.get(SEASON_PATH)
        assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
        assert client.get(SEASON_PATH, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        since = {"If-Modified-Since": first.headers["Last-Modified"]}
        assert client.get(SEASON_PATH, headers=since).status_code == 304
        site.now = datetime(2024, 9, 15, 6, 0)  # Saturday's results are out
        changed = client.get(SEASON_PATH, headers={"If-None-Match": first.headers["ETag"]})
        assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
        assert len(rows(changed.content)) == len(rows(first.content)) + 8
        assert client.get("/mmz4281/2425/XX.csv").status_code == 404
    counts = site.downloads()
    assert counts[(SEASON_PATH, date(2024, 9, 14))] == 1 and counts[(SEASON_PATH, date(2024, 9, 15))] == 1
    assert site.downloads(304)[(SEASON_PATH, date(2024, 9, 14))] == 2
