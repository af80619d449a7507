"""Fixtures for registry tests: a tiny seeded estimator, a shared MLflow store, no network."""

from __future__ import annotations

import socket
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator

from scoreline import columns as c
from scoreline.evaluation.benchmarks import BaseRatesModel
from scoreline.models.dixon_coles import DixonColesGoalModel
from scoreline.registry.tracking import Tracking


class TeamStrengthModel(BaseEstimator):
    """Base rates tilted by the teams' points per game; ``noise`` jitters strengths with ``random_state``."""

    def __init__(self, tilt: float = 0.15, noise: float = 0.0, random_state: int | None = None) -> None:
        self.tilt = tilt
        self.noise = noise
        self.random_state = random_state

    def fit(self, matches: pd.DataFrame, y: object = None) -> TeamStrengthModel:
        self.base_ = BaseRatesModel(pseudo_count=1.0).fit(matches).probabilities_
        points = np.select([matches[c.RESULT] == "H", matches[c.RESULT] == "D"], [3.0, 1.0], 0.0)
        home = pd.Series(points, index=matches[c.HOME].to_numpy())
        away = pd.Series(
            np.select([points == 0, points == 1], [3.0, 1.0], 0.0), index=matches[c.AWAY].to_numpy()
        )
        ppg = pd.concat([home, away]).groupby(level=0).mean()
        rng = np.random.default_rng(self.random_state)
        self.strength_ = (ppg - ppg.mean()) + self.noise * rng.normal(size=len(ppg))
        self.classes_ = np.array(c.OUTCOMES)
        return self

    def predict_proba(self, matches: pd.DataFrame) -> np.ndarray:
        diff = (
            matches[c.HOME].map(self.strength_).fillna(0.0).to_numpy()
            - matches[c.AWAY].map(self.strength_).fillna(0.0).to_numpy()
        )
        logits = np.log(self.base_)[None, :] + np.outer(diff, [self.tilt, 0.0, -self.tilt])
        probs = np.exp(logits)
        return probs / probs.sum(axis=1, keepdims=True)


MODELS: dict[str, type] = {
    "base_rates": BaseRatesModel,
    "team_strength": TeamStrengthModel,
    "dixon_coles": DixonColesGoalModel,
}


def make_model(name: str, **params: Any) -> Any:
    """Test stand-in for ``scoreline.models.catalogue.make_model``."""
    return MODELS[name](**params)


@pytest.fixture(scope="module")
def tracking(tmp_path_factory: pytest.TempPathFactory) -> Tracking:
    """One local MLflow store (sqlite + artefact folder) shared by a test module."""
    folder = tmp_path_factory.mktemp("mlflow")
    return Tracking(uri=f"sqlite:///{folder / 'mlflow.db'}", artifact_location=folder / "artifacts")


def _loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost", ""))


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that leaves the machine (loopback and unix sockets are allowed)."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise OSError(f"network access attempted in a test: {address}")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection", _refuse)


def _refuse(address: Any, *args: Any, **kwargs: Any) -> Any:
    if not _loopback(address):
        raise OSError(f"network access attempted in a test: {address}")
    raise OSError("loopback connections are not expected in registry tests")
