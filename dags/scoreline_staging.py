"""Daily staging DAG: refresh data, predict the coming days into the ledger, score results, monitor.

Generated from :data:`scoreline.pipelines.definition.STAGING`: the DAG holds no logic and no task of its own.
Live (no ``from_dir``), ``refresh`` downloads the current season's files (new results) and
football-data.co.uk's ``fixtures.csv`` (the coming rounds), and ``predict`` records the champion's predictions
of the fixtures of the next ``horizon_days``. With ``from_dir`` (CI, replays of past seasons) both are read
from that folder, whose ``fixtures.csv`` is optional. See docs/staging.md.

Run it once in this process (``dag.test()``; a sqlite metadata database is migrated if needed)::

    python dags/scoreline_staging.py --from-dir DIR --leagues E0 --as-of 2025-03-07 --horizon-days 7
"""

from __future__ import annotations

import sys

from scoreline.pipelines.airflow_dags import build_dag, main
from scoreline.pipelines.definition import STAGING

staging_dag = build_dag(STAGING, __file__)

if __name__ == "__main__":
    sys.exit(main(staging_dag, STAGING))
