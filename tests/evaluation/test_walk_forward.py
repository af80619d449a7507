from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from scoreline import columns as c
from scoreline.evaluation import scoring
from scoreline.evaluation.benchmarks import BaseRatesModel
from scoreline.evaluation.predictions import PREDICTION_COLUMNS
from scoreline.evaluation.walk_forward import (
    WalkForwardRun,
    round_cutoffs,
    walk_forward,
    walk_forward_runs,
)
from scoreline.leagues import training_divisions, with_training_divisions
from tests.evaluation.conftest import HomeRateModel, TruthModel, truth_features

SPY_LOG: list[dict[str, object]] = []


class SpyModel(BaseEstimator):
    """Records what the engine shows it: training dates and leagues, the prediction frame's columns."""

    def fit(self, matches: pd.DataFrame, y: object = None) -> SpyModel:
        SPY_LOG.append(
            {
                "kind": "fit",
                "max_date": matches[c.DATE].max(),
                "min_date": matches[c.DATE].min(),
                "leagues": set(matches[c.LEAGUE]),
                "has_results": matches[c.RESULT].isin(["H", "D", "A"]).all(),
            }
        )
        self.fit_max_ = matches[c.DATE].max()
        return self

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        SPY_LOG.append(
            {
                "kind": "predict",
                "fit_max": self.fit_max_,
                "min_date": matches[c.DATE].min(),
                "columns": set(matches),
            }
        )
        return np.full((len(matches), 3), 1 / 3)


class CheaterModel(BaseEstimator):
    """Predicts the actual result with certainty whenever the prediction frame shows it."""

    def fit(self, matches: pd.DataFrame, y: object = None) -> CheaterModel:
        return self

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        if c.RESULT in matches:
            return np.eye(3)[matches[c.RESULT].map(c.RESULT_TO_INDEX).to_numpy()]
        return np.full((len(matches), 3), 1 / 3)


FIT_CALLS = {"n": 0, "fail_at": -1, "interrupt_at": -1}


class Interrupted(BaseException):
    """Stands for Ctrl-C / a killed process: not an ``Exception``, so the engine must not swallow it."""


class FlakyModel(HomeRateModel):
    """HomeRateModel whose n-th fit raises ValueError (``fail_at``) or an interruption (``interrupt_at``)."""

    def fit(self, matches: pd.DataFrame, y: object = None) -> FlakyModel:
        FIT_CALLS["n"] += 1
        if FIT_CALLS["n"] == FIT_CALLS["fail_at"]:
            raise ValueError("singular matrix")
        if FIT_CALLS["n"] == FIT_CALLS["interrupt_at"]:
            raise Interrupted
        super().fit(matches)
        return self


class BadProbabilitiesModel(BaseRatesModel):
    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        return np.full((len(matches), 3), 0.5)


def _reset_calls(fail_at: int = -1, interrupt_at: int = -1) -> None:
    FIT_CALLS.update(n=0, fail_at=fail_at, interrupt_at=interrupt_at)


def test_training_never_reaches_the_round_and_predictions_never_see_results(
    two_leagues: pd.DataFrame,
) -> None:
    SPY_LOG.clear()
    result = walk_forward(two_leagues, {"spy": SpyModel, "cheat": CheaterModel()}, ["E0"], ["2223", "2324"])
    predictions = result.predictions
    assert list(predictions.columns) == list(PREDICTION_COLUMNS)
    assert len(predictions) == 2 * 2 * 90 and result.failures.empty
    assert (predictions[c.KICKOFF] > predictions["train_cutoff"]).all()
    assert (predictions[c.DATE] >= predictions["train_cutoff"]).all()
    fits = [entry for entry in SPY_LOG if entry["kind"] == "fit"]
    predicts = [entry for entry in SPY_LOG if entry["kind"] == "predict"]
    assert (
        len(fits) == len(predicts) == predictions.loc[predictions["model"] == "spy", "train_cutoff"].nunique()
    )
    for entry in predicts:
        assert entry["fit_max"] < entry["min_date"]  # the model only saw matches before the round
        assert not set(entry["columns"]) & {c.RESULT, c.HOME_GOALS, c.AWAY_GOALS, c.HOME_SHOTS, c.REFEREE}
    assert all(entry["has_results"] for entry in fits)
    # The cheater gets nothing out of the engine: it scores exactly like a uniform forecast.
    cheat = predictions[predictions["model"] == "cheat"]
    assert np.allclose(cheat[list(c.PROBABILITY_COLUMNS)], 1 / 3)


