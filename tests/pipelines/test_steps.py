"""Steps use what they are given: ingest with the training divisions, validation of that ingest, gated
registration. Simulated football-data files in a temporary folder; the store is the test's own DuckDB."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from scoreline import columns as c
from scoreline.pipelines import rules, steps
from scoreline.simulate import simulate_league, write_football_data_csv
from scoreline.store import Store

SEASON = "2324"


@pytest.fixture(scope="module")
def mirror(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """E0, E1, E2 and D1 files of one season (the same simulated teams under each code)."""
    root = tmp_path_factory.mktemp("football-data")
    league = simulate_league(n_teams=6, seasons=(SEASON,), seed=5)
    for code in ("E0", "E1", "E2", "D1"):
        write_football_data_csv(league.matches.assign(**{c.LEAGUE: code}), root / code / f"{SEASON}.csv")
    return root


def stored_leagues() -> list[str]:
    from scoreline.settings import get_settings

    with Store.from_url(get_settings().resolved_db_url) as store:
        return sorted(store.summary()[c.LEAGUE].unique())


def test_ingest_reads_the_league_and_the_divisions_its_models_train_on(mirror: Path) -> None:
    result = steps.ingest_step(["E0"], SEASON, str(mirror))
    assert result["leagues"] == ["E0", "E1"]  # E0's models train on E0 and E1; E2 and D1 are not needed
    assert sorted(result["statuses"]) == ["E0/2324.csv", "E1/2324.csv"]
    assert stored_leagues() == ["E0", "E1"]


def test_validation_checks_what_the_ingest_read(mirror: Path) -> None:
    ingested = steps.ingest_step(["E0"], SEASON, str(mirror))
    validated = steps.validate_step(ingested)
    assert validated["leagues"] == ["E0", "E1"] and validated["seasons"] == [SEASON]
    assert validated["matches"] == 2 * 30 and validated["rejected_rows"] == 0
    failed = {**ingested, "statuses": {**ingested["statuses"], "E1/2324.csv": "failed"}}
    with pytest.raises(rules.DataQualityError, match="1 files failed"):
        steps.validate_step(failed)
    quarantined = {**ingested, "statuses": {**ingested["statuses"], "E1/2324.csv": "quarantined"}}
    with pytest.raises(rules.DataQualityError, match=r"1 files failed to ingest: E1/2324\.csv"):
        steps.validate_step(quarantined)  # a file refused whole is a failed file too


def test_validation_counts_only_the_ingested_scope(mirror: Path, tmp_path: Path) -> None:
    steps.ingest_step(["E0"], SEASON, str(mirror))
    d1 = pd.read_csv(mirror / "D1" / f"{SEASON}.csv")
    bad = tmp_path / "bad"
    (bad / "D1").mkdir(parents=True)
    d1.assign(FTHG="x").to_csv(bad / "D1" / f"{SEASON}.csv", index=False)  # every D1 row rejected
    d1_ingest = steps.ingest_step(["D1"], SEASON, str(bad))
    assert d1_ingest["statuses"] == {f"D1/{SEASON}.csv": "quarantined"}  # refused whole
    with pytest.raises(rules.DataQualityError, match=f"1 files failed to ingest: D1/{SEASON}"):
        steps.validate_step(d1_ingest)
    e0 = {"leagues": ["E0", "E1"], "seasons": [SEASON], "statuses": {}}
    assert steps.validate_step(e0)["rejected_rows"] == 0  # D1's rejected rows are not E0's problem


class FakeRegistry:
    def __init__(self, champion_model: str | None) -> None:
        self.versions = [] if champion_model is None else [{"aliases": ["champion"], "model": champion_model}]
        self.registered: list[tuple[str, str]] = []

    def list_versions(self) -> list[dict[str, Any]]:
        return self.versions

    def register(self, run_id: str, alias: str) -> int:
        self.registered.append((run_id, alias))
        return len(self.registered) + 1


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    from scoreline.registry import registry as module

    fake = FakeRegistry("dixon_coles")
    monkeypatch.setattr(module, "list_versions", fake.list_versions)
    monkeypatch.setattr(module, "register", fake.register)
    return fake


TRAINED = [
    {"model": "dixon_coles", "run_id": "dc", "val_rps": 0.20},
    {"model": "pi_rating", "run_id": "pi", "val_rps": 0.19},
]


def test_a_challenger_that_lost_the_backtest_is_not_registered(registry: FakeRegistry) -> None:
    backtests = [
        {"model": "dixon_coles", "league": "E0", "n": 380, "rps": 0.2017},
        {"model": "pi_rating", "league": "E0", "n": 380, "rps": 0.2056},
    ]
    registered = steps.register_step(TRAINED, backtests)
    assert registry.registered == [("dc", "champion")]  # the champion's model refitted replaces it
    assert registered["challenger"] is None and "0.2017" in registered["reason"]
    decision = steps.promote_step(registered)
    assert decision["promote"] is False and decision["reason"].startswith("no challenger registered")


def test_a_challenger_that_won_the_backtest_is_registered(registry: FakeRegistry) -> None:
    backtests = [
        {"model": "dixon_coles", "league": "E0", "n": 380, "rps": 0.2017},
        {"model": "pi_rating", "league": "E0", "n": 380, "rps": 0.2001},
    ]
    registered = steps.register_step(TRAINED, backtests)
    assert registry.registered == [("dc", "champion"), ("pi", "challenger")]
    assert registered["challenger_model"] == "pi_rating" and registered["champion"] == 2


def test_a_champion_whose_model_was_not_trained_stays(registry: FakeRegistry) -> None:
    backtests = [{"model": "dixon_coles", "league": "E0", "n": 380, "rps": 0.2017}]
    registered = steps.register_step([TRAINED[1]], backtests)
    assert registry.registered == [] and registered["champion"] is None


def test_without_a_champion_the_baseline_is_registered_first(registry: FakeRegistry) -> None:
    registry.versions = []
    registered = steps.register_step(
        TRAINED, [{"model": "dixon_coles", "league": "E0", "n": 380, "rps": 0.2}]
    )
    assert registry.registered == [("dc", "champion")] and registered["challenger"] is None


def test_goal_models_train_on_the_divisions_their_backtest_used(monkeypatch: pytest.MonkeyPatch) -> None:
    from scoreline.pipelines import train

    seen: dict[str, list[str]] = {}

    def fake_train(model: str, until: object, *, leagues: list[str]) -> Any:
        seen[model] = leagues
        return type("Result", (), {"run_id": model, "metrics": {"val_rps": 0.2}})()

    monkeypatch.setattr(train, "train_from_store", fake_train)
    steps.train_step("dixon_coles", ["E0"], until="2025-05-01")
    steps.train_step("pi_rating", ["E0"], until="2025-05-01")
    assert seen == {"dixon_coles": ["E0", "E1"], "pi_rating": ["E0"]}
