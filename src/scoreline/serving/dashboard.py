"""The dashboard's data: latest backtest (leaderboard, reliability) and the staging monitor, as plot geometry.

Files (all optional; a missing or malformed file gives an empty state with the reason):

* ``<backtest dir>/metrics.json``: the evaluation's scores, ``{"pooled": {model: {"n", "rps", "logloss",
  "brier", "accuracy", "ece"}}, ...}``; its optional key ``"reliability"``, or a ``reliability.json``
  beside it, holds reliability-diagram rows ``{"model", "outcome", "mean_predicted",
  "observed_frequency", "count"}``.
* ``<home>/staging/monitor.json``: ``{"updated", "model", "version", "window", "series": [{"date", "n",
  "model_rps", "market_rps"}, ...]}`` (rolling RPS of the served model and of the market).

Plots are inline SVG computed here (no JavaScript, no CDN): works offline.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scoreline import columns as c

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
RELIABILITY_FILE = "reliability.json"
LEADERBOARD_COLUMNS = ("n", "rps", "logloss", "brier", "accuracy", "ece")
MAX_CALIBRATION_MODELS = 5
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
PANEL = 180  # px, side of one reliability panel's plotting area
MARGIN = 28
CHART_WIDTH, CHART_HEIGHT = 640, 220


@dataclass(frozen=True)
class Line:
    """One polyline of a plot: its label, colour and SVG ``points``."""

    label: str
    colour: str
    points: str


@dataclass(frozen=True)
class Panel:
    """A reliability panel: one outcome, one line per model, in a ``PANEL`` square offset by ``x``."""

    title: str
    x: int
    lines: list[Line]


@dataclass
class Backtest:
    """What the dashboard shows of the latest backtest; ``problem`` says why something is missing."""

    source: str
    leaderboard: list[dict[str, Any]] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    legend: list[Line] = field(default_factory=list)
    problem: str | None = None


@dataclass
class Monitor:
    """The staging monitor's rolling RPS lines and latest values."""

    source: str
    lines: list[Line] = field(default_factory=list)
    latest: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    y_range: tuple[float, float] = (0.0, 1.0)
    problem: str | None = None


def _read_json(path: Path) -> Any:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def load_backtest(folder: Path) -> Backtest:
    """Leaderboard (sorted by RPS) and reliability panels from ``folder``; ``problem`` set when absent."""
    backtest = Backtest(source=str(folder))
    path = folder / METRICS_FILE
    if not path.is_file():
        backtest.problem = f"no backtest yet: {path} does not exist"
        return backtest
    try:
        scores = _read_json(path)
        pooled = scores["pooled"]
        backtest.leaderboard = sorted(
            (
                {"model": str(name), **{k: _number(row.get(k)) for k in LEADERBOARD_COLUMNS}}
                for name, row in pooled.items()
            ),
            key=lambda row: (row["rps"] is None, row["rps"] or 0.0),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        backtest.problem = f"cannot read {path}: {error}"
        return backtest
    rows = scores.get("reliability") if isinstance(scores, dict) else None
    if rows is None and (folder / RELIABILITY_FILE).is_file():
        try:
            rows = _read_json(folder / RELIABILITY_FILE)
        except (OSError, ValueError) as error:
            logger.warning("cannot read %s: %s", folder / RELIABILITY_FILE, error)
    if isinstance(rows, dict):
        rows = rows.get("reliability")
    order = [row["model"] for row in backtest.leaderboard][:MAX_CALIBRATION_MODELS]
    backtest.panels, backtest.legend = _reliability_panels(rows if isinstance(rows, list) else [], order)
    return backtest


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _reliability_panels(rows: list[Any], models: list[str]) -> tuple[list[Panel], list[Line]]:
    points: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        x, y = _number(row.get("mean_predicted")), _number(row.get("observed_frequency"))
        key = (str(row.get("model")), str(row.get("outcome")))
        if x is not None and y is not None and key[0] in models:
            points.setdefault(key, []).append((min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)))
    if not points:
        return [], []
    colours = {model: PALETTE[i % len(PALETTE)] for i, model in enumerate(models)}
    panels = []
    for i, outcome in enumerate(c.OUTCOMES):
        lines = [
            Line(
                model, colours[model], _svg_points(sorted(points[(model, outcome)]), PANEL, PANEL, (0.0, 1.0))
            )
            for model in models
            if (model, outcome) in points
        ]
        panels.append(Panel(outcome, MARGIN + i * (PANEL + MARGIN), lines))
    legend = [
        Line(model, colours[model], "") for model in models if any((model, o) in points for o in c.OUTCOMES)
    ]
    return panels, legend


def _svg_points(
    xy: list[tuple[float, float]], width: float, height: float, y_range: tuple[float, float]
) -> str:
    """SVG points for values with x in [0, 1] and y in ``y_range`` (y grows upwards)."""
    low, high = y_range
    span = (high - low) or 1.0
    return " ".join(f"{x * width:.1f},{height - (y - low) / span * height:.1f}" for x, y in xy)


def load_monitor(path: Path) -> Monitor:
    """Rolling RPS of the served model and the market from the staging ``monitor.json``."""
    monitor = Monitor(source=str(path))
    if not path.is_file():
        monitor.problem = f"no staging monitor yet: {path} does not exist"
        return monitor
    try:
        document = _read_json(path)
        series = [row for row in document["series"] if isinstance(row, dict)]
    except (OSError, ValueError, KeyError, TypeError) as error:
        monitor.problem = f"cannot read {path}: {error}"
        return monitor
    monitor.meta = {k: document.get(k) for k in ("updated", "model", "version", "window")}
    names = (("model_rps", "served model", PALETTE[0]), ("market_rps", "market", PALETTE[1]))
    values = {key: [_number(row.get(key)) for row in series] for key, _, _ in names}
    finite = [v for vs in values.values() for v in vs if v is not None]
    if not finite:
        monitor.problem = f"{path} has no rolling RPS values yet"
        return monitor
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.1 or 0.01
    monitor.y_range = (low - pad, high + pad)
    n = len(series)
    for key, label, colour in names:
        xy = [(i / max(n - 1, 1), v) for i, v in enumerate(values[key]) if v is not None]
        monitor.lines.append(Line(label, colour, _svg_points(xy, CHART_WIDTH, CHART_HEIGHT, monitor.y_range)))
    last = series[-1]
    monitor.latest = {
        "first_date": series[0].get("date"),
        "date": last.get("date"),
        "n": last.get("n"),
        "model_rps": _number(last.get("model_rps")),
        "market_rps": _number(last.get("market_rps")),
    }
    return monitor
