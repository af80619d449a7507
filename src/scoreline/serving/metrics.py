"""Prometheus metrics of one app, in its own registry (several apps in one process never collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from scoreline.serving.service import ModelHandle

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ServingMetrics:
    """Requests, latency, predictions per model version, reloads and the served model."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "scoreline_http_requests",
            "HTTP requests by method, route template and status code.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "scoreline_http_request_duration_seconds",
            "HTTP request latency by method and route template.",
            ("method", "route"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "scoreline_predictions",
            "Fixtures predicted, by model name and version.",
            ("model", "version"),
            registry=self.registry,
        )
        self.reloads = Counter(
            "scoreline_model_reloads", "Model loads by outcome.", ("outcome",), registry=self.registry
        )
        self.model_info = Gauge(
            "scoreline_model_loaded",
            "1 for the model version being served.",
            ("model", "version"),
            registry=self.registry,
        )

    def set_model(self, handle: ModelHandle) -> None:
        """Mark ``handle`` as the served model (and no other)."""
        self.model_info.clear()
        self.model_info.labels(model=handle.name, version=handle.version).set(1)
