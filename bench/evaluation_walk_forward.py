"""Walk-forward engine and scoring speed: cold run, cached rerun, parallel run, scoring of a large table.

Simulated E0+E1 (20 and 24 teams), four seasons, the last two backtested weekly with a base-rates model and a
per-team model; prints wall times and the cached/cold ratio. Run: ``python bench/evaluation_walk_forward.py``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import BaseRatesModel, score, walk_forward
from scoreline.evaluation.predictions import prediction_frame
from scoreline.simulate import simulate_league

SEASONS = ("2021", "2122", "2223", "2324")


def main() -> None:
    e0 = simulate_league(n_teams=20, seasons=SEASONS, league="E0", seed=1).matches
    e1 = simulate_league(n_teams=24, seasons=SEASONS, league="E1", seed=2).matches
    e1 = e1.assign(**{c.HOME: "E1 " + e1[c.HOME], c.AWAY: "E1 " + e1[c.AWAY]})
    matches = pd.concat([e0, e1], ignore_index=True)
    models = {"base": BaseRatesModel(), "smoothed": BaseRatesModel(pseudo_count=10.0)}
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        timings = {}
        for label, options in (
            ("cold, n_jobs=1", {"cache_dir": cache / "a"}),
            ("cached rerun", {"cache_dir": cache / "a"}),
            ("no cache, n_jobs=1", {}),
            ("no cache, n_jobs=2", {"n_jobs": 2}),
        ):
            start = time.perf_counter()
            result = walk_forward(matches, models, ["E0", "E1"], ["2223", "2324"], **options)
            timings[label] = time.perf_counter() - start
            line = (
                f"{label:22s} {timings[label]:6.2f} s  fits {result.n_fits:4d}  cached {result.n_cached:4d}"
            )
            print(line)
        rounds = result.predictions["train_cutoff"].nunique()
        print(
            f"rounds per league-season ~{rounds / 2:.0f}; cold per fit "
            f"{timings['cold, n_jobs=1'] / (result.n_fits or 1) * 1000:.1f} ms"
        )
        print(f"cached / cold ratio {timings['cached rerun'] / timings['cold, n_jobs=1']:.2f}")
    rng = np.random.default_rng(0)
    big = pd.concat([matches] * 2, ignore_index=True)
    big[c.HOME] = big[c.HOME] + np.repeat(["", " (b)"], len(matches))
    table = pd.concat(
        [prediction_frame(big, f"m{i}", rng.dirichlet([4, 2.5, 3], size=len(big))) for i in range(8)],
        ignore_index=True,
    )
    start = time.perf_counter()
    score(table)
    print(f"score(): {len(big)} matches x 8 models, 28 pairs, 2000 bootstrap draws: "
          f"{time.perf_counter() - start:.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
