"""``scoreline fixtures fetch`` and ``scoreline fixtures upcoming`` on a folder holding a fixtures.csv."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.simulate import simulate_league
from tests.sources.fixtures_csv import fixtures_table, write_fixtures_csv

runner = CliRunner()


def test_fetch_from_dir_twice_then_list_the_upcoming_fixtures(tmp_path: Path) -> None:
    rows = simulate_league(n_teams=4, seasons=("2425",), seed=1).matches.tail(2)
    kickoff = pd.Timestamp.now().normalize() + pd.Timedelta(days=2, hours=15)
    rows = rows.assign(**{c.DATE: kickoff.normalize(), c.KICKOFF: kickoff})
    table = fixtures_table(rows)
    table.loc[1, "Div"] = "?"  # a bad row: quarantined
    write_fixtures_csv(table, tmp_path / "data" / "fixtures.csv")
    db = f"duckdb:///{tmp_path / 'cli.duckdb'}"
    fetch = ["fixtures", "fetch", "--from-dir", str(tmp_path / "data"), "--db", db, "--json"]
    first = runner.invoke(app, fetch)
    assert first.exit_code == 0, first.output
    outcome = json.loads(first.stdout)
    assert (outcome["status"], outcome["fixtures"], outcome["quarantined"]) == ("stored", 1, 1)
    assert outcome["leagues"] == ["E0"]
    second = runner.invoke(app, fetch)
    assert second.exit_code == 0 and json.loads(second.stdout)["status"] == "unchanged"
    listed = runner.invoke(app, ["fixtures", "upcoming", "--days", "3", "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    lines = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(line[c.HOME], line[c.AWAY]) for line in lines] == [(rows[c.HOME].iloc[0], rows[c.AWAY].iloc[0])]
    assert runner.invoke(app, ["fixtures", "upcoming", "--days", "1", "--db", db, "--json"]).stdout == ""
    missing = runner.invoke(app, ["fixtures", "fetch", "--from-dir", str(tmp_path), "--db", db])
    assert missing.exit_code == 2 and "error: no fixtures.csv in" in missing.output
    assert "hint: give a folder laid out as football-data's" in missing.output
