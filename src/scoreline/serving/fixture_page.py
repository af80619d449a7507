"""The dashboard's fixture page: one match as the served model sees it, beside the market.

For one match (league, day, home, away) the page shows the model's score-probability matrix (goal models),
its 1X2, over/under and Asian handicap probabilities with fair prices beside the store's bookmaker prices
(opening and closing, Pinnacle else the market average else any bookmaker), each team's recent results and
its Elo rating before each of its recent matches (``features.elo``, only matches before the day).

:func:`read_match_data` does the store I/O; :func:`build_fixture_page` is pure and takes what it read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from scoreline import columns as c
from scoreline.models.grid import ScoreGrid
from scoreline.odds import devig
from scoreline.serving import plots
from scoreline.serving.service import Fixture, PredictionService, fixtures_frame
from scoreline.serving.snapshot import closest
from scoreline.sources.seasons import season_of_date

if TYPE_CHECKING:
    from scoreline.store import Store

HEATMAP_GOALS = 6  # the matrix shows 0..6 goals a side
FORM_MATCHES = 6
RATING_MATCHES = 20
TOTAL_LINES = (1.5, 2.5, 3.5)
BOOKMAKER_PREFERENCE = ("pinnacle", "market_avg")
HOME_COLOUR, AWAY_COLOUR = "#1f77b4", "#d62728"
NBSP = "\u00a0"  # keeps a selection's last word with its line ("over 2.5") on narrow screens


class FixtureNotFoundError(LookupError):
    """An unknown league or team name (with the closest known names)."""


class StoreReadError(RuntimeError):
    """The store could not be read."""


@dataclass(frozen=True)
class MatchData:
    """What the store holds for the page: the league's matches (all seasons), the match's odds (long) and
    the match's kickoff, season and result (the day and its season when the store has neither the match nor
    a scheduled fixture on that day: ``scheduled`` is then false)."""

    league: str
    home: str
    away: str
    day: pd.Timestamp
    season: str
    matches: pd.DataFrame
    odds: pd.DataFrame
    kickoff: datetime
    result: tuple[int, int] | None
    scheduled: bool


@dataclass(frozen=True)
class PriceRow:
    """One selection: the model's probability and fair price beside the market's prices and probability."""

    label: str
    model_probability: float | None
    fair_price: float | None
    opening: float | None
    closing: float | None
    market_probability: float | None


@dataclass(frozen=True)
class FormRow:
    """One recent match of a team, from the team's side: ``W``/``D``/``L``."""

    date: str
    venue: str
    opponent: str
    score: str
    result: str


@dataclass
class FixturePage:
    """Everything the fixture template shows; ``problems`` say why a part is missing."""

    league: str
    home: str
    away: str
    day: str
    kickoff: str
    scheduled: bool
    result: tuple[int, int] | None = None
    model: str | None = None
    expected_goals: tuple[float, float] | None = None
    heatmap: Markup | None = None
    beyond_heatmap: float | None = None
    one_x_two: list[PriceRow] = field(default_factory=list)
    one_x_two_bookmaker: str | None = None
    totals: list[tuple[PriceRow, PriceRow]] = field(default_factory=list)
    handicaps: list[tuple[PriceRow, PriceRow]] = field(default_factory=list)
    form: dict[str, list[FormRow]] = field(default_factory=dict)
    rating_chart: Markup | None = None
    rating_legend: Markup | None = None
    ratings: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    heatmap_goals: int = HEATMAP_GOALS
    form_matches: int = FORM_MATCHES


def _resolve(name: str, known: list[str], kind: str, league: str | None = None) -> str:
    by_folded = {k.casefold(): k for k in known}
    found = by_folded.get(name.strip().casefold())
    if found is None:
        suggestions = closest(name, known)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        where = f" in {league}" if league else ""
        raise FixtureNotFoundError(f"unknown {kind} {name!r}{where}{hint}")
    return found


def read_match_data(url: str, league: str, day: pd.Timestamp, home: str, away: str) -> MatchData:
    """Read the league's matches, the match's odds and its scheduled fixture from the store at ``url``.

    Names are matched case-insensitively; unknown ones raise :class:`FixtureNotFoundError`, a store that
    cannot be read :class:`StoreReadError`.
    """
    from scoreline.store import Store

    try:
        return _read_match_data(Store.from_url(url), league, pd.Timestamp(day).normalize(), home, away)
    except FixtureNotFoundError:
        raise
    except Exception as error:  # the store's driver errors; their text may hold the URL
        raise StoreReadError(f"cannot read the store ({type(error).__name__})") from error


