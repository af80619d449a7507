"""The champion/challenger registry: registered model ``scoreline-match-outcome`` with aliases.

Aliases: ``champion`` (serves predictions), ``challenger`` (waits for promotion) and ``previous_champion``
(what :func:`rollback` restores). Every change of champion is appended to the registered-model tag
``champion_history`` (a JSON list of versions), so rollback can walk back more than one step.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scoreline.registry.tracking import Tracking, client

if TYPE_CHECKING:
    from mlflow import MlflowClient
    from mlflow.entities.model_registry import ModelVersion
    from mlflow.pyfunc import PyFuncModel

logger = logging.getLogger(__name__)

MODEL_NAME = "scoreline-match-outcome"
CHAMPION = "champion"
CHALLENGER = "challenger"
LOGGED_MODEL_PREFIX = "models:/m-"  # MLflow 3 logged models: models:/m-<hex>
PREVIOUS_CHAMPION = "previous_champion"
ALIASES = (CHAMPION, CHALLENGER, PREVIOUS_CHAMPION)
HISTORY_TAG = "champion_history"
MODEL_URI_TAG = "scoreline.model_uri"  # run tag: URI of the run's logged pyfunc
MODEL_TAG = "scoreline.model"  # run and version tag: catalogue name of the estimator


class RegistryError(RuntimeError):
    """A registry operation that cannot be done (unknown alias or version, nothing to roll back to)."""


@dataclass(frozen=True)
class LoadedModel:
    """A registered version loaded back: the pyfunc, the estimator inside it, and where it came from."""

    pyfunc: PyFuncModel
    estimator: Any
    version: int
    run_id: str


def _ensure_registered_model(mlflow_client: MlflowClient) -> None:
    from mlflow.exceptions import MlflowException

    try:
        mlflow_client.get_registered_model(MODEL_NAME)
    except MlflowException:
        mlflow_client.create_registered_model(
            MODEL_NAME, description="scoreline 1X2 match-outcome model (champion/challenger)."
        )


def _version(mlflow_client: MlflowClient, ref: str | int) -> ModelVersion:
    """The version an alias (``"champion"``) or a version number (``3``, ``"3"``) refers to."""
    from mlflow.exceptions import MlflowException

    try:
        if isinstance(ref, int) or str(ref).isdigit():
            return mlflow_client.get_model_version(MODEL_NAME, str(ref))
        return mlflow_client.get_model_version_by_alias(MODEL_NAME, str(ref))
    except MlflowException as error:
        raise RegistryError(f"{MODEL_NAME} has no version or alias {ref!r}") from error


def champion_history(tracking: Tracking | None = None) -> list[int]:
    """Versions that were champion, oldest first (the last one is the current champion)."""
    mlflow_client = client(tracking)
    _ensure_registered_model(mlflow_client)
    tags = mlflow_client.get_registered_model(MODEL_NAME).tags
    return [int(v) for v in json.loads(tags.get(HISTORY_TAG, "[]"))]


def _set_history(mlflow_client: MlflowClient, history: list[int]) -> None:
    mlflow_client.set_registered_model_tag(MODEL_NAME, HISTORY_TAG, json.dumps(history))
    if len(history) >= 2:
        mlflow_client.set_registered_model_alias(MODEL_NAME, PREVIOUS_CHAMPION, str(history[-2]))
    else:
        try:
            mlflow_client.delete_registered_model_alias(MODEL_NAME, PREVIOUS_CHAMPION)
        except Exception:  # MLflow raises different errors per store when the alias is absent
            logger.debug("no %s alias to delete", PREVIOUS_CHAMPION)


def set_champion(version: int, tracking: Tracking | None = None) -> int | None:
    """Make ``version`` the champion, recording it in the history; returns the champion it replaced."""
    mlflow_client = client(tracking)
    _version(mlflow_client, version)
    history = champion_history(tracking)
    previous = history[-1] if history else None
    if previous == version:
        return previous
    mlflow_client.set_registered_model_alias(MODEL_NAME, CHAMPION, str(version))
    _set_history(mlflow_client, [*history, version])
    challenger = _alias_version(mlflow_client, CHALLENGER)
    if challenger == version:
        mlflow_client.delete_registered_model_alias(MODEL_NAME, CHALLENGER)
    logger.info("champion is now version %s (was %s)", version, previous)
    return previous


def _alias_version(mlflow_client: MlflowClient, alias: str) -> int | None:
    try:
        return int(_version(mlflow_client, alias).version)
    except RegistryError:
        return None


def register(run_id: str, alias: str | None = None, tracking: Tracking | None = None) -> int:
    """Register the pyfunc logged by ``run_id`` as a new version, optionally under ``alias``; its number.

    ``alias="champion"`` goes through :func:`set_champion` so the history stays complete. The version's
    model card (markdown and JSON) is logged to the run and set as the version's description.
    """

    from scoreline.registry.model_card import log_model_card

    if alias is not None and alias not in (CHAMPION, CHALLENGER):
        raise RegistryError(f"register under {CHAMPION!r} or {CHALLENGER!r}, not {alias!r}")
    mlflow_client = client(tracking)
    run = mlflow_client.get_run(run_id)
    model_uri = run.data.tags.get(MODEL_URI_TAG)
    if model_uri is None:
        raise RegistryError(f"run {run_id} logged no scoreline model (tag {MODEL_URI_TAG} missing)")
    _ensure_registered_model(mlflow_client)
    tags = {MODEL_TAG: run.data.tags.get(MODEL_TAG, "unknown")}
    # The client's call, not ``mlflow.register_model``: that one prints "Registered model ... already exists"
    # for every version after it has made sure the model exists, as _ensure_registered_model does above.
    # A tracking server accepts a logged model's ``models:/<model_id>`` source only with its model_id.
    model_id = model_uri.removeprefix("models:/") if model_uri.startswith(LOGGED_MODEL_PREFIX) else None
    created = mlflow_client.create_model_version(
        MODEL_NAME, model_uri, run_id=run_id, tags=tags, model_id=model_id
    )
    version = int(created.version)
    card = log_model_card(mlflow_client, run_id, version)
    mlflow_client.update_model_version(MODEL_NAME, str(version), description=card)
    if alias == CHAMPION:
        set_champion(version, tracking)
    elif alias == CHALLENGER:
        mlflow_client.set_registered_model_alias(MODEL_NAME, CHALLENGER, str(version))
    logger.info("registered run %s as %s version %s (%s)", run_id, MODEL_NAME, version, alias or "no alias")
    return version


def rollback(tracking: Tracking | None = None) -> int:
    """Restore the previous champion; returns its version. The demoted version leaves the history."""
    mlflow_client = client(tracking)
    history = champion_history(tracking)
    if len(history) < 2:
        raise RegistryError("no previous champion to roll back to")
    restored = history[-2]
    mlflow_client.set_registered_model_alias(MODEL_NAME, CHAMPION, str(restored))
    _set_history(mlflow_client, history[:-1])
    mlflow_client.set_registered_model_tag(
        MODEL_NAME, "last_rollback", json.dumps({"from": history[-1], "to": restored, "at": _now()})
    )
    logger.info("rolled back champion from version %s to %s", history[-1], restored)
    return restored


def load_model(ref: str | int = CHAMPION, tracking: Tracking | None = None) -> LoadedModel:
    """Load a version by alias (``champion``, ``challenger``, ``previous_champion``) or number."""
    import mlflow

    mlflow_client = client(tracking)
    found = _version(mlflow_client, ref)
    pyfunc = mlflow.pyfunc.load_model(f"models:/{MODEL_NAME}/{found.version}")
    estimator = pyfunc.unwrap_python_model().estimator
    return LoadedModel(
        pyfunc=pyfunc, estimator=estimator, version=int(found.version), run_id=str(found.run_id)
    )


def list_versions(tracking: Tracking | None = None) -> list[dict[str, Any]]:
    """Every registered version, newest first: version, aliases, the run's metrics and training cutoff
    (``until``), run id, creation time."""
    mlflow_client = client(tracking)
    _ensure_registered_model(mlflow_client)
    found = mlflow_client.search_model_versions(f"name = '{MODEL_NAME}'")
    aliases: dict[int, list[str]] = {}
    for alias, number in mlflow_client.get_registered_model(MODEL_NAME).aliases.items():
        aliases.setdefault(int(number), []).append(alias)
    rows = []
    for mv in sorted(found, key=lambda v: int(v.version), reverse=True):
        run = mlflow_client.get_run(mv.run_id) if mv.run_id else None
        rows.append(
            {
                "version": int(mv.version),
                "aliases": sorted(aliases.get(int(mv.version), [])),
                "model": mv.tags.get(MODEL_TAG, "unknown"),
                "metrics": dict(run.data.metrics) if run else {},
                "until": run.data.params.get("until") if run else None,  # training cutoff (exclusive)
                "run_id": mv.run_id,
                "created": datetime.fromtimestamp(mv.creation_timestamp / 1000, tz=UTC).isoformat(),
            }
        )
    return rows


def _now() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="seconds")
