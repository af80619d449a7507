"""The dashboard's data: latest backtest (leaderboard, reliability) and the staging monitor, as plot geometry.

Files (all optional; a missing or malformed file gives an empty state with the reason):

* ``<backtest dir>/metrics.json`` (``scoreline backtest``, docs/backtest.md): the leaderboard is its
  ``pooled`` scores. Reliability diagrams come from its optional ``"reliability"`` rows (``{"model",
  "outcome", "mean_predicted", "observed_frequency", ...}``), else are computed from ``predictions.parquet``
  beside it (``model, p_home, p_draw, p_away, result``) with the evaluation's ``reliability_curve``.
* ``<home>/staging/monitor.json`` (``scoreline.staging.monitor.write_monitor``, schema_version 1,
  docs/staging.md): ``summary`` and the ``rolling`` series of the served model, the market and the previous
  champion, plus ``alerts``.

Plots are inline SVG computed here and in :mod:`scoreline.serving.plots` (no JavaScript, no CDN): works
offline.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from markupsafe import Markup

from scoreline import columns as c
from scoreline.serving import plots

logger = logging.getLogger(__name__)

METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.parquet"
LEADERBOARD_COLUMNS = ("n", "rps", "logloss", "brier", "accuracy", "ece")
MAX_CALIBRATION_MODELS = 5
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
MONITOR_X_TICKS = 4  # dates under the staging chart


@dataclass(frozen=True)
class Switch:
    """Where the series passes to another model version: x as a share of the series (0 first point, 1 last),
    and the version."""

    x: float
    label: str


@dataclass(frozen=True)
class Line:
    """One legend entry: a label and its colour."""

    label: str
    colour: str


@dataclass(frozen=True)
class Panel:
    """A reliability panel: one outcome's bins per model ``(name, colour, bins)``, best model first."""

    title: str
    models: list[tuple[str, str, list[plots.ReliabilityBin]]]

    @property
    def svg(self) -> Markup:
        """The panel as an SVG with axis values, the diagonal and the first model's forecasts per bin."""
        return plots.reliability_panel(self.title, self.models, ident=f"calibration-{self.title}")


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
    """The staging monitor's rolling RPS lines (x: share of the series) and latest values."""

    source: str
    lines: list[plots.Series] = field(default_factory=list)
    latest: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    y_range: tuple[float, float] = (0.0, 1.0)
    problem: str | None = None
    switches: list[Switch] = field(default_factory=list)  # champion changes on the chart
    x_ticks: list[tuple[float, str]] = field(default_factory=list)  # kickoff dates under the chart

    @property
    def chart(self) -> Markup:
        """The lines with RPS values, kickoff dates, axis titles and a dashed line at each new champion."""
        return plots.line_chart(
            self.lines,
            label="Rolling RPS",
            x_title="kickoff",
            y_title="rolling RPS",
            x_ticks=self.x_ticks,
            y_range=self.y_range,
            markers=[(s.x, s.label, f"champion {s.label} from here") for s in self.switches],
            ident="monitor-chart",
        )


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
    rows = scores.get("reliability")
    if not isinstance(rows, list) and (folder / PREDICTIONS_FILE).is_file():
        try:
            rows = _reliability_from_predictions(folder / PREDICTIONS_FILE)
        except (OSError, ValueError, KeyError) as error:
            logger.warning("cannot compute reliability from %s: %s", folder / PREDICTIONS_FILE, error)
    order = [row["model"] for row in backtest.leaderboard][:MAX_CALIBRATION_MODELS]
    backtest.panels, backtest.legend = _reliability_panels(rows if isinstance(rows, list) else [], order)
    return backtest


