"""``scoreline stage``: replay a season day by day into the prediction ledger, as if live."""

from __future__ import annotations

import json

import typer


def stage_command(
    league: str = typer.Option(..., "--league", help="League to replay, e.g. E0."),
    season: str = typer.Option(..., "--season", help="Season to replay, e.g. 2425."),
    model: str = typer.Option("dixon_coles", "--model", help="Catalogue model to run in staging."),
    model_version: str = typer.Option("replay", "--model-version", help="Version recorded in the ledger."),
    run: str | None = typer.Option(
        None, "--run", help="Replay run the predictions are recorded under (default: stage-LEAGUE-SEASON)."
    ),
    horizon: int = typer.Option(3, "--horizon", min=1, help="Predict fixtures this many days ahead."),
    from_dir: str | None = typer.Option(
        None, "--from-dir", help="Read football-data files from DIR (a folder or s3://bucket/prefix)."
    ),
    db: str | None = typer.Option(None, "--db", help="Store URL (default: SCORELINE_DB_URL or DuckDB)."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Replay a season day by day: predict before kickoff into the ledger, score results as they arrive.

    The predictions are recorded under a replay run, shown as such and kept out of the live monitor; the
    run's monitor is written to ``staging/replays/<run>/monitor.json``.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from scoreline.pipelines.staging import run_replay
    from scoreline.staging.replay import ReplayConfig

    config = ReplayConfig(
        league=league, season=season, model=model, model_version=model_version, horizon_days=horizon, run=run
    )
    with Progress(
        TextColumn("[bold]staging replay"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("days", total=None)
        result = run_replay(
            config,
            from_dir=from_dir,
            db_url=db,
            on_day=lambda done, total, label: bar.update(task, completed=done, total=total),
        )
    if as_json:
        typer.echo(json.dumps(result.as_dict()))
        return
    typer.echo(
        f"replay run {result.run} (never counted as live): "
        f"{result.predictions} predictions recorded before kickoff ({result.late_predictions} late), "
        f"{result.scored} scored: RPS {result.rps:.4f}, closing line {result.market_closing_rps:.4f}"
    )
