"""``scoreline features``: build leakage-safe feature tables from the store."""

from __future__ import annotations

import json
from typing import Annotated

import typer

# Kept literal so that importing the CLI does not import numba and the feature code.
DEFAULT_GROUPS = "elo,pi,pi_shots,form,market"

features_app = typer.Typer(
    help="Leakage-safe feature tables (Elo, pi-ratings, shot-based pi-ratings, form, market).",
    no_args_is_help=True,
)


def _split(value: str | None) -> list[str] | None:
    if value is None:
        return None
    items = [item.strip() for item in value.split(",") if item.strip()]
    return items or None


@features_app.command("build")
def build_command(
    leagues: Annotated[
        str | None, typer.Option("--leagues", help="Comma-separated league codes, e.g. E0,SP1.")
    ] = None,
    groups: Annotated[str, typer.Option("--groups", help="Comma-separated feature groups.")] = DEFAULT_GROUPS,
    db: Annotated[str | None, typer.Option("--db", help="Store URL (default: the configured store).")] = None,
    out: Annotated[
        str | None,
        typer.Option("--out", help="Parquet file or s3:// URL to write (default: under SCORELINE_HOME)."),
    ] = None,
    cutoff: Annotated[
        str | None,
        typer.Option(
            "--cutoff",
            metavar="DATE",
            help="Use only results of matches that kicked off before DATE (YYYY-MM-DD); later matches get "
            "the values as of DATE. Default: every result.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Build the feature table for the chosen leagues and groups and write it as parquet."""
    from scoreline.pipelines.features import run_feature_build

    try:
        summary = run_feature_build(
            db_url=db, leagues=_split(leagues), groups=_split(groups) or [], out=out, cutoff=cutoff
        )
    except (ValueError, FileNotFoundError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    if as_json:
        typer.echo(json.dumps(summary.as_dict()))
    else:
        typer.echo(
            f"{summary.rows} rows x {summary.columns} columns, feature set {summary.feature_set_version} "
            f"({', '.join(summary.groups)}) in {summary.seconds:.1f} s -> {summary.path}"
        )
