"""Serving fixtures: a simulated league in a real DuckDB store (with scheduled fixtures), fitted goal models.

The league's kickoffs are shifted so that its last three rounds lie in the future; those fixtures have no
result. Models are fitted on the played matches only. ``ModelsInMemory`` implements the ``ModelProvider``
protocol over fitted estimators (aliases, versions, a promotion rule): the HTTP layer is tested without MLflow
(``test_registry_provider.py`` covers the real registry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from scoreline import columns as c
from scoreline.models.dixon_coles import DixonColesGoalModel
from scoreline.models.poisson import PoissonGoalModel
from scoreline.serving import create_app
from scoreline.serving.provider import ModelNotFoundError
from scoreline.serving.service import ModelHandle
from scoreline.settings import Settings
from scoreline.simulate import simulate_league
from scoreline.store import Store

UPCOMING_ROUNDS = 3
N_TEAMS = 20
API_KEY = "test-admin-key"


@dataclass(frozen=True)
class ParsedMatches:
    """What ``Store.write_parsed_file`` needs (matches only; no odds, nothing quarantined)."""

    source_file: str
    league: str
    season: str
    rows_read: int
    matches: pd.DataFrame
    odds: pd.DataFrame
    quarantine: pd.DataFrame


def scheduled_league(now: datetime) -> pd.DataFrame:
    """Two simulated seasons of E0 whose last ``UPCOMING_ROUNDS`` rounds kick off after ``now``, unplayed."""
    matches = simulate_league(n_teams=N_TEAMS, seasons=("2324", "2425"), seed=3).matches
    per_round = N_TEAMS // 2
    first_upcoming = matches[c.KICKOFF].iloc[-UPCOMING_ROUNDS * per_round]
    shift = (pd.Timestamp(now).normalize() + pd.Timedelta(days=2)) - first_upcoming.normalize()
    shift = pd.Timedelta(weeks=int(np.ceil(shift / pd.Timedelta(weeks=1))))  # keep weekdays
    out = matches.assign(**{c.DATE: matches[c.DATE] + shift, c.KICKOFF: matches[c.KICKOFF] + shift})
    future = out[c.KICKOFF] > pd.Timestamp(now)
    for name in (c.HOME_GOALS, c.AWAY_GOALS, c.HOME_GOALS_HT, c.AWAY_GOALS_HT, *c.STAT_COLUMNS):
        out[name] = out[name].astype("Int64").mask(future)
    out[c.RESULT] = out[c.RESULT].mask(future)
    return out


def write_to_store(
    url: str, matches: pd.DataFrame, odds: Callable[[pd.DataFrame], pd.DataFrame] | None = None
) -> None:
    """Write ``matches`` to the store at ``url``, one source file per league and season; ``odds`` gives the
    long odds rows of a file's matches (none by default)."""
    with Store.from_url(url) as store:
        for (league, season), rows in matches.groupby([c.LEAGUE, c.SEASON]):
            source = f"{league}/{season}.csv"
            frame = rows.assign(**{c.SOURCE_FILE: source, c.SOURCE_LINE: np.arange(2, len(rows) + 2)})
            parsed = ParsedMatches(
                source_file=source,
                league=str(league),
                season=str(season),
                rows_read=len(rows),
                matches=frame.loc[:, list(c.MATCH_COLUMNS)],
                odds=pd.DataFrame(columns=list(c.ODDS_COLUMNS)) if odds is None else odds(rows),
                quarantine=pd.DataFrame(columns=list(c.QUARANTINE_COLUMNS)),
            )
            store.write_parsed_file(parsed, content_sha256=f"sha-{source}")


class ModelsInMemory:
    """A ``ModelProvider`` over fitted estimators: version numbers, aliases, a promotion rule, load counts."""

    def __init__(self, versions: dict[int, tuple[str, Any]], aliases: dict[str, int]) -> None:
        self._versions = versions
        self.aliases = dict(aliases)
        self.loads: list[str] = []
        self.fail_next_load = False

    def load(self, ref: str) -> ModelHandle:
        self.loads.append(ref)
        if self.fail_next_load:
            self.fail_next_load = False
            raise ModelNotFoundError("simulated registry failure")
        version = int(ref) if ref.isdigit() else self.aliases.get(ref)
        if version is None or version not in self._versions:
            raise ModelNotFoundError(f"no version or alias {ref!r}")
        name, estimator = self._versions[version]
        return ModelHandle(
            estimator=estimator, name=name, version=str(version), alias=None if ref.isdigit() else ref
        )

    def versions(self) -> list[dict[str, Any]]:
        by_version: dict[int, list[str]] = {}
        for alias, version in self.aliases.items():
            by_version.setdefault(version, []).append(alias)
        return [
            {
                "version": v,
                "aliases": sorted(by_version.get(v, [])),
                "model": name,
                "metrics": {"rps": 0.2 + v / 1000},
                "run_id": f"run-{v}",
                "created": "2026-11-29T00:00:00+00:00",
            }
            for v, (name, _) in sorted(self._versions.items(), reverse=True)
        ]

    def promote(self, dry_run: bool = False) -> dict[str, Any]:
        champion, challenger = self.aliases.get("champion"), self.aliases.get("challenger")
        if challenger is None:
            raise ModelNotFoundError("no challenger")
        if not dry_run:
            self.aliases["champion"] = challenger
            del self.aliases["challenger"]
        return {"promote": True, "reason": "challenger better", "champion_version": champion,
                "challenger_version": challenger}  # fmt: skip


@pytest.fixture(scope="session")
def league_now() -> datetime:
    return datetime.now()


@pytest.fixture(scope="session")
def league_matches(league_now: datetime) -> pd.DataFrame:
    return scheduled_league(league_now)


@pytest.fixture(scope="session")
def fitted_models(league_matches: pd.DataFrame) -> dict[str, Any]:
    played = league_matches[league_matches[c.HOME_GOALS].notna()]
    return {
        "dixon_coles": DixonColesGoalModel().fit(played),
        "poisson": PoissonGoalModel().fit(played),
    }


@pytest.fixture(scope="session")
def store_url(tmp_path_factory: pytest.TempPathFactory, league_matches: pd.DataFrame) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('serving_store') / 'scoreline.duckdb'}"
    write_to_store(url, league_matches)
    return url


@pytest.fixture
def provider(fitted_models: dict[str, Any]) -> ModelsInMemory:
    return ModelsInMemory(
        {1: ("poisson", fitted_models["poisson"]), 2: ("dixon_coles", fitted_models["dixon_coles"])},
        {"champion": 2, "challenger": 1},
    )


@pytest.fixture
def settings(isolated_home: Path, store_url: str) -> Settings:
    return Settings(home=isolated_home, db_url=store_url, api_key=SecretStr(API_KEY))


@pytest.fixture
def app(settings: Settings, provider: ModelsInMemory) -> FastAPI:
    return create_app(settings, provider)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    with TestClient(app) as test_client:
        yield test_client
