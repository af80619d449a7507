"""Server-side SVG plots for the dashboard: line charts, reliability panels and a score heatmap.

Every plot is a complete ``<svg>`` element (``markupsafe.Markup``; every label escaped) with a ``viewBox``,
so CSS scales it down to narrow screens (``svg.plot`` in ``static/dashboard.css``); colours are presentation
attributes (``fill=``, ``stroke=``), never ``style=``, so the page runs under a CSP without inline styles.
Axes carry tick values and titles; lines are clipped to their frame and drawn with round joins, so they
never poke past it. Text classes (``axis``, ``tick``, ``title``, ``value``) are styled by the CSS file.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

_clip_ids = itertools.count(1)
Y_TITLE_X = 18  # the rotated y-axis title's baseline: room for the glyphs left of it


@dataclass(frozen=True)
class Series:
    """One line of a chart: its label (legend and tooltip), colour, ``(x, y)`` points and an optional
    dash pattern; ``sizes`` (one per point) draw markers of that radius."""

    label: str
    colour: str
    points: Sequence[tuple[float, float]]
    dash: str | None = None
    sizes: Sequence[float] | None = None
    tooltips: Sequence[str] | None = None


@dataclass(frozen=True)
class Box:
    """A plotting area: origin (top-left) in the SVG and its size, with the data ranges it shows."""

    left: float
    top: float
    width: float
    height: float
    x_range: tuple[float, float]
    y_range: tuple[float, float]

    def x(self, value: float) -> float:
        low, high = self.x_range
        return self.left + (value - low) / ((high - low) or 1.0) * self.width

    def y(self, value: float) -> float:
        low, high = self.y_range
        return self.top + self.height - (value - low) / ((high - low) or 1.0) * self.height


def nice_ticks(low: float, high: float, count: int = 6) -> list[float]:
    """About ``count`` round tick values inside ``[low, high]``: the step of 1, 2 or 5 times a power of ten
    nearest (by ratio) to the span divided into ``count - 1``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else []
    raw = (high - low) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda candidate: abs(math.log(candidate / raw)))
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    value = first
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    return ticks


def padded_range(
    values: Sequence[float], pad: float = 0.08, minimum_span: float = 0.01
) -> tuple[float, float]:
    """``[min, max]`` of ``values`` widened by ``pad`` of their span (at least ``minimum_span``) each side."""
    low, high = min(values), max(values)
    span = max(high - low, minimum_span)
    middle = (low + high) / 2
    return middle - span * (0.5 + pad), middle + span * (0.5 + pad)


def _f(value: float) -> str:
    return f"{value:.1f}"


def _text(x: float, y: float, label: str, cls: str, anchor: str = "middle", extra: str = "") -> str:
    return f'<text x="{_f(x)}" y="{_f(y)}" class="{cls}" text-anchor="{anchor}"{extra}>{escape(label)}</text>'


def _open(width: float, height: float, label: str, ident: str | None, classes: str) -> str:
    ident_attr = f' id="{escape(ident)}"' if ident else ""
    return (
        f'<svg{ident_attr} class="plot {classes}" role="img" aria-label="{escape(label)}" '
        f'width="{_f(width)}" height="{_f(height)}" viewBox="0 0 {_f(width)} {_f(height)}">'
        f"<title>{escape(label)}</title>"
    )