def _read_match_data(store: Store, league: str, day: pd.Timestamp, home: str, away: str) -> MatchData:
    with store:
        code = league.strip().upper()  # division codes are upper case (E0, SP1)
        matches = store.read_matches(leagues=[code])
        if matches.empty:  # the store's leagues only now: reading them costs more than a league's matches
            _resolve(league, sorted(set(store.summary()[c.LEAGUE].astype(str))), "league")
            raise FixtureNotFoundError(f"no {code} matches in the store")
        teams = sorted(set(matches[c.HOME].astype(str)) | set(matches[c.AWAY].astype(str)))
        home_name = _resolve(home, teams, "team", code)
        away_name = _resolve(away, teams, "team", code)
        key = (matches[c.DATE] == day) & (matches[c.HOME] == home_name) & (matches[c.AWAY] == away_name)
        row = matches[key]
        odds = pd.DataFrame(columns=list(c.ODDS_COLUMNS))
        kickoff, result, scheduled, season = day.to_pydatetime(), None, False, season_of_date(day)
        if not row.empty:
            found = row.iloc[0]
            kickoff, scheduled, season = (
                pd.Timestamp(found[c.KICKOFF]).to_pydatetime(),
                True,
                str(found[c.SEASON]),
            )
            if pd.notna(found[c.HOME_GOALS]) and pd.notna(found[c.AWAY_GOALS]):
                result = (int(found[c.HOME_GOALS]), int(found[c.AWAY_GOALS]))
            odds = store.read_odds(leagues=[code], seasons=[str(found[c.SEASON])])
        if odds.empty or not _of_match(odds, day, home_name, away_name).any():
            fixtures = store.read_fixtures(leagues=[code], include_played=True)
            planned = fixtures[
                (fixtures[c.DATE] == day) & (fixtures[c.HOME] == home_name) & (fixtures[c.AWAY] == away_name)
            ]
            if not planned.empty:
                kickoff, scheduled = pd.Timestamp(planned.iloc[0][c.KICKOFF]).to_pydatetime(), True
                season = str(planned.iloc[0][c.SEASON])
                odds = store.read_fixture_odds(leagues=[code])
    odds = odds[_of_match(odds, day, home_name, away_name)] if not odds.empty else odds
    return MatchData(code, home_name, away_name, day, season, matches, odds, kickoff, result, scheduled)


def _of_match(odds: pd.DataFrame, day: pd.Timestamp, home: str, away: str) -> pd.Series:
    return (
        (pd.to_datetime(odds[c.DATE]).dt.normalize() == day) & (odds[c.HOME] == home) & (odds[c.AWAY] == away)
    )


def build_fixture_page(
    data: MatchData, service: PredictionService | None, model_problem: str | None
) -> FixturePage:
    """The page of the match in ``data`` as ``service``'s model sees it (``model_problem`` if none)."""
    page = FixturePage(
        league=data.league,
        home=data.home,
        away=data.away,
        day=f"{data.day:%Y-%m-%d}",
        kickoff=f"{data.kickoff:%a %d %b %Y %H:%M}"
        if data.kickoff != data.day
        else f"{data.day:%a %d %b %Y}",
        scheduled=data.scheduled,
        result=data.result,
    )
    book = _bookmaker_odds(data.odds)
    if service is None:
        page.problems.append(model_problem or "no model loaded")
    else:
        _model_part(page, data, service, book)
    history = data.matches[data.matches[c.DATE] < data.day]
    page.form = {team: recent_form(history, team) for team in (data.home, data.away)}
    _rating_part(page, data)
    return page


