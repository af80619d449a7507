"""Benchmark: start-up time of ``scoreline --help`` and ``--version`` against a bare ``python -c pass``.

Each command runs ``--runs`` times in a fresh process (after one unmeasured warm-up, so the file cache is
warm); the median wall time and the median CPU time (user + system of the child, less sensitive to other jobs
on a shared machine) are printed with the overhead over the bare interpreter, and the heavy libraries the
command imported (none is the target). Run: ``python bench/cli_start.py [--runs 15]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time

HEAVY = ("pandas", "numpy", "sklearn", "sqlalchemy", "mlflow", "tensorflow", "airflow", "lightgbm", "rich")
PROBE = "import sys, runpy\nsys.argv = ['scoreline', *sys.argv[1:]]\ntry:\n    runpy.run_module('scoreline', run_name='__main__')\nexcept SystemExit:\n    pass\nprint('LOADED', ','.join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)\n"


def median_seconds(argv: list[str], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``argv`` over ``runs`` fresh processes (one warm-up first)."""
    subprocess.run(argv, capture_output=True, check=True)
    wall, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        wall.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(wall), statistics.median(cpu)


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
    bare_wall, bare_cpu = median_seconds([sys.executable, "-c", "pass"], runs)
    print(
        f"python -c pass       wall {bare_wall * 1000:5.0f} ms, CPU {bare_cpu * 1000:5.0f} ms (medians of {runs})"
    )
    for args in (["--help"], ["--version"]):
        wall, cpu = median_seconds([sys.executable, "-m", "scoreline", *args], runs)
        print(
            f"scoreline {' '.join(args):<10} wall {wall * 1000:5.0f} ms (+{(wall - bare_wall) * 1000:.0f}), "
            f"CPU {cpu * 1000:5.0f} ms (+{(cpu - bare_cpu) * 1000:.0f}) over bare Python; "
            f"heavy libraries imported: {heavy_imports(args)}"
        )


if __name__ == "__main__":
    main()
