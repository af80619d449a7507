"""The command line's error boundary: each anticipated failure ends in what happened and what to do.

Every case below printed a traceback of 35 to 508 lines before the boundary (issue 17); now stderr holds an
``error:`` line and a ``hint:`` line, and the exit status is 2 for a mistake in the command or settings, 1
for the state of the world.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from scoreline.cli.main import app
from scoreline.settings import get_settings

runner = CliRunner()
UNREACHABLE_PG = "postgresql+psycopg://u:secret@127.0.0.1:1/x"  # port 1: refused at once
CLOSED_HTTP = "http://127.0.0.1:1/mmz4281"


def invoke(args: list[str]) -> Result:
    get_settings.cache_clear()
    return runner.invoke(app, args)


def assert_short_failure(result: Result, exit_code: int, error: str, hint: str) -> None:
    """Exit status, an ``error:`` line holding ``error``, a ``hint:`` line holding ``hint``, no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.startswith(("error:", "hint:"))]
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output and 'File "' not in result.output
    assert len(lines) == 2, result.stderr
    assert error in lines[0], lines[0]
    assert hint in lines[1], lines[1]
    assert ":secret@" not in result.output  # the password of the URLs below


@pytest.fixture()
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """football-data.co.uk answers nothing (a closed local port) and nothing is retried."""
    monkeypatch.setenv("SCORELINE_FOOTBALL_DATA_URL", CLOSED_HTTP)
    monkeypatch.setenv("SCORELINE_HTTP_RETRIES", "0")


def test_run_offline_without_from_dir(offline: None) -> None:
    result = invoke(["run", "--leagues", "E0", "--seasons", "2324", "--models", "elo"])
    assert_short_failure(result, 1, "cannot reach 127.0.0.1", "--from-dir DIR")


def test_ingest_and_fixtures_fetch_offline_without_from_dir(
    offline: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCORELINE_FIXTURES_URL", f"{CLOSED_HTTP}/fixtures.csv")
    result = invoke(["ingest", "--leagues", "E0", "--seasons", "2324"])
    assert_short_failure(result, 1, "cannot reach 127.0.0.1", "--from-dir DIR")
    result = invoke(["fixtures", "fetch"])
    assert_short_failure(result, 1, "127.0.0.1", "--from-dir DIR")


def test_run_from_a_missing_folder(tmp_path: Path) -> None:
    result = invoke(["run", "--from-dir", str(tmp_path / "missing"), "--leagues", "E0", "--seasons", "2324"])
    assert_short_failure(result, 1, str(tmp_path / "missing"), "--from-dir")


def test_backtest_on_an_empty_store() -> None:
    result = invoke(["backtest", "--leagues", "E0", "--test-seasons", "2324", "--models", "elo"])
    assert_short_failure(result, 1, "has no matches for E0", "scoreline ingest")


def test_stage_on_an_empty_store() -> None:
    result = invoke(["stage", "--league", "E0", "--season", "2324"])
    assert_short_failure(result, 1, "has no matches for E0", "scoreline ingest")


def test_unknown_league(mirror: Path, tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    assert invoke(["ingest", "--from-dir", str(mirror), "--db", db]).exit_code == 0
    result = invoke(["backtest", "--leagues", "ZZ", "--test-seasons", "2324", "--db", db])
    assert_short_failure(result, 1, "has no matches for ZZ", "scoreline ingest")


@pytest.mark.parametrize(
    ("db", "error"),
    [
        ("not-a-url", "not a database URL: 'not-a-url'"),
        ("mysql://u:secret@db.example/x", "cannot use mysql (mysql://u:***@db.example/x)"),
        ("duckdb://", "in-memory DuckDB database"),
        ("duckdb:///:memory:", "in-memory DuckDB database"),
    ],
)
def test_unusable_database_urls_are_configuration_errors(db: str, error: str) -> None:
    result = invoke(["data", "summary", "--db", db])
    assert_short_failure(result, 2, error, "duckdb:///")


def test_ingest_refuses_an_in_memory_duckdb(mirror: Path) -> None:
    """It used to say "224 matches stored" and exit 0 with the data gone."""
    result = invoke(["ingest", "--from-dir", str(mirror), "--db", "duckdb://"])
    assert_short_failure(result, 2, "in-memory DuckDB database", "duckdb:///path/to/scoreline.duckdb")


def test_missing_database_driver() -> None:
    result = invoke(["data", "summary", "--db", "postgresql+psycopg2://u:secret@127.0.0.1:1/x"])
    assert_short_failure(result, 2, "no database driver for postgresql+psycopg2", "postgresql+psycopg://")


def test_unreachable_postgresql() -> None:
    result = invoke(["data", "summary", "--db", UNREACHABLE_PG])
    assert_short_failure(result, 1, "cannot use the database: connection failed", "SCORELINE_DB_URL")


def test_invalid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCORELINE_HTTP_RETRIES", "many")
    result = invoke(["data", "summary"])
    assert_short_failure(result, 2, "invalid settings", "SCORELINE_*")
    assert "http_retries" in result.stderr


@pytest.mark.slow
def test_no_champion_to_roll_back_to() -> None:
    result = invoke(["rollback"])
    assert_short_failure(result, 1, "no previous champion", "scoreline run")


@pytest.fixture()
def locked_duckdb(tmp_path: Path) -> object:
    """A DuckDB file held open by another process (as by a second ``scoreline ingest``)."""
    path = tmp_path / "locked.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, duckdb
            connection = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            sys.stdin.read()
        """),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    yield path
    holder.communicate("", timeout=30)


def test_locked_duckdb_file(mirror: Path, locked_duckdb: Path) -> None:
    result = invoke(["ingest", "--from-dir", str(mirror), "--db", f"duckdb:///{locked_duckdb}"])
    assert_short_failure(
        result, 1, "the store's DuckDB file is in use", "wait for the other scoreline command"
    )


def test_debug_shows_the_redacted_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    result = invoke(["--debug", "data", "summary", "--db", UNREACHABLE_PG])
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "psycopg.OperationalError" in result.stderr
    assert result.stderr.splitlines()[-2].startswith("error: cannot use the database")
    assert ":secret@" not in result.output  # the password of the URLs below
    monkeypatch.setenv("SCORELINE_DEBUG", "1")
    assert "Traceback (most recent call last)" in invoke(["data", "summary", "--db", "not-a-url"]).stderr


def test_an_unexpected_error_is_one_line_and_points_to_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero at postgresql://u:secret@h/db")

    monkeypatch.setattr("scoreline.cli.data.summary_document", broken)
    result = invoke(["data", "summary"])
    assert_short_failure(result, 1, "unexpected ZeroDivisionError: division by zero", "--debug")


def test_usage_errors_stay_with_click() -> None:
    result = invoke(["backtest", "--leagues", "E0"])
    assert result.exit_code == 2
    assert "Missing option" in result.output and "error:" not in result.stderr.splitlines()[0]


def test_features_of_a_league_the_store_does_not_hold() -> None:
    result = invoke(["features", "build", "--leagues", "ZZ"])
    assert_short_failure(result, 1, "the store has no matches for ZZ", "scoreline ingest")


@pytest.mark.parametrize(
    ("key", "error"),
    [
        (None, "SCORELINE_API_KEY is not set"),
        ("change-me", "the example value from .env.example"),
        ("short-key", "has 9 characters; production needs 32"),
    ],
)
def test_serve_refuses_to_start_in_production_without_a_good_key(
    monkeypatch: pytest.MonkeyPatch, key: str | None, error: str
) -> None:
    monkeypatch.setenv("SCORELINE_ENV", "production")
    if key is None:
        monkeypatch.delenv("SCORELINE_API_KEY", raising=False)
    else:
        monkeypatch.setenv("SCORELINE_API_KEY", key)
    result = invoke(["serve", "--port", "1"])  # refused before anything listens
    assert_short_failure(result, 2, error, "secrets.token_urlsafe(32)")


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["backtest", "--leagues", "E0", "--test-seasons", "99xx"], "not a season code"),
        (["run", "--leagues", "E0", "--test-seasons", "2526-2324"], "season range runs backwards"),
    ],
)
def test_a_bad_value_is_an_input_error(args: list[str], error: str) -> None:
    assert_short_failure(invoke(args), 2, error, "scoreline COMMAND --help")
