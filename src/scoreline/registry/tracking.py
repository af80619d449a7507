"""Where runs are tracked, and the provenance every training run records.

:class:`Tracking` names the MLflow store: by default a local sqlite file under ``SCORELINE_HOME`` with
artefacts in a folder beside it; a tracking server when ``SCORELINE_MLFLOW_URI`` is set. :func:`activate`
is the one place that points MLflow at it (creating folders and the experiment on first use).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import pandas as pd

from scoreline.hashing import frame_hash
from scoreline.settings import Settings, get_settings

if TYPE_CHECKING:
    from mlflow import MlflowClient

logger = logging.getLogger(__name__)

EXPERIMENT = "scoreline"
PROMOTION_EXPERIMENT = "scoreline-promotion"
RECORDED_PACKAGES = (
    "scoreline",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "lightgbm",
    "keras",
    "mlflow",
    "cloudpickle",
)
_LOCAL_SCHEMES = ("", "file", "sqlite")


@dataclass(frozen=True)
class Tracking:
    """An MLflow tracking store: its URI and, for a local store, the folder artefacts are written to."""

    uri: str
    artifact_location: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Tracking:
        """The configured store: ``SCORELINE_MLFLOW_URI`` if set, else the embedded sqlite store."""
        settings = settings or get_settings()
        uri = settings.resolved_mlflow_uri
        local = urlparse(uri).scheme in _LOCAL_SCHEMES
        return cls(uri=uri, artifact_location=settings.mlflow_artifacts_dir if local else None)

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a ``sqlite:///`` store, else ``None``."""
        prefix = "sqlite:///"
        return Path(self.uri[len(prefix) :]) if self.uri.startswith(prefix) else None


def _switch_off_telemetry() -> None:
    """Make sure MLflow sends no usage telemetry, even if it was imported before our package."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    from mlflow.telemetry import set_telemetry_client

    set_telemetry_client()


def activate(tracking: Tracking | None = None, experiment: str = EXPERIMENT) -> str:
    """Point MLflow at ``tracking`` (default: from settings) and return the id of ``experiment``.

    Creates the sqlite folder and the artefact folder of a local store, and the experiment (with its
    artefacts under ``artifact_location``) if it does not exist yet.
    """
    import mlflow

    _switch_off_telemetry()
    tracking = tracking or Tracking.from_settings()
    if tracking.sqlite_path is not None:
        tracking.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking.uri)
    mlflow.set_registry_uri(tracking.uri)
    client = mlflow.MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        return str(found.experiment_id)
    location = None
    if tracking.artifact_location is not None:
        folder = tracking.artifact_location / experiment
        folder.mkdir(parents=True, exist_ok=True)
        location = folder.resolve().as_uri()
    logger.info("creating MLflow experiment %r at %s", experiment, tracking.uri)
    from mlflow.exceptions import MlflowException

    try:
        return str(client.create_experiment(experiment, artifact_location=location))
    except MlflowException:  # another worker created it since the lookup (Airflow tasks in parallel)
        found = client.get_experiment_by_name(experiment)
        if found is None:
            raise
        return str(found.experiment_id)


def client(tracking: Tracking | None = None) -> MlflowClient:
    """An MLflow client for ``tracking``, after :func:`activate` has prepared the store."""
    import mlflow

    tracking = tracking or Tracking.from_settings()
    activate(tracking)
    return mlflow.MlflowClient(tracking_uri=tracking.uri, registry_uri=tracking.uri)


def data_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's content (values, dtypes and column names; row order matters, the index not)."""
    return frame_hash(frame, index=False)


def git_commit(path: Path | None = None) -> str:
    """The commit checked out where the code lives (``unknown`` outside a git checkout)."""
    folder = path or Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else "unknown"


def package_versions(names: tuple[str, ...] = RECORDED_PACKAGES) -> dict[str, str]:
    """Installed versions of the packages a model's predictions depend on (absent ones are left out)."""
    versions = {}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions
