"""The full walk-forward backtest: top-5 leagues, 2021/22 to 2024/25, every catalogue model and the market.

Prints wall and CPU time, peak memory (this process and each worker) and the pooled leaderboard, and writes
``metrics.json``, ``predictions.parquet`` and ``report.html`` to ``--out``. Target: the whole catalogue on the
top five in under 10 minutes on a 2-core machine (issue #20).

Run: ``python bench/backtest.py [--data DIR] [--out out/backtest-top5] [--models ...] [--n-jobs 2]
[--leagues top5|all|E0,SP1,...] [--dask tcp://HOST:8786]``. With ``--dask`` the fits run on that Dask
scheduler's workers (start one by hand: ``dask scheduler`` and ``dask worker tcp://HOST:8786 --nworkers 4
--nthreads 1``); the results are the same as a local run's.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

from scoreline.leagues import all_divisions, with_training_divisions
from scoreline.models.catalogue import model_names
from scoreline.pipelines.backtest import BacktestConfig, run_backtest
from scoreline.pipelines.data import load_from_dir

TOP5 = ("E0", "SP1", "D1", "I1", "F1")
TEST_SEASONS = ("2122", "2223", "2324", "2425")


def _leagues(choice: str, data: Path) -> tuple[str, ...]:
    """``top5``, ``all`` (every division in the data folder) or a comma-separated list."""
    if choice == "top5":
        return TOP5
    if choice == "all":
        present = {folder.name for folder in data.iterdir() if folder.is_dir()}
        ladders = [league for league in all_divisions() if league in present]
        return (*ladders, *sorted(present - set(ladders)))
    return tuple(choice.split(","))


def _cpu_seconds() -> float:
    """User and system CPU of this process and its finished children (the local process pool)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _worker_usage() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}


def _dask_usage(address: str) -> dict[str, Any]:
    """CPU seconds and peak memory of every worker of the cluster (cumulative since each worker started)."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        return dict(client.run(_worker_usage))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/football-data"
    )
    parser.add_argument("--out", type=Path, default=Path("out/backtest-top5"))
    parser.add_argument("--models", default=",".join(model_names()))
    parser.add_argument("--leagues", default="top5", help="top5, all, or a comma-separated list")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--dask", default=None, metavar="ADDRESS", help="a Dask scheduler, tcp://HOST:8786")
    args = parser.parse_args()
    leagues = _leagues(args.leagues, args.data)
    before = _dask_usage(args.dask) if args.dask else {}
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    data = load_from_dir(args.data, with_training_divisions(leagues))
    config = BacktestConfig(leagues=leagues, test_seasons=TEST_SEASONS, models=tuple(args.models.split(",")),
                            n_jobs=args.n_jobs, dask_address=args.dask)  # fmt: skip
    metrics = run_backtest(data, config, args.out)
    seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(f"leagues {','.join(leagues)}; executor {args.dask or f'local process pool, {args.n_jobs} jobs'}")
    print(f"wall time {seconds / 60:.1f} min; CPU {cpu / 60:.1f} min (this process and local workers); "
          f"peak memory {peak / 1024:.0f} MiB; fits {metrics['fits']}")  # fmt: skip
    if args.dask:
        for worker, usage in sorted(_dask_usage(args.dask).items()):
            cpu_used = usage["cpu"] - before.get(worker, {}).get("cpu", 0.0)
            print(
                f"dask worker {worker}: CPU {cpu_used / 60:.1f} min; peak memory {usage['peak_mib']:.0f} MiB"
            )
    print(f"matches scored by every forecaster: {metrics['matches']['n_scored']}")
    for name, row in sorted(metrics["pooled"].items(), key=lambda item: item[1]["rps"]):
        print(f"{name:22s} rps {row['rps']:.4f}  logloss {row['logloss']:.4f}  brier {row['brier']:.4f}  "
              f"accuracy {row['accuracy']:.3f}  ece {row['ece']:.4f}")  # fmt: skip
    for pair in metrics["pairwise"]:
        print(f"{pair['a']:>16s} - {pair['b']:<20s} {pair['mean_diff']:+.4f} [{pair['ci_low']:+.4f}, "
              f"{pair['ci_high']:+.4f}]  p={pair['p_value']:.3f}  a beats b: {pair['a_beats_b']}")  # fmt: skip


if __name__ == "__main__":
    main()
