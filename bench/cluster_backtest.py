"""Does style-cluster membership (from past seasons only) improve the pi-rating model? Walk-forward test.

Top-5 leagues, 2021/22 to 2024/25, weekly refits: the pi-rating ordered logit with and without indicators of
the home and away teams' clusters (``scoreline.insights.membership.cluster_features``, k-means fitted on
earlier seasons' team profiles), scored on the same matches with a paired block-bootstrap interval.

Run: ``python bench/cluster_backtest.py [--data DIR] [--n-jobs 2]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from scoreline import columns as c
from scoreline.evaluation import metrics, stats
from scoreline.evaluation.scoring import round_blocks
from scoreline.evaluation.walk_forward import walk_forward
from scoreline.insights.membership import cluster_features
from scoreline.models.rating import RatingModel
from scoreline.pipelines.data import load_from_dir

TOP5 = ("E0", "SP1", "D1", "I1", "F1")
CLUSTERS = ("home_cluster", "away_cluster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/football-data"
    )
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    matches = load_from_dir(args.data, list(TOP5)).matches
    clusters = cluster_features(matches, method="kmeans")
    features = matches[list(c.MATCH_KEY)].join(clusters[list(CLUSTERS)])
    models = {"pi_rating": RatingModel("pi"), "pi_rating_clusters": RatingModel("pi", categorical=CLUSTERS)}
    result = walk_forward(matches, models, TOP5, ["2122", "2223", "2324", "2425"], features=features, window_days=1460,
                          train_leagues={lg: (lg,) for lg in TOP5}, n_jobs=args.n_jobs)  # fmt: skip
    wide = result.predictions.pivot_table(index=[c.LEAGUE, c.SEASON, c.DATE, c.HOME, c.AWAY, c.RESULT],
                                          columns="model", values=list(c.PROBABILITY_COLUMNS)).dropna().reset_index()  # fmt: skip
    outcomes = metrics.outcome_indices(wide[c.RESULT])
    flat = wide.copy()
    flat.columns = [a if not b else f"{a}:{b}" for a, b in wide.columns]
    loss = {
        m: metrics.rps_scores(wide[[(p, m) for p in c.PROBABILITY_COLUMNS]].to_numpy(), outcomes)
        for m in models
    }
    comparison = stats.compare("pi_rating_clusters", loss["pi_rating_clusters"], "pi_rating", loss["pi_rating"],
                               groups=round_blocks(flat))  # fmt: skip
    print(f"{len(wide)} matches, {time.perf_counter() - started:.0f} s; share with both clusters known: "
          f"{features[list(CLUSTERS)].notna().all(axis=1).mean():.2f}")  # fmt: skip
    for name in models:
        print(f"{name:20s} rps {loss[name].mean():.4f}")
    print(f"clusters - plain: {comparison['mean_diff']:+.4f} [{comparison['ci_low']:+.4f}, {comparison['ci_high']:+.4f}]"
          f"  p={comparison['p_value']:.3f}  improves: {comparison['a_beats_b']}")  # fmt: skip


if __name__ == "__main__":
    main()
