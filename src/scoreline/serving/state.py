"""The app's mutable state: which model is served, swapped atomically on reload.

Requests read :attr:`ServingState.service` once and keep that immutable :class:`PredictionService` for their
whole life, so a reload (which builds the new service completely before one assignment replaces the old)
never disturbs a request in flight. Reloads are serialised by a lock.

Until a model is loaded, :meth:`ServingState.start_loading` keeps trying in a daemon thread (so the server
answers ``/health`` at once whatever the registry does); ``last_error`` says why the last try failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from scoreline.redaction import redact
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
        secrets: Collection[str] = (),
    ) -> None:
        self.provider = provider
        self.fixtures = fixtures
        self.opening_prices: OpeningPriceLookup = opening_prices or no_opening_prices
        self.model_ref = check_model_ref(model_ref)
        self.metrics = metrics
        self.last_error: str | None = None
        self.secrets = frozenset(secrets)
        self._service: PredictionService | None = None
        self._reload_lock = threading.Lock()
        self._stop_loading = threading.Event()

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
                # shown by /ready, the 503 answers and the dashboard
                self.last_error = redact(f"{type(error).__name__}: {error}", self.secrets)
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

    def start_loading(
        self, retry_seconds: float, on_loaded: Callable[[], None] | None = None
    ) -> threading.Event:
        """Load the served model in a daemon thread, trying again every ``retry_seconds`` until one loads
        (here or by an admin reload) or :meth:`stop_loading`; ``on_loaded`` runs after a load by this thread.

        Returns an event set once the first try has ended (either way): the caller may wait for it, bounded.
        """
        first_try_done = threading.Event()
        stop = self._stop_loading = threading.Event()  # per thread: a restart never revives an old thread

        def keep_trying() -> None:
            try:
                while self._service is None and not stop.is_set():
                    try:
                        self.reload()
                    except Exception:
                        logger.error(
                            "could not load model %r: %s; trying again in %.0f s",
                            self.model_ref,
                            self.last_error,
                            retry_seconds,
                        )
                        first_try_done.set()
                        stop.wait(retry_seconds)
                    else:
                        if on_loaded is not None:
                            on_loaded()
            finally:
                first_try_done.set()

        threading.Thread(target=keep_trying, name="scoreline-model-loader", daemon=True).start()
        return first_try_done

    def stop_loading(self) -> None:
        """Stop the loader thread's retries (a try in progress ends on its own; the thread is a daemon)."""
        self._stop_loading.set()
