"""Our Dixon-Coles against penaltyblog's in the same walk-forward backtest, on the same matches.

Both refit every ISO week on a 730-day window with decay xi = 0.0018 (the reference forecasts' setting).
penaltyblog's model sees the test league only and, like the reference run, gives teams it has no history for
the league's base rates; ours also sees the neighbouring division, where a promoted team's history lives,
through its promoted-team prior. Prints pooled RPS on every match, on matches involving a promoted team
(absent from the league the season before) and on the rest, with a paired bootstrap interval.

Run: ``python bench/backtest_peer.py [--data DIR] [--leagues E0,SP1,D1,I1,F1] [--seasons 2122-2425]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoreline import columns as c
from scoreline.evaluation import metrics, stats
from scoreline.evaluation.scoring import round_blocks
from scoreline.evaluation.walk_forward import walk_forward
from scoreline.models.dixon_coles import DixonColesGoalModel
from scoreline.pipelines.data import load_from_dir
from scoreline.sources.seasons import parse_season_range

XI = 0.0018


class PenaltyblogDixonColes:
    """penaltyblog's ``DixonColesGoalModel`` behind scoreline's fit/predict_proba contract (bench only)."""

    def fit(self, matches: pd.DataFrame, y: Any = None) -> PenaltyblogDixonColes:
        import penaltyblog as pb

        played = matches[matches[c.HOME_GOALS].notna()]
        weights = pb.models.dixon_coles_weights(pd.to_datetime(played[c.DATE]), XI)
        self.model_ = pb.models.DixonColesGoalModel(
            played[c.HOME_GOALS].astype(int), played[c.AWAY_GOALS].astype(int), played[c.HOME], played[c.AWAY],
            weights=weights,
        )  # fmt: skip
        self.model_.fit()
        self.teams_ = set(played[c.HOME]) | set(played[c.AWAY])
        counts = played[c.RESULT].value_counts(normalize=True)
        self.base_rates_ = np.array([counts.get("H", 0.0), counts.get("D", 0.0), counts.get("A", 0.0)])
        return self

    def predict_proba(self, fixtures: pd.DataFrame) -> np.ndarray:
        rows = []
        for home, away in zip(fixtures[c.HOME], fixtures[c.AWAY], strict=True):
            if home in self.teams_ and away in self.teams_:
                rows.append(self.model_.predict(home, away).home_draw_away)
            else:
                rows.append(self.base_rates_)
        return np.asarray(rows, dtype=float)


def promoted_mask(predictions: pd.DataFrame, matches: pd.DataFrame) -> np.ndarray:
    """Matches where a team did not play in the same league the season before."""
    seasons = sorted(
        matches[c.SEASON].unique(), key=lambda s: matches.loc[matches[c.SEASON] == s, c.DATE].min()
    )
    previous = dict(zip(seasons[1:], seasons[:-1], strict=False))
    teams = matches.groupby([c.LEAGUE, c.SEASON])[c.HOME].agg(set).to_dict()
    return np.array(
        [
            not ({h, a} <= teams.get((lg, previous.get(s, "")), set()))
            for lg, s, h, a in zip(predictions[c.LEAGUE], predictions[c.SEASON], predictions[c.HOME],
                                   predictions[c.AWAY], strict=True)
        ]
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared/data/football-data"
    )
    parser.add_argument("--leagues", default="E0,SP1,D1,I1,F1")
    parser.add_argument("--seasons", default="2122-2425")
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    leagues = args.leagues.split(",")
    seasons = parse_season_range(args.seasons)
    lower = {"E0": "E1", "SP1": "SP2", "D1": "D2", "I1": "I2", "F1": "F2"}
    data = load_from_dir(args.data, [*leagues, *(lower[lg] for lg in leagues if lg in lower)])
    started = time.perf_counter()
    ours = walk_forward(data.matches, {"scoreline_dc": DixonColesGoalModel(xi=XI)}, leagues, seasons,
                        window_days=730, n_jobs=args.n_jobs)  # fmt: skip
    ours_seconds = time.perf_counter() - started
    started = time.perf_counter()
    peer = walk_forward(data.matches, {"penaltyblog_dc": PenaltyblogDixonColes}, leagues, seasons, window_days=730,
                        train_leagues={lg: (lg,) for lg in leagues}, n_jobs=args.n_jobs)  # fmt: skip
    peer_seconds = time.perf_counter() - started
    both = pd.concat([ours.predictions, peer.predictions]).dropna(subset=list(c.PROBABILITY_COLUMNS))
    wide = both.pivot_table(index=[c.LEAGUE, c.SEASON, c.DATE, c.HOME, c.AWAY, c.RESULT], columns="model",
                            values=list(c.PROBABILITY_COLUMNS)).dropna().reset_index()  # fmt: skip
    outcomes = metrics.outcome_indices(wide[c.RESULT])
    probs = {
        m: wide[[(p, m) for p in c.PROBABILITY_COLUMNS]].to_numpy()
        for m in ("scoreline_dc", "penaltyblog_dc")
    }
    flat = wide.copy()
    flat.columns = [a if not b else f"{a}:{b}" for a, b in wide.columns]
    promoted = promoted_mask(flat, data.matches)
    print(
        f"walk-forward, weekly refits, {len(wide)} matches; fits: ours {ours_seconds:.0f} s, peer {peer_seconds:.0f} s"
    )
    for label, mask in (
        ("all matches", np.ones(len(wide), bool)),
        ("promoted team", promoted),
        ("others", ~promoted),
    ):
        loss = {m: metrics.rps_scores(p[mask], outcomes[mask]) for m, p in probs.items()}
        comparison = stats.compare("scoreline_dc", loss["scoreline_dc"], "penaltyblog_dc", loss["penaltyblog_dc"],
                                   groups=round_blocks(flat[mask]))  # fmt: skip
        print(f"{label:14s} n={mask.sum():5d}  scoreline {loss['scoreline_dc'].mean():.4f}  "
              f"penaltyblog {loss['penaltyblog_dc'].mean():.4f}  diff {comparison['mean_diff']:+.4f} "
              f"[{comparison['ci_low']:+.4f}, {comparison['ci_high']:+.4f}]  better={comparison['a_beats_b']}")  # fmt: skip


if __name__ == "__main__":
    main()
