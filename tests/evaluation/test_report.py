from __future__ import annotations

import base64
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.evaluation import betting, report, scoring
from scoreline.evaluation.benchmarks import base_rates, market_benchmarks
from scoreline.evaluation.predictions import prediction_frame
from tests.evaluation.conftest import TruthModel, simulated_odds


@pytest.mark.slow
def test_report_is_self_contained_html(two_leagues: pd.DataFrame, tmp_path: Path) -> None:
    test = two_leagues[two_leagues[c.SEASON].isin(["2223", "2324"])].reset_index(drop=True)
    odds = simulated_odds(two_leagues)
    predictions = pd.concat(
        [
            prediction_frame(test, "truth", TruthModel().predict_proba(test)),
            market_benchmarks(two_leagues, odds, ["E0", "E1"], ["2223", "2324"], methods=["shin"]),
            base_rates(two_leagues, ["E0", "E1"], ["2223", "2324"]),
        ],
        ignore_index=True,
    )
    scores = scoring.score(predictions, n_boot=200)
    bets = betting.value_bets(predictions[predictions["model"] == "truth"], odds)
    path = report.write_report(
        tmp_path / "out" / "report.html", scores, predictions, bets=bets, title="Test <run>"
    )
    html = path.read_text(encoding="utf-8")
    assert "<title>Test &lt;run&gt;</title>" in html  # escaped
    assert not re.search(r"(src|href)=\"https?://", html)  # no CDN or remote asset
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == 3  # reliability, RPS by season, cumulative profit
    assert all(base64.b64decode(image).startswith(b"\x89PNG") for image in images)
    for name in ("truth", "market_closing_shin", "base_rates"):
        assert f"{scores['pooled'][name]['rps']:.4f}" in html
    leaderboard = html[html.index("Leaderboard") : html.index("Pairwise")]
    assert leaderboard.index("market_closing_shin") < leaderboard.index("base_rates")
    assert "Value betting" in html and f"{len(bets)}</td>" in html
    without_bets = report.render_report(scores, predictions)
    assert len(re.findall(r"data:image/png", without_bets)) == 2 and "Value betting" not in without_bets
    assert np.isfinite(scores["pooled"]["truth"]["rps"])
