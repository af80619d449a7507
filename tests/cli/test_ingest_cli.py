"""``scoreline ingest`` and ``scoreline data summary``, in-process and as real processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scoreline.cli.main import app
from scoreline.store import Store
from tests.cli.cli_mirror import LEAGUES, MATCHES_PER_FILE, SEASONS

SRC = Path(__file__).resolve().parents[2] / "src"
runner = CliRunner()


def summary_json(db: str | None = None) -> dict:
    result = runner.invoke(app, ["data", "summary", "--json", *(["--db", db] if db else [])])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_ingest_then_summary_json(mirror: Path, tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    result = runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--db", db])
    assert result.exit_code == 0, result.output
    assert "4 files: 4 stored, 0 replaced, 0 unchanged, 0 failed" in result.output
    document = summary_json(db)
    assert document["totals"]["matches"] == document["totals"]["matches_with_result"] == 4 * MATCHES_PER_FILE
    assert document["totals"]["quarantined"] == 0
    assert [(row["league"], row["season"]) for row in document["rows"]] == [
        (league, season) for league in LEAGUES for season in SEASONS
    ]
    odds_rows = [row["odds_rows"] for row in document["rows"]]
    assert sum(odds_rows) == document["totals"]["odds_rows"] and min(odds_rows) > 20 * MATCHES_PER_FILE
    again = runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--db", db])
    assert "4 unchanged" in again.output
    assert summary_json(db) == document


def test_leagues_and_seasons_restrict_the_files(mirror: Path, tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    result = runner.invoke(
        app, ["ingest", "--from-dir", str(mirror), "--leagues", "SP1", "--seasons", "2324", "--db", db]
    )
    assert result.exit_code == 0, result.output
    rows = summary_json(db)["rows"]
    assert [(row["league"], row["season"], row["matches"]) for row in rows] == [
        ("SP1", "2324", MATCHES_PER_FILE)
    ]


def test_default_store_is_the_duckdb_file_in_home(mirror: Path, isolated_home: Path) -> None:
    result = runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--leagues", "E0"])
    assert result.exit_code == 0, result.output
    assert (isolated_home / "scoreline.duckdb").is_file()
    assert summary_json()["totals"]["matches"] == 2 * MATCHES_PER_FILE


def test_db_url_from_environment(mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from scoreline.settings import get_settings

    monkeypatch.setenv("SCORELINE_DB_URL", f"duckdb:///{tmp_path / 'env.duckdb'}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--leagues", "E0", "--seasons", "2223"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "env.duckdb").is_file()
    assert summary_json()["totals"]["matches"] == MATCHES_PER_FILE


def test_summary_table(mirror: Path, tmp_path: Path) -> None:
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    runner.invoke(app, ["ingest", "--from-dir", str(mirror), "--leagues", "E0", "--db", db])
    result = runner.invoke(app, ["data", "summary", "--db", db])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if "E0" in line or "Total" in line]
    assert len(lines) == 3
    assert lines[0].split("│")[1:4] == [" E0     ", " 2223   ", "      56 "]
    assert lines[2].split("│")[3].strip() == "112"


def test_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["ingest", "--from-dir", str(tmp_path / "nope"), "--db", f"duckdb:///{tmp_path / 'x.duckdb'}"]
    )
    assert result.exit_code == 2
    assert f"error: no football-data folder at {tmp_path / 'nope'}" in result.output
    assert "hint: give a folder laid out as football-data's" in result.output
    assert "Traceback" not in result.output


def test_quarantined_file_fails_the_run_with_its_reason_until_it_changes(
    mirror: Path, tmp_path: Path
) -> None:
    root = tmp_path / "mirror"
    shutil.copytree(mirror, root)
    (root / "E0" / "2324.csv").write_bytes(b"\x1f\x8b\x08\x00 a gzip file named .csv")
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    first = runner.invoke(app, ["ingest", "--from-dir", str(root), "--db", db])
    again = runner.invoke(app, ["ingest", "--from-dir", str(root), "--db", db])
    assert (first.exit_code, again.exit_code) == (1, 1)
    output = " ".join(first.output.split())
    assert "4 files: 3 stored, 0 replaced, 0 unchanged, 1 failed" in output
    assert (
        "quarantined E0/2324.csv: line 0, file: file rejected: not a CSV file but gzip-compressed data"
        in output
    )
    assert "4 files: 0 stored, 0 replaced, 3 unchanged, 1 failed" in " ".join(again.output.split())
    assert "quarantined E0/2324.csv: unchanged since quarantined: line 0, file:" in " ".join(
        again.output.split()
    )
    assert summary_json(db)["totals"]["matches"] == 3 * MATCHES_PER_FILE


# --- a real process killed in the middle of a file's transaction --------------------------------------------

STALL_AT_THIRD_FILE = """
import pathlib, sys, time
import scoreline.store.store as store_module
marker, insert, files = pathlib.Path(sys.argv[1]), store_module.insert_frame, []
def stalling_insert(conn, table, frame):
    rows = insert(conn, table, frame)
    if table.name == "odds":
        files.append(table.name)
        if len(files) == 3:  # third file: matches and odds inserted, not committed
            marker.write_text("stalled")
            time.sleep(600)
    return rows
