"""The full walk-forward backtest: top-5 leagues, 2021/22 to 2024/25, every catalogue model and the market.

Prints wall time, peak memory (this process and its workers) and the pooled leaderboard, and writes
``metrics.json``, ``predictions.parquet`` and ``report.html`` to ``--out``. Target: the whole run (weekly refits,
all models) under 20 minutes on a 2-core machine.

Run: ``python bench/backtest.py [--data DIR] [--out out/backtest-top5] [--models ...] [--n-jobs 2]``.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from scoreline.models.catalogue import model_names
from scoreline.pipelines.backtest import BacktestConfig, run_backtest
from scoreline.pipelines.data import load_from_dir

TOP5 = ("E0", "SP1", "D1", "I1", "F1")
LOWER = ("E1", "SP2", "D2", "I2", "F2")
TEST_SEASONS = ("2122", "2223", "2324", "2425")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/football-data"
    )
    parser.add_argument("--out", type=Path, default=Path("out/backtest-top5"))
    parser.add_argument("--models", default=",".join(model_names()))
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    data = load_from_dir(args.data, [*TOP5, *LOWER])
    config = BacktestConfig(leagues=TOP5, test_seasons=TEST_SEASONS, models=tuple(args.models.split(",")),
                            n_jobs=args.n_jobs)  # fmt: skip
    metrics = run_backtest(data, config, args.out)
    seconds = time.perf_counter() - started
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(f"wall time {seconds / 60:.1f} min; peak memory {peak / 1024:.0f} MiB; fits {metrics['fits']}")
    print(f"matches scored by every forecaster: {metrics['matches']['n_scored']}")
    for name, row in sorted(metrics["pooled"].items(), key=lambda item: item[1]["rps"]):
        print(f"{name:22s} rps {row['rps']:.4f}  logloss {row['logloss']:.4f}  brier {row['brier']:.4f}  "
              f"accuracy {row['accuracy']:.3f}  ece {row['ece']:.4f}")  # fmt: skip
    for pair in metrics["pairwise"]:
        print(f"{pair['a']:>16s} - {pair['b']:<20s} {pair['mean_diff']:+.4f} [{pair['ci_low']:+.4f}, "
              f"{pair['ci_high']:+.4f}]  p={pair['p_value']:.3f}  a beats b: {pair['a_beats_b']}")  # fmt: skip


if __name__ == "__main__":
    main()
