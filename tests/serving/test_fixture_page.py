"""The dashboard's fixture page: score heatmap, 1X2 / goal lines / handicaps beside the store's prices, form,
ratings; its query form; unknown names; the SVG plots it is drawn with."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from pydantic import SecretStr

from scoreline import columns as c
from scoreline.features.build import build_features
from scoreline.odds import devig
from scoreline.serving import create_app, plots
from scoreline.serving.api.routes.fixture import fixture_url
from scoreline.serving.fixture_page import HEATMAP_GOALS, recent_form
from scoreline.settings import Settings

from .conftest import API_KEY, ModelsInMemory, write_to_store

MARGIN = 1.05  # the simulated bookmaker's overround
OVER_LINE, HANDICAP_LINE = 2.5, -0.5


def _long(
    rows: pd.DataFrame, market: str, line: float, timing: str, prices: dict[str, np.ndarray]
) -> pd.DataFrame:
    parts = []
    for outcome, price in prices.items():
        part = rows[list(c.MATCH_KEY)].copy()
        part[c.BOOKMAKER], part[c.MARKET], part[c.LINE] = "pinnacle", market, line
        part[c.TIMING], part[c.OUTCOME], part[c.PRICE] = timing, outcome, price
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def simulated_odds(rows: pd.DataFrame) -> pd.DataFrame:
    """Pinnacle's prices of every match: 1X2 opening and closing, over/under 2.5, handicap -0.5 opening."""
    truth = {o: rows[f"true_p_{o}"].to_numpy() for o in c.OUTCOMES}
    one_x_two = {o: 1 / (p * MARGIN) for o, p in truth.items()}
    closing = {o: 1 / (p * MARGIN * 1.01) for o, p in truth.items()}
    over = np.full(len(rows), 0.5)
    parts = [
        _long(rows, c.MARKET_1X2, np.nan, c.OPENING, one_x_two),
        _long(rows, c.MARKET_1X2, np.nan, c.CLOSING, closing),
        _long(
            rows,
            c.MARKET_OVER_UNDER,
            OVER_LINE,
            c.OPENING,
            {"over": 1.9 + over * 0, "under": 1.95 + over * 0},
        ),
        _long(
            rows,
            c.MARKET_ASIAN_HANDICAP,
            HANDICAP_LINE,
            c.OPENING,
            {"home": 2.02 + over * 0, "away": 1.88 + over * 0},
        ),
    ]
    return pd.concat(parts, ignore_index=True).loc[:, list(c.ODDS_COLUMNS)]


@pytest.fixture(scope="module")
def priced_store(tmp_path_factory: pytest.TempPathFactory, league_matches: pd.DataFrame) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('fixture_store') / 'scoreline.duckdb'}"
    write_to_store(url, league_matches, simulated_odds)
    return url


@pytest.fixture
def priced_client(isolated_home: Path, priced_store: str, provider: ModelsInMemory) -> TestClient:
    settings = Settings(home=isolated_home, db_url=priced_store, api_key=SecretStr(API_KEY))
    with TestClient(create_app(settings, provider)) as client:
        yield client


def played_match(matches: pd.DataFrame) -> pd.Series:
    """A played match of the second season, well after the first (so both teams have form and ratings)."""
    played = matches[matches[c.HOME_GOALS].notna()]
    return played.iloc[len(played) - 40]


def page_of(client: TestClient, match: pd.Series) -> str:
    response = client.get(
        fixture_url(match[c.LEAGUE], f"{match[c.DATE]:%Y-%m-%d}", match[c.HOME], match[c.AWAY])
    )
    assert response.status_code == 200, response.text[:2000]
    return response.text


def cell_values(html: str) -> dict[tuple[int, int], float]:
    cells = re.findall(r'data-home="(\d+)" data-away="(\d+)"><title>\d+–\d+: ([0-9.]+)%</title>', html)
    return {(int(h), int(a)): float(p) / 100 for h, a, p in cells}


