"""Benchmark: ingest the whole football-data mirror into a fresh store; print wall time, memory, rows.

Usage: python bench/ingest.py [--data DIR] [--db URL]   (default: a DuckDB file in a temporary folder)
Target: under 60 s into DuckDB. A second run over the same files (everything unchanged) is timed as well.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from scoreline.pipelines.ingest import FileStatus, ingest
from scoreline.sources.football_data import discover_folder
from scoreline.store import Store

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak resident memory of this process and its children, in MiB (Linux reports KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    default_data = Path(os.environ.get("SCORELINE_SHARED_DATA", ROOT.parent / "shared" / "data"))
    parser.add_argument("--data", type=Path, default=default_data, help="the shared/data folder")
    parser.add_argument("--db", default=None, help="store URL (default: fresh DuckDB file in a temp folder)")
    args = parser.parse_args()

    files = discover_folder(args.data / "football-data")
    with tempfile.TemporaryDirectory() as folder:
        url = args.db or f"duckdb:///{Path(folder) / 'bench.duckdb'}"
        with Store.from_url(url) as store:
            store.summary()  # create the schema outside the timing
            wall, cpu = time.perf_counter(), time.process_time()
            report = ingest(store, files)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            ingest_peak = peak_rss_mb()
            again = time.perf_counter()
            second = ingest(store, files)
            again = time.perf_counter() - again
            summary = store.summary()
            reads = {}
            for name, read in (
                ("read_matches()", store.read_matches),
                (
                    "read_odds(market='1x2', timing='closing')",
                    lambda: store.read_odds(market="1x2", timing="closing"),
                ),
                ("read_odds()", store.read_odds),
            ):
                started = time.perf_counter()
                rows = len(read())
                reads[name] = (time.perf_counter() - started, rows)
        size = Path(folder, "bench.duckdb").stat().st_size / 2**20 if args.db is None else float("nan")

    totals = report.totals()
    print(f"store:            {url.split('@')[-1]}")
    stored, failed = report.count(FileStatus.STORED), len(report.failed)
    print(f"files:            {len(files)} ({stored} stored, {failed} failed)")
    print(f"rows read:        {totals['rows_read']:,}")
    print(f"matches stored:   {int(summary['matches'].sum()):,}")
    print(f"odds rows stored: {int(summary['odds_rows'].sum()):,}")
    print(f"quarantined rows: {int(summary['quarantined'].sum()):,}")
    print(f"wall time:        {wall:.1f} s ({wall / len(files) * 1000:.0f} ms per file); target < 60 s")
    print(f"CPU time (proc):  {cpu:.1f} s (both threads: parse ahead + write)")
    print(f"re-run unchanged: {again:.1f} s ({second.count(FileStatus.UNCHANGED)} files skipped)")
    for name, (seconds, rows) in reads.items():
        print(f"{name}: {seconds:.1f} s for {rows:,} rows")
    print(f"peak memory:      {ingest_peak:.0f} MiB after ingesting, {peak_rss_mb():.0f} MiB after the reads")
    print(f"DuckDB file size: {size:.0f} MiB")
    print(f"load average:     {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs at the end")


if __name__ == "__main__":
    main()