def test_window_and_training_leagues(two_leagues: pd.DataFrame) -> None:
    SPY_LOG.clear()
    walk_forward(two_leagues, {"spy": SpyModel}, ["E0"], ["2324"], window_days=365)
    fits = [entry for entry in SPY_LOG if entry["kind"] == "fit"]
    first_cutoff = two_leagues.loc[
        (two_leagues[c.LEAGUE] == "E0") & (two_leagues[c.SEASON] == "2324"), c.DATE
    ].min()
    assert fits[0]["min_date"] >= first_cutoff - pd.Timedelta(days=365)
    assert fits[0]["leagues"] == {"E0", "E1"}  # E0 trains on its own and the division below by default
    SPY_LOG.clear()
    walk_forward(
        two_leagues, {"spy": SpyModel}, ["E0"], ["2324"], all_history=True, train_leagues={"E0": ["E0"]}
    )
    fits = [entry for entry in SPY_LOG if entry["kind"] == "fit"]
    assert fits[0]["min_date"] == two_leagues[c.DATE].min() and fits[0]["leagues"] == {"E0"}
    assert training_divisions("E1", ["E0", "E1", "E2", "SP1"]) == ("E1", "E0", "E2")
    assert training_divisions("SP1", ["E0", "SP1"]) == ("SP1",)
    assert training_divisions("N1", ["N1"]) == ("N1",)
    assert training_divisions("E0") == ("E0", "E1")
    assert with_training_divisions(["E0", "D1"]) == ["D1", "D2", "E0", "E1"]


def test_cadence_defines_rounds(two_leagues: pd.DataFrame) -> None:
    season = two_leagues[(two_leagues[c.LEAGUE] == "E0") & (two_leagues[c.SEASON] == "2324")]
    weekly = round_cutoffs(season, "week")
    assert weekly.nunique() == 18  # 10 teams: 18 rounds, each a Saturday and Sunday of one ISO week
    assert (weekly.dt.dayofweek == 5).all()
    assert round_cutoffs(season, "day").nunique() == 36
    assert round_cutoffs(season, "season").nunique() == 1
    monthly = round_cutoffs(season, "month")
    assert (monthly.dt.to_period("M") == pd.to_datetime(season[c.DATE]).dt.to_period("M")).all()
    assert monthly.nunique() == pd.to_datetime(season[c.DATE]).dt.to_period("M").nunique()
    with pytest.raises(ValueError, match="cadence"):
        round_cutoffs(season, "fortnight")  # type: ignore[arg-type]