store_module.insert_frame = stalling_insert
from scoreline.cli.main import app
app(sys.argv[2:])
"""


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scoreline", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.slow
def test_killed_ingestion_resumes_to_the_same_store(mirror: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC), "SCORELINE_HOME": str(tmp_path / "home")}
    killed_db = f"duckdb:///{tmp_path / 'killed.duckdb'}"
    clean_db = f"duckdb:///{tmp_path / 'clean.duckdb'}"
    marker = tmp_path / "stalled"
    ingest_args = ["ingest", "--from-dir", str(mirror)]
    process = subprocess.Popen(
        [sys.executable, "-c", STALL_AT_THIRD_FILE, str(marker), *ingest_args, "--db", killed_db],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), process.stderr.read().decode() if process.stderr else "no stall"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL

    with Store.from_url(killed_db) as store:
        partial = store.summary()
        stored_files = store.read_ingested_files()["source_file"].tolist()
    assert stored_files == ["E0/2223.csv", "E0/2324.csv"]  # the third file's transaction never committed
    assert partial["matches"].tolist() == [MATCHES_PER_FILE, MATCHES_PER_FILE]

    resumed = run_cli(*ingest_args, "--db", killed_db, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert "2 stored, 0 replaced, 2 unchanged, 0 failed" in resumed.stderr
    clean = run_cli(*ingest_args, "--db", clean_db, env=env)
    assert clean.returncode == 0, clean.stderr
    summaries = [run_cli("data", "summary", "--json", "--db", db, env=env) for db in (killed_db, clean_db)]
    assert json.loads(summaries[0].stdout) == json.loads(summaries[1].stdout)
    assert json.loads(summaries[0].stdout)["totals"]["matches"] == 4 * MATCHES_PER_FILE


# --- downloading: a local HTTP server laid out like football-data.co.uk ------------------------------


@pytest.fixture
def website(mirror: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``<url>/<SEASON>/<DIV>.csv`` served from the simulated mirror, set as SCORELINE_FOOTBALL_DATA_URL."""
    from scoreline.settings import get_settings

    site = tmp_path / "site"
    for league in LEAGUES:
        for season in SEASONS:
            (site / season).mkdir(parents=True, exist_ok=True)
            shutil.copy(mirror / league / f"{season}.csv", site / season / f"{league}.csv")
    handler = partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("SCORELINE_FOOTBALL_DATA_URL", url)
    get_settings.cache_clear()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def test_ingest_downloads_when_no_folder_is_given(website: str, tmp_path: Path, isolated_home: Path) -> None:
    db = f"duckdb:///{tmp_path / 'web.duckdb'}"
    result = runner.invoke(app, ["ingest", "--leagues", "E0,SP1", "--seasons", "2122-2324", "--db", db])
    assert result.exit_code == 0, result.output
    assert "4 files: 4 stored" in result.output  # 2122 is not on the site (404): skipped
    assert (isolated_home / "cache" / "SP1" / "2324.csv").is_file()
    assert summary_json(db)["totals"]["matches"] == 4 * MATCHES_PER_FILE
    again = runner.invoke(app, ["ingest", "--leagues", "E0,SP1", "--seasons", "2122-2324", "--db", db])
    assert "4 unchanged" in again.output
