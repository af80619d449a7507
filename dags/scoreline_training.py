"""Weekly training DAG: ingest, validate, features, backtest and train every model, register, promote.

Generated from :data:`scoreline.pipelines.definition.TRAINING`, the definition ``scoreline run`` executes
in-process: the DAG holds no logic and no task of its own. Parameters (leagues, seasons, models, data folder)
are DAG params, set with ``airflow dags trigger scoreline_training -c '{"from_dir": "..."}'``.

Run it once in this process (``dag.test()``; a sqlite metadata database is migrated if needed)::

    python dags/scoreline_training.py --from-dir ../shared/data/football-data --leagues E0 --seasons 2122-2425
"""

from __future__ import annotations

import sys

from scoreline.pipelines.airflow_dags import build_dag, main
from scoreline.pipelines.definition import TRAINING

training_dag = build_dag(TRAINING, __file__)

if __name__ == "__main__":
    sys.exit(main(training_dag, TRAINING))
