"""Experiment tracking, the MLflow pyfunc wrapper, the champion/challenger registry, promotion, model cards.

MLflow is imported lazily, inside functions: importing this package neither loads MLflow nor connects to
anything. It does switch off MLflow's usage telemetry for the process (``MLFLOW_DISABLE_TELEMETRY`` and
``DO_NOT_TRACK``, unless already set), so nothing on this path ever calls out to the network.
"""

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")
