"""``scoreline insights clusters``: team playing styles, what they mean for results, as a report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scoreline.cli.data import DB_OPTION_HELP, resolve_db_url

if TYPE_CHECKING:  # the clustering imports scikit-learn: loaded by the command, not by `scoreline --help`
    from scoreline.insights.clustering import Method

insights_app = typer.Typer(help="Insights beside the models: playing-style clusters.", no_args_is_help=True)


_OUT_HELP = "Folder (or s3://bucket/prefix) for report.html, clusters.parquet and insights.json."
_PREDICTIONS_HELP = "Model predictions (parquet/CSV: league, date, home, away, p_home, p_draw, p_away)."


@insights_app.command("clusters")
def clusters_command(
    out: Annotated[str, typer.Option("--out", help=_OUT_HELP)],
    leagues: Annotated[str | None, typer.Option(help="Comma-separated league codes (default: all).")] = None,
    seasons: Annotated[str | None, typer.Option(help="Season codes, e.g. 1516-2425 (default: all).")] = None,
    db: Annotated[str | None, typer.Option("--db", help=DB_OPTION_HELP)] = None,
    predictions: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help=_PREDICTIONS_HELP)
    ] = None,
    method: Annotated[str, typer.Option(help="Reported clustering: gmm or kmeans.")] = "gmm",
    covariance: Annotated[
        str, typer.Option(help="Gaussian-mixture covariance: auto (by BIC), full, tied, diag or spherical.")
    ] = "auto",
    k_min: Annotated[int, typer.Option(min=2, help="Fewest clusters tried.")] = 2,
    k_max: Annotated[int, typer.Option(min=2, help="Most clusters tried.")] = 8,
    n_boot: Annotated[int, typer.Option(min=2, help="Bootstrap resamples for the stability check.")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Cluster team-seasons by playing style and report what the styles mean for results."""
    from scoreline.insights.clustering import COVARIANCE_TYPES, METHODS
    from scoreline.pipelines.insights import cluster_insights_from_store
    from scoreline.redaction import redact
    from scoreline.sources.seasons import parse_season_range

    if method not in METHODS:
        raise typer.BadParameter(f"choose one of {', '.join(METHODS)}", param_hint="--method")
    if covariance not in ("auto", *COVARIANCE_TYPES):
        raise typer.BadParameter(f"choose auto or {', '.join(COVARIANCE_TYPES)}", param_hint="--covariance")
    if k_max < k_min:
        raise typer.BadParameter(f"--k-max ({k_max}) is below --k-min ({k_min})", param_hint="--k-max")
    league_list = [part.strip() for part in leagues.split(",") if part.strip()] if leagues else None
    try:
        season_list = parse_season_range(seasons) if seasons else None
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--seasons") from error
    chosen: Method = "gmm" if method == "gmm" else "kmeans"
    try:
        outputs = cluster_insights_from_store(
            resolve_db_url(db),
            out,
            league_list,
            season_list,
            predictions,
            method=chosen,
            k_range=(k_min, k_max),
            covariance_type=covariance,
            n_boot=n_boot,
            seed=seed,
        )
    except ValueError as error:
        typer.echo(f"error: {redact(str(error))}", err=True)
        raise typer.Exit(1) from error
    analysis = outputs.analysis
    stability = analysis.stability
    typer.echo(
        f"{len(analysis.season_rows)} team-seasons in {analysis.n_clusters[analysis.method]} clusters "
        f"({analysis.method}); bootstrap ARI {stability.mean:.2f} "
        f"[{stability.low:.2f}, {stability.high:.2f}]."
    )
    for cluster, name in analysis.names.items():
        typer.echo(f"  {cluster}: {name}")
    typer.echo(f"Wrote {outputs.report}, {outputs.clusters} and {outputs.insights}.")
