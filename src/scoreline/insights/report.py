"""The self-contained HTML report of the clustering analysis (figures embedded as base64 PNG, no CDN)."""

from __future__ import annotations

from importlib.resources import files
from typing import Any

import pandas as pd

from scoreline.insights import plots
from scoreline.insights.analysis import Z_PREFIX, ClusterAnalysis
from scoreline.insights.clustering import FEATURE_LABELS

TEMPLATE = "report_template.html"
MATCHUP_ROWS = 25


def figures(analysis: ClusterAnalysis) -> dict[str, str]:
    """The report's figures as data URIs: selection curves, PCA scatter, profile and transition heatmaps."""
    rows = analysis.season_rows
    z = rows[[f"{Z_PREFIX}{name}" for name in analysis.features]].to_numpy()
    labels = rows["cluster"].to_numpy(dtype=int)
    label = {k: f"{k}: {name}" for k, name in analysis.names.items()}
    profile = analysis.smd.pivot(index="cluster", columns="feature", values="smd")[list(analysis.features)]
    profile = profile.rename(index=label, columns=lambda f: FEATURE_LABELS.get(f, f))
    share = analysis.transitions.div(analysis.transitions.sum(axis=1).replace(0, 1), axis=0)
    share = share.rename(index=label, columns=lambda k: f"to {k}")
    return {
        "selection": plots.data_uri(plots.selection_curves(analysis.selection)),
        "pca": plots.data_uri(plots.pca_scatter(z, labels, analysis.names)),
        "profile": plots.data_uri(
            plots.heatmap(profile, "Cluster profiles: standardized mean difference vs the rest", "SMD")
        ),
        "transitions": plots.data_uri(
            plots.heatmap(share, "Season-to-season transitions (row shares)", "share", diverging=False)
        ),
    }


def render_report(analysis: ClusterAnalysis, document: dict[str, Any]) -> str:
    """The HTML page for ``analysis`` and its ``insights.json`` ``document``."""
    from jinja2 import Environment, select_autoescape

    environment = Environment(autoescape=select_autoescape(default=True))
    template = environment.from_string(files("scoreline.insights").joinpath(TEMPLATE).read_text("utf-8"))
    matchups = pd.DataFrame(document["matchups"])
    top = matchups.sort_values("q_value").head(MATCHUP_ROWS).to_dict("records") if len(matchups) else []
    return template.render(doc=document, figures=figures(analysis), matchups=top)
