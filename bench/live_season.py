"""Benchmark: a whole season live over HTTP, per league, its live RPS beside the weekly walk-forward's.

For each league (default the top five) a loopback stand-in for football-data.co.uk
(``tests/staging/season_server.py``) serves the season as it looked each morning; scoreline runs the daily
STAGING pipeline and the weekly training (``tests/staging/live_season.py``) in a fresh ``SCORELINE_HOME``
from the league's first match day to the morning after its last, with the previous season as history. The
monitor step runs on each training day and the last morning (``--monitor weekly``), or on the last morning
only (``--monitor end``): its Evidently drift report is the dearest daily step.
Printed per league: wall and CPU time, days, weekly champions, matches scored, the live RPS (the monitor's
series) and the walk-forward's (cadence week, same model, training divisions and window) on the same matches,
and that of the same model fitted once before the season (cadence season).
Run: ``python bench/live_season.py [--leagues E0 SP1] [--season 2425] [--monitor end] [--keep DIR]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_ROOT))

from tests.staging.live_season import (  # noqa: E402 (after the path set-up)
    LiveSeason,
    backtest_rps,
    kickoffs,
    monitor_document,
    run_live_season,
    settings_environment,
    training_days,
)
from tests.staging.season_server import SeasonSite, serve  # noqa: E402

TOP_FIVE = ("E0", "SP1", "D1", "I1", "F1")


def previous_season(season: str) -> str:
    """``2324`` for ``2425``."""
    first = int(season[:2])
    return f"{(first - 1) % 100:02d}{first % 100:02d}"


def run_league(root: Path, league: str, season: str, home: Path, weekly_monitor: bool) -> str:
    """One league's season live: its line of figures."""
    from scoreline.leagues import with_training_divisions
    from scoreline.staging.ledger import AS_OF_REPLAY_RUN

    history = previous_season(season)
    site = SeasonSite.from_mirror(root, with_training_divisions([league]), [history, season])
    days = kickoffs(site, league, season).dt.date
    config = LiveSeason(league, season, (history,), start=days.min(), end=days.max() + timedelta(days=1))
    monitored = {*(training_days(site, config) if weekly_monitor else []), config.end}
    wall, cpu = time.perf_counter(), time.process_time()
    with serve(site) as base_url:
        os.environ.update(settings_environment(home, base_url))
        run = run_live_season(site, config, monitor_on=monitored.__contains__)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    summary = monitor_document(home, AS_OF_REPLAY_RUN)["summary"]
    backtest, backtest_score = backtest_rps(config)
    _, never_refitted = backtest_rps(config, cadence="season")
    downloads = site.downloads()
    return (
        f"{league} {season}: {run.days} days, {len(run.champions)} weekly champions, wall {wall / 60:.1f} min "
        f"(CPU {cpu / 60:.1f} min; training {run.seconds['training'] / 60:.1f}, staging "
        f"{run.seconds['staging'] / 60:.1f}); scored {summary['scored']} (backtest {len(backtest)}); "
        f"live RPS {summary['rps']:.5f}, walk-forward {backtest_score:.5f}, "
        f"difference {summary['rps'] - backtest_score:+.5f} (fitted once before the season: "
        f"{never_refitted:.5f}; closing market {summary['market_closing_rps']:.5f}); most 200s of one file "
        f"in a day: "
        f"{max(downloads.values())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leagues", nargs="+", default=list(TOP_FIVE), help="Leagues, one season each.")
    parser.add_argument("--season", default="2425", help="The season to run live (its previous is history).")
    parser.add_argument("--monitor", choices=("weekly", "end"), default="weekly", help="When to monitor.")
    parser.add_argument("--keep", type=Path, help="Keep each league's SCORELINE_HOME under this folder.")
    args = parser.parse_args()
    shared = Path(os.environ.get("SCORELINE_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
    root = shared / "football-data"
    if not root.is_dir():
        sys.exit(f"real data not found at {root} (set SCORELINE_SHARED_DATA to the shared/data folder)")
    print(
        f"started {date.today()}: {' '.join(args.leagues)} {args.season}, monitor {args.monitor}", flush=True
    )
    for league in args.leagues:
        with tempfile.TemporaryDirectory(prefix=f"live-{league}-") as scratch:
            home = args.keep / league if args.keep else Path(scratch)
            home.mkdir(parents=True, exist_ok=True)
            print(run_league(root, league, args.season, home, args.monitor == "weekly"), flush=True)


if __name__ == "__main__":
    main()