def _axes(
    box: Box,
    x_ticks: Sequence[tuple[float, str]],
    y_ticks: Sequence[tuple[float, str]],
    x_title: str,
    y_title: str,
) -> list[str]:
    """Frame, grid lines, tick labels and axis titles of ``box``."""
    parts = [
        f'<rect x="{_f(box.left)}" y="{_f(box.top)}" width="{_f(box.width)}" height="{_f(box.height)}" '
        f'class="frame" fill="#fbfcfd" stroke="#c9d1d7"/>'
    ]
    bottom = box.top + box.height
    for value, label in y_ticks:
        y = box.y(value)
        parts.append(
            f'<line x1="{_f(box.left)}" y1="{_f(y)}" x2="{_f(box.left + box.width)}" y2="{_f(y)}" '
            f'class="grid" stroke="#e6eaed"/>'
        )
        parts.append(_text(box.left - 6, y + 4, label, "tick", "end"))
    for value, label in x_ticks:
        x = box.x(value)
        parts.append(
            f'<line x1="{_f(x)}" y1="{_f(bottom)}" x2="{_f(x)}" y2="{_f(bottom + 4)}" class="grid" '
            f'stroke="#9aa5ad"/>'
        )
        # labels at the frame's edges are anchored inwards so they never leave the SVG
        anchor = "start" if x <= box.left + 1 else "end" if x >= box.left + box.width - 1 else "middle"
        parts.append(_text(x, bottom + 19, label, "tick", anchor))
    if x_title:
        parts.append(_text(box.left + box.width / 2, bottom + 40, x_title, "axis"))
    middle = box.top + box.height / 2
    parts.append(
        _text(Y_TITLE_X, middle, y_title, "axis", extra=f' transform="rotate(-90 {Y_TITLE_X} {_f(middle)})"')
    )
    return parts


def _clipped_series(box: Box, series: Sequence[Series]) -> list[str]:
    """The lines (and markers) of ``series`` clipped to ``box``."""
    clip = f"clip{next(_clip_ids)}"
    parts = [
        f'<clipPath id="{clip}"><rect x="{_f(box.left)}" y="{_f(box.top)}" width="{_f(box.width)}" '
        f'height="{_f(box.height)}"/></clipPath>',
        f'<g clip-path="url(#{clip})">',
    ]
    for line in series:
        if not line.points:
            continue
        points = " ".join(f"{_f(box.x(x))},{_f(box.y(y))}" for x, y in line.points)
        dash = f' stroke-dasharray="{escape(line.dash)}"' if line.dash else ""
        parts.append(
            f'<polyline points="{points}" fill="none" stroke="{escape(line.colour)}" stroke-width="2" '
            f'stroke-linejoin="round" stroke-linecap="round" class="series"{dash}>'
            f"<title>{escape(line.label)}</title></polyline>"
        )
        if line.sizes is not None:
            tips = line.tooltips or [line.label] * len(line.points)
            for (x, y), size, tip in zip(line.points, line.sizes, tips, strict=True):
                parts.append(
                    f'<circle cx="{_f(box.x(x))}" cy="{_f(box.y(y))}" r="{_f(size)}" '
                    f'fill="{escape(line.colour)}" fill-opacity="0.55" stroke="{escape(line.colour)}" '
                    f'class="marker"><title>{escape(tip)}</title></circle>'
                )
    parts.append("</g>")
    return parts


def line_chart(
    series: Sequence[Series],
    *,
    label: str,
    x_title: str,
    y_title: str,
    x_ticks: Sequence[tuple[float, str]],
    y_format: Callable[[float], str] = "{:.3f}".format,
    y_range: tuple[float, float] | None = None,
    ident: str | None = None,
    markers: Sequence[tuple[float, str, str]] = (),
    width: float = 480,
    height: float = 270,
) -> Markup:
    """A line chart of ``series`` with y tick values, x ticks ``(value, label)`` and both axis titles;
    ``markers`` ``(x, label, tooltip)`` draw labelled dashed vertical lines (e.g. a change of model)."""
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points]
    if not xs:
        raise ValueError("a line chart needs at least one point")
    low_y, high_y = y_range or padded_range(ys)
    box = Box(76, 14, width - 76 - 12, height - 14 - 50, (min(xs), max(xs)), (low_y, high_y))
    if box.x_range[0] == box.x_range[1]:
        box = Box(box.left, box.top, box.width, box.height, (xs[0] - 1, xs[0] + 1), box.y_range)
    y_ticks = [(v, y_format(v)) for v in nice_ticks(low_y, high_y)]
    parts = [_open(width, height, label, ident, "plot-wide")]
    parts += _axes(box, x_ticks, y_ticks, x_title, y_title)
    parts += _markers(box, markers)
    parts += _clipped_series(box, series)
    parts.append("</svg>")
    return Markup("".join(parts))


