"""Figures for the clustering report, rendered off-screen (Agg) to PNG bytes for embedding as base64."""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping

import numpy as np
import pandas as pd


def _png(figure: object) -> bytes:
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def data_uri(png: bytes) -> str:
    """A ``data:`` URI for an ``<img src>``: the report stays one self-contained file."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def pca_scatter(X: np.ndarray, labels: np.ndarray, names: Mapping[int, str]) -> bytes:
    """Teams projected on the first two principal components, coloured by cluster."""
    from matplotlib import colormaps
    from matplotlib.figure import Figure
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=0)
    points = pca.fit_transform(np.nan_to_num(X))
    figure = Figure(figsize=(7.5, 5.5))
    axes = figure.subplots()
    colours = colormaps["tab10"]
    for cluster in sorted(set(labels.tolist())):
        mask = labels == cluster
        axes.scatter(points[mask, 0], points[mask, 1], s=12, alpha=0.7, color=colours(cluster % 10),
                     label=f"{cluster}: {names.get(cluster, cluster)}")  # fmt: skip
    ratio = pca.explained_variance_ratio_
    axes.set_xlabel(f"PC1 ({ratio[0]:.0%} of variance)")
    axes.set_ylabel(f"PC2 ({ratio[1]:.0%} of variance)")
    axes.set_title("Team-seasons by playing style (PCA of z-scored profiles)")
    axes.legend(fontsize=7, loc="best")
    return _png(figure)


def heatmap(
    matrix: pd.DataFrame, title: str, colour_label: str, fmt: str = "{:.2f}", diverging: bool = True
) -> bytes:
    """A labelled heatmap with the values written in the cells."""
    from matplotlib.figure import Figure

    values = matrix.to_numpy(dtype=float)
    figure = Figure(figsize=(max(5.0, 0.75 * values.shape[1] + 3), max(3.0, 0.45 * values.shape[0] + 1.5)))
    axes = figure.subplots()
    if diverging:
        bound = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
        image = axes.imshow(values, cmap="RdBu_r", vmin=-bound, vmax=bound, aspect="auto")
    else:
        image = axes.imshow(values, cmap="Blues", aspect="auto")
    axes.set_xticks(
        range(values.shape[1]), [str(col) for col in matrix.columns], rotation=40, ha="right", fontsize=8
    )
    axes.set_yticks(range(values.shape[0]), [str(row) for row in matrix.index], fontsize=8)
    for (i, j), value in np.ndenumerate(values):
        if np.isfinite(value):
            axes.text(j, i, fmt.format(value), ha="center", va="center", fontsize=7)
    figure.colorbar(image, ax=axes, label=colour_label)
    axes.set_title(title)
    return _png(figure)


def selection_curves(selection: Mapping[str, pd.DataFrame]) -> bytes:
    """BIC (Gaussian mixture, one line per covariance type) and silhouette (k-means) against k."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 3.2))
    axes = figure.subplots(1, len(selection))
    for ax, (method, frame) in zip(np.atleast_1d(axes), selection.items(), strict=True):
        score = "bic" if "bic" in frame else "silhouette"
        groups = frame.groupby("covariance_type") if "covariance_type" in frame else [("", frame)]
        for label, group in groups:
            ax.plot(group["k"], group[score], marker="o", label=str(label) or None)
        if "covariance_type" in frame:
            ax.legend(fontsize=7)
        ax.set_xlabel("k")
        ax.set_title(f"{method}: {score} ({'lower' if score == 'bic' else 'higher'} is better)")
    return _png(figure)
