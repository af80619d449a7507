"""Benchmark: build every feature group for the football-data mirror and the Soccer Prediction Challenge DB.

Each dataset runs in two fresh child processes sharing a new numba cache folder: the first child's first build
compiles the kernels ("cold"), the second child's first build loads them from the cache ("cached"), and its
second build is "warm". Peak memory is the second child's peak RSS (ru_maxrss, including the data) and the
tracemalloc peak of a third build (Python and numpy allocations of the build alone). Data are read with a
minimal pandas reader (not timed). Run: ``python bench/features.py [--data /path/to/shared/data]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from scoreline import columns as c

STAT_MAP = {
    "HS": c.HOME_SHOTS, "AS": c.AWAY_SHOTS, "HST": c.HOME_SHOTS_ON_TARGET, "AST": c.AWAY_SHOTS_ON_TARGET,
    "HC": c.HOME_CORNERS, "AC": c.AWAY_CORNERS, "HY": c.HOME_YELLOW, "AY": c.AWAY_YELLOW, "HR": c.HOME_RED,
    "AR": c.AWAY_RED, "HF": c.HOME_FOULS, "AF": c.AWAY_FOULS,
}  # fmt: skip
ODDS_MAP = {"pinnacle": ("PSH", "PSD", "PSA"), "market_avg": ("AvgH", "AvgD", "AvgA")}
OLD_AVG = ("BbAvH", "BbAvD", "BbAvA")


def read_football_data(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Minimal reader: matches and long opening 1X2 odds of every ``<DIV>/<SEASON>.csv``."""
    matches, odds = [], []
    for path in sorted(root.glob("*/*.csv")):
        raw = pd.read_csv(path, encoding="utf-8-sig", encoding_errors="replace", low_memory=False)
        raw = raw.dropna(subset=["HomeTeam", "AwayTeam", "Date"])
        dates = raw["Date"].astype(str)
        date = pd.to_datetime(dates, format="%d/%m/%Y", errors="coerce").fillna(
            pd.to_datetime(dates, format="%d/%m/%y", errors="coerce")
        )
        kickoff = (
            date + pd.to_timedelta(raw["Time"].astype(str) + ":00", errors="coerce").fillna(pd.Timedelta(0))
            if "Time" in raw
            else date
        )
        frame = pd.DataFrame(
            {
                c.LEAGUE: path.parent.name, c.SEASON: path.stem, c.DATE: date, c.KICKOFF: kickoff,
                c.HOME: raw["HomeTeam"].str.strip(), c.AWAY: raw["AwayTeam"].str.strip(),
                c.HOME_GOALS: pd.to_numeric(raw["FTHG"], errors="coerce"),
                c.AWAY_GOALS: pd.to_numeric(raw["FTAG"], errors="coerce"),
            }
        )  # fmt: skip
        for source, target in STAT_MAP.items():
            frame[target] = pd.to_numeric(raw[source], errors="coerce") if source in raw else np.nan
        matches.append(frame)
        for bookmaker, names in ODDS_MAP.items():
            cols = OLD_AVG if bookmaker == "market_avg" and names[0] not in raw else names
            if cols[0] not in raw:
                continue
            for outcome, col in zip(c.OUTCOMES, cols, strict=True):
                odds.append(
                    frame[[c.LEAGUE, c.DATE, c.HOME, c.AWAY]].assign(
                        **{c.BOOKMAKER: bookmaker, c.MARKET: c.MARKET_1X2, c.LINE: np.nan,
                           c.TIMING: c.OPENING, c.OUTCOME: outcome,
                           c.PRICE: pd.to_numeric(raw[col], errors="coerce")}
                    )
                )  # fmt: skip
    all_matches = pd.concat(matches, ignore_index=True).dropna(subset=[c.DATE])
    all_odds = pd.concat(odds, ignore_index=True).dropna(subset=[c.DATE, c.PRICE])
    return all_matches.sort_values(c.KICKOFF, kind="stable", ignore_index=True), all_odds


def child(dataset: str, data: Path) -> dict[str, object]:
    from scoreline.features import OpeningOdds, build_features

    started = time.perf_counter()
    if dataset == "football-data":
        matches, long_odds = read_football_data(data / "football-data")
        odds: OpeningOdds | None = OpeningOdds.from_long(long_odds)
    else:
        from scoreline.sources.spc2023 import load_spc2023

        matches, odds = load_spc2023(data / "soccer-prediction-challenge-2023"), None
    read_seconds = time.perf_counter() - started
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    frame = build_features(matches, odds=odds)
    first = time.perf_counter() - started
    del frame
    started = time.perf_counter()
    frame = build_features(matches, odds=odds)
    warm = time.perf_counter() - started
    del frame
    tracemalloc.start()
    frame = build_features(matches, odds=odds)
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "dataset": dataset,
        "matches": len(matches),
        "columns": frame.shape[1],
        "groups": frame.attrs["groups"],
        "read_s": round(read_seconds, 2),
        "first_s": round(first, 2),
        "warm_s": round(warm, 2),
        "rss_before_mib": round(rss_before),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "warm_traced_peak_mib": round(traced_peak),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data"
    )
    parser.add_argument("--child", choices=["football-data", "spc2023"])
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.data)))
        return
    results = []
    for dataset in ("football-data", "spc2023"):
        with tempfile.TemporaryDirectory() as cache:
            env = {**os.environ, "NUMBA_CACHE_DIR": cache}
            runs = [
                json.loads(
                    subprocess.run(
                        [sys.executable, __file__, "--child", dataset, "--data", str(args.data)],
                        env=env,
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    .stdout.strip()
                    .splitlines()[-1]
                )
                for _ in range(2)  # 1st: empty numba cache (JIT compile); 2nd: cache filled by the 1st
            ]
        results.append({**runs[1], "cold_s": runs[0]["first_s"], "cached_s": runs[1]["first_s"]})
    header = ("dataset", "matches", "cols", "cold s", "cached s", "warm s", "peak RSS MiB", "traced MiB")
    print("{:15} {:>8} {:>5} {:>7} {:>8} {:>7} {:>13} {:>11}".format(*header))
    for r in results:
        print(
            f"{r['dataset']:15} {r['matches']:>8} {r['columns']:>5} {r['cold_s']:>7} {r['cached_s']:>8} "
            f"{r['warm_s']:>7} {r['peak_rss_mib']:>13} {r['warm_traced_peak_mib']:>11}"
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
