"""Drift reports are written as HTML and JSON; a feature shifted by 3 SD alerts, a fresh sample does not."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline.staging.alerts import FEATURE_DRIFT, check_alerts
from scoreline.staging.drift import DriftResult, drift_columns, drift_report
from scoreline.staging.monitor import rolling_scores, summarise, write_monitor
from tests.staging.test_monitor import TRUE, scored_frame

FEATURES = ["elo_diff", "pi_diff", "form_ppg_home"]
SCALE = {"elo_diff": 120.0, "pi_diff": 0.6, "form_ppg_home": 0.5}


def _features(n: int, seed: int) -> pd.DataFrame:
    """Feature-like rows: three independent normal columns on their own scales."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: rng.normal(0.0, SCALE[name], n) for name in FEATURES}).assign(
        form_ppg_home=lambda frame: frame["form_ppg_home"] + 1.4
    )


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DriftResult]:
    """One shifted and one unshifted report (Evidently is slow to import: run each once)."""
    reference = _features(2000, seed=1)  # a training window
    fresh = _features(300, seed=2)  # a few weeks of matches
    shifted = fresh.assign(pi_diff=fresh["pi_diff"] + 3 * SCALE["pi_diff"])
    before = shifted.copy()
    results = {
        name: drift_report(reference, current, FEATURES, tmp_path_factory.mktemp(name))
        for name, current in (("shifted", shifted), ("unshifted", fresh))
    }
    pd.testing.assert_frame_equal(shifted, before)  # the caller's frame is untouched
    return results


@pytest.mark.slow
def test_shifted_feature_is_found_and_alerts(reports: dict[str, DriftResult]) -> None:
    result = reports["shifted"]
    assert result.drifted_columns == ["pi_diff"]
    assert result.share_drifted == pytest.approx(1 / 3)
    assert result.dataset_drift is False  # one column of three is under Evidently's 50%
    by_column = {item.column: item for item in result.columns}
    assert {item.method for item in result.columns} == {"ks"}
    assert [item.threshold for item in result.columns] == pytest.approx([0.05 / 3] * 3)  # Bonferroni
    assert by_column["pi_diff"].score < 1e-30  # the p-value of a 3-standard-deviation shift
    assert by_column["elo_diff"].score > by_column["elo_diff"].threshold
    assert result.group_shares == {"elo": 0.0, "pi": 1.0, "form": 0.0}
    alerts = check_alerts(None, result)
    assert [alert.kind for alert in alerts] == [FEATURE_DRIFT]
    assert alerts[0].details["drifted_columns"] == ["pi_diff"]
    assert alerts[0].details["groups_over_limit"] == {"pi": 1.0}


@pytest.mark.slow
def test_unshifted_sample_from_the_same_distribution_does_not_alert(reports: dict[str, DriftResult]) -> None:
    result = reports["unshifted"]
    assert result.drifted_columns == []
    assert result.share_drifted == 0.0
    assert all(item.score > 0.05 for item in result.columns), result.columns  # not near the line
    assert check_alerts(None, result) == []


@pytest.mark.slow
def test_reports_are_written_and_parse(reports: dict[str, DriftResult]) -> None:
    result = reports["shifted"]
    assert result.html_path.name == "drift.html"
    assert result.html_path.stat().st_size > 10_000
    assert "pi_diff" in result.html_path.read_text(encoding="utf-8")
    document = json.loads(result.json_path.read_text(encoding="utf-8"))
    assert document["summary"] == json.loads(json.dumps(result.to_dict()))
    assert document["summary"]["drifted_columns"] == ["pi_diff"]
    drift_tests = [test for test in document["evidently"]["tests"] if test["id"] == "drift"]
    assert {test["metric_config"]["params"]["column"] for test in drift_tests} == set(FEATURES)
    assert sorted(path.name for path in result.html_path.parent.iterdir()) == ["drift.html", "drift.json"]


@pytest.mark.slow
def test_monitor_json_carries_the_drift_summary(
    reports: dict[str, DriftResult], tmp_path: Path, simulated_league
) -> None:
    scored = scored_frame(simulated_league, simulated_league.matches[TRUE].to_numpy())
    summary = summarise(scored, None, window=50)
    alerts = check_alerts(summary, reports["shifted"])
    path = write_monitor(tmp_path, summary, rolling_scores(scored, None, 50), reports["shifted"], alerts)
    document = json.loads(path.read_text())
    assert document["drift"]["drifted_columns"] == ["pi_diff"]
    assert document["drift"]["html"] == "drift.html"
    assert [alert["kind"] for alert in document["alerts"]] == [FEATURE_DRIFT]


@pytest.mark.slow
def test_empty_columns_are_skipped_and_named(tmp_path: Path) -> None:
    reference = _features(200, seed=3).assign(mkt_margin=np.nan)
    current = _features(50, seed=4).assign(mkt_margin=0.05)
    result = drift_report(reference, current, [*FEATURES, "mkt_margin"], tmp_path)
    assert result.skipped_columns == ["mkt_margin"]
    assert [item.column for item in result.columns] == FEATURES
    assert result.columns[0].threshold == pytest.approx(0.05 / 3)  # three columns tested


def test_bad_input_is_refused_before_evidently_runs(tmp_path: Path) -> None:
    reference, current = _features(20, seed=5), _features(10, seed=6)
    with pytest.raises(ValueError, match=r"the current rows lack drift column\(s\) \['pi_diff'\]"):
        drift_report(reference, current.drop(columns="pi_diff"), FEATURES, tmp_path)
    with pytest.raises(ValueError, match="the current rows are empty"):
        drift_report(reference, current.iloc[0:0], FEATURES, tmp_path)
    with pytest.raises(ValueError, match=r"must be numeric; in the reference rows \['pi_diff'\]"):
        drift_report(reference.assign(pi_diff="x"), current, FEATURES, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_calendar_features_are_not_drift_columns() -> None:
    columns = [
        "elo_diff",
        "form_rest_days_home",
        "form_season_stage",
        "form_played_season_away",
        "mkt_margin",
    ]
    assert drift_columns(columns) == ["elo_diff", "mkt_margin"]
