"""Where the served model comes from: the :class:`ModelProvider` protocol and its MLflow registry version.

A provider loads a model by alias (``champion``, ``challenger``, ``previous_champion``) or version number,
lists the registered versions with their aliases and metrics, and runs the promotion gate. The API and the
``predict`` command only talk to this protocol, so tests and other deployments can supply their own.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

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


class RegistryModelProvider:
    """The MLflow registry ``scoreline-match-outcome`` set up by ``settings`` (:mod:`scoreline.registry`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def _tracking(self) -> Any:
        from scoreline.registry.tracking import Tracking

        return Tracking.from_settings(self.settings)

    def load(self, ref: str) -> ModelHandle:
        from scoreline.registry.registry import RegistryError, list_versions, load_model

        check_model_ref(ref)
        tracking = self._tracking()
        try:
            loaded = load_model(ref, tracking)
            records = list_versions(tracking)
        except RegistryError as error:
            raise ModelNotFoundError(str(error)) from error
        except Exception as error:
            raise RegistryUnavailableError(f"registry at {tracking.uri}: {error}") from error
        record = next((r for r in records if int(r["version"]) == int(loaded.version)), {})
        alias = ref if not ref.isdigit() else None
        return ModelHandle(
            estimator=loaded.estimator,
            name=str(record.get("model") or type(loaded.estimator).__name__),
            version=str(loaded.version),
            alias=alias,
            run_id=str(loaded.run_id),
        )

    def versions(self) -> list[dict[str, Any]]:
        from scoreline.registry.registry import list_versions

        try:
            return list(list_versions(self._tracking()))
        except Exception as error:
            raise RegistryUnavailableError(f"registry: {error}") from error

    def promote(self, dry_run: bool = False) -> dict[str, Any]:
        from scoreline.registry.promotion import promote
        from scoreline.registry.registry import RegistryError

        try:
            decision = promote(self._tracking(), dry_run=dry_run)
        except RegistryError as error:
            raise ModelNotFoundError(str(error)) from error
        except Exception as error:
            raise RegistryUnavailableError(f"registry: {error}") from error
        return dict(decision.to_dict())
