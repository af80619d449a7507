"""The app's mutable state: which model is served, swapped atomically on reload.

Requests read :attr:`ServingState.service` once and keep that immutable :class:`PredictionService` for their
whole life, so a reload (which builds the new service completely before one assignment replaces the old)
never disturbs a request in flight. Reloads are serialised by a lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from scoreline.serving.metrics import ServingMetrics
from scoreline.serving.opening_odds import OpeningPriceLookup
from scoreline.serving.provider import ModelProvider, check_model_ref
from scoreline.serving.service import Fixture, ModelHandle, OpeningPrices, PredictionService
from scoreline.serving.snapshot import FixtureSource

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Swap:
    """The outcome of a reload."""

    previous: ModelHandle | None
    current: ModelHandle


def no_opening_prices(fixtures: Sequence[Fixture]) -> list[OpeningPrices | None]:
    """A lookup that knows no odds."""
    return [None] * len(fixtures)


class ServingState:
    """The provider, the fixture source, the metrics, the currently served model and where market models get
    opening odds that requests do not give (``opening_prices``; by default none are known)."""

    def __init__(
        self,
        provider: ModelProvider,
        fixtures: FixtureSource,
        model_ref: str,
        metrics: ServingMetrics,
        opening_prices: OpeningPriceLookup | None = None,
    ) -> None:
        self.provider = provider
        self.fixtures = fixtures
        self.opening_prices: OpeningPriceLookup = opening_prices or no_opening_prices
        self.model_ref = check_model_ref(model_ref)
        self.metrics = metrics
        self.last_error: str | None = None
        self._service: PredictionService | None = None
        self._reload_lock = threading.Lock()

    @property
    def service(self) -> PredictionService | None:
        """The service of the served model, or ``None`` before a model could be loaded."""
        return self._service

    def reload(self, ref: str | None = None) -> Swap:
        """Load ``ref`` (default: the served reference) and swap it in; errors leave the old model serving."""
        ref = check_model_ref(ref or self.model_ref)
        with self._reload_lock:
            previous = self._service.handle if self._service is not None else None
            try:
                handle = self.provider.load(ref)
                service = PredictionService(handle)
            except Exception as error:
                self.last_error = f"{type(error).__name__}: {error}"
                self.metrics.reloads.labels(outcome="failure").inc()
                raise
            self._service = service
            self.model_ref = ref
            self.last_error = None
            self.metrics.reloads.labels(outcome="success").inc()
            self.metrics.set_model(handle)
        logger.info(
            "serving model %s version %s (%s)",
            handle.name,
            handle.version,
            ref,
            extra={"model_version": handle.version},
        )
        return Swap(previous, handle)
