"""Dixon-Coles fit speed and robustness against penaltyblog, measured in the same run.

1. Speed: one league, 760 matches (Premier League 2022/23 + 2023/24) with decay weights (xi = 0.0018): median
   fit time of scoreline's ``DixonColesGoalModel(prior_weight=0)`` (the same unpenalised model) and
   penaltyblog's ``DixonColesGoalModel`` (as installed, and limited to one BLAS thread like scoreline's fit),
   their ratio and the log-likelihoods. penaltyblog 1.13's analytic gradient is inaccurate, so its default fit
   stops short of the optimum; its documented ``use_gradient=False`` reaches it, and that is the fit compared
   "at equal likelihood".
2. Robustness: every league-season in the football-data folder, fitted by both; a fit fails when it raises,
   does not converge, or predicts a NaN or negative probability for any match of that season.

Run: ``python bench/fit.py [--data /work/shared/data/football-data] [--repeats 5]`` (reads CSVs with pandas).
"""

from __future__ import annotations

import argparse
import logging
import statistics
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from scoreline import columns as c
from scoreline.models.dixon_coles import DixonColesGoalModel

XI = 0.0018


def read_season(path: Path) -> pd.DataFrame:
    """One football-data CSV as a canonical match frame; rows with a blank team or score are skipped."""
    try:
        raw = pd.read_csv(path, encoding="utf-8-sig", on_bad_lines="skip")
    except UnicodeDecodeError:
        raw = pd.read_csv(path, encoding="latin-1", on_bad_lines="skip")
    raw = raw.dropna(subset=["HomeTeam", "AwayTeam", "FTHG", "FTAG", "Date"])
    return pd.DataFrame(
        {
            c.LEAGUE: path.parent.name,
            c.SEASON: path.stem,
            c.DATE: pd.to_datetime(raw["Date"], dayfirst=True, format="mixed"),
            c.HOME: raw["HomeTeam"].astype(str).str.strip(),
            c.AWAY: raw["AwayTeam"].astype(str).str.strip(),
            c.HOME_GOALS: raw["FTHG"].astype(int),
            c.AWAY_GOALS: raw["FTAG"].astype(int),
        }
    ).reset_index(drop=True)


def fit_penaltyblog(matches: pd.DataFrame, use_gradient: bool = True):  # type: ignore[no-untyped-def]
    import penaltyblog as pb

    weights = pb.models.dixon_coles_weights(matches[c.DATE], XI)
    model = pb.models.DixonColesGoalModel(
        matches[c.HOME_GOALS], matches[c.AWAY_GOALS], matches[c.HOME], matches[c.AWAY], weights=weights
    )
    model.fit(use_gradient=use_gradient)
    return model


def fit_ours(matches: pd.DataFrame) -> DixonColesGoalModel:
    return DixonColesGoalModel(xi=XI, prior_weight=0.0).fit(matches)


def fit_penaltyblog_one_thread(matches: pd.DataFrame):  # type: ignore[no-untyped-def]
    with threadpool_limits(limits=1, user_api="blas"):
        return fit_penaltyblog(matches)


def fit_penaltyblog_converged(matches: pd.DataFrame):  # type: ignore[no-untyped-def]
    """penaltyblog with finite-difference gradients: slower, but it reaches the optimum."""
    with threadpool_limits(limits=1, user_api="blas"):
        return fit_penaltyblog(matches, use_gradient=False)


def speed(data: Path, repeats: int) -> None:
    """Interleaved repeats (the machine is shared): median wall-clock and CPU time of every contender."""
    matches = pd.concat([read_season(data / "E0" / f"{s}.csv") for s in ("2223", "2324")], ignore_index=True)
    contenders = {
        "scoreline": fit_ours,
        "penaltyblog": fit_penaltyblog,
        "penaltyblog, one BLAS thread": fit_penaltyblog_one_thread,
        "penaltyblog, converged": fit_penaltyblog_converged,
    }
    wall: dict[str, list[float]] = {name: [] for name in contenders}
    cpu: dict[str, list[float]] = {name: [] for name in contenders}
    models = {name: fit(matches) for name, fit in contenders.items()}  # warm up imports and caches
    for _ in range(repeats):
        for name, fit in contenders.items():
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            fit(matches)
            wall[name].append(time.perf_counter() - start_wall)
            cpu[name].append(time.process_time() - start_cpu)
    likelihood = {
        name: model.log_likelihood_ if name == "scoreline" else model.loglikelihood
        for name, model in models.items()
    }
    print(
        f"speed: {len(matches)} matches (E0 2022/23 + 2023/24), xi={XI}, median of {repeats} interleaved fits"
    )
    ours_wall, ours_cpu = statistics.median(wall["scoreline"]), statistics.median(cpu["scoreline"])
    for name in contenders:
        w, t = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"  {name:28s} wall {w * 1000:7.1f} ms ({w / ours_wall:5.1f}x)  cpu {t * 1000:7.1f} ms "
              f"({t / ours_cpu:5.1f}x)  log-likelihood {likelihood[name]:.6f}")  # fmt: skip
    for peer in ("penaltyblog", "penaltyblog, converged"):
        difference = likelihood["scoreline"] - likelihood[peer]
        relative = difference / abs(likelihood[peer])
        print(
            f"  log-likelihood difference (scoreline - {peer}) {difference:+.2e} (relative {relative:+.1e})"
        )


def probabilities_ok(p: np.ndarray) -> bool:
    return bool(np.all(np.isfinite(p)) and np.all(p >= 0) and np.allclose(p.sum(axis=1), 1.0, atol=1e-9))


def robustness(data: Path) -> None:
    files = sorted(data.glob("*/*.csv"))
    failures: dict[str, list[str]] = {"scoreline": [], "penaltyblog": []}
    ours_time = pb_time = 0.0
    n_fits = 0
    for path in files:
        matches = read_season(path)
        if matches[c.HOME].nunique() < 2:
            continue
        n_fits += 1
        label = f"{path.parent.name}/{path.stem}"
        start = time.perf_counter()
        try:
            p = fit_ours(matches).predict_proba(matches)
            if not probabilities_ok(p):
                failures["scoreline"].append(f"{label}: invalid probabilities")
        except Exception as error:
            failures["scoreline"].append(f"{label}: {type(error).__name__}: {error}")
        ours_time += time.perf_counter() - start
        start = time.perf_counter()
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = fit_penaltyblog_one_thread(matches)  # same result, less contention
                grids = [model.predict(h, a) for h, a in zip(matches[c.HOME], matches[c.AWAY], strict=True)]
            p = np.array([g.home_draw_away for g in grids])
            if not probabilities_ok(p):
                failures["penaltyblog"].append(f"{label}: invalid probabilities")
        except Exception as error:
            failures["penaltyblog"].append(f"{label}: {type(error).__name__}: {str(error)[:80]}")
        pb_time += time.perf_counter() - start
    print(f"robustness: {n_fits} league-seasons in {data}")
    print(f"  scoreline   failed fits {len(failures['scoreline']):3d}  total time {ours_time:6.1f} s")
    print(f"  penaltyblog failed fits {len(failures['penaltyblog']):3d}  total time {pb_time:6.1f} s")
    for name, items in failures.items():
        for item in items:
            print(f"    {name}: {item}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/football-data"))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--skip-robustness", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    speed(args.data, args.repeats)
    if not args.skip_robustness:
        robustness(args.data)


if __name__ == "__main__":
    main()