def _reliability_from_predictions(path: Path) -> list[dict[str, Any]]:
    """Reliability rows of every model in a backtest's ``predictions.parquet`` (cached per file version)."""
    stat = path.stat()
    return _reliability_rows(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _reliability_rows(path: str, mtime_ns: int, size: int) -> list[dict[str, Any]]:
    import pandas as pd

    from scoreline.evaluation.metrics import outcome_indices, reliability_curve

    frame = pd.read_parquet(path, columns=["model", *c.PROBABILITY_COLUMNS, c.RESULT])
    frame = frame[frame[c.RESULT].isin(list(c.RESULT_TO_INDEX))]
    rows: list[dict[str, Any]] = []
    for model, part in frame.groupby("model", sort=True):
        curve = reliability_curve(
            part[list(c.PROBABILITY_COLUMNS)].to_numpy(dtype=float), outcome_indices(part[c.RESULT])
        )
        rows.extend(
            {str(k): v for k, v in row.items()} for row in curve.assign(model=str(model)).to_dict("records")
        )
    return rows


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _reliability_panels(rows: list[Any], models: list[str]) -> tuple[list[Panel], list[Line]]:
    bins: dict[tuple[str, str], list[plots.ReliabilityBin]] = {}
    for row in rows:
        if not isinstance(row, dict):
            continue
        x, y = _number(row.get("mean_predicted")), _number(row.get("observed_frequency"))
        count = _number(row.get("count"))
        key = (str(row.get("model")), str(row.get("outcome")))
        if x is not None and y is not None and key[0] in models:
            bins.setdefault(key, []).append(
                plots.ReliabilityBin(
                    min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0), None if count is None else int(count)
                )
            )
    if not bins:
        return [], []
    colours = {model: PALETTE[i % len(PALETTE)] for i, model in enumerate(models)}
    panels = [
        Panel(
            outcome,
            [
                (model, colours[model], sorted(bins[(model, outcome)], key=lambda b: b.mean_predicted))
                for model in models
                if (model, outcome) in bins
            ],
        )
        for outcome in c.OUTCOMES
    ]
    legend = [Line(model, colours[model]) for model in models if any((model, o) in bins for o in c.OUTCOMES)]
    return panels, legend


def load_monitor(path: Path) -> Monitor:
    """Rolling RPS of the served model, the market and the previous champion from ``monitor.json``."""
    monitor = Monitor(source=str(path))
    if not path.is_file():
        monitor.problem = f"no staging monitor yet: {path} does not exist"
        return monitor
    try:
        document = _read_json(path)
        series = [row for row in document["rolling"] if isinstance(row, dict)]
        summary = document.get("summary") or {}
        window = summary.get("window") or {}
        alerts = [str(a.get("message", a)) for a in document.get("alerts") or [] if isinstance(a, dict)]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        monitor.problem = f"cannot read {path}: {error}"
        return monitor
    run = document.get("run") or {}
    monitor.meta = {
        "run": f"replay {run.get('id')}" if run.get("replay") else "live",
        "updated": document.get("generated_at"),
        "version": summary.get("model_version"),
        "window": window.get("size"),
        "scored": summary.get("scored"),
        "rps": _number(summary.get("rps")),
        "market_rps": _number(summary.get("market_closing_rps")),
        "gap": _number(summary.get("rps_gap_to_market")),
        "alerts": alerts,
    }
    names = (
        ("rps", "replay" if run.get("replay") else "served model", PALETTE[0]),
        ("market_rps", "market (closing)", PALETTE[1]),
        ("previous_rps", "previous champion", PALETTE[2]),
    )
    values = {key: [_number(row.get(key)) for row in series] for key, _, _ in names}
    finite = [v for vs in values.values() for v in vs if v is not None]
    if not finite:
        monitor.problem = f"{path} has no rolling RPS values yet"
        return monitor
    low, high = min(finite), max(finite)
    pad = (high - low) * 0.1 or 0.01
    monitor.y_range = (low - pad, high + pad)
    n = len(series)
    step = 1 / max(n - 1, 1)
    for key, label, colour in names:
        xy = [(i * step, v) for i, v in enumerate(values[key]) if v is not None]
        if xy:
            monitor.lines.append(plots.Series(label, colour, xy))
    versions = [row.get("model_version") for row in series]
    monitor.switches = [
        Switch(i * step, f"v{versions[i]}")
        for i in range(1, n)
        if versions[i] != versions[i - 1] and versions[i] is not None
    ]
    ticks = sorted({round(k * (n - 1) / (MONITOR_X_TICKS - 1)) for k in range(MONITOR_X_TICKS)})
    monitor.x_ticks = [(i * step, str(series[i].get("kickoff", ""))[:10]) for i in ticks]
    monitor.latest = {
        "first_date": str(series[0].get("kickoff", ""))[:10],
        "date": str(series[-1].get("kickoff", ""))[:10],
        "n": series[-1].get("n"),
        "model_rps": _number(series[-1].get("rps")),
        "market_rps": _number(series[-1].get("market_rps")),
    }
    return monitor
