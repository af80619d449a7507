"""The DAGs run from a fresh AIRFLOW_HOME with the documented commands, to success on a small subset of the
real data, fail fast when the source is unreachable, and stop on SIGTERM.

Each run is a subprocess with its own AIRFLOW_HOME (sqlite metadata), so Airflow's configuration is read
fresh. The training DAG runs as the README says, ``python dags/scoreline_training.py --from-dir ...``, on a
fresh AIRFLOW_HOME (the command migrates its sqlite database); the staging run injects a fault (a ledger
write that fails once after writing) to show the retry completes without duplicate ledger rows. The staging
run sees the data as it was live on ``AS_OF``: the season file up to that day and a ``fixtures.csv`` (results
blank) with the next week's Premier League matches.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from scoreline.columns import CLOSING
from scoreline.sources.odds_columns import classify_odds_columns

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


def _append_then_fail_once(self, predictions, *args, **kwargs):
    result = _original(self, predictions, *args, **kwargs)
    if not _fault.exists():
        _fault.write_text("failed once")
        raise RuntimeError("injected fault: the ledger write succeeded but the task failed")
    return result


ledger.Ledger.append = _append_then_fail_once
"""


BLANK_BEFORE_KICKOFF = ("FTHG", "FTAG", "FTR", "HTHG", "HTAG", "HTR", "Referee", "HS", "AS", "HST", "AST",
                        "HF", "AF", "HC", "AC", "HY", "AY", "HR", "AR")  # fmt: skip


def _live_folder(season_file: Path, target: Path, as_of: date, days: int) -> int:
    """``target/E0/2425.csv`` up to ``as_of``, ``target/fixtures.csv`` of the next ``days``; its row count."""
    rows = list(csv.reader(io.StringIO(season_file.read_text(encoding="utf-8-sig"))))
    header, body = rows[0], [row for row in rows[1:] if row]
    day = {id(row): datetime.strptime(row[1], "%d/%m/%Y").date() for row in body}
    closing = {spec.column for spec in classify_odds_columns(header, set())[0] if spec.timing == CLOSING}
    blank = [i for i, name in enumerate(header) if name in BLANK_BEFORE_KICKOFF or name in closing]
    ahead = [row for row in body if as_of < day[id(row)] <= as_of + timedelta(days=days)]
    for row in ahead:
        for i in blank:
            row[i] = ""

    def write(path: Path, lines: list[list[str]]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([header, *lines])
        path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode())

    write(target / "E0" / "2425.csv", [row for row in body if day[id(row)] <= as_of])
    write(target / "fixtures.csv", ahead)
    return len(ahead)


def _airflow_env(tmp: Path, home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "AIRFLOW_HOME": str(tmp / "airflow"),  # fresh: nothing migrated, no DAG folder
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "SCORELINE_HOME": str(home),
        "SCORELINE_RETRY_DELAY_SECONDS": "1",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }


def _command(dag_file: str, *options: str) -> list[str]:
    return [sys.executable, str(ROOT / "dags" / dag_file), *options]


def _task_states(tmp: Path, dag_id: str) -> dict[str, tuple[str, int]]:
    """Each task's final state and try number, from the run's sqlite metadata database."""
    with sqlite3.connect(tmp / "airflow" / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, state, try_number FROM task_instance WHERE dag_id = ? AND map_index = -1",
            (dag_id,),
        ).fetchall()
    return {task: (state, tries) for task, state, tries in rows}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow  # about a minute: migrates a fresh sqlite metadata database
