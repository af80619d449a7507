"""Benchmark: build every feature group for the football-data mirror and the Soccer Prediction Challenge DB.

Each dataset runs in two fresh child processes sharing a new numba cache folder: the first child's first build
compiles the kernels ("cold"), the second child's first build loads them from the cache ("cached"), and its
second build is "warm". Peak memory is the second child's peak RSS (ru_maxrss, including the data) and the
tracemalloc peak of a third build (Python and numpy allocations of the build alone). Data are read with
the project's football-data parser and SPC loader (not timed).
Run: ``python bench/features.py [--data /path/to/shared/data]``.
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

import pandas as pd

from scoreline import columns as c


def read_football_data(root: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Matches and long 1X2 odds of every ``<DIV>/<SEASON>.csv``, read with the project's parser."""
    from scoreline.sources.football_data_parser import parse_football_data

    matches, odds = [], []
    for path in sorted(root.glob("*/*.csv")):
        parsed = parse_football_data(path.read_bytes(), f"{path.parent.name}/{path.name}", path.stem)
        matches.append(parsed.matches)
        odds.append(parsed.odds[parsed.odds[c.MARKET] == c.MARKET_1X2])
    all_matches = pd.concat(matches, ignore_index=True)
    return all_matches.sort_values(c.KICKOFF, kind="stable", ignore_index=True), pd.concat(
        odds, ignore_index=True
    )


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
