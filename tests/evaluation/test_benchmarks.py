from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.evaluation import metrics, scoring
from scoreline.evaluation.benchmarks import BASE_RATES, BaseRatesModel, base_rates, market_benchmarks
from tests.evaluation.conftest import long_odds, simulated_odds

MARKET_NAMES = {
    f"market_{timing}_{method}"
    for timing in ("opening", "closing")
    for method in ("multiplicative", "shin", "power")
}


def test_market_benchmarks_are_scored_like_models(two_leagues: pd.DataFrame) -> None:
    odds = simulated_odds(two_leagues)
    bench = market_benchmarks(two_leagues, odds, ["E0", "SP1"], ["2324"])
    assert set(bench["model"]) == MARKET_NAMES
    assert len(bench) == 6 * 180
    assert np.allclose(bench[list(c.PROBABILITY_COLUMNS)].sum(axis=1), 1)
    scores = scoring.score(bench, n_boot=200)
    closing, opening = scores["pooled"]["market_closing_shin"], scores["pooled"]["market_opening_shin"]
    assert (
        closing["n"] == 180 and closing["rps"] < opening["rps"]
    )  # closing odds are sharper in the simulation


def test_matches_without_valid_odds_get_nan(two_leagues: pd.DataFrame) -> None:
    odds = simulated_odds(two_leagues)
    first = two_leagues[(two_leagues[c.LEAGUE] == "E0") & (two_leagues[c.SEASON] == "2324")].iloc[0]
    gone = (odds[c.HOME] == first[c.HOME]) & (odds[c.DATE] == first[c.DATE]) & (odds[c.TIMING] == c.CLOSING)
    bench = market_benchmarks(two_leagues, odds[~gone], ["E0"], ["2324"], methods=["shin"])
    closing = bench[bench["model"] == "market_closing_shin"]
    missing = closing[closing[list(c.PROBABILITY_COLUMNS)].isna().any(axis=1)]
    assert len(missing) == 1 and missing.iloc[0][c.HOME] == first[c.HOME]


def _tiny(season: str, results: str) -> pd.DataFrame:
    start = pd.Timestamp(year=2000 + int(season[:2]), month=8, day=10)
    return pd.DataFrame(
        {
            c.LEAGUE: "E0",
            c.SEASON: season,
            c.DATE: [start + pd.Timedelta(days=i) for i in range(len(results))],
            c.KICKOFF: [start + pd.Timedelta(days=i, hours=15) for i in range(len(results))],
            c.HOME: [f"H{i}" for i in range(len(results))],
            c.AWAY: [f"A{i}" for i in range(len(results))],
            c.RESULT: list(results),
        }
    )


def test_base_rates_use_the_three_prior_seasons_of_the_same_league() -> None:
    seasons = {"1819": "AAAA", "1920": "HHDA", "2021": "HHHD", "2122": "HAAD", "2223": "HD"}
    frame = pd.concat([_tiny(s, r) for s, r in seasons.items()], ignore_index=True)
    other = _tiny("2122", "AAAAAAAA").assign(**{c.LEAGUE: "SP1"})
    bench = base_rates(pd.concat([frame, other]), ["E0"], ["2223"])
    # 1920 + 2021 + 2122 = HHDA HHHD HAAD: 6 H, 3 D, 3 A of 12; 1819 and SP1 are not used.
    assert np.allclose(bench[list(c.PROBABILITY_COLUMNS)], [6 / 12, 3 / 12, 3 / 12])
    assert (bench["model"] == BASE_RATES).all() and (bench["n_train"] == 12).all()
    assert (bench["train_cutoff"] <= bench[c.DATE]).all()
    first = base_rates(frame, ["E0"], ["1819"])
    assert first[list(c.PROBABILITY_COLUMNS)].isna().all().all()


def test_base_rates_model_contract() -> None:
    from sklearn.base import clone

    model = BaseRatesModel(pseudo_count=1.0).fit(_tiny("2122", "HHD"))
    assert np.allclose(model.predict_proba(_tiny("2223", "HD")), [[3 / 6, 2 / 6, 1 / 6]] * 2)
    assert clone(model).get_params() == {"pseudo_count": 1.0}
    with pytest.raises(ValueError, match="at least one match"):
        BaseRatesModel().fit(_tiny("2122", "").iloc[:0])


