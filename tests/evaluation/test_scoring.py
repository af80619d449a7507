from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.evaluation import metrics, scoring
from scoreline.evaluation.benchmarks import base_rates
from scoreline.evaluation.predictions import prediction_frame
from tests.evaluation.conftest import TruthModel


@pytest.fixture(scope="module")
def predictions(two_leagues: pd.DataFrame) -> pd.DataFrame:
    test = two_leagues[two_leagues[c.SEASON] == "2324"].reset_index(drop=True)
    truth = prediction_frame(test, "truth", TruthModel().predict_proba(test))
    return pd.concat([truth, base_rates(two_leagues, ["E0", "E1", "SP1"], ["2324"])], ignore_index=True)


def test_everything_is_scored_on_the_same_matches(predictions: pd.DataFrame) -> None:
    damaged = predictions.copy()
    truth_rows = damaged.index[damaged["model"] == "truth"]
    damaged = damaged.drop(truth_rows[0])  # truth misses a match
    damaged.loc[truth_rows[1], "p_home"] = np.nan  # and has no forecast for another
    base_rows = damaged.index[damaged["model"] == "base_rates"]
    first = damaged.loc[base_rows[5], list(c.MATCH_KEY)]
    unplayed = (damaged[list(c.MATCH_KEY)] == first.to_numpy()).all(axis=1)
    damaged.loc[unplayed, c.RESULT] = None  # a fixture without a result
    aligned, report = scoring.common_matches(damaged)
    assert report == {
        "n_matches": 270,
        "n_scored": 267,
        "n_dropped": 3,
        "dropped_no_result": 1,
        "dropped_missing": {"truth": 2, "base_rates": 0},
    }
    assert len(aligned) == 2 * 267
    scores = scoring.score(damaged, n_boot=200)
    assert {row["n"] for row in scores["pooled"].values()} == {267}
    for name in ("truth", "base_rates"):
        cells = [row for row in scores["by_league_season"] if row["model"] == name]
        assert sum(row["n"] for row in cells) == 267
        weighted = sum(row["rps"] * row["n"] for row in cells) / 267
        assert weighted == pytest.approx(scores["pooled"][name]["rps"])


def test_score_is_json_ready_and_consistent(predictions: pd.DataFrame) -> None:
    scores = scoring.score(predictions, n_boot=300)
    text = json.dumps(scores, allow_nan=False)
    assert json.loads(text) == scores
    truth = predictions[predictions["model"] == "truth"]
    expected = metrics.rps(
        truth[list(c.PROBABILITY_COLUMNS)].to_numpy(), metrics.outcome_indices(truth[c.RESULT])
    )
    assert scores["pooled"]["truth"]["rps"] == pytest.approx(expected)
    assert set(scores["pooled"]["truth"]) == {"n", "rps", "logloss", "brier", "accuracy", "ece"}
    (pair,) = scores["pairwise"]
    assert pair["a"] == "truth" and pair["b"] == "base_rates"  # A is the better of the two by pooled RPS
    assert pair["mean_diff"] == pytest.approx(
        scores["pooled"]["truth"]["rps"] - scores["pooled"]["base_rates"]["rps"]
    )
    assert pair["a_beats_b"] == (pair["ci_high"] < 0)
    assert {(row["league"], row["season"]) for row in scores["by_league_season"]} == {
        ("E0", "2324"), ("E1", "2324"), ("SP1", "2324"),
    }  # fmt: skip
    explicit = scoring.score(predictions, pairs=[("base_rates", "truth")], n_boot=300)
    assert explicit["pairwise"][0]["mean_diff"] == pytest.approx(-pair["mean_diff"])
    with pytest.raises(ValueError, match="unknown model"):
        scoring.score(predictions, pairs=[("truth", "nobody")])


def test_round_blocks_group_a_league_week(predictions: pd.DataFrame) -> None:
    rows = predictions[predictions["model"] == "truth"]
    blocks = scoring.round_blocks(rows)
    assert len(set(blocks)) == 3 * 18  # three leagues of 18 weekly rounds
    with pytest.raises(ValueError, match="more than one row"):
        scoring.common_matches(pd.concat([predictions, predictions.iloc[:1]]))
