"""Pipelines: the steps that wire sources, store, features, models, evaluation and registry, doing the I/O.

- :mod:`~scoreline.pipelines.definition`: the one declared list of steps of the training and staging
  pipelines (:data:`TRAINING`, :data:`STAGING`);
- :mod:`~scoreline.pipelines.runner`: runs a definition in-process (``scoreline run``);
- :mod:`~scoreline.pipelines.airflow_dags`: turns a definition into an Airflow DAG (``dags/``; needs the
  ``airflow`` extra, so it is not exported here);
- :mod:`~scoreline.pipelines.steps`: one function per step; :mod:`~scoreline.pipelines.rules` the pure
  decisions they make (rejected rows, time windows, ledger rows, which challenger to register);
- :mod:`~scoreline.pipelines.ingest`, :mod:`~scoreline.pipelines.features`, :mod:`~scoreline.pipelines.train`,
  :mod:`~scoreline.pipelines.backtest`, :mod:`~scoreline.pipelines.staging`,
  :mod:`~scoreline.pipelines.insights`: the pipelines behind the CLI commands;
  :mod:`~scoreline.pipelines.data` loads matches and odds from the store or a folder.

Names are imported on first use, so importing the definition stays light (Airflow parses DAG files often).
"""

from __future__ import annotations

from scoreline.lazy import lazy_exports

_EXPORTS = {
    "Parameter": "definition",
    "Pipeline": "definition",
    "Step": "definition",
    "TRAINING": "definition",
    "STAGING": "definition",
    "PIPELINES": "definition",
    "run_pipeline": "runner",
    "run_call": "runner",
    "DataQualityError": "rules",
    "ingest": "ingest",
    "IngestReport": "ingest",
    "run_feature_build": "features",
    "train_from_store": "train",
    "TrainResult": "train",
    "BacktestConfig": "backtest",
    "run_backtest": "backtest",
    "run_replay": "staging",
    "write_monitoring": "staging",
    "run_cluster_insights": "insights",
    "MatchData": "data",
    "load_match_data": "data",
}
__all__ = [*_EXPORTS]  # noqa: PLE0604 (the keys of _EXPORTS are strings)
__getattr__ = lazy_exports(__name__, _EXPORTS)