def _markers(box: Box, markers: Sequence[tuple[float, str, str]]) -> list[str]:
    parts = []
    for value, label, tooltip in markers:
        x = box.x(value)
        parts.append(
            f'<line x1="{_f(x)}" y1="{_f(box.top)}" x2="{_f(x)}" y2="{_f(box.top + box.height)}" '
            f'class="switch" stroke="#888" stroke-dasharray="4 3"><title>{escape(tooltip)}</title></line>'
        )
        anchor = "end" if x > box.left + box.width - 30 else "start"
        parts.append(
            _text(x + (-3 if anchor == "end" else 3), box.top + 14, label, "tick switch-label", anchor)
        )
    return parts


@dataclass(frozen=True)
class ReliabilityBin:
    """One probability bin of one model: mean forecast, observed frequency and how many forecasts."""

    mean_predicted: float
    observed_frequency: float
    count: int | None


def reliability_panel(
    title: str,
    models: Sequence[tuple[str, str, Sequence[ReliabilityBin]]],
    ident: str | None = None,
    size: float = 220,
) -> Markup:
    """One outcome's reliability diagram: observed frequency against mean forecast per bin, one line per
    ``(model, colour, bins)``, markers sized by the bin's count, the diagonal and a histogram of the first
    model's counts per bin under the axis (labelled with each bar's count)."""
    left, top, hist = 58, 24, 40
    width, height = left + size + 14, top + size + hist + 52
    box = Box(left, top, size, size, (0.0, 1.0), (0.0, 1.0))
    ticks = [(v, f"{v:.1f}") for v in (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)]
    counts = [b.count for _, _, bins in models for b in bins if b.count]
    biggest = max(counts, default=0)
    series = [
        Series(
            name,
            colour,
            [(b.mean_predicted, b.observed_frequency) for b in bins],
            sizes=[2.0 + 4.0 * math.sqrt((b.count or 0) / biggest) if biggest else 3.0 for b in bins],
            tooltips=[
                f"{name}: forecast {b.mean_predicted:.2f}, observed {b.observed_frequency:.2f}"
                + (f", {b.count} forecasts" if b.count is not None else "")
                for b in bins
            ],
        )
        for name, colour, bins in models
    ]
    parts = [_open(width, height, f"Reliability of {title} forecasts", ident, "plot-panel")]
    parts.append(_text(left + size / 2, 15, title, "title"))
    parts += _axes(box, [], ticks, "", "observed frequency")
    parts.append(
        f'<line x1="{_f(box.x(0))}" y1="{_f(box.y(0))}" x2="{_f(box.x(1))}" y2="{_f(box.y(1))}" '
        f'class="diagonal" stroke="#888" stroke-dasharray="4 3"/>'
    )
    parts += _clipped_series(box, series)
    parts += _count_histogram(box, models[0] if models else None, hist, ticks)
    parts.append("</svg>")
    return Markup("".join(parts))


def _count_histogram(
    box: Box,
    model: tuple[str, str, Sequence[ReliabilityBin]] | None,
    height: float,
    ticks: Sequence[tuple[float, str]],
) -> list[str]:
    """Bars of the forecasts per bin (first model) under the panel, x tick values below them."""
    bottom = box.top + box.height + 4 + height
    parts = []
    bins = [b for b in model[2] if b.count] if model else []
    biggest = max((b.count or 0 for b in bins), default=0)
    for b in bins:
        bar = (b.count or 0) / biggest * (height - 12)
        x = box.x(math.floor(min(b.mean_predicted, 0.999) * 10) / 10)
        parts.append(
            f'<rect x="{_f(x + 1)}" y="{_f(bottom - bar)}" width="{_f(box.width / 10 - 2)}" '
            f'height="{_f(bar)}" fill="{escape(model[1]) if model else "#999"}" fill-opacity="0.35" '
            f'class="count"><title>{b.count} forecasts</title></rect>'
        )
        parts.append(_text(x + box.width / 20, bottom - bar - 2, f"{b.count}", "value count-label"))
    parts.append(
        f'<line x1="{_f(box.left)}" y1="{_f(bottom)}" x2="{_f(box.left + box.width)}" y2="{_f(bottom)}" '
        f'stroke="#c9d1d7"/>'
    )
    for value, label in ticks:
        parts.append(_text(box.x(value), bottom + 15, label, "tick"))
    parts.append(_text(box.left + box.width / 2, bottom + 32, "mean forecast", "axis"))
    return parts


