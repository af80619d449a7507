"""Benchmark: start-up time of ``scoreline --help`` and ``--version`` against a bare ``python -c pass``.

Each command runs ``--runs`` times in a fresh process (after one unmeasured warm-up, so the file cache is
warm); the median wall time is printed with the overhead over the bare interpreter, and the heavy libraries
the command imported (none is the target). Run: ``python bench/cli_start.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

HEAVY = ("pandas", "numpy", "sklearn", "sqlalchemy", "mlflow", "tensorflow", "airflow", "lightgbm", "rich")
PROBE = "import sys, runpy\nsys.argv = ['scoreline', *sys.argv[1:]]\ntry:\n    runpy.run_module('scoreline', run_name='__main__')\nexcept SystemExit:\n    pass\nprint('LOADED', ','.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"


def median_seconds(argv: list[str], runs: int) -> float:
    """Median wall time of ``argv`` over ``runs`` fresh processes (one warm-up first)."""
    subprocess.run(argv, capture_output=True, check=True)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def heavy_imports(args: list[str]) -> str:
    """The heavy libraries ``scoreline ARGS`` leaves imported."""
    probe = PROBE.format(heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, check=True)
    line = next(row for row in done.stderr.splitlines() if row.startswith("LOADED"))
    return line.removeprefix("LOADED").strip() or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Measured runs per command.")
    runs = parser.parse_args().runs
    bare = median_seconds([sys.executable, "-c", "pass"], runs)
    print(f"python -c pass          {bare * 1000:7.0f} ms (median of {runs})")
    for args in (["--help"], ["--version"]):
        took = median_seconds([sys.executable, "-m", "scoreline", *args], runs)
        print(
            f"scoreline {' '.join(args):<13} {took * 1000:7.0f} ms, +{(took - bare) * 1000:.0f} ms over bare "
            f"Python; heavy libraries imported: {heavy_imports(args)}"
        )


if __name__ == "__main__":
    main()
