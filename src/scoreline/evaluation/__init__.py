"""Out-of-time evaluation: walk-forward backtests, market benchmarks, scores, significance, betting, report.

Typical use (the pipeline does the I/O)::

    result = walk_forward(matches, {"dc": DixonColes()}, ["E0"], ["2324"], cache_dir=cache)
    predictions = pd.concat([result.predictions, market_benchmarks(matches, odds, ["E0"], ["2324"]),
                             base_rates(matches, ["E0"], ["2324"])])
    scores = score(predictions)                      # metrics.json content
    write_report("report.html", scores, predictions, bets=value_bets(result.predictions, odds))
"""

from scoreline.evaluation.benchmarks import BASE_RATES, BaseRatesModel, base_rates, market_benchmarks
from scoreline.evaluation.betting import betting_summary, cumulative_profit, max_drawdown, value_bets
from scoreline.evaluation.predictions import PREDICTION_COLUMNS
from scoreline.evaluation.report import render_report, write_report
from scoreline.evaluation.scoring import common_matches, score
from scoreline.evaluation.stats import compare, diebold_mariano, paired_bootstrap
from scoreline.evaluation.walk_forward import (
    WalkForwardResult,
    WalkForwardRun,
    walk_forward,
    walk_forward_runs,
)

__all__ = [
    "BASE_RATES",
    "PREDICTION_COLUMNS",
    "BaseRatesModel",
    "WalkForwardResult",
    "WalkForwardRun",
    "base_rates",
    "betting_summary",
    "common_matches",
    "compare",
    "cumulative_profit",
    "diebold_mariano",
    "market_benchmarks",
    "max_drawdown",
    "paired_bootstrap",
    "render_report",
    "score",
    "value_bets",
    "walk_forward",
    "walk_forward_runs",
    "write_report",
]