def _bookmaker_odds(odds: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per market, the rows of the preferred bookmaker that quotes it (Pinnacle, the average, else any)."""
    chosen: dict[str, pd.DataFrame] = {}
    for market in c.MARKETS:
        rows = odds[odds[c.MARKET] == market] if not odds.empty else odds
        if rows.empty:
            continue
        books = list(dict.fromkeys(rows[c.BOOKMAKER].astype(str)))
        best = next((b for b in BOOKMAKER_PREFERENCE if b in books), sorted(books)[0])
        chosen[market] = rows[rows[c.BOOKMAKER] == best]
    return chosen


def _price(rows: pd.DataFrame | None, outcome: str, timing: str, line: float | None = None) -> float | None:
    if rows is None or rows.empty:
        return None
    mask = (rows[c.OUTCOME] == outcome) & (rows[c.TIMING] == timing)
    if line is not None:
        mask &= np.isclose(rows[c.LINE].astype(float), line)
    found = rows.loc[mask, c.PRICE]
    return float(found.iloc[0]) if not found.empty and float(found.iloc[0]) > 1.0 else None


def _fair(prices: list[float | None]) -> list[float | None]:
    """De-vigged (Shin) probabilities of one market's prices, ``None`` when any price is missing."""
    if any(p is None for p in prices):
        return [None] * len(prices)
    fair = devig(np.array([prices], dtype=float))[0]
    return [None if not np.isfinite(v) else float(v) for v in fair]


def _market_pair(rows: pd.DataFrame | None, outcomes: tuple[str, ...], line: float | None) -> list[tuple[
        float | None, float | None, float | None]]:  # fmt: skip
    """Per outcome: opening price, closing price, de-vigged probability (closing prices, else opening)."""
    opening = [_price(rows, o, c.OPENING, line) for o in outcomes]
    closing = [_price(rows, o, c.CLOSING, line) for o in outcomes]
    fair = _fair(closing) if all(p is not None for p in closing) else _fair(opening)
    return list(zip(opening, closing, fair, strict=True))


def _model_part(
    page: FixturePage, data: MatchData, service: PredictionService, book: dict[str, pd.DataFrame]
) -> None:
    handle = service.handle
    page.model = f"{handle.name} version {handle.version}"
    fixture = Fixture(data.league, data.home, data.away, data.kickoff, _opening_1x2(book.get(c.MARKET_1X2)))
    try:
        prediction = service.predict([fixture])[0]
    except ValueError as error:  # a market model without usable opening odds
        page.problems.append(str(error))
        return
    model = (prediction.home, prediction.draw, prediction.away)
    market = _market_pair(book.get(c.MARKET_1X2), c.OUTCOMES, None)
    labels = (f"{data.home}{NBSP}win", "draw", f"{data.away}{NBSP}win")
    page.one_x_two = [
        PriceRow(label, p, 1.0 / p if p > 0 else None, *m)
        for label, p, m in zip(labels, model, market, strict=True)
    ]
    if c.MARKET_1X2 in book:
        page.one_x_two_bookmaker = str(book[c.MARKET_1X2][c.BOOKMAKER].iloc[0])
    if not service.is_goal_model:
        page.problems.append(
            f"model {handle.name} gives 1X2 probabilities only: no score matrix or goal lines"
        )
        return
    estimator = handle.estimator
    if service.predicts_teams:
        grid = estimator.predict_teams(
            np.array([data.home], dtype=object),
            np.array([data.away], dtype=object),
            np.array([data.league], dtype=object),
        )
    else:
        grid = estimator.predict_grid(fixtures_frame([fixture], with_prices=service.needs_opening_prices))
    _goal_part(page, grid, book)


def _opening_1x2(rows: pd.DataFrame | None) -> tuple[float, float, float] | None:
    prices = [_price(rows, o, c.OPENING) for o in c.OUTCOMES]
    return None if any(p is None for p in prices) else (prices[0], prices[1], prices[2])  # type: ignore[return-value]


def _goal_part(page: FixturePage, grid: ScoreGrid, book: dict[str, pd.DataFrame]) -> None:
    matrix = grid.probabilities[0]
    shown = matrix[: HEATMAP_GOALS + 1, : HEATMAP_GOALS + 1]
    page.expected_goals = (float(grid.expected_goals[0, 0]), float(grid.expected_goals[0, 1]))
    page.beyond_heatmap = float(1.0 - shown.sum())
    page.heatmap = plots.heatmap(
        shown.tolist(),
        label=f"Score probabilities, {page.home} v {page.away}",
        row_title=f"{page.home} goals",
        column_title=f"{page.away} goals",
        ident="score-heatmap",
        highlight=page.result,
    )
    totals = book.get(c.MARKET_OVER_UNDER)
    lines = sorted(set(TOTAL_LINES) | set(_lines(totals)))
    for line in lines:
        over = grid.over(line)
        sides = (over, over.opposite())
        market = _market_pair(totals, ("over", "under"), line)
        page.totals.append(
            tuple(  # type: ignore[arg-type]
                PriceRow(f"{name}{NBSP}{line:g}", _chance(s), _price_of(s), *m)
                for name, s, m in zip(("over", "under"), sides, market, strict=True)
            )
        )
    handicap = book.get(c.MARKET_ASIAN_HANDICAP)
    for line in _handicap_lines(grid, handicap):
        home = grid.asian_handicap(line)
        market = _market_pair(handicap, ("home", "away"), line)
        page.handicaps.append(
            (
                PriceRow(f"{page.home}{NBSP}{_signed(line)}", _chance(home), _price_of(home), *market[0]),
                PriceRow(
                    f"{page.away}{NBSP}{_signed(-line)}",
                    _chance(home.opposite()),
                    _price_of(home.opposite()),
                    *market[1],
                ),
            )
        )


def _chance(settlement: Any) -> float:
    """The probability the bet wins (a half win counts half; pushes are stakes back)."""
    return float(settlement.win[0] + 0.5 * settlement.half_win[0])


def _price_of(settlement: Any) -> float | None:
    price = float(settlement.fair_price[0])
    return price if np.isfinite(price) else None


def _lines(rows: pd.DataFrame | None) -> list[float]:
    if rows is None or rows.empty:
        return []
    return sorted({float(v) for v in rows[c.LINE].dropna()})


def _handicap_lines(grid: ScoreGrid, rows: pd.DataFrame | None) -> list[float]:
    """The market's handicap lines, else five half-goal lines around the model's most balanced one."""
    quoted = _lines(rows)
    if quoted:
        return quoted
    candidates = np.arange(-3.0, 3.25, 0.5)
    balanced = min(candidates, key=lambda line: abs(_chance(grid.asian_handicap(float(line))) - 0.5))
    return [float(balanced + step) for step in (-1.0, -0.5, 0.0, 0.5, 1.0)]


def _signed(line: float) -> str:
    return "0" if line == 0 else f"{line:+g}"


def recent_form(history: pd.DataFrame, team: str, n: int = FORM_MATCHES) -> list[FormRow]:
    """``team``'s last ``n`` played matches in ``history``, most recent first."""
    played = history[
        ((history[c.HOME] == team) | (history[c.AWAY] == team))
        & history[c.HOME_GOALS].notna()
        & history[c.AWAY_GOALS].notna()
    ].tail(n)
    rows = []
    for match in reversed(played.to_dict("records")):
        at_home = match[c.HOME] == team
        own, other = (
            (match[c.HOME_GOALS], match[c.AWAY_GOALS])
            if at_home
            else (match[c.AWAY_GOALS], match[c.HOME_GOALS])
        )
        result = "W" if own > other else "D" if own == other else "L"
        rows.append(
            FormRow(
                f"{pd.Timestamp(match[c.DATE]):%d %b %Y}",
                "H" if at_home else "A",
                str(match[c.AWAY] if at_home else match[c.HOME]),
                f"{int(own)}–{int(other)}",
                result,
            )
        )
    return rows


def rating_trends(
    matches: pd.DataFrame, day: pd.Timestamp, season: str, teams: Sequence[str], n: int = RATING_MATCHES
) -> dict[str, pd.Series]:
    """Each team's Elo rating before each of its last ``n`` matches before ``day`` and on ``day`` itself (a
    match of ``season``), indexed by match day; only the league's matches before ``day`` count."""
    from scoreline.features.build import build_features

    history = matches[matches[c.DATE] < day]

    def day_row(team: str) -> pd.DataFrame:  # the day's rating: a match of ``team`` without a result
        values: dict[str, Any] = {c.SEASON: season, c.DATE: day, c.KICKOFF: day, c.HOME: team, c.AWAY: "",
                                  c.HOME_GOALS: pd.NA, c.AWAY_GOALS: pd.NA}  # fmt: skip
        return history.tail(1).assign(**values).astype(history.dtypes)

    frame = pd.concat([history, *(day_row(team) for team in teams)], ignore_index=True)
    features = build_features(frame, groups=("elo",), cutoff=day)
    trends = {}
    for team in teams:
        own = ((frame[c.HOME] == team) | (frame[c.AWAY] == team)).to_numpy()
        rating = np.where(frame[c.HOME] == team, features["elo_home"], features["elo_away"])[own]
        trends[team] = pd.Series(rating, index=pd.to_datetime(frame.loc[own, c.DATE]).to_numpy()).tail(n + 1)
    return trends


def _rating_part(page: FixturePage, data: MatchData) -> None:
    if not (data.matches[c.DATE] < data.day).any():
        page.problems.append(f"no {data.league} matches before {page.day} in the store: no ratings")
        return
    trends = rating_trends(data.matches, data.day, data.season, (data.home, data.away))
    start = min(s.index.min() for s in trends.values())
    series = [
        plots.Series(
            f"{team} Elo",
            colour,
            [((day - start).days, float(value)) for day, value in trend.items()],
            sizes=[2.5] * len(trend),
            tooltips=[f"{team}: {value:.0f} before {day:%d %b %Y}" for day, value in trend.items()],
        )
        for (team, trend), colour in zip(trends.items(), (HOME_COLOUR, AWAY_COLOUR), strict=True)
    ]
    page.ratings = {team: float(trend.iloc[-1]) for team, trend in trends.items()}
    end = (data.day - start).days
    ticks = [(float(d), f"{start + pd.Timedelta(days=d):%d %b %y}") for d in np.linspace(0, end, 4).round()]
    page.rating_chart = plots.line_chart(
        series,
        label=f"Elo rating before each of the last {RATING_MATCHES} matches",
        x_title="match day",
        y_title="Elo rating",
        x_ticks=ticks,
        y_format="{:.0f}".format,
        ident="rating-chart",
    )
    page.rating_legend = plots.legend(series)