def test_played_match_shows_heatmap_prices_form_and_ratings(
    priced_client: TestClient, league_matches: pd.DataFrame, fitted_models: dict[str, Any]
) -> None:
    match = played_match(league_matches)
    html = page_of(priced_client, match)
    Path("/tmp/fx.html").write_text(html)  # DEBUG
    model = fitted_models["dixon_coles"]  # the champion (version 2)
    frame = league_matches.loc[[match.name]]
    grid = model.predict_grid(frame).probabilities[0]
    cells = cell_values(html)
    assert len(cells) == (HEATMAP_GOALS + 1) ** 2
    assert cells[(1, 1)] == pytest.approx(grid[1, 1], abs=6e-4)
    result = (int(match[c.HOME_GOALS]), int(match[c.AWAY_GOALS]))
    assert f'<strong id="result">{result[0]}–{result[1]}</strong>' in html
    assert 'class="result"' in html  # the result's cell is outlined (every simulated score fits 0..6 here)

    one_x_two = html.split('id="one-x-two"', 1)[1].split("</table>", 1)[0]
    home_p = model.predict_proba(frame)[0, 0]
    assert f"{100 * home_p:.1f}%" in one_x_two and f"{1 / home_p:.2f}" in one_x_two
    opening, closing = 1 / (match["true_p_home"] * MARGIN), 1 / (match["true_p_home"] * MARGIN * 1.01)
    assert f"{opening:.2f} → {closing:.2f}" in one_x_two
    closing_triple = [[1 / (match[f"true_p_{o}"] * MARGIN * 1.01) for o in c.OUTCOMES]]
    assert f"{100 * devig(np.array(closing_triple))[0, 0]:.1f}%" in one_x_two  # closing prices, Shin

    totals = html.split('id="totals"', 1)[1].split("</table>", 1)[0]
    over = grid[np.add.outer(np.arange(len(grid)), np.arange(len(grid))) > OVER_LINE].sum()
    assert f"{100 * over:.1f}%" in totals and "1.90" in totals and "1.95" in totals
    assert totals.count('<th scope="row">') == 2 * 3  # over and under of 1.5, 2.5, 3.5
    handicaps = html.split('id="handicaps"', 1)[1].split("</table>", 1)[0]
    assert (
        f"{escape(match[c.HOME])}\u00a0-0.5" in handicaps
        and f"{escape(match[c.AWAY])}\u00a0+0.5" in handicaps
    )
    home_margin = np.subtract.outer(np.arange(len(grid)), np.arange(len(grid)))
    assert f"{100 * grid[home_margin > 0].sum():.1f}%" in handicaps and "2.02" in handicaps

    history = league_matches[league_matches[c.DATE] < match[c.DATE]]
    for team in (match[c.HOME], match[c.AWAY]):
        last = history[(history[c.HOME] == team) | (history[c.AWAY] == team)].iloc[-1]
        at_home = last[c.HOME] == team
        score = (
            (last[c.HOME_GOALS], last[c.AWAY_GOALS]) if at_home else (last[c.AWAY_GOALS], last[c.HOME_GOALS])
        )
        row = recent_form(history, team)[0]
        assert (row.opponent, row.score, row.venue) == (
            last[c.AWAY] if at_home else last[c.HOME],
            f"{score[0]}–{score[1]}",
            "H" if at_home else "A",
        )
        assert f"<td>{escape(row.opponent)}</td>" in html.split('id="form"', 1)[1]
    elo = build_features(league_matches, groups=("elo",), cutoff=match[c.DATE]).loc[match.name, "elo_home"]
    assert f"{escape(match[c.HOME])} <strong>{elo:.0f}</strong>" in html
    chart = html.split('id="rating-chart"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<polyline") == 2 and "Elo rating" in chart and "match day" in chart


def test_upcoming_fixture_has_no_result_and_names_are_case_insensitive(
    priced_client: TestClient, league_matches: pd.DataFrame
) -> None:
    match = league_matches[league_matches[c.HOME_GOALS].isna()].iloc[0]
    response = priced_client.get(
        fixture_url(
            match[c.LEAGUE].lower(), f"{match[c.DATE]:%Y-%m-%d}", match[c.HOME].upper(), match[c.AWAY]
        )
    )
    assert response.status_code == 200
    assert 'id="result"' not in response.text and 'class="result"' not in response.text
    assert len(cell_values(response.text)) == (HEATMAP_GOALS + 1) ** 2
    assert f"<h2>{escape(match[c.HOME])} v {escape(match[c.AWAY])}</h2>" in response.text


class FixedOutcomes:
    """A model without score grids: the same 1X2 probabilities for every match."""

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        return np.tile([0.5, 0.3, 0.2], (len(matches), 1))


def test_a_model_without_score_grids_shows_its_1x2_and_says_why_the_rest_is_missing(
    isolated_home: Path, priced_store: str, league_matches: pd.DataFrame
) -> None:
    settings = Settings(home=isolated_home, db_url=priced_store, api_key=SecretStr(API_KEY))
    provider = ModelsInMemory({1: ("fixed", FixedOutcomes())}, {"champion": 1})
    with TestClient(create_app(settings, provider)) as client:
        html = page_of(client, played_match(league_matches))
    assert "model fixed gives 1X2 probabilities only" in html
    assert 'id="score-heatmap"' not in html and 'id="totals"' not in html and 'id="handicaps"' not in html
    one_x_two = html.split('id="one-x-two"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<td class="num">([0-9.]+%)</td><td class="num">[0-9.]+</td>', one_x_two) == [
        "50.0%",
        "30.0%",
        "20.0%",
    ]
    assert 'id="rating-chart"' in html and html.count('class="form-table"') == 2


def test_a_day_without_that_match_still_gets_the_models_view(
    priced_client: TestClient, league_matches: pd.DataFrame
) -> None:
    match = played_match(league_matches)
    response = priced_client.get(fixture_url("E0", "2030-01-05", match[c.AWAY], match[c.HOME]))
    assert response.status_code == 200
    assert "not in the store's schedule" in response.text and 'id="result"' not in response.text
    assert len(cell_values(response.text)) == (HEATMAP_GOALS + 1) ** 2
    assert "none in the store for this match" in response.text


def test_unknown_names_answer_404_with_suggestions(
    priced_client: TestClient, league_matches: pd.DataFrame
) -> None:
    team = str(league_matches[c.HOME].iloc[0])
    response = priced_client.get(fixture_url("E0", "2025-01-01", team[:-1], team))
    assert response.status_code == 404
    assert escape(f"unknown team {team[:-1]!r} in E0; did you mean {team}?") in response.text
    assert (
        escape("unknown league 'XX'") in priced_client.get(fixture_url("XX", "2025-01-01", team, team)).text
    )


def test_the_query_form_redirects_to_the_fixture_page(priced_client: TestClient) -> None:
    empty = priced_client.get("/fixtures")
    assert empty.status_code == 200 and '<form method="get" action="/fixtures"' in empty.text
    query = {"league": "E0", "date": "2025-03-01", "home": "A/B", "away": "C D"}
    response = priced_client.get("/fixtures", params=query, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/fixtures/E0/2025-03-01/A%2FB/C%20D"
    bad = priced_client.get("/fixtures", params={**query, "date": "March"})
    assert bad.status_code == 422 and "is not YYYY-MM-DD" in bad.text


def test_nice_ticks_are_round_and_inside_the_range() -> None:
    assert plots.nice_ticks(0.0, 1.0) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert plots.nice_ticks(1432.0, 1611.0) == [1450.0, 1500.0, 1550.0, 1600.0]
    assert plots.nice_ticks(0.193, 0.207) == [0.194, 0.196, 0.198, 0.2, 0.202, 0.204, 0.206]


def test_line_chart_has_axis_values_titles_and_clipped_lines() -> None:
    series = [plots.Series("model", "#1f77b4", [(0, 0.2), (1, 0.25), (2, 0.19)])]
    svg = str(
        plots.line_chart(series, label="RPS", x_title="date", y_title="RPS", x_ticks=[(0, "a"), (2, "b")])
    )
    assert re.findall(r'class="tick" text-anchor="end">([0-9.]+)<', svg) == [
        "0.190",
        "0.200",
        "0.210",
        "0.220",
        "0.230",
        "0.240",
        "0.250",
    ]
    assert ">date<" in svg and ">RPS<" in svg and 'clip-path="url(#clip' in svg
    assert "style=" not in svg
    xs = [float(x) for x in re.findall(r"(\d+\.\d),\d+\.\d", svg.split("<polyline", 1)[1].split("/>", 1)[0])]
    assert min(xs) >= 76 and max(xs) <= 480 - 12


def test_heatmap_escapes_labels_and_colours_by_probability() -> None:
    svg = str(plots.heatmap([[0.5, 0.1], [0.3, 0.1]], label="<b>", row_title="home", column_title="away"))
    assert svg.count('class="cell"') == 4 and "&lt;b&gt;" in svg and "<b>" not in svg
    fills = re.findall(r'fill="(#[0-9a-f]{6})" class="cell"', svg)
    assert fills[0] == "#084594" and fills[1] == fills[3] != fills[0] != fills[2]
