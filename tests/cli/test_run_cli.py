"""``scoreline run`` runs the training pipeline definition and prints the summary it always printed.

The steps are replaced by recorders (each step is tested in tests/pipelines): this checks the command's
options, the parameters the pipeline receives and the output, table and JSON.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from scoreline.cli.main import app
from scoreline.pipelines import steps

runner = CliRunner()
RPS = {"dixon_coles": 0.2017, "pi_rating": 0.2056}


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    recorded: list[tuple[str, dict[str, Any]]] = []

    def recorder(name: str, result: Any) -> Any:
        def step(**kwargs: Any) -> Any:
            recorded.append((name, kwargs))
            return result(kwargs) if callable(result) else result

        return step

    def backtest(kw: dict[str, Any]) -> dict[str, Any]:
        model = kw["model"]
        return {
            "model": model,
            "league": kw["league"],
            "n": 380,
            "rps": RPS[model],
            "market_closing_rps": 0.1962,
        }

    monkeypatch.setattr(steps, "ingest_step", recorder("ingest", {"files": 2, "leagues": ["E0", "E1"]}))
    monkeypatch.setattr(steps, "validate_step", recorder("validate", {"share": 0.0, "leagues": ["E0", "E1"]}))
    monkeypatch.setattr(steps, "features_step", recorder("features", "fs1"))
    monkeypatch.setattr(steps, "backtest_step", recorder("backtest", backtest))
    monkeypatch.setattr(
        steps, "train_step", recorder("train", lambda kw: {"model": kw["model"], "run_id": "r"})
    )
    registered = {"champion": None, "challenger": None, "challenger_model": None, "reason": "none beats"}
    monkeypatch.setattr(steps, "register_step", recorder("register", registered))
    decision = {"promote": False, "reason": "no challenger registered: none beats"}
    monkeypatch.setattr(steps, "promote_step", recorder("promote", decision))
    return recorded


ARGS = ["run", "--leagues", "E0", "--seasons", "2021-2425", "--test-seasons", "2425"]
ARGS += ["--models", "dixon_coles,pi_rating", "--from-dir", "/data/football-data"]


def test_run_passes_its_options_to_the_pipeline(calls: list[tuple[str, dict[str, Any]]]) -> None:
    result = runner.invoke(app, [*ARGS, "--until", "2025-05-26"])
    assert result.exit_code == 0, result.output
    by_step = dict(calls)
    assert by_step["ingest"] == {"leagues": ["E0"], "seasons": "2021-2425", "from_dir": "/data/football-data"}
    assert [kw["model"] for name, kw in calls if name == "train"] == ["dixon_coles", "pi_rating"]
    assert by_step["train"] == {"model": "pi_rating", "leagues": ["E0"], "until": "2025-05-26"}
    assert by_step["backtest"] == {"model": "pi_rating", "league": "E0", "test_seasons": ["2425"]}
    assert [row["model"] for row in by_step["register"]["backtests"]] == ["dixon_coles", "pi_rating"]


def test_run_prints_the_backtest_table_and_the_registry_line(calls: list[tuple[str, dict[str, Any]]]) -> None:
    result = runner.invoke(app, ARGS)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    rows = [line for line in lines if "│ E0" in line]
    assert "dixon_coles" in rows[0] and "0.2017" in rows[0] and "0.1962" in rows[0]  # sorted by RPS
    assert "pi_rating" in rows[1] and "0.2056" in rows[1]
    text = " ".join(result.stdout.split())  # the console wraps long lines
    assert text.endswith(
        "champion version: unchanged; challenger: none registered; promoted: no "
        "(no challenger registered: none beats)"
    )


def test_run_json_keeps_its_keys(calls: list[tuple[str, dict[str, Any]]]) -> None:
    result = runner.invoke(app, [*ARGS, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert list(summary) == [
        "ingest",
        "validate",
        "features",
        "backtests",
        "trained",
        "registered",
        "promotion",
    ]
    assert summary["features"] == "fs1" and len(summary["backtests"]) == 2