def _read_football_data(path: Path, league: str, season: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Minimal reader of one football-data.co.uk CSV: canonical matches and long 1X2 odds."""
    raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str).dropna(subset=["HomeTeam"])
    date = pd.to_datetime(raw["Date"], dayfirst=True, format="mixed")
    time = pd.to_timedelta((raw["Time"] if "Time" in raw else pd.Series("00:00", index=raw.index)) + ":00")
    keyed = raw.assign(
        **{c.LEAGUE: league, c.SEASON: season, c.DATE: date, c.KICKOFF: date + time.fillna(pd.Timedelta(0))}
    ).assign(**{c.HOME: raw["HomeTeam"], c.AWAY: raw["AwayTeam"], c.RESULT: raw["FTR"]})
    matches = keyed[[c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY, c.RESULT]].reset_index(drop=True)
    return matches, long_odds(keyed.reset_index(drop=True))


REFERENCE = {  # from the project's reference-forecasts table: (closing Shin, opening Shin, base rates)
    ("E0", "2122"): (0.1889, 0.1888, 0.2347),
    ("E0", "2223"): (0.1974, 0.1992, 0.2311),
    ("E0", "2324"): (0.1802, 0.1833, 0.2343),
    ("E0", "2425"): (0.1962, 0.1974, 0.2358),
    ("SP1", "2324"): (0.1827, 0.1819, 0.2238),
}


@pytest.mark.shared_data
def test_real_market_and_base_rates_match_the_reference_table(shared_data: Path) -> None:
    frames = [
        _read_football_data(shared_data / "football-data" / league / f"{season}.csv", league, season)
        for league in ("E0", "SP1")
        for season in ("1819", "1920", "2021", "2122", "2223", "2324", "2425")
    ]
    matches = pd.concat([m for m, _ in frames], ignore_index=True)
    odds = pd.concat([o for _, o in frames], ignore_index=True)
    for (league, season), (closing, opening, naive) in REFERENCE.items():
        predictions = pd.concat(
            [
                market_benchmarks(matches, odds, [league], [season], methods=["shin"]),
                base_rates(matches, [league], [season]),
            ]
        )
        for model, expected, tolerance in (
            ("market_closing_shin", closing, 0.0005),
            ("market_opening_shin", opening, 0.0005),
            (BASE_RATES, naive, 0.002),
        ):
            rows = predictions[predictions["model"] == model].dropna(subset=list(c.PROBABILITY_COLUMNS))
            assert len(rows) == 380
            value = metrics.rps(
                rows[list(c.PROBABILITY_COLUMNS)].to_numpy(), metrics.outcome_indices(rows[c.RESULT])
            )
            assert value == pytest.approx(expected, abs=tolerance), (league, season, model)


@pytest.mark.slow
@pytest.mark.shared_data
def test_real_pooled_top_five_matches_the_reference(shared_data: Path) -> None:
    leagues, seasons = ["E0", "SP1", "D1", "I1", "F1"], ["2122", "2223", "2324", "2425"]
    frames = [
        _read_football_data(shared_data / "football-data" / league / f"{season}.csv", league, season)
        for league in leagues
        for season in ("1819", "1920", "2021", *seasons)
    ]
    matches = pd.concat([m for m, _ in frames], ignore_index=True)
    odds = pd.concat([o for _, o in frames], ignore_index=True)
    predictions = pd.concat(
        [
            market_benchmarks(matches, odds, leagues, seasons, methods=["shin"]),
            base_rates(matches, leagues, seasons),
        ]
    )
    scores = scoring.score(predictions, n_boot=200)
    # Reference: 7,155 matches scored by every method (one I1 2021/22 match lacks valid opening odds).
    assert scores["matches"]["n_scored"] == 7155
    assert scores["matches"]["dropped_missing"]["market_opening_shin"] == 1
    pooled = {name: row["rps"] for name, row in scores["pooled"].items()}
    assert pooled["market_closing_shin"] == pytest.approx(0.1939, abs=0.00005)
    assert pooled["market_opening_shin"] == pytest.approx(0.1946, abs=0.00005)
    assert pooled[BASE_RATES] == pytest.approx(0.2304, abs=0.00005)
    closing_vs_opening = next(
        p for p in scores["pairwise"] if (p["a"], p["b"]) == ("market_closing_shin", "market_opening_shin")
    )
    assert closing_vs_opening["a_beats_b"]  # the closing line is significantly sharper than the opening line
