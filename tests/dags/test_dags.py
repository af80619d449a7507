"""Both Airflow DAGs run to success with ``dag.test()`` on a small subset of the real data.

Each DAG runs in a subprocess with its own AIRFLOW_HOME (sqlite metadata), so Airflow's configuration is
read fresh; the staging run injects a fault (a ledger write that fails once after writing) to show the retry
completes without duplicate ledger rows. The staging run sees the data as it was live on ``AS_OF``: the
season file up to that day and a ``fixtures.csv`` (results blank) with the next week's Premier League matches.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import textwrap
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


def _append_then_fail_once(self, predictions):
    result = _original(self, predictions)
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
        rows = connection.exec_driver_sql(
            "SELECT count(*), count(DISTINCT (league, date, home, away, model_version)), "
            "max(predicted_at < kickoff::TIMESTAMP) FROM prediction_ledger"
        ).one()
        from_fixtures = connection.exec_driver_sql(
            "SELECT count(*) FROM prediction_ledger p JOIN fixtures f USING (league, home, away) "
            "WHERE p.date::DATE = f.date AND f.source_file = 'fixtures.csv'"
        ).scalar()
    engine.dispose()
    assert scheduled > 0 and rows[0] == rows[1] == scheduled  # each fixture once, despite the retried task
    assert from_fixtures == scheduled  # the season file ends on AS_OF: every fixture came from fixtures.csv
    assert rows[2]
    # a run told what day it is (as_of) is a replay: its monitor is apart from the live one
    monitor = json.loads((home / "staging" / "replays" / "as-of" / "monitor.json").read_text())
    assert monitor["run"] == {"id": "as-of", "replay": True}
    assert monitor["summary"]["predictions"] == rows[0]
