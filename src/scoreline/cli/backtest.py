"""``scoreline backtest``: walk-forward backtest of catalogue models against the market."""

from __future__ import annotations

import json

import typer

from scoreline.models.catalogue import model_names

ALL_MODELS = ",".join(model_names())
OUTPUT_FILES = ("metrics.json", "predictions.parquet", "report.html")


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def backtest_command(
    leagues: str = typer.Option(..., "--leagues", help="Test leagues, e.g. E0,SP1."),
    test_seasons: str = typer.Option(..., "--test-seasons", help="Seasons to predict, e.g. 2122-2425."),
    models: str = typer.Option(
        ALL_MODELS, "--models", help="Catalogue models, comma-separated (see scoreline models --catalogue)."
    ),
    out: str | None = typer.Option(
        None,
        "--out",
        help="Output folder or s3://bucket/prefix (default: backtests/latest under SCORELINE_HOME, shown by "
        "the dashboard).",
    ),
    from_dir: str | None = typer.Option(
        None, "--from-dir", help="Read football-data files from DIR (a folder or s3://bucket/prefix)."
    ),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: SCORELINE_DB_URL or DuckDB)."),
    cadence: str = typer.Option("week", "--cadence", help="Refit cadence: week, day or season."),
    n_jobs: int = typer.Option(2, "--n-jobs", help="League-seasons run in parallel processes."),
    dask: str | None = typer.Option(
        None,
        "--dask",
        metavar="ADDRESS",
        help="Run the fits on the Dask scheduler at ADDRESS, e.g. tcp://host:8786 (default: "
        "SCORELINE_DASK_ADDRESS; unset: local processes). Needs scoreline[dask].",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the pooled metrics as JSON."),
) -> None:
    """Refit every model each matchweek on past matches, predict the round, score against the market."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from scoreline import storage
    from scoreline.leagues import with_training_divisions
    from scoreline.pipelines.backtest import BacktestConfig, run_backtest
    from scoreline.pipelines.data import load_match_data
    from scoreline.settings import get_settings
    from scoreline.sources.seasons import parse_season_range

    test_leagues = _split(leagues)
    all_leagues = with_training_divisions(test_leagues, _folders(from_dir))
    config = BacktestConfig(
        leagues=test_leagues,
        test_seasons=tuple(parse_season_range(test_seasons)),
        models=_split(models),
        cadence=cadence,
        n_jobs=n_jobs,
        dask_address=dask or get_settings().dask_address,
    )
    target = out or get_settings().home_dir / "backtests" / "latest"
    data = load_match_data(all_leagues, from_dir=from_dir, db_url=db)
    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]backtest"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("rounds", total=None)

        def advance(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        metrics = run_backtest(data, config, target, progress=advance)
    if as_json:
        typer.echo(json.dumps({key: metrics[key] for key in ("pooled", "matches", "fits")}, indent=2))
        return
    table = Table(title=f"Pooled over {metrics['matches']['n_scored']} matches (lower RPS is better)")
    for column in ("model", "rps", "logloss", "brier", "accuracy", "ece"):
        table.add_column(column, justify="left" if column == "model" else "right")
    for name, row in sorted(metrics["pooled"].items(), key=lambda item: item[1]["rps"]):
        table.add_row(name, *(f"{row[k]:.4f}" for k in ("rps", "logloss", "brier", "accuracy", "ece")))
    Console().print(table)
    written = (storage.shown(storage.join(target, name)) for name in OUTPUT_FILES)
    Console().print(f"wrote {', '.join(written)}", soft_wrap=True)


def _folders(from_dir: str | None) -> tuple[str, ...] | None:
    """Leagues available to train on: the folders under ``from_dir``, else None (every known division)."""
    from scoreline import storage

    return tuple(storage.list_folders(from_dir)) or None if from_dir is not None else None
