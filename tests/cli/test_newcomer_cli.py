"""The CLI a newcomer meets: fast help, plain flags, the catalogue, doctor, --as-of, the URL, quiet train."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.doctor import Check, next_step
from scoreline.cli.main import app
from scoreline.cli.serve import serving_banner
from scoreline.cli.train import mlflow_output
from scoreline.models.catalogue import CATALOGUE
from scoreline.store import Store

runner = CliRunner()
HEAVY = ("pandas", "numpy", "sklearn", "sqlalchemy", "mlflow", "tensorflow", "airflow", "lightgbm", "rich")


def every_command(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The argument paths of every command under the (typer) click ``group``."""
    found: list[tuple[str, ...]] = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found.extend(every_command(command, (*prefix, name)))
        else:
            found.append((*prefix, name))
    return found


COMMANDS = every_command(typer.main.get_command(app))


@pytest.mark.parametrize(
    "argv", [["--help"], ["--version"], ["data", "summary", "--help"], ["train", "--help"]]
)
def test_help_and_version_import_no_heavy_library(argv: list[str]) -> None:
    code = (
        "import sys\nfrom scoreline.cli.main import app\ntry:\n    app(sys.argv[1:])\nexcept SystemExit:\n"
        f"    pass\nprint('LOADED', [m for m in {HEAVY!r} if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "LOADED []"


def test_every_command_shows_flags_without_a_type_placeholder_and_store_commands_take_db() -> None:
    assert len(COMMANDS) >= 15  # every command was walked
    for path in COMMANDS:
        result = runner.invoke(app, [*path, "--help"], terminal_width=100)
        assert result.exit_code == 0, (path, result.output)
        assert "<bool>" not in result.output, path
    for path in (("run",), ("serve",), ("predict",), ("ingest",), ("backtest",), ("doctor",), ("stage",)):
        assert "--db" in runner.invoke(app, [*path, "--help"]).output, path


def test_the_cutoff_help_reads_as_a_sentence() -> None:
    text = " ".join(runner.invoke(app, ["features", "build", "--help"], terminal_width=100).output.split())
    assert "--cutoff DATE Use only results of matches that kicked off before DATE (YYYY-MM-DD)" in text


def test_models_catalogue_lists_every_model_with_its_description() -> None:
    result = runner.invoke(app, ["models", "--catalogue"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == list(CATALOGUE)
    for line, entry in zip(lines, CATALOGUE.values(), strict=True):
        assert line.endswith(entry.description)
    listed = json.loads(runner.invoke(app, ["models", "--catalogue", "--json"]).output)
    assert listed["dixon_coles"] == CATALOGUE["dixon_coles"].description


def test_serve_prints_where_it_listens(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    db = f"duckdb:///{tmp_path / 'other.duckdb'}"
    result = runner.invoke(app, ["serve", "--port", "8123", "--db", db])
    assert result.exit_code == 0, result.output
    assert "dashboard http://127.0.0.1:8123/" in result.output
    assert "API docs http://127.0.0.1:8123/docs" in result.output
    assert calls[0]["port"] == 8123
    assert serving_banner("0.0.0.0", 80, "2").startswith("Serving model '2': dashboard http://127.0.0.1:80/")


def test_train_silences_mlflow_unless_verbose(capfd: pytest.CaptureFixture[str]) -> None:
    from mlflow.utils.logging_utils import eprint

    with mlflow_output(verbose=False):
        eprint("Registered model 'x' already exists. Creating a new version of this model...")
        with warnings.catch_warnings(record=True) as caught:
            warnings.warn_explicit("schema hint", UserWarning, "utils.py", 1, module="mlflow.types.utils")
    assert caught == [] and capfd.readouterr().err == ""
    with mlflow_output(verbose=True):
        eprint("Created version '1'")
    assert "Created version '1'" in capfd.readouterr().err
    eprint("after")  # the stream is enabled again
    assert "after" in capfd.readouterr().err


def test_doctor_names_the_failing_check_and_what_to_run(mirror: Path, tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'doctor.duckdb'}"
    empty = runner.invoke(app, ["doctor", "--db", db])
    assert empty.exit_code == 1
    assert f"FAIL   store      no store yet at {tmp_path / 'doctor.duckdb'}" in empty.output
    assert "-> scoreline ingest --leagues E0,E1 --seasons 2021-2425" in empty.output
    assert empty.output.splitlines()[-1].startswith("Next: scoreline ingest")
    assert runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--db", db]).exit_code == 0
    filled = json.loads(runner.invoke(app, ["doctor", "--db", db, "--json"]).output)
    checks = {check["name"]: check for check in filled["checks"]}
    assert checks["store"]["status"] == "ok" and "leagues E0, SP1" in checks["store"]["detail"]
    assert checks["registry"]["status"] == "fail" and checks["champion"]["status"] == "fail"
    assert filled["next"] == "scoreline train --model dixon_coles --leagues E0,E1 --register champion"
    assert checks["backtests"]["status"] == "warn" and checks["fixtures"]["status"] == "warn"
    assert {checks["airflow"]["status"], checks["chromium"]["status"]} <= {"ok", "warn", "absent"}


def test_the_next_step_is_the_first_failure_then_the_first_warning() -> None:
    checks = [
        Check("a", "warn", "", "run a"),
        Check("b", "fail", "", "run b"),
        Check("c", "fail", "", "run c"),
    ]
    assert next_step(checks) == "run b"
    assert next_step([Check("a", "ok", ""), Check("d", "absent", "", "install")]) is None


def stored_with_a_past_week(mirror: Path, tmp_path: Path) -> tuple[str, pd.Timestamp, pd.DataFrame]:
    """A store of the mirror's E0, a past date and the matches of the three days after it."""
    db = f"duckdb:///{tmp_path / 'asof.duckdb'}"
    ingested = runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--leagues", "E0", "--db", db])
    assert ingested.exit_code == 0, ingested.output
    with Store.from_url(db) as store:
        matches = store.read_matches()
    as_of = matches[c.KICKOFF].iloc[100].normalize() - pd.Timedelta(days=1)
    window = matches[(matches[c.KICKOFF] > as_of) & (matches[c.KICKOFF] <= as_of + pd.Timedelta(days=3))]
    return db, as_of, window


def test_fixtures_upcoming_as_of_a_past_date_lists_that_weeks_matches(mirror: Path, tmp_path: Path) -> None:
    db, as_of, window = stored_with_a_past_week(mirror, tmp_path)
    assert len(window) > 0 and window[c.RESULT].notna().all()
    argv = ["fixtures", "upcoming", "--as-of", f"{as_of:%Y-%m-%d}", "--days", "3", "--db", db, "--json"]
    listed = runner.invoke(app, argv)
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(r[c.HOME], r[c.AWAY]) for r in rows] == list(zip(window[c.HOME], window[c.AWAY], strict=True))
    now = runner.invoke(app, ["fixtures", "upcoming", "--db", db])
    assert now.exit_code == 0 and "No fixtures: run `scoreline fixtures fetch`" in now.output
    bad = runner.invoke(app, ["fixtures", "upcoming", "--as-of", "someday", "--db", db])
    assert bad.exit_code == 2 and "is not a date" in bad.output


def test_fixtures_upcoming_as_of_says_where_its_numbers_come_from(
    mirror: Path, tmp_path: Path, isolated_home: Path
) -> None:
    from scoreline.pipelines.backtest_index import index_path, record_backtest

    db, as_of, window = stored_with_a_past_week(mirror, tmp_path)
    argv = ["fixtures", "upcoming", "--as-of", f"{as_of:%Y-%m-%d}", "--days", "3", "--db", db]
    bare = runner.invoke(app, argv)
    assert bare.exit_code == 0, bare.output
    assert "No probabilities: no model is known to have been trained before this date" in bare.stdout
    assert f"scoreline backtest --leagues E0 --test-seasons {window[c.SEASON].iloc[0]}" in bare.stdout

    folder = tmp_path / "bt"
    folder.mkdir()
    cutoff = as_of - pd.Timedelta(days=4)
    window.assign(model="elo", p_home=0.61, p_draw=0.22, p_away=0.17, train_cutoff=cutoff).to_parquet(
        folder / "predictions.parquet"
    )
    metrics = {"pooled": {"elo": {"rps": 0.2}}, "matches": {"n_scored": len(window)},
               "config": {"leagues": ["E0"], "test_seasons": ["2425"], "models": ["elo"]}}  # fmt: skip
    (folder / "metrics.json").write_text(json.dumps(metrics))
    record_backtest(index_path(isolated_home), folder, metrics)
    table = runner.invoke(app, argv)
    assert table.exit_code == 0, table.output
    assert f"Walk-forward predictions of elo from the backtest {folder.resolve()}" in table.stdout
    assert f"fitted on matches before {cutoff:%Y-%m-%d} at the latest" in table.stdout
    assert table.stdout.count(" 61 ") == len(window) and "Home %" in table.stdout
    listed = runner.invoke(app, [*argv, "--json"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {
        (r["p_home"], r["forecast_source"], r["forecast_model"], r["forecast_train_cutoff"]) for r in rows
    } == {("0.61", "backtest", "elo", f"{cutoff:%Y-%m-%d}")}
