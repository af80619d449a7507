"""Serving: the prediction API and dashboard (``create_app``) and the prediction service the CLI shares."""

from scoreline.serving.app import create_app

__all__ = ["create_app"]