def test_an_unreachable_source_fails_the_run_at_once_from_a_fresh_airflow_home(tmp_path: Path) -> None:
    env = {
        **_airflow_env(tmp_path, tmp_path / "home"),
        "SCORELINE_RETRY_DELAY_SECONDS": "600",  # a retry would wait 10 minutes: none must happen
        "SCORELINE_FOOTBALL_DATA_URL": f"http://127.0.0.1:{_closed_port()}/mmz4281",
        "SCORELINE_HTTP_RETRIES": "0",
    }
    result = subprocess.run(
        _command("scoreline_training.py", "--leagues", "E0", "--seasons", "2425"),
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "scoreline_training: failed" in result.stderr
    assert "ingest: SourceUnavailableError: cannot reach 127.0.0.1" in output
    states = _task_states(tmp_path, "scoreline_training")
    assert states["ingest"] == ("failed", 1)  # one try, no retry
    assert states["validate"][0] == "upstream_failed"


SLOW_REFRESH = """
import time
from pathlib import Path

from scoreline.pipelines import steps


def _slow_refresh(*args, **kwargs):
    Path({started!r}).write_text("refresh started")
    time.sleep(600)


steps.refresh_step = _slow_refresh
"""


@pytest.mark.slow  # about a minute: migrates a fresh sqlite metadata database
def test_sigterm_stops_a_run_of_the_documented_command(tmp_path: Path) -> None:
    hooks, started = tmp_path / "hooks", tmp_path / "started"
    hooks.mkdir()
    (hooks / "sitecustomize.py").write_text(SLOW_REFRESH.format(started=str(started)))
    env = _airflow_env(tmp_path, tmp_path / "home")
    env["PYTHONPATH"] = os.pathsep.join([str(hooks), env["PYTHONPATH"]])
    process = subprocess.Popen(
        _command("scoreline_staging.py", "--leagues", "E0", "--as-of", AS_OF),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 600
        while not started.exists() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.5)
        assert started.exists(), "the refresh task never started"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 128 + signal.SIGTERM
    assert "stopped by SIGTERM" in stderr


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
    state = str(json.loads(lines[-1][len("RESULT ") :])["state"])
    failures = [line for line in (result.stdout + result.stderr).splitlines() if "Error" in line]
    assert state == "success", "\n".join(failures[-20:])
    return state


@pytest.mark.slow
def test_training_then_staging_dags_succeed(shared_data: Path, tmp_path: Path) -> None:
    subset = tmp_path / "football-data"
    for league in ("E0", "E1"):
        for season in ("2223", "2324", "2425"):
            target = subset / league / f"{season}.csv"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((shared_data / "football-data" / league / f"{season}.csv").read_bytes())
    home = tmp_path / "home"
    env = {**_airflow_env(tmp_path, home), "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags")}
    training = [
        "--leagues", "E0", "--seasons", "2223-2425", "--test-seasons", "2425",
        "--models", "dixon_coles,poisson", "--from-dir", str(subset), "--until", AS_OF,
    ]  # fmt: skip
    trained = subprocess.run(
        _command("scoreline_training.py", *training),
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    assert trained.returncode == 0, trained.stdout[-3000:] + trained.stderr[-3000:]
    assert "scoreline_training: success" in trained.stderr
    live = tmp_path / "live"
    scheduled = _live_folder(subset / "E0" / "2425.csv", live, date.fromisoformat(AS_OF), days=7)
    staging = {
        "leagues": ["E0"],
        "season": "2425",
        "from_dir": str(live),
        "as_of": AS_OF,
        "horizon_days": 7,
    }
    assert _run_dag(tmp_path, env, "scoreline_staging", "staging_dag", staging, inject=True) == "success"
    assert (tmp_path / "fault").exists(), "the fault was not injected"
    engine = sa.create_engine(f"duckdb:///{home / 'scoreline.duckdb'}")
    with engine.connect() as connection:
        divisions = (
            connection.exec_driver_sql("SELECT DISTINCT league FROM matches ORDER BY 1").scalars().all()
        )
        rows = connection.exec_driver_sql(
            "SELECT count(*), count(DISTINCT (league, date, home, away, model_version)), "
            "max(predicted_at < kickoff::TIMESTAMP) FROM prediction_ledger"
        ).one()
        from_fixtures = connection.exec_driver_sql(
            "SELECT count(*) FROM prediction_ledger p JOIN fixtures f USING (league, home, away) "
            "WHERE p.date::DATE = f.date AND f.source_file = 'fixtures.csv'"
        ).scalar()
    engine.dispose()
    assert divisions == ["E0", "E1"]  # the DAG ingested the division E0's goal models also train on
    assert scheduled > 0 and rows[0] == rows[1] == scheduled  # each fixture once, despite the retried task
    assert from_fixtures == scheduled  # the season file ends on AS_OF: every fixture came from fixtures.csv
    assert rows[2]
    # a run told what day it is (as_of) is a replay: its monitor is apart from the live one
    monitor = json.loads((home / "staging" / "replays" / "as-of" / "monitor.json").read_text())
    assert monitor["run"] == {"id": "as-of", "replay": True}
    assert monitor["summary"]["predictions"] == rows[0]
