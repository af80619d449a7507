"""Speed of the football-data parser over a whole mirror, against plain ``pandas.read_csv`` of the same bytes.

Uses the real mirror (``$SCORELINE_SHARED_DATA/football-data`` or ``../shared/data/football-data``) when
present, else 300 simulated season files. Prints wall and CPU seconds, rows per second and the ratio to the
peer (``read_csv`` only tokenises; the parser also validates, builds matches, long odds and quarantine).
Run: ``python bench/football_data_parse.py``.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from pathlib import Path

import pandas as pd

from scoreline.simulate import simulate_league, write_football_data_csv
from scoreline.sources.football_data import discover_folder
from scoreline.sources.football_data_parser import parse_football_data


def mirror() -> tuple[str, list[tuple[str, str, bytes]]]:
    default = Path(__file__).resolve().parents[1].parent / "shared" / "data"
    root = Path(os.environ.get("SCORELINE_SHARED_DATA", default)) / "football-data"
    if root.is_dir():
        return f"real mirror {root}", [
            (s.source_file, s.season, s.read_bytes()) for s in discover_folder(root)
        ]
    files = []
    with tempfile.TemporaryDirectory() as tmp:
        league = simulate_league(n_teams=20, seasons=("2324",), seed=0).matches
        for i in range(300):
            path = write_football_data_csv(league, Path(tmp) / f"{i}.csv", seed=i, bom=i % 2 == 0)
            files.append((f"E0/{i}.csv", "2324", path.read_bytes()))
    return "300 simulated files", files


def timed(function: object) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    function()  # type: ignore[operator]
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    label, files = mirror()
    counts = {"matches": 0, "odds": 0, "quarantine": 0}

    def parse_all() -> None:
        for name, season, content in files:
            parsed = parse_football_data(content, name, season)
            counts["matches"] += len(parsed.matches)
            counts["odds"] += len(parsed.odds)
            counts["quarantine"] += len(parsed.quarantine)

    def read_all() -> None:
        for _, _, content in files:
            pd.read_csv(io.BytesIO(content), encoding="utf-8-sig", dtype=str, keep_default_na=False)

    peer_wall, peer_cpu = timed(read_all)
    wall, cpu = timed(parse_all)
    print(f"{label}: {len(files)} files, {counts['matches']} matches, {counts['odds']} prices, "
          f"{counts['quarantine']} quarantine rows")  # fmt: skip
    rate = counts["matches"] / cpu
    print(f"parse_football_data: wall {wall:.2f} s, cpu {cpu:.2f} s, {rate:,.0f} matches/cpu-s")
    print(f"peer pandas.read_csv(dtype=str): wall {peer_wall:.2f} s, cpu {peer_cpu:.2f} s")
    print(f"ratio parser/peer (cpu): {cpu / peer_cpu:.2f}")


if __name__ == "__main__":
    main()
