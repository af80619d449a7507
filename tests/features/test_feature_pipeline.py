"""The feature pipeline and ``scoreline features build`` against an in-memory store."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from scoreline import columns as c
from scoreline.cli.main import app
from scoreline.features import build_features
from scoreline.pipelines import features as pipeline
from scoreline.simulate import simulate_league
from tests.features.test_market_features import long_odds


class MemoryStore:
    """Holds a match frame and its long odds; answers like the real store."""

    def __init__(self) -> None:
        self.matches = pd.concat(
            [
                simulate_league(4, ("2324",), league="E0", seed=1).matches,
                simulate_league(4, ("2324",), league="SP1", seed=2).matches,
            ],
            ignore_index=True,
        ).sort_values(c.KICKOFF, kind="stable", ignore_index=True)
        self.odds = long_odds(self.matches)
        self.timings: list[str | None] = []

    def read_matches(
        self, leagues: Sequence[str] | None = None, seasons: Sequence[str] | None = None, before: Any = None
    ) -> pd.DataFrame:
        keep = self.matches[c.LEAGUE].isin(leagues) if leagues else slice(None)
        return self.matches[keep].reset_index(drop=True)

    def read_odds(
        self,
        leagues: Sequence[str] | None = None,
        seasons: Sequence[str] | None = None,
        market: str | None = None,
        timing: str | None = None,
        bookmakers: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        self.timings.append(timing)
        keep = self.odds[c.LEAGUE].isin(leagues) if leagues else pd.Series(True, index=self.odds.index)
        if timing:
            keep &= self.odds[c.TIMING] == timing
        return self.odds[keep].reset_index(drop=True)


def test_pipeline_saves_under_home_by_version_and_reads_back(isolated_home: Path) -> None:
    store = MemoryStore()
    summary = pipeline.run_feature_build(leagues=["E0"], store=store)
    assert store.timings == [c.OPENING]
    assert summary.rows == 12 and summary.groups == ["elo", "pi", "pi_shots", "form", "market"]
    path = Path(summary.path)
    assert path == isolated_home / "features" / f"{summary.feature_set_version}.parquet"
    table = pd.read_parquet(path)
    assert list(table.columns[:6]) == [c.LEAGUE, c.SEASON, c.DATE, c.KICKOFF, c.HOME, c.AWAY]
    assert table.attrs["feature_set_version"] == summary.feature_set_version
    expected = build_features(store.read_matches(["E0"]), groups=("elo",))
    assert table["elo_home"].tolist() == pytest.approx(expected["elo_home"].tolist())
    assert not list(path.parent.glob("*.tmp"))


def test_cli_build_writes_out_file_and_prints_json(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(pipeline, "open_store", lambda url=None: nullcontext(MemoryStore()))
    out = tmp_path / "features.parquet"
    result = CliRunner().invoke(
        app, ["features", "build", "--leagues", "E0,SP1", "--groups", "elo,form", "--out", str(out), "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["rows"] == 24 and summary["groups"] == ["elo", "form"] and summary["path"] == str(out)
    assert summary["columns"] == pd.read_parquet(out).shape[1]
    assert set(summary) == {"rows", "columns", "feature_set_version", "groups", "seconds", "path"}


def test_cli_rejects_unknown_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "open_store", lambda url=None: nullcontext(MemoryStore()))
    result = CliRunner().invoke(app, ["features", "build", "--groups", "elo,xg"])
    assert result.exit_code == 1
    assert "unknown feature group" in result.output


def test_cli_builds_from_a_real_duckdb_store(tmp_path: Path) -> None:
    from scoreline.simulate import write_football_data_csv
    from scoreline.sources.football_data_parser import parse_football_data
    from scoreline.store import Store

    url = f"duckdb:///{tmp_path / 'store.duckdb'}"
    with Store.from_url(url) as store:
        for league, seed in (("E0", 1), ("E1", 2)):
            matches = simulate_league(4, ("2324",), league=league, seed=seed).matches
            path = write_football_data_csv(matches, tmp_path / league / "2324.csv", seed=seed)
            content = path.read_bytes()
            parsed = parse_football_data(content, f"{league}/2324.csv", "2324")
            store.write_parsed_file(parsed, hashlib.sha256(content).hexdigest())
        stored = store.read_matches()
    out = tmp_path / "features.parquet"
    result = CliRunner().invoke(app, ["features", "build", "--db", url, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == len(stored) == 24
    table = pd.read_parquet(out)
    assert table[["mkt_shin_home", "mkt_margin"]].notna().all().all()  # opening Pinnacle prices
    expected = build_features(stored, groups=("elo",))
    assert table["elo_home"].tolist() == pytest.approx(expected["elo_home"].tolist())
