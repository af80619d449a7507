"""Serving: the prediction API and dashboard (:func:`create_app`) and the prediction service the CLI shares.

``create_app`` is imported lazily so that the CLI can use the prediction service without loading FastAPI.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from scoreline.serving.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
