"""``scoreline run``: the training pipeline in-process, on the embedded defaults.

Runs :data:`scoreline.pipelines.definition.TRAINING`, the definition the ``scoreline_training`` DAG is built
from, with :func:`scoreline.pipelines.runner.run_pipeline`; this module only maps options to its parameters
and prints the summary.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer

from scoreline.cli.data import DB_OPTION_HELP, use_store

DEFAULT_MODELS = "dixon_coles,elo,pi_rating,lgbm"
# The summary's keys (printed with --json) for the pipeline's steps.
SUMMARY_KEYS = {
    "ingest": "ingest",
    "validate": "validate",
    "features": "features",
    "backtest": "backtests",
    "train": "trained",
    "register": "registered",
    "promote": "promotion",
}


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def run_command(
    leagues: str = typer.Option("E0", "--leagues", help="Leagues to ingest, backtest and train on."),
    seasons: str = typer.Option("1920-2425", "--seasons", help="Seasons to ingest, e.g. 1920-2425."),
    test_seasons: str = typer.Option("2425", "--test-seasons", help="Seasons the backtest predicts."),
    models: str = typer.Option(DEFAULT_MODELS, "--models", help="Catalogue models to backtest and train."),
    from_dir: str | None = typer.Option(
        None, "--from-dir", help="Read football-data files from DIR (a folder or s3://bucket/prefix)."
    ),
    until: str | None = typer.Option(
        None, "--until", help="Train on matches before this date (default today)."
    ),
    db: str | None = typer.Option(None, "--db", help=DB_OPTION_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Ingest, validate, build features, backtest, train, register and run the promotion gate."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from scoreline.pipelines.definition import TRAINING
    from scoreline.pipelines.runner import run_pipeline
    from scoreline.sources.seasons import parse_season_range

    params = {
        "leagues": _split(leagues),
        "seasons": seasons,
        "test_seasons": parse_season_range(test_seasons),
        "models": _split(models),
        "from_dir": from_dir or None,
        "until": until,
    }
    use_store(db)
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as bar:

        def step(name: str, action: Callable[[], Any]) -> Any:
            task = bar.add_task(name, total=1)
            result = action()
            bar.update(task, completed=1, description=f"[green]{name}")
            return result

        results = run_pipeline(TRAINING, params, around=step)
    summary = {SUMMARY_KEYS[name]: result for name, result in results.items()}
    if as_json:
        typer.echo(json.dumps(summary, default=str, indent=2))
        return
    _print_summary(summary)


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title="Backtest (walk-forward, lower RPS is better)")
    for column in ("model", "league", "matches", "rps", "closing line rps"):
        table.add_column(column, justify="left" if column in ("model", "league") else "right")
    for row in sorted(summary["backtests"], key=lambda r: r["rps"]):
        table.add_row(
            row["model"],
            row["league"],
            str(row["n"]),
            f"{row['rps']:.4f}",
            f"{row['market_closing_rps']:.4f}",
        )
    console.print(table)
    registered, decision = summary["registered"], summary["promotion"]
    challenger = (
        f"{registered['challenger_model']} (version {registered['challenger']})"
        if registered["challenger"] is not None
        else "none registered"
    )
    console.print(
        f"champion version: {registered['champion'] or 'unchanged'}; challenger: {challenger}; "
        f"promoted: {'yes' if decision['promote'] else 'no'} ({decision['reason']})"
    )
