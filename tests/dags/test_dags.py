"""Both Airflow DAGs run to success with ``dag.test()`` on a small subset of the real data.

Each DAG runs in a subprocess with its own AIRFLOW_HOME (sqlite metadata), so Airflow's configuration is
read fresh; the staging run injects a fault (a ledger write that fails once after writing) to show the retry
completes without duplicate ledger rows.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

pytest.importorskip("airflow", reason="Airflow is an optional extra: pip install '.[airflow]'")

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-03-07"  # the next Premier League round starts on 8 March

RUNNER = """
import json, sys
sys.path.insert(0, {dags!r})
from {module} import {dag}
run = {dag}.test(run_conf={conf!r})
print("RESULT " + json.dumps({{"state": str(run.state)}}))
"""

# Airflow may run each task in a process of its own: the fault goes in through sitecustomize, which every
# Python process started with this PYTHONPATH imports.
FAULT = """
from pathlib import Path

from scoreline.staging import ledger

_fault = Path({fault!r})
_original = ledger.Ledger.append


def _append_then_fail_once(self, predictions):
    result = _original(self, predictions)
    if not _fault.exists():
        _fault.write_text("failed once")
        raise RuntimeError("injected fault: the ledger write succeeded but the task failed")
    return result


ledger.Ledger.append = _append_then_fail_once
"""


def _run_dag(tmp: Path, env: dict[str, str], module: str, dag: str, conf: dict, inject: bool = False) -> str:
    script = tmp / f"run_{module}.py"
    script.write_text(
        textwrap.dedent(RUNNER).format(dags=str(ROOT / "dags"), module=module, dag=dag, conf=conf)
    )
    if inject:
        hooks = tmp / "inject"
        hooks.mkdir(exist_ok=True)
        (hooks / "sitecustomize.py").write_text(FAULT.format(fault=str(tmp / "fault")))
        env = {**env, "PYTHONPATH": os.pathsep.join([str(hooks), env["PYTHONPATH"]])}
    result = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=1500, check=False
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    assert result.returncode == 0 and lines, result.stdout[-3000:] + result.stderr[-3000:]
    return str(json.loads(lines[-1][len("RESULT ") :])["state"])


@pytest.mark.slow
def test_training_then_staging_dags_succeed(shared_data: Path, tmp_path: Path) -> None:
    subset = tmp_path / "football-data"
    for league in ("E0", "E1"):
        for season in ("2223", "2324", "2425"):
            target = subset / league / f"{season}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((shared_data / "football-data" / league / f"{season}.csv").read_bytes())
    home = tmp_path / "home"
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "SCORELINE_HOME": str(home),
        "SCORELINE_RETRY_DELAY_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    training = {
        "leagues": ["E0"],
        "seasons": "2223-2425",
        "test_seasons": ["2425"],
        "models": ["dixon_coles", "poisson"],
        "from_dir": str(subset),
        "until": AS_OF,
    }
    assert _run_dag(tmp_path, env, "scoreline_training", "training_dag", training) == "success"
    staging = {
        "leagues": ["E0"],
        "season": "2425",
        "from_dir": str(subset),
        "as_of": AS_OF,
        "horizon_days": 7,
    }
    assert _run_dag(tmp_path, env, "scoreline_staging", "staging_dag", staging, inject=True) == "success"
    assert (tmp_path / "fault").exists(), "the fault was not injected"
    engine = sa.create_engine(f"duckdb:///{home / 'scoreline.duckdb'}")
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT count(*), count(DISTINCT (league, date, home, away, model_version)), "
            "max(predicted_at < kickoff::TIMESTAMP) FROM prediction_ledger"
        ).one()
    engine.dispose()
    assert rows[0] > 0 and rows[0] == rows[1]  # predictions recorded once, despite the retried task
    assert rows[2]
    monitor = json.loads((home / "staging" / "monitor.json").read_text())
    assert monitor["summary"]["predictions"] == rows[0]