def heatmap(
    matrix: Sequence[Sequence[float]],
    *,
    label: str,
    row_title: str,
    column_title: str,
    ident: str | None = None,
    cell: float = 44,
    highlight: tuple[int, int] | None = None,
) -> Markup:
    """A probability matrix as coloured cells (rows top to bottom, columns left to right, from 0), each
    labelled with its percentage; darker is likelier. ``highlight`` outlines one cell (e.g. the result)."""
    rows, columns = len(matrix), len(matrix[0]) if matrix else 0
    left, top = 58, 44
    width, height = left + columns * cell + 8, top + rows * cell + 8
    biggest = max((v for row in matrix for v in row), default=0.0) or 1.0
    parts = [_open(width, height, label, ident, "plot-heatmap")]
    parts.append(_text(left + columns * cell / 2, 14, column_title, "axis"))
    for j in range(columns):
        parts.append(_text(left + (j + 0.5) * cell, top - 8, str(j), "tick"))
    middle = top + rows * cell / 2
    parts.append(
        _text(
            Y_TITLE_X, middle, row_title, "axis", extra=f' transform="rotate(-90 {Y_TITLE_X} {_f(middle)})"'
        )
    )
    for i, row in enumerate(matrix):
        parts.append(_text(left - 8, top + (i + 0.5) * cell + 4, str(i), "tick", "end"))
        for j, value in enumerate(row):
            share = value / biggest
            fill = _blue(share)
            ink = "#ffffff" if share > 0.55 else "#1d2327"
            x, y = left + j * cell, top + i * cell
            parts.append(
                f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(cell - 1)}" height="{_f(cell - 1)}" '
                f'fill="{fill}" class="cell" data-home="{i}" data-away="{j}">'
                f"<title>{i}–{j}: {100 * value:.1f}%</title></rect>"
            )
            parts.append(
                _text(x + cell / 2, y + cell / 2 + 4, _percent(value), "value", extra=f' fill="{ink}"')
            )
    if highlight is not None and highlight[0] < rows and highlight[1] < columns:
        i, j = highlight
        parts.append(
            f'<rect x="{_f(left + j * cell + 1)}" y="{_f(top + i * cell + 1)}" width="{_f(cell - 3)}" '
            f'height="{_f(cell - 3)}" fill="none" stroke="#d62728" stroke-width="2.5" class="result"/>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _percent(value: float) -> str:
    percent = 100 * value
    if percent >= 9.95:
        return f"{percent:.0f}%"
    return f"{percent:.1f}" if percent >= 0.05 else "0"


def _blue(share: float) -> str:
    """White to dark blue as ``share`` goes from 0 to 1."""
    low, high = (247, 251, 255), (8, 69, 148)
    share = min(max(share, 0.0), 1.0) ** 0.8
    r, g, b = (round(a + (z - a) * share) for a, z in zip(low, high, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def legend(series: Sequence[Series]) -> Markup:
    """An HTML legend (``ul.legend``) with one coloured swatch per series (dashed series drawn dashed)."""
    items = []
    for line in series:
        dash = f' stroke-dasharray="{escape(line.dash)}"' if line.dash else ""
        items.append(
            '<li><svg class="swatch" width="22" height="12" aria-hidden="true">'
            f'<line x1="1" y1="6" x2="21" y2="6" stroke="{escape(line.colour)}" stroke-width="3"{dash}/>'
            f"</svg>{escape(line.label)}</li>"
        )
    return Markup(f'<ul class="legend">{"".join(items)}</ul>')