def test_model_failure_is_recorded_not_fatal(
    two_leagues: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    _reset_calls(fail_at=3)
    with caplog.at_level(logging.WARNING):
        result = walk_forward(
            two_leagues, {"flaky": FlakyModel, "bad": BadProbabilitiesModel()}, ["E0"], ["2324"]
        )
    assert len(result.failures) == 1 + 18
    flaky = result.failures[result.failures["model"] == "flaky"].iloc[0]
    assert flaky["stage"] == "fit" and "singular matrix" in flaky["error"]
    assert (result.failures.loc[result.failures["model"] == "bad", "stage"] == "predict").all()
    rows = result.predictions[result.predictions["model"] == "flaky"]
    failed_round = rows["train_cutoff"] == flaky["train_cutoff"]
    assert rows.loc[failed_round, "p_home"].isna().all() and failed_round.sum() == 5
    assert rows.loc[~failed_round, list(c.PROBABILITY_COLUMNS)].notna().all().all()
    assert "singular matrix" in caplog.text


def test_features_are_joined_and_inputs_not_mutated(two_leagues: pd.DataFrame) -> None:
    matches = two_leagues.copy()
    features = truth_features(two_leagues)
    before_matches, before_features = matches.copy(), features.copy()
    SPY_LOG.clear()
    models = {"truth": TruthModel(), "base": BaseRatesModel(), "spy": SpyModel()}
    result = walk_forward(matches, models, ["E0"], ["2324"], features=features)
    shown = SPY_LOG[-1]["columns"]
    assert len(shown) == len(set(shown)) and {"true_p_home", c.SEASON, c.KICKOFF} <= set(shown)
    pd.testing.assert_frame_equal(matches, before_matches)
    pd.testing.assert_frame_equal(features, before_features)
    truth = result.predictions[result.predictions["model"] == "truth"]
    expected = truth.merge(features, on=list(c.MATCH_KEY))
    assert np.allclose(
        truth[list(c.PROBABILITY_COLUMNS)], expected[["true_p_home", "true_p_draw", "true_p_away"]]
    )
    scores = scoring.score(result.predictions, n_boot=200)
    assert scores["pooled"]["truth"]["rps"] < scores["pooled"]["base"]["rps"]


def _run(matches: pd.DataFrame, cache: Path | None, **options: object) -> tuple[dict, object]:
    result = walk_forward(
        matches, {"home_rate": FlakyModel(shrink=3.0), "base": BaseRatesModel()}, ["E0", "E1"], ["2324"],
        cache_dir=cache, **options,
    )  # fmt: skip
    return scoring.score(result.predictions, n_boot=200), result


def test_same_backtest_twice_gives_identical_metrics(two_leagues: pd.DataFrame) -> None:
    _reset_calls()
    first, _ = _run(two_leagues, None)
    second, _ = _run(two_leagues, None)
    assert first == second
    assert first["pooled"]["home_rate"]["n"] == 180


@pytest.mark.slow
def test_interrupted_run_resumes_from_its_cache(two_leagues: pd.DataFrame, tmp_path: Path) -> None:
    _reset_calls()
    reference, fresh = _run(two_leagues, None)
    total = fresh.n_fits
    assert total == 2 * 2 * 18
    _reset_calls(interrupt_at=10)  # the 10th home_rate fit is interrupted: 9 of them plus 9 base fits done
    with pytest.raises(Interrupted):
        _run(two_leagues, tmp_path / "cache")
    _reset_calls()
    resumed, result = _run(two_leagues, tmp_path / "cache")
    assert (result.n_cached, result.n_fits) == (18, total - 18)
    assert resumed == reference
    again, result = _run(two_leagues, tmp_path / "cache")
    assert (result.n_cached, result.n_fits) == (total, 0) and again == reference
    # Finished league-seasons are consolidated into one chunk per model; losing one costs only its rounds.
    chunks = sorted(
        p.relative_to(tmp_path / "cache").as_posix() for p in (tmp_path / "cache").rglob("*.parquet")
    )
    assert chunks == [f"{m}/{lg}/2324/chunk.parquet" for m in ("base", "home_rate") for lg in ("E0", "E1")]
    (tmp_path / "cache" / "home_rate" / "E1" / "2324" / "chunk.parquet").unlink()
    again, result = _run(two_leagues, tmp_path / "cache")
    assert (result.n_cached, result.n_fits) == (total - 18, 18) and again == reference


@pytest.mark.slow
def test_parallel_run_equals_serial_run_and_reports_progress(two_leagues: pd.DataFrame) -> None:
    models = {"home_rate": HomeRateModel(shrink=3.0), "base": BaseRatesModel()}
    seen: list[tuple[int, int]] = []
    steps: list[tuple[int, int, str]] = []
    serial = walk_forward(
        two_leagues, models, ["E0", "SP1"], ["2324"], n_jobs=1, progress=lambda *step: steps.append(step)
    )
    assert [done for done, _, _ in steps] == list(range(1, 37)) and steps[-1][1] == 36  # one step per round
    assert steps[0][2] == "E0 2324 2023-08-12"
    parallel = walk_forward(
        two_leagues,
        models,
        ["E0", "SP1"],
        ["2324"],
        n_jobs=2,
        progress=lambda done, total, _: seen.append((done, total)),
    )
    pd.testing.assert_frame_equal(serial.predictions, parallel.predictions)
    assert seen[-1] == (36, 36) and len(seen) == 2


@pytest.mark.slow
def test_runs_in_one_pool_equal_separate_walk_forwards(two_leagues: pd.DataFrame) -> None:
    weekly = WalkForwardRun({"home_rate": HomeRateModel(shrink=3.0)}, window_days=200)
    monthly = WalkForwardRun(
        {"base": BaseRatesModel(), "truth": TruthModel()}, cadence="month", all_history=True,
        train_leagues={"E0": ("E0",), "SP1": ("SP1",)},
    )  # fmt: skip
    no_features = WalkForwardRun({"spy": SpyModel()}, use_features=False)
    features = truth_features(two_leagues)
    steps: list[tuple[int, int]] = []
    together = walk_forward_runs(
        two_leagues, [monthly, weekly, no_features], ["E0", "SP1"], ["2324"], features=features, n_jobs=2,
        progress=lambda done, total, _: steps.append((done, total)),
    )  # fmt: skip
    for run, result in zip((monthly, weekly), together[:2], strict=True):
        alone = walk_forward(
            two_leagues, run.models, ["E0", "SP1"], ["2324"], features=features, cadence=run.cadence,
            window_days=run.window_days, all_history=run.all_history, train_leagues=run.train_leagues,
        )  # fmt: skip
        pd.testing.assert_frame_equal(result.predictions, alone.predictions)
    assert set(together[0].predictions["model"]) == {"base", "truth"}
    assert len(steps) == 6 and steps[-1][0] == steps[-1][1]  # one step per league-season of every run
    SPY_LOG.clear()
    walk_forward_runs(two_leagues, [no_features], ["E0"], ["2324"], features=features)
    assert not any("true_p_home" in entry.get("columns", ()) for entry in SPY_LOG)  # features not joined


def test_bad_specs_and_frames_are_rejected(two_leagues: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="required columns"):
        walk_forward(two_leagues.drop(columns=c.RESULT), {"b": BaseRatesModel()}, ["E0"], ["2324"])
    with pytest.raises(ValueError, match="no models"):
        walk_forward(two_leagues, {}, ["E0"], ["2324"])
    duplicated = pd.concat([truth_features(two_leagues)] * 2)
    with pytest.raises(ValueError, match="several rows"):
        walk_forward(two_leagues, {"b": BaseRatesModel()}, ["E0"], ["2324"], features=duplicated)
    with pytest.raises(TypeError, match="model spec"):
        walk_forward(two_leagues, {"b": 42}, ["E0"], ["2324"])


def test_a_damaged_cache_file_is_recomputed(two_leagues: pd.DataFrame, tmp_path: Path) -> None:
    first = walk_forward(two_leagues, {"b": BaseRatesModel()}, ["E0"], ["2324"], cache_dir=tmp_path)
    (tmp_path / "b" / "E0" / "2324" / "chunk.parquet").write_bytes(b"not parquet")
    again = walk_forward(two_leagues, {"b": BaseRatesModel()}, ["E0"], ["2324"], cache_dir=tmp_path)
    assert again.n_fits == 18
    pd.testing.assert_frame_equal(first.predictions, again.predictions)
