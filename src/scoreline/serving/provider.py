"""Where the served model comes from: the :class:`ModelProvider` protocol and its MLflow registry version.

A provider loads a model by alias (``champion``, ``challenger``, ``previous_champion``) or version number,
lists the registered versions with their aliases and metrics, and runs the promotion gate. The API and the
``predict`` command only talk to this protocol, so tests and other deployments can supply their own.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlparse

from scoreline.redaction import redact, redact_url
from scoreline.serving.service import ModelHandle
from scoreline.settings import Settings

MODEL_REF_PATTERN = r"^(champion|challenger|previous_champion|[1-9][0-9]{0,8})$"
DEFAULT_MODEL_REF = "champion"


class ModelNotFoundError(LookupError):
    """No registered version answers to the alias or number."""


class RegistryUnavailableError(RuntimeError):
    """The registry could not be reached or failed."""


def check_model_ref(ref: str) -> str:
    """``ref`` if it is an alias or a version number, else ``ValueError``."""
    if not re.fullmatch(MODEL_REF_PATTERN, ref):
        raise ValueError(
            f"model must be champion, challenger, previous_champion or a version number, got {ref!r}"
        )
    return ref


class ModelProvider(Protocol):
    """Loads served models and manages the champion."""

    def load(self, ref: str) -> ModelHandle:
        """The model ``ref`` (alias or version); :class:`ModelNotFoundError` if there is none."""
        ...

    def versions(self) -> list[dict[str, Any]]:
        """Registered versions, newest first: ``version, aliases, model, metrics, run_id, created``."""
        ...

    def promote(self, dry_run: bool = False) -> dict[str, Any]:
        """Run the promotion gate (challenger against champion): at least ``promote`` and ``reason``."""
        ...


def bound_mlflow_http_calls(settings: Settings) -> None:
    """Bound every MLflow HTTP call of this process: ``registry_timeout_seconds`` per attempt and
    ``registry_retries`` retries with a backoff factor of 1 (MLflow's defaults, 120 s and 7 retries with a
    factor of 2, kept a server without a registry from answering for about 250 s). MLflow's own
    ``MLFLOW_HTTP_REQUEST_*`` variables, where set, win."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(settings.registry_timeout_seconds))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", str(settings.registry_retries))
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")


_DATABASE_SCHEMES = ("postgresql", "mysql", "mssql")


def probe_database_registry(uri: str, timeout_seconds: int) -> None:
    """Connect once to a database-backed registry with a bounded timeout; raise if that fails.

    MLflow's SQL store retries an unreachable database ten times with a growing sleep (about 100 s, not
    configurable), so the API tries one connection first and fails fast. HTTP and local stores pass.
    """
    scheme = urlparse(uri).scheme.split("+")[0]
    if scheme not in _DATABASE_SCHEMES:
        return
    import sqlalchemy as sa

    connect_args = {"connect_timeout": timeout_seconds} if scheme in ("postgresql", "mysql") else {}
    engine = sa.create_engine(uri, connect_args=connect_args, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    finally:
        engine.dispose()


class RegistryModelProvider:
    """The MLflow registry ``scoreline-match-outcome`` set up by ``settings`` (:mod:`scoreline.registry`).

    Every call is bounded (:func:`bound_mlflow_http_calls`, :func:`probe_database_registry`) and its errors
    are redacted (no password of the registry's URI in a message).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._secrets = settings.secret_values()
        bound_mlflow_http_calls(settings)

    def _tracking(self) -> Any:
        from scoreline.registry.tracking import Tracking

        tracking = Tracking.from_settings(self.settings)
        try:
            probe_database_registry(tracking.uri, self.settings.registry_timeout_seconds)
        except Exception as error:
            raise self._unavailable(error) from error
        return tracking

    def _unavailable(self, error: Exception) -> RegistryUnavailableError:
        uri = redact_url(self.settings.resolved_mlflow_uri, self._secrets)
        return RegistryUnavailableError(redact(f"registry at {uri}: {error}", self._secrets))

    def load(self, ref: str) -> ModelHandle:
        from scoreline.registry.registry import RegistryError, list_versions, load_model

        check_model_ref(ref)
        tracking = self._tracking()
        try:
            loaded = load_model(ref, tracking)
            records = list_versions(tracking)
        except RegistryError as error:
            raise ModelNotFoundError(redact(str(error), self._secrets)) from error
        except Exception as error:
            raise self._unavailable(error) from error
        record = next((r for r in records if int(r["version"]) == int(loaded.version)), {})
        alias = ref if not ref.isdigit() else None
        return ModelHandle(
            estimator=loaded.estimator,
            name=str(record.get("model") or type(loaded.estimator).__name__),
            version=str(loaded.version),
            alias=alias,
            run_id=str(loaded.run_id),
            train_cutoff=datetime.fromisoformat(str(record["until"])) if record.get("until") else None,
        )

    def versions(self) -> list[dict[str, Any]]:
        from scoreline.registry.registry import list_versions

        tracking = self._tracking()
        try:
            return list(list_versions(tracking))
        except Exception as error:
            raise self._unavailable(error) from error

    def promote(self, dry_run: bool = False) -> dict[str, Any]:
        from scoreline.registry.promotion import promote
        from scoreline.registry.registry import RegistryError

        tracking = self._tracking()
        try:
            decision = promote(tracking, dry_run=dry_run)
        except RegistryError as error:
            raise ModelNotFoundError(redact(str(error), self._secrets)) from error
        except Exception as error:
            raise self._unavailable(error) from error
        return dict(decision.to_dict())
